"""The declarative knowledge in ``checks/``: compatibility tables and validation profiles.

``checks/`` ships inside the wheel as ``gpusetup/_checks``; from a source checkout (editable
install, ``PYTHONPATH=.``) it is read where it stands. Profiles are validated on load: an
unknown key or a wrong type names the file, the key and what was expected.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import re
import stat
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from gpusetup.serde import record


class KnowledgeError(Exception):
    """A data table or profile is missing or malformed."""


def checks_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "_checks", here.parent / "checks"):
        if (candidate / "data").is_dir():
            return candidate
    raise KnowledgeError(
        f"gpusetup's data directory is missing (looked in {here / '_checks'} and "
        f"{here.parent / 'checks'}); reinstall gpusetup"
    )


def toml_parser() -> ModuleType:
    """``tomllib`` (``tomli`` before Python 3.11), imported when a file is parsed: a run
    whose tables come from the cache (``read_toml_cached``) never imports it."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


def read_toml(path: Path) -> dict[str, Any]:
    tomllib = toml_parser()
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise KnowledgeError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"{path} is not valid TOML: {exc}") from exc


def read_toml_cached(path: Path, cache_name: str) -> dict[str, Any]:
    """``read_toml(path)`` of a shipped file, taken from the cache of its folder's parsed
    files (``read_toml_folder``, ``cache_name`` in the user's cache) where it can be: a
    file of the folder that is gone or does not parse leaves ``path`` to be read alone, so
    only a fault of ``path`` itself is an error, and the same one."""
    try:
        rows = read_toml_folder(path.parent, cache_name)
    except KnowledgeError:
        rows = {}
    found = rows.get(path.name)
    return found if found is not None else read_toml(path)


def user_cache_dir() -> Path:
    """gpusetup's folder in the user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gpusetup"


#: what a cache file of parsed TOML starts with; a new layout gets a new one
_CACHE_FORMAT = "gpusetup.toml-cache/1"
#: the largest cache file read (the catalogue's is about 0.6 MB)
_MAX_CACHE_BYTES = 32 << 20


def read_toml_folder(folder: Path, cache_name: str) -> dict[str, dict[str, Any]]:
    """Every ``*.toml`` file of ``folder``, parsed, by file name.

    Parsing the message catalogue costs most of a tenth of a second on each run, so the
    result is kept in the user's cache (``cache_name`` there) and used while every file
    has the name, size and modification time it had; a cache that is stale, unreadable,
    not the user's own or writable by others is ignored (and rewritten when possible)."""
    paths = sorted(folder.glob("*.toml"))
    try:
        key = [_CACHE_FORMAT, str(folder), list(sys.version_info[:2])]
        for path in paths:
            st = path.stat()
            key.append([path.name, st.st_size, st.st_mtime_ns])
    except OSError as exc:
        raise KnowledgeError(f"cannot read {folder}: {exc.strerror or exc}") from exc
    where = user_cache_dir() / cache_file_name(cache_name, folder)
    cached = _read_cache(where)
    if isinstance(cached, list) and len(cached) == 2 and cached[0] == key:
        rows = cached[1]
        if isinstance(rows, dict) and all(isinstance(v, dict) for v in rows.values()):
            return rows
    rows = {path.name: read_toml(path) for path in paths}
    _write_cache(where, [key, rows])
    _prune_caches(where.parent, cache_name)
    return rows


def cache_file_name(cache_name: str, folder: Path) -> str:
    """``cache_name`` with a digest of ``folder`` before its suffix: each data folder (a
    checkout, an installed copy) keeps its own cache instead of overwriting another's."""
    import zlib  # cheaper to import than hashlib; the key inside still decides a match

    digest = zlib.crc32(str(folder).encode("utf-8", "surrogateescape"))
    name = Path(cache_name)
    return f"{name.stem}-{digest:08x}{name.suffix}"


#: the caches of one name kept (one for each data folder read lately): the newest win
_KEPT_CACHES = 4


def _prune_caches(where: Path, cache_name: str) -> None:
    """Keep the ``_KEPT_CACHES`` newest caches of ``cache_name`` in ``where`` (the user's own
    cache folder) and remove the rest, and the undigested name of earlier releases: data
    folders come and go (virtual environments, checkouts) and their caches would pile up."""
    name = Path(cache_name)
    pattern = re.compile(rf"{re.escape(name.stem)}-[0-9a-f]{{8}}{re.escape(name.suffix)}")
    try:
        ours = [
            (entry.stat(follow_symlinks=False).st_mtime_ns, entry.path)
            for entry in os.scandir(where)
            if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
        ]
    except OSError:
        return
    stale = [path for _, path in sorted(ours, reverse=True)[_KEPT_CACHES:]]
    for path in [*stale, str(where / cache_name)]:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _read_cache(path: Path) -> object:
    """What the cache file at ``path`` holds, or None when it cannot be trusted or read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        # only a file this user wrote and nobody else can change: marshal is not meant
        # for data another user could have crafted
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.geteuid()
            or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            or st.st_size > _MAX_CACHE_BYTES
        ):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(_MAX_CACHE_BYTES + 1)
        return marshal.loads(data)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    finally:
        os.close(fd)


def _write_cache(path: Path, value: object) -> None:
    """Write ``value`` to the cache file at ``path`` at once (another run reads either the
    old file or the new one, never half of one); a cache that cannot be written is left."""
    try:
        data = marshal.dumps(value)
    except ValueError:  # a value marshal cannot hold (a TOML date): no cache
        return
    import tempfile  # only here: its import costs more than reading the cache

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


# --- compatibility tables ------------------------------------------------------------------


@record
class TensorFlowBuild:
    version: str
    python: str
    cuda: str
    cudnn: str
    min_compute_capability: str
    #: the release has the ``[and-cuda]`` extra (nvidia-*-cu<CUDA major> pip packages)
    and_cuda: bool = False
    #: library components its GPU check opens beyond [tensorflow_sonames].components
    also_loads: tuple[str, ...] = ()
    #: Linux machines (uname -m) whose PyPI wheels are GPU builds
    gpu_machines: tuple[str, ...] = ("x86_64",)
    unverified: tuple[str, ...] = ()

    @property
    def cuda_major(self) -> str:
        return self.cuda.split(".")[0]

    def supports_python(self, python_version: str) -> bool:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.version import Version

        try:
            return Version(python_version) in SpecifierSet(self.python)
        except InvalidSpecifier as exc:
            raise KnowledgeError(
                f"{_table_path('tensorflow.toml')}: TensorFlow {self.version}: python = "
                f"{self.python!r} is not a version range ({exc})"
            ) from None

    def gpu_wheels_on(self, machine: str) -> bool:
        """Whether PyPI's Linux wheels of this release are GPU builds on ``machine``."""
        return machine in self.gpu_machines


@record
class CudaTable:
    toolkit_min_driver: dict[str, str]
    major_floor_driver: dict[str, str]
    major_min_compute_capability: dict[str, str]
    source: str

    def min_driver_for(self, cuda: str) -> tuple[str, str] | None:
        """(table row, driver) for a CUDA release: ``12.5.1`` has its own row; a release
        missing from the table is judged by the nearest listed one of its X.Y below it."""
        wanted = _release(cuda)
        if wanted is None:
            return None
        best: tuple[tuple[int, ...], str] | None = None
        for row in self.toolkit_min_driver:
            have = _release(row)
            if have is None or have[:2] != wanted[:2] or have > wanted:
                continue
            if best is None or have > best[0]:
                best = (have, row)
        return (best[1], self.toolkit_min_driver[best[1]]) if best else None

    def highest_cuda_for(self, driver: str) -> str | None:
        """The newest CUDA X.Y whose minimum driver ``driver`` meets (``470.57.02`` ->
        ``11.4``): what the driver supports by itself, without forward-compatibility
        libraries. None for a driver older than every listed release."""
        best: tuple[int, ...] | None = None
        for row, minimum in self.toolkit_min_driver.items():
            have = _release(row)
            if have is not None and driver_at_least(driver, minimum):
                best = max(best or have, have)
        return f"{best[0]}.{best[1]}" if best else None


def _release(version: str) -> tuple[int, ...] | None:
    """12.5 -> (12, 5, 0); 12.5.1 -> (12, 5, 1)."""
    try:
        parts = tuple(int(p) for p in version.strip().split("."))
    except ValueError:
        return None
    return (parts + (0, 0, 0))[:3] if parts else None


def _table_path(name: str) -> Path:
    return checks_dir() / "data" / name


#: the user-cache file of the parsed data tables (``read_toml_cached``)
DATA_CACHE = "data.marshal"
#: the user-cache file of the parsed shipped profiles
PROFILES_CACHE = "profiles.marshal"


@cache
def tensorflow_builds() -> tuple[TensorFlowBuild, ...]:
    """The table's releases, newest first. Versions are plain ``X.Y`` numbers (sorted as
    such); the Python ranges are checked where they are used, with ``packaging`` (which the
    doctor then need not import when TensorFlow is installed; the tests check every row)."""
    path = _table_path("tensorflow.toml")
    data = read_toml_cached(path, DATA_CACHE)
    builds = []
    for i, row in enumerate(data.get("build", [])):
        try:
            build = TensorFlowBuild(
                version=str(row["version"]),
                python=str(row["python"]),
                cuda=str(row["cuda"]),
                cudnn=str(row["cudnn"]),
                min_compute_capability=str(row["min_compute_capability"]),
                and_cuda=bool(row.get("and_cuda", False)),
                also_loads=tuple(str(c) for c in row.get("also_loads", ())),
                gpu_machines=tuple(str(m) for m in row.get("gpu_machines", ("x86_64",))),
                unverified=tuple(row.get("unverified", ())),
            )
            parse_cc(build.min_compute_capability)
            if _numeric_release(build.version) is None:
                raise ValueError(f"version {build.version!r} is not X.Y")
        except (KeyError, TypeError, ValueError) as exc:
            raise KnowledgeError(f"{path}: build #{i + 1} is malformed ({exc})") from exc
        builds.append(build)
    return tuple(sorted(builds, key=lambda b: _numeric_release(b.version), reverse=True))


def _numeric_release(version: str) -> tuple[int, ...] | None:
    """``2.21.0`` -> (2, 21, 0): a version of dot-separated numbers only (for which
    ``packaging.version.Version(v).release`` is the same tuple), else None."""
    parts = version.split(".")
    if not all(p.isascii() and p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)


@cache
def cuda_table() -> CudaTable:
    path = _table_path("cuda.toml")
    data = read_toml_cached(path, DATA_CACHE)
    try:
        return CudaTable(
            toolkit_min_driver=dict(data["toolkit_min_driver"]),
            major_floor_driver=dict(data["major_floor_driver"]),
            major_min_compute_capability=dict(data["major_min_compute_capability"]),
            source=str(data["meta"]["source"]),
        )
    except KeyError as exc:
        raise KnowledgeError(f"{path}: missing table {exc}") from exc


@record
class SonameTable:
    driver: str
    #: what TensorFlow's GPU check opens of its CUDA major (cuDNN and the driver aside)
    components: tuple[str, ...]
    #: CUDA major -> component -> soname, every runtime library of that major
    libraries: dict[str, dict[str, str]]
    #: CUDA major -> component -> pip distribution that provides it
    pip_packages: dict[str, dict[str, str]]

    @property
    def cuda(self) -> dict[str, dict[str, str]]:
        """CUDA major -> component -> soname, of what TensorFlow's GPU check opens."""
        return {
            major: {c: names[c] for c in self.components if c in names}
            for major, names in self.libraries.items()
        }

    def majors_of(self, soname: str) -> list[str]:
        """The CUDA majors that ship ``soname``, newest first (several for libcurand.so.10)."""
        found = [m for m, names in self.libraries.items() if soname in names.values()]
        return sorted(found, key=int, reverse=True)

    def component_of(self, soname: str) -> str | None:
        for names in self.libraries.values():
            for component, name in names.items():
                if name == soname:
                    return component
        return None


@cache
def tensorflow_sonames() -> SonameTable:
    path = _table_path("cuda.toml")
    data = read_toml_cached(path, DATA_CACHE)
    try:
        table = data["tensorflow_sonames"]
        return SonameTable(
            driver=str(table["driver"]),
            components=tuple(str(c) for c in table["components"]),
            libraries={
                str(major): {str(k): str(v) for k, v in names.items()}
                for major, names in data["cuda_sonames"].items()
            },
            pip_packages={
                str(major): {str(k): str(v) for k, v in names.items()}
                for major, names in data.get("pip_packages", {}).items()
            },
        )
    except (KeyError, AttributeError, TypeError) as exc:
        raise KnowledgeError(
            f"{path}: malformed [tensorflow_sonames]/[cuda_sonames] ({exc})"
        ) from exc


@record
class Architecture:
    name: str
    compute_capabilities: tuple[str, ...]
    source: str
    #: the last CUDA release that compiles for it ("11.x": every 11 release); None: ongoing
    last_cuda: str | None = None
    #: the last driver branch (470 = R470) that supports it; None: ongoing
    last_driver_branch: int | None = None
    #: a distribution package of that last branch, where one is known
    driver_package: str | None = None
    unverified: bool = False
    #: the first CUDA release that supports it; its driver minimum is the first driver
    #: branch that binds such a GPU. None: not recorded
    first_cuda: str | None = None
    #: only the open kernel modules drive it (Blackwell); the proprietary one loads and
    #: does not initialise the GPU
    open_kernel_modules: bool = False

    @property
    def last_cuda_major(self) -> int | None:
        return int(self.last_cuda.split(".")[0]) if self.last_cuda else None


@record
class ArchitectureTable:
    architectures: tuple[Architecture, ...]
    #: architecture name -> inclusive PCI device id ranges (vendor 10de)
    pci_ranges: dict[str, tuple[tuple[int, int], ...]]
    source: str

    def for_compute_capability(self, cc: tuple[int, int]) -> Architecture | None:
        for arch in self.architectures:
            if any(parse_cc(c) == tuple(cc) for c in arch.compute_capabilities):
                return arch
        return None

    def for_pci_device(self, device_id: str) -> Architecture | None:
        """``0x102d`` (sysfs) or ``0x102D10DE`` (NVML: device id and vendor) -> Kepler.

        An architecture with several rows is its first row (Kepler 3.5/3.7: both end with
        R470); the tests keep that row the one with the earliest first CUDA release."""
        text = device_id.strip().lower().removeprefix("0x")
        try:
            value = int(text[:4], 16) if len(text) == 8 else int(text, 16)
        except ValueError:
            return None
        for name, ranges in self.pci_ranges.items():
            if any(lo <= value <= hi for lo, hi in ranges):
                # every row of one architecture shares its driver branch
                return next((a for a in self.architectures if a.name == name), None)
        return None


@cache
def architecture_table() -> ArchitectureTable:
    path = _table_path("architectures.toml")
    data = read_toml_cached(path, DATA_CACHE)
    try:
        rows = []
        for i, row in enumerate(data["architecture"]):
            branch = row.get("last_driver_branch")
            if branch is not None and not isinstance(branch, int):
                raise TypeError(f"architecture #{i + 1}: last_driver_branch must be a number")
            arch = Architecture(
                name=str(row["name"]),
                compute_capabilities=tuple(str(c) for c in row["compute_capabilities"]),
                source=str(row["source"]),
                last_cuda=str(row["last_cuda"]) if row.get("last_cuda") else None,
                last_driver_branch=branch,
                driver_package=str(row["driver_package"]) if row.get("driver_package") else None,
                unverified=bool(row.get("unverified", False)),
                first_cuda=str(row["first_cuda"]) if row.get("first_cuda") else None,
                open_kernel_modules=bool(row.get("open_kernel_modules", False)),
            )
            for cc in arch.compute_capabilities:
                parse_cc(cc)
            rows.append(arch)
        ranges: dict[str, tuple[tuple[int, int], ...]] = {}
        for name, spans in data.get("pci_device_ids", {}).items():
            parsed = []
            for span in spans:
                lo, _, hi = str(span).partition("-")
                parsed.append((int(lo, 16), int(hi or lo, 16)))
            ranges[str(name)] = tuple(parsed)
        return ArchitectureTable(tuple(rows), ranges, str(data["meta"]["source"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise KnowledgeError(f"{path}: malformed ({exc})") from exc


def first_driver(arch: Architecture) -> tuple[str, str] | None:
    """(CUDA release, driver) of the first driver that supports ``arch``: the minimum of
    its first CUDA release (cuda.toml [toolkit_min_driver]); None where none is recorded."""
    if arch.first_cuda is None:
        return None
    row = cuda_table().min_driver_for(arch.first_cuda)
    return (arch.first_cuda, row[1]) if row else None


def knowledge_problems() -> list[str]:
    """Contradictions and gaps between the tables (empty when they agree): every TensorFlow
    row's CUDA has a driver minimum, a major floor, a soname set and an oldest architecture
    at or below the row's own minimum; the architectures agree with the CUDA majors' oldest
    compute capability; every pip package names a known library."""
    problems = []
    cuda, sonames, archs = cuda_table(), tensorflow_sonames(), architecture_table()
    known = {"cudnn", "nccl", "ptxas", "libdevice"}
    for b in tensorflow_builds():
        where = f"tensorflow.toml {b.version}"
        major = b.cuda_major
        if cuda.min_driver_for(b.cuda) is None:
            problems.append(f"{where}: CUDA {b.cuda} has no row in cuda.toml [toolkit_min_driver]")
        if major not in cuda.major_floor_driver:
            problems.append(f"{where}: CUDA {major} has no [major_floor_driver]")
        names = sonames.libraries.get(major)
        if names is None:
            problems.append(f"{where}: CUDA {major} has no [cuda_sonames]")
        else:
            for component in sonames.components + b.also_loads:
                if component not in names:
                    problems.append(f"{where}: CUDA {major} has no soname for {component}")
        if b.and_cuda and major not in sonames.pip_packages:
            problems.append(f"{where}: [and-cuda] but CUDA {major} has no [pip_packages]")
        oldest = cuda.major_min_compute_capability.get(major)
        if oldest is None:
            problems.append(f"{where}: CUDA {major} has no [major_min_compute_capability]")
        elif parse_cc(b.min_compute_capability) < parse_cc(oldest):
            problems.append(
                f"{where}: minimum compute capability {b.min_compute_capability} is below "
                f"{oldest}, the oldest CUDA {major} compiles for"
            )
    for major, oldest in cuda.major_min_compute_capability.items():
        for arch in archs.architectures:
            last = arch.last_cuda_major
            for cc in arch.compute_capabilities:
                compiled = last is None or last >= int(major)
                if compiled != (parse_cc(cc) >= parse_cc(oldest)):
                    last_text = arch.last_cuda or "ongoing"
                    problems.append(
                        f"architectures.toml {arch.name} {cc} (last CUDA {last_text}) "
                        f"contradicts cuda.toml: CUDA {major}'s oldest is {oldest}"
                    )
    for arch in archs.architectures:
        if arch.first_cuda and cuda.min_driver_for(arch.first_cuda) is None:
            problems.append(
                f"architectures.toml {arch.name}: first CUDA {arch.first_cuda} has no row in "
                "cuda.toml [toolkit_min_driver]"
            )
    for name in archs.pci_ranges:
        if not any(a.name == name for a in archs.architectures):
            problems.append(f"architectures.toml [pci_device_ids]: unknown architecture {name}")
    for major, packages in sonames.pip_packages.items():
        for component in packages:
            if component not in sonames.libraries.get(major, {}) and component not in known:
                problems.append(f"cuda.toml [pip_packages.{major}]: unknown library {component}")
    return problems


def find_tensorflow_build(version: str) -> TensorFlowBuild:
    """The table row for ``2.21`` (or ``2.21.0``, ``==2.21.*``)."""
    wanted = version.strip().lstrip("=").rstrip(".*")
    release = _numeric_release(wanted)
    if release is None:  # 2.16.0rc0, 2.21.0.post1: PEP 440 decides
        from packaging.version import InvalidVersion, Version

        try:
            release = Version(wanted).release
        except InvalidVersion:
            raise KnowledgeError(f"{version!r} is not a TensorFlow version") from None
    for build in tensorflow_builds():
        if _numeric_release(build.version)[:2] == release[:2]:
            return build
    known = ", ".join(b.version for b in tensorflow_builds())
    raise KnowledgeError(f"TensorFlow {version} is not in gpusetup's table (known: {known})")


#: the distributions that install the ``tensorflow`` package (PyPI names)
TENSORFLOW_DISTRIBUTIONS = (
    "tensorflow",
    "tensorflow-cpu",
    "tensorflow-gpu",
    "tensorflow-intel",
    "tf-nightly",
    "tf-nightly-cpu",
)


def tensorflow_distribution(name: str) -> str | None:
    """The TensorFlow distribution ``name`` names (``tensorflow_cpu`` as a dist-info spells
    it, ``TensorFlow[and-cuda]`` as a requirement does), or None for another project."""
    canonical = name.split("[", 1)[0].strip().lower().replace("_", "-")
    return canonical if canonical in TENSORFLOW_DISTRIBUTIONS else None


def split_requirement(text: str) -> tuple[str, str | None]:
    """``tensorflow==2.21`` -> (``tensorflow``, ``2.21``); ``2.21`` -> (``2.21``, None)."""
    name, sep, version = text.partition("==")
    return (name.strip(), version.strip()) if sep else (text.strip(), None)


def default_tensorflow_build(python_version: str) -> TensorFlowBuild | None:
    """The newest TensorFlow release that ships wheels for this Python."""
    for build in tensorflow_builds():
        if build.supports_python(python_version):
            return build
    return None


def newest_tensorflow_for_cc(cc: tuple[int, int]) -> TensorFlowBuild | None:
    """The newest release whose wheels include a GPU of compute capability ``cc``."""
    for build in tensorflow_builds():
        if parse_cc(build.min_compute_capability) <= tuple(cc):
            return build
    return None


def driver_at_least(driver: str, minimum: str) -> bool:
    """Compare NVIDIA driver versions (``580.95.05``) numerically, field by field."""
    return _driver_key(driver) >= _driver_key(minimum)


def driver_branch(driver: str) -> int | None:
    """``470.256.02`` -> 470 (the R470 branch)."""
    head = driver.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _driver_key(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.strip().split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def parse_cc(text: str) -> tuple[int, int]:
    major, _, minor = text.strip().partition(".")
    return int(major), int(minor or 0)


#: the command that installs each smoke backend
INSTALL_HINT = {
    "tensorflow": "python -m pip install 'tensorflow[and-cuda]'   (CPU only: tensorflow-cpu)",
    "torch": "python -m pip install torch",
}
#: smoke outputs agree when |device - cpu| <= ATOL + RTOL * max|cpu| (fp32, TF32 off)
SMOKE_RTOL, SMOKE_ATOL = 1e-3, 1e-4
#: where the kernel log says what happened to a GPU (Xid errors) and to the driver (NVRM)
XID_LOG_COMMAND = "sudo dmesg | grep -i -e xid -e nvrm"


# --- profiles ------------------------------------------------------------------------------

SEVERITIES = ("warn", "fail", "off")

#: section -> key -> (type, description of what is expected, default)
PROFILE_SCHEMA: dict[str, dict[str, tuple[Any, str, Any]]] = {
    "profile": {
        "description": (str, "a string", ""),
        "strict": (bool, "true or false (warnings fail the run)", False),
    },
    "target": {
        "tensorflow": (str, 'a TensorFlow version such as "2.21", or ""', ""),
    },
    "gpu": {
        "min_compute_capability": (str, 'a compute capability such as "8.0", or ""', ""),
        "expected_count": (int, "a non-negative integer (0: any number)", 0),
        "model_pattern": (str, 'a regular expression every GPU name must match, or ""', ""),
    },
    "driver": {
        "min_version": (str, 'a driver version such as "550.54.14", or ""', ""),
    },
    "framework": {
        "required": (str, 'one of "", "tensorflow"', ""),
        "gpu_build": (bool, "true or false (the framework must be a GPU build)", False),
    },
    "libraries": {
        "required": (list, 'a list of sonames such as ["libnccl.so.2"]', []),
    },
    "checks": {
        "persistence_mode": (str, 'one of "warn", "fail", "off"', "warn"),
    },
    "health": {
        "max_retired_pages": (int, "a non-negative integer", 63),
        "volatile_uncorrectable_ecc": (str, 'one of "warn", "fail", "off"', "warn"),
    },
    "smoke": {
        "required": (
            bool,
            "true or false (the smoke inference must run and pass on every GPU)",
            False,
        ),
        "max_latency_ms": ((int, float), "a non-negative number of milliseconds (0: no bound)", 0),
    },
}


class ProfileError(KnowledgeError):
    """A profile that cannot be used; the message names file, key and expectation."""


@record
class Profile:
    name: str
    path: str
    description: str
    strict: bool
    tensorflow: str
    min_compute_capability: str
    expected_count: int
    model_pattern: str
    min_driver: str
    framework: str
    framework_gpu_build: bool
    required_libraries: tuple[str, ...]
    persistence_mode: str
    max_retired_pages: int
    volatile_uncorrectable_ecc: str
    smoke_required: bool
    max_latency_ms: float


def list_profiles() -> list[str]:
    return sorted(p.stem for p in (checks_dir() / "profiles").glob("*.toml"))


#: the most gpusetup reads of a profile file (the shipped ones are about 2 KiB)
PROFILE_FILE_LIMIT = 1 << 20

_DRIVER_VERSION = re.compile(r"\d{1,4}(?:\.\d{1,4}){0,3}")
_COMPUTE_CAPABILITY = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
#: a soname, not a path: libnccl.so.2, libfoo-1.2.so
_SONAME = re.compile(r"lib[\w+.-]*\.so(?:\.\d+)*|[\w+-][\w+.-]*\.so(?:\.\d+)*")


def _read_profile_file(path: Path) -> dict[str, Any]:
    """A user's profile: a bounded read of a regular file, strict UTF-8, any TOML error
    (nesting deeper than the parser takes included) named with the file."""
    from gpusetup.probe.inputs import InputError, read_input

    try:
        raw = read_input(path, PROFILE_FILE_LIMIT, "a profile")
    except InputError as exc:
        raise ProfileError(str(exc)) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(
            f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    tomllib = toml_parser()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path} is not valid TOML: {exc}") from exc
    except RecursionError:
        raise ProfileError(f"{path} is not a profile: it nests too deeply") from None


def load_profile(name_or_path: str = "default") -> Profile:
    """A shipped profile by name, or a profile file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or "/" in name_or_path:
        return _validate_profile(candidate, _read_profile_file(candidate))
    path = checks_dir() / "profiles" / f"{name_or_path}.toml"
    if not name_or_path or not path.is_file():
        raise ProfileError(
            f"no profile named {name_or_path!r} (shipped: {', '.join(list_profiles())}; "
            "or give a path to a .toml file)"
        )
    return _validate_profile(path, read_toml_cached(path, PROFILES_CACHE))


def _validate_profile(path: Path, data: dict[str, Any]) -> Profile:
    values: dict[tuple[str, str], Any] = {}
    for section, content in data.items():
        if section not in PROFILE_SCHEMA:
            raise ProfileError(
                f"{path}: unknown section [{section}] (expected one of: "
                f"{', '.join(PROFILE_SCHEMA)})"
            )
        if not isinstance(content, dict):
            raise ProfileError(f"{path}: [{section}] must be a table")
        for key, value in content.items():
            spec = PROFILE_SCHEMA[section].get(key)
            if spec is None:
                raise ProfileError(
                    f"{path}: unknown key {section}.{key} (expected one of: "
                    f"{', '.join(PROFILE_SCHEMA[section])})"
                )
            expected_type, expectation, _ = spec
            wants_bool = expected_type is bool
            if not isinstance(value, expected_type) or isinstance(value, bool) != wants_bool:
                raise ProfileError(f"{path}: {section}.{key} = {value!r}: expected {expectation}")
            if expected_type is list and not all(isinstance(v, str) for v in value):
                raise ProfileError(f"{path}: {section}.{key} = {value!r}: expected {expectation}")
            values[(section, key)] = value
    for section, keys in PROFILE_SCHEMA.items():
        for key, (_, _, default) in keys.items():
            values.setdefault((section, key), default)

    def bad(section: str, key: str) -> ProfileError:
        return ProfileError(
            f"{path}: {section}.{key} = {values[(section, key)]!r}: expected "
            f"{PROFILE_SCHEMA[section][key][1]}"
        )

    for section, key in (("checks", "persistence_mode"), ("health", "volatile_uncorrectable_ecc")):
        if values[(section, key)] not in SEVERITIES:
            raise bad(section, key)
    for section, key in (
        ("health", "max_retired_pages"),
        ("gpu", "expected_count"),
        ("smoke", "max_latency_ms"),
    ):
        # nan is a TOML float: it compares false with everything, so it is refused here
        if not 0 <= values[(section, key)] < float("inf"):
            raise bad(section, key)
    if values[("gpu", "min_compute_capability")] and not _COMPUTE_CAPABILITY.fullmatch(
        values[("gpu", "min_compute_capability")]
    ):
        raise bad("gpu", "min_compute_capability")
    if values[("driver", "min_version")] and not _DRIVER_VERSION.fullmatch(
        values[("driver", "min_version")]
    ):
        raise bad("driver", "min_version")
    for soname in values[("libraries", "required")]:
        if not _SONAME.fullmatch(soname):
            raise ProfileError(
                f"{path}: libraries.required: {soname!r} is not a soname (expected "
                f"{PROFILE_SCHEMA['libraries']['required'][1]})"
            )
    if values[("gpu", "model_pattern")]:
        try:
            re.compile(values[("gpu", "model_pattern")])
        except re.error:
            raise bad("gpu", "model_pattern") from None
    if values[("framework", "required")] not in ("", "tensorflow"):
        raise bad("framework", "required")
    if values[("target", "tensorflow")]:
        try:
            find_tensorflow_build(values[("target", "tensorflow")])
        except KnowledgeError as exc:
            raise ProfileError(f"{path}: target.tensorflow: {exc}") from None
    v = values
    return Profile(
        name=path.stem,
        path=str(path),
        description=v[("profile", "description")],
        strict=v[("profile", "strict")],
        tensorflow=v[("target", "tensorflow")],
        min_compute_capability=v[("gpu", "min_compute_capability")],
        expected_count=v[("gpu", "expected_count")],
        model_pattern=v[("gpu", "model_pattern")],
        min_driver=v[("driver", "min_version")],
        framework=v[("framework", "required")],
        framework_gpu_build=v[("framework", "gpu_build")],
        required_libraries=tuple(v[("libraries", "required")]),
        persistence_mode=v[("checks", "persistence_mode")],
        max_retired_pages=v[("health", "max_retired_pages")],
        volatile_uncorrectable_ecc=v[("health", "volatile_uncorrectable_ecc")],
        smoke_required=v[("smoke", "required")],
        max_latency_ms=float(v[("smoke", "max_latency_ms")]),
    )
