"""Retagging a wheel correctly: new filename, ``Tag:`` lines in WHEEL and a regenerated
RECORD, checked by reading the result back. The input file is never modified.

Renaming is not retagging: pip reads the filename, but installers and auditors read WHEEL,
and RECORD must match the bytes. Some retags are unsafe whatever the files say: a compiled
extension built for one CPython ABI (``.cpython-34m-...so``) does not import under another,
and an untagged one may load and crash; those are refused unless forced.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.tags import parse_tag

from gpusetup.wheels.archive import WheelError, WheelInfo, read_wheel, record_hash, verify_record


class RetagRefused(WheelError):
    """The retag would make a wheel that claims what it cannot do."""


@dataclass(frozen=True)
class RetagResult:
    source: str
    output: str
    old_tags: list[str]
    new_tags: list[str]
    warnings: list[str] = field(default_factory=list)


def _compress(python: str, abi: str, platform: str) -> str:
    return f"{python}-{abi}-{platform}"


def _cpython_version(tag: str) -> int | None:
    """cp311 -> 311; py3/abi3/none -> None."""
    return int(tag[2:]) if tag.startswith("cp") and tag[2:].isdigit() else None


def assess(info: WheelInfo, python: str, abi: str, platform: str) -> list[str]:
    """Why the retag is unsafe (empty: safe)."""
    problems = []
    old = [t.split("-") for t in info.tags]
    if info.is_pure:
        if abi != "none" or platform != "any":
            problems.append("a pure-Python wheel should stay abi 'none' and platform 'any'")
        return problems
    old_platforms = {p for _, _, p in old}
    if platform not in old_platforms and not info.is_pure:
        problems.append(
            f"it holds compiled code built for {', '.join(sorted(old_platforms))}; "
            f"claiming {platform} does not make it run there (auditwheel repair is "
            "the tool that can make a manylinux wheel)"
        )
    if info.is_abi3:
        new_version = _cpython_version(python)
        old_versions = [v for v in (_cpython_version(p) for p, _, _ in old) if v]
        if abi != "abi3":
            problems.append("its extensions use the stable ABI (abi3); the abi tag must stay abi3")
        elif new_version and old_versions and new_version < min(old_versions):
            problems.append(
                f"abi3 extensions run on the CPython they were built for and newer, "
                f"not older (built for cp{min(old_versions)}, asked cp{new_version})"
            )
        return problems
    tagged = sorted({e.abi for e in info.extensions if e.abi})
    untagged = [e.path for e in info.extensions if not e.abi]
    new_abi_version = abi[2:] if abi.startswith("cp") else None
    for ext_abi in tagged:
        if ext_abi.startswith("cp") and ext_abi[2:] != new_abi_version:
            problems.append(
                f"its extension modules are tagged {ext_abi} (.cpython-{ext_abi[2:]}"
                f"-...so): CPython {python} will not import them"
            )
    old_abis = {a for _, a, _ in old}
    if untagged and abi not in old_abis:
        problems.append(
            f"it has untagged extension modules ({', '.join(untagged[:3])}) built "
            f"for {', '.join(sorted(old_abis))}: they may load under {abi} and crash"
        )
    return problems


def retag(
    path: str | Path,
    python: str | None = None,
    abi: str | None = None,
    platform: str | None = None,
    out_dir: str | Path | None = None,
    force: bool = False,
) -> RetagResult:
    info = read_wheel(path)
    first = info.tags[0].split("-")
    new_python, new_abi, new_platform = python or first[0], abi or first[1], platform or first[2]
    new_tag_text = _compress(new_python, new_abi, new_platform)
    try:
        new_tags = sorted(str(t) for t in parse_tag(new_tag_text))
    except ValueError as exc:
        raise WheelError(f"{new_tag_text!r} is not a valid tag: {exc}") from None
    problems = assess(info, new_python, new_abi, new_platform)
    if problems and not force:
        raise RetagRefused(
            "refusing to retag "
            + info.filename
            + ": "
            + "; ".join(problems)
            + ". --force does it anyway."
        )
    warnings = [f"forced: {p}" for p in problems]
    build = f"-{info.build}" if info.build else ""
    stem = info.filename[: -len(".whl")].split("-")
    out_name = f"{stem[0]}-{stem[1]}{build}-{new_tag_text}.whl"
    target_dir = Path(out_dir) if out_dir else Path(path).parent
    target = target_dir / out_name
    if target.resolve() == Path(path).resolve():
        raise WheelError(f"{info.filename} already has the tag {new_tag_text}")
    target_dir.mkdir(parents=True, exist_ok=True)
    _rewrite(Path(path), target, info, new_tags)
    check = read_wheel(target)
    record_problems = verify_record(target)
    if check.tags != new_tags or record_problems:
        target.unlink(missing_ok=True)
        raise WheelError(
            "the retagged wheel did not read back correctly: "
            + "; ".join(record_problems or [f"tags {check.tags}"])
        )
    return RetagResult(str(path), str(target), info.tags, new_tags, warnings)


def _rewrite(source: Path, target: Path, info: WheelInfo, new_tags: list[str]) -> None:
    wheel_name = f"{info.dist_info}/WHEEL"
    record_name = f"{info.dist_info}/RECORD"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    try:
        rows = []
        with (
            zipfile.ZipFile(source) as zin,
            zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout,
        ):
            for item in zin.infolist():
                if item.filename == record_name:
                    continue
                data = zin.read(item)
                if item.filename == wheel_name:
                    lines = [
                        line for line in data.decode().splitlines() if not line.startswith("Tag:")
                    ]
                    lines += [f"Tag: {t}" for t in new_tags]
                    data = ("\n".join(lines) + "\n").encode()
                zout.writestr(item, data)
                if not item.filename.endswith("/"):
                    rows.append((item.filename, record_hash(data), str(len(data))))
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerows(rows)
            writer.writerow((record_name, "", ""))
            zout.writestr(record_name, buf.getvalue())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
