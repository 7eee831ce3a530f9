"""Reading a wheel safely: filename, WHEEL, METADATA, RECORD and extension modules.

Binary distribution format, PEP 427 (https://peps.python.org/pep-0427/) and its successor
spec (https://packaging.python.org/en/latest/specifications/binary-distribution-format/):
the filename's tags must agree with the ``Tag:`` lines of ``WHEEL``, and ``RECORD`` lists
every file with its sha256. A bad wheel raises WheelError with what is wrong; nothing is
extracted.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from email.parser import HeaderParser
from pathlib import Path

from packaging.tags import parse_tag
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

#: .cpython-34m-x86_64-linux-gnu.so -> 34m ; .abi3.so ; .cpython-311-darwin.so
_EXTENSION = re.compile(
    r"\.(?:(?P<abi3>abi3)|cpython-(?P<cp>\d+[a-z]*)(?:-[^.]+)?|(?P<pypy>pypy[^.]*))"
    r"\.(?:so|pyd)$"
)


class WheelError(Exception):
    """The file is not a usable wheel; the message says what is wrong."""


@dataclass(frozen=True)
class ExtensionModule:
    path: str
    abi: str | None  # "cp34m", "abi3", "pypy39_pp73", or None for an untagged .so


@dataclass(frozen=True)
class WheelInfo:
    path: str
    filename: str
    name: str
    version: str
    build: str | None
    tags: list[str]  # from the filename, expanded
    wheel_tags: list[str]  # the Tag: lines of WHEEL
    root_is_purelib: bool
    requires_python: str | None
    requires_dist: list[str] = field(default_factory=list)
    extensions: list[ExtensionModule] = field(default_factory=list)
    dist_info: str = ""

    @property
    def is_pure(self) -> bool:
        return not self.extensions and all(t.split("-")[1] == "none" for t in self.tags)

    @property
    def is_abi3(self) -> bool:
        return bool(self.extensions) and all(e.abi == "abi3" for e in self.extensions)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _tags_of(tag_text: str) -> list[str]:
    return [str(t) for t in parse_tag(tag_text)]


def parse_filename(filename: str) -> tuple[str, str, str | None, list[str]]:
    try:
        name, version, build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise WheelError(f"{filename!r} is not a valid wheel filename: {exc}") from None
    build_text = f"{build[0]}{build[1]}" if build else None
    ordered = sorted(str(t) for t in tags)
    return str(name), str(version), build_text, ordered


def read_wheel(path: str | Path) -> WheelInfo:
    path = Path(path)
    name, version, build, tags = parse_filename(path.name)
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise WheelError(f"{path} does not exist") from None
    except (zipfile.BadZipFile, OSError) as exc:
        raise WheelError(f"{path} is not a zip archive (a wheel is one): {exc}") from None
    with zf:
        names = zf.namelist()
        for member in names:
            parts = Path(member).parts
            if member.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                raise WheelError(
                    f"{path.name}: member {member!r} would be written outside the "
                    "install directory; refusing the wheel"
                )
        dist_infos = sorted(
            {m.split("/", 1)[0] for m in names if m.split("/", 1)[0].endswith(".dist-info")}
        )
        if len(dist_infos) != 1:
            raise WheelError(
                f"{path.name}: expected one .dist-info directory, found {len(dist_infos)}"
            )
        dist_info = dist_infos[0]

        def read(member: str) -> bytes:
            try:
                return zf.read(member)
            except KeyError:
                raise WheelError(f"{path.name}: {member} is missing") from None
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                raise WheelError(
                    f"{path.name}: {member} cannot be read (truncated or corrupt archive): {exc}"
                ) from None

        wheel_meta = HeaderParser().parsestr(read(f"{dist_info}/WHEEL").decode("utf-8", "replace"))
        metadata = HeaderParser().parsestr(read(f"{dist_info}/METADATA").decode("utf-8", "replace"))
        wheel_tags = sorted(t for line in wheel_meta.get_all("Tag", []) for t in _tags_of(line))
        if not wheel_tags:
            raise WheelError(f"{path.name}: WHEEL has no Tag lines")
        if wheel_tags != tags:
            raise WheelError(
                f"{path.name}: the filename says {', '.join(tags)} but WHEEL says "
                f"{', '.join(wheel_tags)}; the wheel was renamed without retagging"
            )
        extensions = []
        for member in names:
            if member.endswith((".so", ".pyd")) and not member.startswith(dist_info):
                m = _EXTENSION.search(member)
                abi = None
                if m:
                    abi = "abi3" if m["abi3"] else (f"cp{m['cp']}" if m["cp"] else m["pypy"])
                extensions.append(ExtensionModule(member, abi))
        # every member's bytes are read once: this finds truncated members early
        for member in names:
            read(member)
    return WheelInfo(
        path=str(path),
        filename=path.name,
        name=name,
        version=version,
        build=build,
        tags=tags,
        wheel_tags=wheel_tags,
        root_is_purelib=(wheel_meta.get("Root-Is-Purelib", "false").strip().lower() == "true"),
        requires_python=metadata.get("Requires-Python"),
        requires_dist=metadata.get_all("Requires-Dist", []),
        extensions=extensions,
        dist_info=dist_info,
    )


def verify_record(path: str | Path) -> list[str]:
    """Problems with RECORD: missing entries and hash mismatches (empty: all good)."""
    problems = []
    with zipfile.ZipFile(path) as zf:
        dist_info = next(
            n.split("/", 1)[0] for n in zf.namelist() if n.split("/", 1)[0].endswith(".dist-info")
        )
        record_name = f"{dist_info}/RECORD"
        rows = list(csv.reader(io.StringIO(zf.read(record_name).decode())))
        listed = {row[0]: row[1] if len(row) > 1 else "" for row in rows if row}
        for member in zf.namelist():
            if member.endswith("/") or member == record_name:
                continue
            if member not in listed:
                problems.append(f"{member} is not in RECORD")
            elif listed[member] != record_hash(zf.read(member)):
                problems.append(f"{member}: hash differs from RECORD")
    return problems
