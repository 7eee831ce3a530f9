"""Retagging a wheel correctly: new filename, ``Tag:`` lines in WHEEL and a regenerated
RECORD, checked by reading the result back. The input file is never modified.

The rewrite follows pypa's ``wheel tags`` (wheel/_commands/tags.py): each of python, abi
and platform is kept, replaced (``cp311``, ``py2.py3``), extended (``+linux_x86_64``) or
reduced (``-py2``); WHEEL is re-emitted by the email parser with its Tag lines (and Build)
replaced, every member is copied, and ``wheel.wheelfile.WheelFile`` writes RECORD. Members
are streamed, never held whole in memory.

Renaming is not retagging: pip reads the filename, but installers and auditors read WHEEL,
and RECORD must match the bytes. Some retags are unsafe whatever the files say: a compiled
extension built for one CPython ABI (``.cpython-34m-...so``) does not import under another,
an untagged one may load and crash, and native code does not run on a platform it was not
built for; those are refused unless forced.
"""

from __future__ import annotations

import email.policy
import hashlib
import itertools
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import field
from email.parser import BytesParser
from pathlib import Path

from gpusetup.render.output import OutputError, output_target, place_output
from gpusetup.serde import record
from gpusetup.wheels.archive import (
    MAX_WHEEL_FILE,
    Record,
    WheelError,
    WheelInfo,
    check_tag_component,
    open_archive,
    read_wheel_and_record,
    stream_member,
)

#: the longest file name Linux file systems store (NAME_MAX)
MAX_FILENAME = 255
_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(.+)$")
_MUSLLINUX = re.compile(r"^musllinux_(\d+)_(\d+)_(.+)$")
_LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


class RetagRefused(WheelError):
    """The retag would make a wheel that claims what it cannot do."""


@record
class RetagResult:
    source: str
    output: str
    old_tags: list[str]
    new_tags: list[str]
    warnings: list[str] = field(default_factory=list)


@record
class TagSets:
    """The python, abi and platform parts of a wheel's filename, each a sorted set."""

    python: list[str]
    abi: list[str]
    platform: list[str]

    @property
    def expanded(self) -> list[str]:
        """The Tag lines, in the order ``wheel tags`` writes them."""
        return [
            f"{a}-{b}-{c}" for a, b, c in itertools.product(self.python, self.abi, self.platform)
        ]

    @property
    def compressed(self) -> str:
        return "-".join(".".join(part) for part in (self.python, self.abi, self.platform))


def filename_tag_sets(filename: str) -> TagSets:
    python, abi, platform = filename[: -len(".whl")].split("-")[-3:]
    return TagSets(*(sorted(set(p.split("."))) for p in (python, abi, platform)))


def change_tags(original: Iterable[str], change: str | None, what: str) -> list[str]:
    """``wheel tags`` semantics: None keeps, ``a.b`` replaces, ``+a`` adds, ``-a`` removes."""
    if change is None:
        return sorted(set(original))
    text = change.strip()
    op = text[0] if text[:1] in ("+", "-") else ""
    pieces = text[len(op) :].split(".")
    for piece in pieces:
        check_tag_component(piece, what)
    if op == "+":
        result = {*original, *pieces}
    elif op == "-":
        result = set(original) - set(pieces)
    else:
        result = set(pieces)
    if not result:
        raise WheelError(f"--{what}-tag {change}: no {what} tag would be left")
    return sorted(result)


def _cpython_version(tag: str) -> int | None:
    """cp311 -> 311; py3/abi3/none -> None."""
    return int(tag[2:]) if tag.startswith("cp") and tag[2:].isdigit() else None


def _platform_floor(platform: str) -> tuple[str, str, tuple[int, int]] | None:
    """manylinux_2_17_x86_64 -> ("manylinux", "x86_64", (2, 17)); linux_x86_64 -> linux."""
    if m := _MANYLINUX.match(platform):
        return "manylinux", m[3], (int(m[1]), int(m[2]))
    if m := _MUSLLINUX.match(platform):
        return "musllinux", m[3], (int(m[1]), int(m[2]))
    for legacy, floor in _LEGACY_MANYLINUX.items():
        if platform.startswith(legacy + "_"):
            return "manylinux", platform[len(legacy) + 1 :], floor
    if platform.startswith("linux_"):
        return "linux", platform[len("linux_") :], (0, 0)
    return None


def _platform_covered(new: str, old: list[str]) -> bool:
    """Compiled code built for ``old`` also runs where ``new`` says: the same platform, a
    newer glibc or musl floor on the same CPU (manylinux_2_17 -> manylinux_2_28), or plain
    linux_<arch> (this kind of machine) for a Linux build of that CPU."""
    if new in old:
        return True
    want = _platform_floor(new)
    if want is None:
        return False
    for platform in old:
        have = _platform_floor(platform)
        if have is None or have[1] != want[1]:
            continue
        if want[0] == "linux" and have[0] in ("linux", "manylinux", "musllinux"):
            return True
        if want[0] == have[0] and want[2] >= have[2]:
            return True
    return False


def assess(info: WheelInfo, new: TagSets) -> list[str]:
    """Why the retag is unsafe (empty: safe)."""
    problems: list[str] = []
    old = filename_tag_sets(info.filename)
    if not info.has_native_code:
        abis = [a for a in new.abi if a not in old.abi and a != "none"]
        if abis:
            problems.append(
                f"it holds no compiled code; the ABI tag {', '.join(abis)} claims it does"
            )
        platforms = [p for p in new.platform if p not in old.platform and p != "any"]
        if platforms:
            problems.append(
                f"it holds no compiled code; tagging it {', '.join(platforms)} claims it "
                "needs that platform"
            )
        return problems
    uncovered = [p for p in new.platform if not _platform_covered(p, old.platform)]
    if uncovered:
        problems.append(
            f"it holds compiled code built for {', '.join(old.platform)}; claiming "
            f"{', '.join(uncovered)} does not make it run there (auditwheel repair is the "
            "tool that can make a manylinux wheel)"
        )
    if info.is_abi3:
        old_versions = [v for v in (_cpython_version(p) for p in old.python) if v]
        if new.abi != ["abi3"]:
            problems.append("its extensions use the stable ABI (abi3); the abi tag must stay abi3")
        for python in new.python:
            version = _cpython_version(python)
            if version is None:
                problems.append(
                    f"abi3 extensions need CPython; the python tag {python} lets other "
                    "interpreters install them"
                )
            elif old_versions and version < min(old_versions):
                problems.append(
                    f"abi3 extensions run on the CPython they were built for and newer, "
                    f"not older (built for cp{min(old_versions)}, asked cp{version})"
                )
        return problems
    tagged = sorted({e.abi for e in info.extensions if e.abi and e.abi != "abi3"})
    untagged = [e.path for e in info.extensions if not e.abi]
    for ext_abi in tagged:
        others = [a for a in new.abi if a != ext_abi]
        if others:
            suffix = ext_abi[2:] if ext_abi.startswith("cp") else ext_abi
            problems.append(
                f"its extension modules are tagged {ext_abi} (.cpython-{suffix}-...so): "
                f"an interpreter of ABI {', '.join(others)} will not import them"
            )
    new_abis = [a for a in new.abi if a not in old.abi]
    if untagged and new_abis:
        problems.append(
            f"it has untagged extension modules ({', '.join(untagged[:3])}) built "
            f"for {', '.join(old.abi)}: they may load under {', '.join(new_abis)} and crash"
        )
    if info.binaries and new_abis and not info.extensions:
        problems.append(
            f"it holds native code ({', '.join(info.binaries[:3])}) built for "
            f"{', '.join(old.abi)}; the ABI tag {', '.join(new_abis)} claims another"
        )
    return problems


def _output_directory(out_dir: str | Path | None, source: Path) -> Path:
    """The directory the retagged wheel goes to; created if only it is missing."""
    directory = Path(out_dir) if out_dir is not None else source.parent
    if directory.exists():
        if not directory.is_dir():
            raise WheelError(f"-o {directory} is a file, not a directory")
        return directory
    parent = directory.parent
    if not parent.is_dir():
        raise WheelError(f"-o {directory}: the directory {parent} does not exist")
    try:
        directory.mkdir(mode=0o755)
    except OSError as exc:
        raise WheelError(f"cannot create {directory}: {exc.strerror or exc}") from None
    return directory


def _new_wheel_file(wheel_bytes: bytes, tags: TagSets, build: str | None) -> bytes:
    """WHEEL with its Tag lines (and Build) replaced, emitted as ``wheel tags`` does."""
    info = BytesParser(policy=email.policy.compat32).parsebytes(wheel_bytes)
    del info["Tag"], info["Build"]
    for tag in tags.expanded:
        info["Tag"] = tag
    if build:
        info["Build"] = build
    return info.as_bytes()


def retag(
    path: str | Path,
    python: str | None = None,
    abi: str | None = None,
    platform: str | None = None,
    out_dir: str | Path | None = None,
    force: bool = False,
) -> RetagResult:
    source = Path(path)
    info, record = read_wheel_and_record(source)
    old = filename_tag_sets(info.filename)
    new = TagSets(
        change_tags(old.python, python, "python"),
        change_tags(old.abi, abi, "abi"),
        change_tags(old.platform, platform, "platform"),
    )
    if new == old:
        raise WheelError(f"{info.filename} already has the tags {new.compressed}")
    problems = assess(info, new)
    if problems and not force:
        raise RetagRefused(
            f"refusing to retag {info.filename}: "
            + "; ".join(problems)
            + ". --force does it anyway."
        )
    warnings = [f"forced: {p}" for p in problems]
    stem = info.filename[: -len(".whl")].split("-")
    namever = "-".join(stem[:2])
    build = f"-{info.build}" if info.build else ""
    out_name = f"{namever}{build}-{new.compressed}.whl"
    if len(out_name.encode()) > MAX_FILENAME:
        raise WheelError(
            f"the retagged wheel's name would be {len(out_name.encode())} bytes long; file "
            f"systems allow {MAX_FILENAME}"
        )
    directory = _output_directory(out_dir, source)
    try:
        target = output_target(directory / out_name)
        if target.old is not None and os.path.samefile(target.path, source):
            raise WheelError(
                f"{directory / out_name} is the input wheel itself (a link to it); the "
                "input is never overwritten"
            )
    except OutputError as exc:
        raise WheelError(str(exc)) from None
    work = target.path.parent if not target.in_place else directory
    try:
        scratch = Path(tempfile.mkdtemp(prefix=".gpusetup-retag-", dir=work))
    except OSError as exc:
        raise WheelError(f"cannot write in {work}: {exc.strerror or exc}") from None
    try:
        finished = scratch / out_name
        try:
            written, dropped = _rewrite(source, finished, info, new)
        except OSError as exc:
            raise WheelError(
                f"cannot write {directory / out_name}: {exc.strerror or exc}"
            ) from None
        _check_copy(finished, info, record, new, written)
        warnings += [f"dropped {member}: it signed the old RECORD" for member in dropped]
        try:
            place_output(finished, target)
        except OutputError as exc:
            raise WheelError(str(exc)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return RetagResult(
        str(source), str(directory / out_name), info.tags, sorted(new.expanded), warnings
    )


class _StreamingWheelFile:
    """``wheel.wheelfile.WheelFile`` for writing, with members streamed in.

    WheelFile.writestr takes a member's whole bytes; a wheel's largest members (a GiB of
    CUDA kernels) are better not held in memory. A streamed member's hash is entered in
    the same table writestr fills, so WheelFile's own close() writes RECORD; the copy is
    read back and checked against the source's RECORD before it is used."""

    def __init__(self, path: Path, dist_info: str) -> None:
        from wheel.wheelfile import WheelError as WheelFileError
        from wheel.wheelfile import WheelFile

        try:
            self.file = WheelFile(str(path), "w")
        except WheelFileError as exc:
            raise WheelError(f"cannot write {path.name}: {exc}") from None
        # the RECORD goes into the wheel's own .dist-info, however the filename spells it
        self.file.dist_info_path = dist_info
        self.file.record_path = f"{dist_info}/RECORD"

    def write(self, item: zipfile.ZipInfo, chunks: Iterable[bytes]) -> None:
        from wheel.wheelfile import urlsafe_b64encode

        zinfo = zipfile.ZipInfo(item.filename, date_time=item.date_time)
        zinfo.external_attr = item.external_attr
        zinfo.create_system = item.create_system
        zinfo.compress_type = (
            zipfile.ZIP_STORED if item.compress_type == zipfile.ZIP_STORED else zipfile.ZIP_DEFLATED
        )
        zinfo.file_size = item.file_size  # lets zipfile pick ZIP64 for a member over 4 GiB
        digest = hashlib.sha256()
        size = 0
        with self.file.open(zinfo, "w") as out:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.file._file_hashes[zinfo.filename] = (
            digest.name,
            urlsafe_b64encode(digest.digest()).decode("ascii"),
        )
        self.file._file_sizes[zinfo.filename] = size

    def writestr(self, item: zipfile.ZipInfo, data: bytes) -> None:
        self.write(item, [data])

    def close(self) -> None:
        self.file.close()


def _rewrite(
    source: Path, target: Path, info: WheelInfo, new: TagSets
) -> tuple[list[str], list[str]]:
    """Write the retagged copy; (members written, signatures dropped)."""
    wheel_name = f"{info.dist_info}/WHEEL"
    record_name = f"{info.dist_info}/RECORD"
    signatures = {f"{record_name}.jws", f"{record_name}.p7s"}
    written, dropped = [], []
    out = _StreamingWheelFile(target, info.dist_info)
    try:
        with open_archive(source) as zin:
            out.file.comment = zin.comment
            for item in zin.infolist():
                if item.is_dir() or item.filename == record_name:
                    continue
                if item.filename in signatures:
                    dropped.append(item.filename)
                    continue
                chunks = stream_member(zin, item, info.filename)
                if item.filename == wheel_name:
                    if item.file_size > MAX_WHEEL_FILE:
                        raise WheelError(f"{info.filename}: WHEEL is too large")
                    out.writestr(item, _new_wheel_file(b"".join(chunks), new, info.build))
                else:
                    out.write(item, chunks)
                written.append(item.filename)
    finally:
        out.close()
    return written, dropped


def _check_copy(
    finished: Path, info: WheelInfo, record: Record, new: TagSets, written: list[str]
) -> None:
    """The copy reads back as a wheel with the new tags, holding exactly the members
    written, each (WHEEL aside) with the hash the source's RECORD gives it."""
    try:
        check, copied = read_wheel_and_record(finished)
    except WheelError as exc:
        raise WheelError(f"the retagged wheel did not read back correctly: {exc}") from None
    problems = []
    if check.tags != sorted(new.expanded):
        problems.append(f"its tags are {', '.join(check.tags)}")
    if set(copied) != set(written):
        problems.append("its members are not those of the source")
    wheel_name = f"{info.dist_info}/WHEEL"
    for member in written:
        if member == wheel_name or member not in copied or member not in record:
            continue
        algorithm, digest, _ = record[member]
        row = copied[member]
        # a source hashed with another algorithm was checked against its own bytes already
        if row[0] == algorithm and row[1].rstrip("=") != digest.rstrip("="):
            problems.append(f"{member} differs from the source")
    if problems:
        raise WheelError(
            "the retagged wheel did not read back correctly: " + "; ".join(problems[:5])
        )
