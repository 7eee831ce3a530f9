"""Reading a wheel safely: filename, WHEEL, METADATA, RECORD and extension modules.

Binary distribution format, PEP 427 (https://peps.python.org/pep-0427/) and its successor
spec (https://packaging.python.org/en/latest/specifications/binary-distribution-format/):
the filename's tags must agree with the ``Tag:`` lines of ``WHEEL``, and ``RECORD`` lists
every file with its hash. pip refuses a wheel without one ``.dist-info`` directory for its
project, whose WHEEL is not UTF-8 or lacks a Wheel-Version it knows, or whose METADATA names
another project or version; those are refused here too.

Every read is bounded: only a regular file is opened, the central directory, the number of
members and each member's declared size and their sum are capped before anything is
decompressed, and members are streamed through their hash, never held whole in memory. A
bad wheel raises WheelError with the file and what is wrong; nothing is extracted.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import field
from email.message import Message
from email.parser import HeaderParser
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import parse_tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from gpusetup.probe.inputs import MIB, InputError, open_input
from gpusetup.serde import record

GIB = 1 << 30
#: Limits on what a wheel may declare. The largest real wheels (TensorFlow, PyTorch with
#: CUDA) hold about 20,000 members, none over 2 GiB, under 8 GiB in all.
MAX_CENTRAL_DIRECTORY = 64 * MIB
MAX_MEMBERS = 200_000
MAX_MEMBER_BYTES = 4 * GIB
MAX_TOTAL_BYTES = 16 * GIB
#: the metadata files are read whole, so their caps are small
MAX_WHEEL_FILE = 1 * MIB
MAX_METADATA_FILE = 32 * MIB
MAX_RECORD_FILE = 64 * MIB
CHUNK = 1 * MIB

#: the methods CPython's zipfile reads (stored, deflate, bzip2, lzma): what pip can install
READABLE_COMPRESSION = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
#: pip's own Wheel-Version (pip/_internal/operations/install/wheel.py: VERSION_COMPATIBLE)
WHEEL_VERSION_SUPPORTED = (1, 0)
#: RECORD hash algorithms: sha256 or stronger (the spec forbids md5 and sha1)
RECORD_ALGORITHMS = {"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512", "blake2b"}
#: one tag component: letters, digits and underscores (``cp311``, ``manylinux_2_17_x86_64``)
TAG_COMPONENT = re.compile(r"^[A-Za-z0-9_]{1,64}$")

#: .cpython-34m-x86_64-linux-gnu.so -> 34m ; .abi3.so ; .cpython-311-darwin.so
_EXTENSION = re.compile(
    r"\.(?:(?P<abi3>abi3)|cpython-(?P<cp>\d+[a-z]*)(?:-[^.]+)?|(?P<pypy>pypy[^.]*))"
    r"\.(?:so|pyd)$"
)
#: the first bytes of native code: ELF, Mach-O (both byte orders, 32/64 bit, fat), PE
_NATIVE_MAGIC = (
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)
_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")


class WheelError(Exception):
    """The file is not a usable wheel; the message says what is wrong."""


#: RECORD's rows that carry a hash: {path: (algorithm, urlsafe-base64 digest, size)}
Record = dict[str, tuple[str, str, int | None]]


@record
class ExtensionModule:
    path: str
    abi: str | None  # "cp34m", "abi3", "pypy39_pp73", or None for an untagged .so


@record
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
    #: native executables and libraries that are not extension modules (``bin/ruff``,
    #: ``nvidia/cublas/lib/libcublas.so.12``): compiled code all the same
    binaries: list[str] = field(default_factory=list)
    #: what pip would only warn about (an invalid Requires-Python it ignores)
    notes: list[str] = field(default_factory=list)

    @property
    def has_native_code(self) -> bool:
        return bool(self.extensions or self.binaries)

    @property
    def is_pure(self) -> bool:
        return not self.has_native_code and all(t.split("-")[1] == "none" for t in self.tags)

    @property
    def is_abi3(self) -> bool:
        return bool(self.extensions) and all(e.abi == "abi3" for e in self.extensions)


def record_hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def check_tag_component(part: str, what: str) -> None:
    """A python, abi or platform tag: letters, digits, underscores, at most 64 characters."""
    if not TAG_COMPONENT.match(part):
        shown = part if len(part) <= 80 else part[:80] + "..."
        raise WheelError(
            f"{what} tag {shown!r} is not a tag: a tag is 1 to 64 letters, digits and "
            "underscores (cp311, abi3, manylinux_2_17_x86_64), dots between several"
        )


def parse_filename(filename: str) -> tuple[str, str, str | None, list[str]]:
    try:
        name, version, build, tags = parse_wheel_filename(filename)
    except InvalidWheelFilename as exc:
        raise WheelError(f"{filename!r} is not a valid wheel filename: {exc}") from None
    build_text = f"{build[0]}{build[1]}" if build else None
    ordered = sorted(str(t) for t in tags)
    return str(name), str(version), build_text, ordered


def python_satisfies(requires_python: str | None, python_version: str) -> bool | None:
    """Whether ``python_version`` meets Requires-Python, as pip judges it (pre-releases
    count); None when the specifier is invalid (pip then warns and installs)."""
    if not requires_python or not requires_python.strip():
        return True
    try:
        spec = SpecifierSet(requires_python)
        version = Version(python_version.rstrip("+"))
    except (InvalidSpecifier, InvalidVersion):
        return None
    return spec.contains(version, prereleases=True)


def _central_directory(fh: BinaryIO) -> tuple[int, int] | None:
    """(entries, bytes) of the central directory from the end records, before zipfile
    reads it whole; None when there is no end record (zipfile then says why)."""
    fh.seek(0, io.SEEK_END)
    size = fh.tell()
    tail_len = min(size, _EOCD.size + 0xFFFF)
    fh.seek(size - tail_len)
    tail = fh.read(tail_len)
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or at + _EOCD.size > len(tail):
        return None
    fields = _EOCD.unpack_from(tail, at)
    entries, cd_size = fields[4], fields[5]
    locator = at - _ZIP64_LOCATOR.size
    if (entries == 0xFFFF or cd_size == 0xFFFFFFFF) and locator >= 0:
        signature, _, offset, _ = _ZIP64_LOCATOR.unpack_from(tail, locator)
        if signature == b"PK\x06\x07" and offset < size:
            fh.seek(offset)
            record = fh.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, cd_size = struct.unpack_from("<QQ", record, 32)
    return entries, cd_size


@contextmanager
def open_archive(path: str | Path) -> Iterator[zipfile.ZipFile]:
    """The zip archive of the regular file ``path``, its size limits checked. WheelError."""
    name = Path(path).name
    try:
        fh = open_input(path)
    except InputError as exc:
        raise WheelError(str(exc)) from None
    try:
        try:
            bounds = _central_directory(fh)
        except OSError as exc:
            raise WheelError(f"cannot read {path}: {exc.strerror or exc}") from None
        if bounds is not None:
            entries, cd_size = bounds
            if entries > MAX_MEMBERS or cd_size > MAX_CENTRAL_DIRECTORY:
                raise WheelError(
                    f"{name}: its zip directory lists {entries:,} members in "
                    f"{cd_size / MIB:,.0f} MiB; gpusetup reads at most {MAX_MEMBERS:,} "
                    f"members and {MAX_CENTRAL_DIRECTORY // MIB} MiB"
                )
        try:
            zf = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise WheelError(f"{path} is not a zip archive (a wheel is one): {exc}") from None
        with zf:
            yield zf
    finally:
        fh.close()


def _check_members(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Names, encryption, compression and declared sizes, before anything is read."""
    if len(infos) > MAX_MEMBERS:
        raise WheelError(f"{name}: {len(infos):,} members; gpusetup reads at most {MAX_MEMBERS:,}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        member = info.filename
        parts = PurePosixPath(member).parts
        if (
            member.startswith("/")
            or ".." in parts
            or (parts and ":" in parts[0])
            or "\\" in member
            or "\x00" in member
        ):
            raise WheelError(
                f"{name}: member {member!r} would be written outside the install directory; "
                "refusing the wheel"
            )
        if member in seen:
            raise WheelError(
                f"{name}: member {member!r} appears twice (tools would disagree on which "
                "one is installed); refusing the wheel"
            )
        seen.add(member)
        if info.flag_bits & 0x1:
            raise WheelError(f"{name}: member {member!r} is encrypted; a wheel cannot be")
        if info.compress_type not in READABLE_COMPRESSION:
            raise WheelError(
                f"{name}: member {member!r} uses zip compression method {info.compress_type}, "
                f"which pip cannot read (a wheel uses {', '.join(READABLE_COMPRESSION.values())})"
            )
        if info.file_size > MAX_MEMBER_BYTES:
            raise WheelError(
                f"{name}: member {member!r} declares {info.file_size / GIB:,.1f} GiB "
                f"uncompressed; gpusetup reads members up to {MAX_MEMBER_BYTES // GIB} GiB "
                "(a zip bomb?)"
            )
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise WheelError(
            f"{name}: its members declare {total / GIB:,.1f} GiB uncompressed in all; "
            f"gpusetup reads up to {MAX_TOTAL_BYTES // GIB} GiB (a zip bomb?)"
        )


def stream_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, wheel_name: str) -> Iterator[bytes]:
    """A member's bytes in chunks, never more than it declares; read errors as WheelError."""
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, RuntimeError) as exc:
        raise WheelError(
            f"{wheel_name}: {info.filename} cannot be read (truncated or corrupt archive): {exc}"
        ) from None
    except NotImplementedError as exc:
        raise WheelError(f"{wheel_name}: {info.filename} cannot be read: {exc}") from None


def _read_small(zf: zipfile.ZipFile, member: str, limit: int, wheel_name: str) -> bytes:
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise WheelError(f"{wheel_name}: {member} is missing") from None
    if info.file_size > limit:
        raise WheelError(
            f"{wheel_name}: {member} is {info.file_size / MIB:,.1f} MiB; gpusetup reads "
            f"at most {limit / MIB:g} MiB of it"
        )
    return b"".join(stream_member(zf, info, wheel_name))


def _text(data: bytes, member: str, wheel_name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WheelError(
            f"{wheel_name}: {member} is not UTF-8 text (byte {exc.start}); pip refuses it"
        ) from None


def parse_wheel_file(text: str, wheel_name: str) -> tuple[Message, list[str]]:
    """WHEEL as headers, and its Tag lines expanded and sorted. WheelError when pip would
    refuse it (no or an unsupported Wheel-Version) or a Tag line is not a tag."""
    meta = HeaderParser().parsestr(text)
    version_text = meta.get("Wheel-Version")
    if version_text is None:
        raise WheelError(f"{wheel_name}: WHEEL has no Wheel-Version line; pip refuses it")
    try:
        version = tuple(int(p) for p in str(version_text).strip().split("."))
    except ValueError:
        raise WheelError(
            f"{wheel_name}: WHEEL's Wheel-Version {str(version_text).strip()!r} is not a version"
        ) from None
    if version[0] > WHEEL_VERSION_SUPPORTED[0]:
        raise WheelError(
            f"{wheel_name}: Wheel-Version {str(version_text).strip()} is a newer format "
            f"than pip reads ({WHEEL_VERSION_SUPPORTED[0]}.x)"
        )
    tags = []
    for line in meta.get_all("Tag", []):
        tag_text = str(line).strip()
        parts = tag_text.split("-")
        if len(parts) != 3:
            raise WheelError(
                f"{wheel_name}: WHEEL has a bad Tag line {tag_text[:80]!r}: a tag is "
                "python-abi-platform"
            )
        for part, what in zip(parts, ("python", "abi", "platform"), strict=True):
            for piece in part.split("."):
                try:
                    check_tag_component(piece, what)
                except WheelError as exc:
                    raise WheelError(f"{wheel_name}: WHEEL has a bad Tag line: {exc}") from None
        tags.extend(str(t) for t in parse_tag(tag_text))
    if not tags:
        raise WheelError(f"{wheel_name}: WHEEL has no Tag lines")
    return meta, sorted(set(tags))


def _record(zf: zipfile.ZipFile, member: str, wheel_name: str) -> Record:
    """RECORD's rows; those without a hash (RECORD itself, signatures) are left out."""
    text = _text(_read_small(zf, member, MAX_RECORD_FILE, wheel_name), member, wheel_name)
    rows: Record = {}
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
            if not row:
                continue
            if len(row) != 3:
                raise WheelError(
                    f"{wheel_name}: RECORD line {number} has {len(row)} fields, not 3 "
                    "(path, hash, size)"
                )
            path, hash_text, size_text = row
            if not hash_text:
                continue
            algorithm, _, digest = hash_text.partition("=")
            if algorithm not in RECORD_ALGORITHMS or not digest:
                raise WheelError(
                    f"{wheel_name}: RECORD line {number}: {hash_text[:40]!r} is not a "
                    "sha256 (or stronger) hash"
                )
            try:
                size = int(size_text) if size_text else None
            except ValueError:
                raise WheelError(
                    f"{wheel_name}: RECORD line {number}: size {size_text[:40]!r} is not a number"
                ) from None
            rows[path] = (algorithm, digest, size)
    except csv.Error as exc:
        raise WheelError(f"{wheel_name}: RECORD is not CSV: {exc}") from None
    return rows


def _same_digest(recorded: str, digest: bytes) -> bool:
    try:
        return base64.urlsafe_b64decode(recorded + "=" * (-len(recorded) % 4)) == digest
    except (binascii.Error, ValueError):
        return False


def read_wheel(path: str | Path) -> WheelInfo:
    """Check the wheel as pip would, and RECORD against every member's bytes. WheelError."""
    return read_wheel_and_record(path)[0]


def read_wheel_and_record(path: str | Path) -> tuple[WheelInfo, Record]:
    """read_wheel, and the RECORD it checked."""
    path = Path(path)
    wheel_name = path.name
    name, version, build, tags = parse_filename(wheel_name)
    with open_archive(path) as zf:
        infos = zf.infolist()
        _check_members(wheel_name, infos)
        names = [i.filename for i in infos]
        dist_infos = sorted(
            {m.split("/", 1)[0] for m in names if m.split("/", 1)[0].endswith(".dist-info")}
        )
        if len(dist_infos) != 1:
            raise WheelError(
                f"{wheel_name}: expected one .dist-info directory, found {len(dist_infos)}"
                + (f" ({', '.join(dist_infos[:4])})" if dist_infos else "")
            )
        dist_info = dist_infos[0]
        # pip's own test (pip/_internal/utils/wheel.py: wheel_dist_info_dir)
        if not canonicalize_name(dist_info).startswith(canonicalize_name(name)):
            raise WheelError(
                f"{wheel_name}: its .dist-info directory {dist_info!r} is not for "
                f"{name!r}; pip refuses it"
            )
        wheel_member = f"{dist_info}/WHEEL"
        wheel_text = _text(
            _read_small(zf, wheel_member, MAX_WHEEL_FILE, wheel_name), wheel_member, wheel_name
        )
        wheel_meta, wheel_tags = parse_wheel_file(wheel_text, wheel_name)
        if wheel_tags != tags:
            raise WheelError(
                f"{wheel_name}: the filename says {', '.join(tags)} but WHEEL says "
                f"{', '.join(wheel_tags)}; the wheel was renamed without retagging"
            )
        metadata_member = f"{dist_info}/METADATA"
        metadata = HeaderParser().parsestr(
            _read_small(zf, metadata_member, MAX_METADATA_FILE, wheel_name).decode(
                "utf-8", "replace"
            )
        )
        _check_metadata(metadata, name, version, wheel_name)
        notes = []
        requires_python = metadata.get("Requires-Python")
        if requires_python is not None:
            requires_python = str(requires_python).strip()
            if python_satisfies(requires_python, "3.0") is None:
                notes.append(
                    f"Requires-Python {requires_python!r} is not a valid specifier; pip ignores it"
                )
        record_member = f"{dist_info}/RECORD"
        record = _record(zf, record_member, wheel_name)
        unsigned = {record_member, f"{record_member}.jws", f"{record_member}.p7s"}
        extensions = []
        binaries = []
        for info in infos:
            member = info.filename
            if info.is_dir() or member in unsigned:
                continue
            if member not in record:
                raise WheelError(f"{wheel_name}: {member} is not listed in RECORD with a hash")
            algorithm, recorded, size = record[member]
            digest = hashlib.new(algorithm)
            head = b""
            length = 0
            for chunk in stream_member(zf, info, wheel_name):
                if len(head) < 4:
                    head += chunk[: 4 - len(head)]
                digest.update(chunk)
                length += len(chunk)
            if not _same_digest(recorded, digest.digest()):
                raise WheelError(
                    f"{wheel_name}: {member}: its {algorithm} differs from RECORD's (the "
                    "file was changed after the wheel was built)"
                )
            if size is not None and size != length:
                raise WheelError(f"{wheel_name}: {member} is {length} bytes; RECORD says {size}")
            if member.startswith(dist_info + "/"):
                continue
            if member.endswith((".so", ".pyd")):
                abi = None
                if m := _EXTENSION.search(member):
                    abi = _extension_abi(m)
                extensions.append(ExtensionModule(member, abi))
            elif head.startswith(_NATIVE_MAGIC) or (
                head.startswith(b"MZ") and member.lower().endswith((".dll", ".exe"))
            ):
                binaries.append(member)
    info = WheelInfo(
        path=str(path),
        filename=wheel_name,
        name=name,
        version=version,
        build=build,
        tags=tags,
        wheel_tags=wheel_tags,
        root_is_purelib=(str(wheel_meta.get("Root-Is-Purelib", "false")).strip().lower() == "true"),
        requires_python=requires_python,
        requires_dist=[str(r) for r in metadata.get_all("Requires-Dist", [])],
        extensions=extensions,
        dist_info=dist_info,
        binaries=binaries,
        notes=notes,
    )
    return info, record


def _extension_abi(m: re.Match[str]) -> str:
    """The ABI tag an extension's suffix names: abi3, cp311, cp313t, pypy39_pp73."""
    if m["abi3"]:
        return "abi3"
    if m["cp"]:
        return f"cp{m['cp']}"
    # .pypy39-pp73-x86_64-linux-gnu.so -> pypy39_pp73
    return "_".join(m["pypy"].split("-")[:2])


def _check_metadata(metadata: Message, name: str, version: str, wheel_name: str) -> None:
    """METADATA must name the filename's project and version (pip: "inconsistent")."""
    meta_name = metadata.get("Name")
    meta_version = metadata.get("Version")
    if meta_name is None or meta_version is None:
        raise WheelError(
            f"{wheel_name}: METADATA has no {'Name' if meta_name is None else 'Version'}"
        )
    if canonicalize_name(str(meta_name).strip()) != canonicalize_name(name):
        raise WheelError(
            f"{wheel_name}: METADATA names the project {str(meta_name).strip()[:80]!r}, the "
            f"filename {name!r}; pip refuses the inconsistency"
        )
    try:
        same = Version(str(meta_version).strip()) == Version(version)
    except InvalidVersion:
        same = False
    if not same:
        raise WheelError(
            f"{wheel_name}: METADATA says version {str(meta_version).strip()[:80]!r}, the "
            f"filename {version!r}; pip refuses the inconsistency"
        )
