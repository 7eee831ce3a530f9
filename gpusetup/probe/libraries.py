"""Library facts: which sonames TensorFlow needs, every place the loader would look for
them, what is on disk there and elsewhere, the linker cache and its configuration, and
(on request) what the real loader does.

Reading TensorFlow's build information does not import TensorFlow: the probe reads the
``build_info.py`` TensorFlow generates at build time (a literal), and finds the package
with ``importlib.util.find_spec``, which does not execute it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gpusetup.facts import (
    CacheEntry,
    CudnnHeader,
    LibraryCopy,
    LibraryFacts,
    LibraryFile,
    LinkingObject,
    TensorFlowInstall,
)
from gpusetup.knowledge import tensorflow_distribution
from gpusetup.libs.requirements import (
    choose_requirements,
    extra_requirement,
    library_stem,
    target_cuda_major,
)
from gpusetup.libs.resolve import CACHE, LoaderModel, cache_flags_for, expand_origin
from gpusetup.probe.elf import read_elf, read_interpreter
from gpusetup.probe.ldconf import read_ld_so_conf
from gpusetup.probe.modules import find_module
from gpusetup.probe.paths import (
    HOST,
    glob_inside,
    host_path,
    real_path,
    resolve_inside,
    rooted,
    under,
)

LDCONFIG_TIMEOUT_S = 10.0

OPT_WALK_MAX_DIRS = 4000
OPT_WALK_MAX_DEPTH = 5
HWCAPS = ("x86-64-v4", "x86-64-v3", "x86-64-v2")


class LibraryProbeError(Exception):
    pass


def find_ldconfig(environ: Mapping[str, str] | None = None) -> str | None:
    """ldconfig on ``environ``'s PATH (default: this process's), else in the sbin dirs."""
    env = os.environ if environ is None else environ
    return shutil.which(
        "ldconfig",
        path=os.pathsep.join([env.get("PATH", ""), "/sbin", "/usr/sbin", "/usr/local/sbin"]),
    )


# --- TensorFlow ----------------------------------------------------------------------------


def _literal_build_info(text: str) -> dict:
    """``build_info = {...}`` or ``collections.OrderedDict([...])`` without executing it."""
    import ast

    tree = ast.parse(text)
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "build_info"
        ):
            value = node.value
            if isinstance(value, ast.Call) and value.args:
                value = value.args[0]
            return dict(ast.literal_eval(value))
    return {}


def find_tensorflow() -> TensorFlowInstall | None:
    """The installed TensorFlow, read from its files (never imported)."""
    spec = find_module("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        return None
    location = Path(list(spec.submodule_search_locations)[0])
    info: dict = {}
    with contextlib.suppress(OSError, SyntaxError, ValueError):
        info = _literal_build_info((location / "python/platform/build_info.py").read_text())
    distribution, version = _distribution_of(location)
    caller = None
    for candidate in ("libtensorflow_framework.so.2", "python/_pywrap_tensorflow_internal.so"):
        if (location / candidate).exists():
            caller = str(location / candidate)
            break
    cudnn = info.get("cudnn_version")
    return TensorFlowInstall(
        distribution=distribution,
        version=version,
        location=str(location),
        is_cuda_build=info.get("is_cuda_build"),
        cuda_version=str(info["cuda_version"]) if info.get("cuda_version") else None,
        cudnn_version=str(cudnn) if cudnn else None,
        compute_capabilities=[str(c) for c in info.get("cuda_compute_capabilities", [])],
        caller=caller,
    )


def _distribution_of(package_dir: Path) -> tuple[str | None, str | None]:
    """(name, version) of the distribution that installed TensorFlow, from the
    ``<name>-<version>.dist-info`` beside it (no importlib.metadata scan: start-up time)."""
    for dist_info in sorted(package_dir.parent.glob("*.dist-info")):
        name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
        if tensorflow_distribution(name) is not None:
            return name.replace("_", "-").lower(), version or None
    return None, None


# --- the machine ---------------------------------------------------------------------------


class _Background:
    """A call run in a thread of its own; ``result()`` waits for it (and raises what it
    raised)."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = call()
            except BaseException as exc:  # noqa: BLE001 - raised again by result()
                self._error = exc

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def result(self) -> Any:
        from gpusetup.probe._deadline import join

        join(self._thread)
        if self._error is not None:
            raise self._error
        return self._value


class FileRecorder:
    """The lookup the resolver uses while probing: looks at the disk, keeps what it saw.

    Under a system root a path inside it is looked up inside it (its links followed the
    chroot way); a path elsewhere (``LD_LIBRARY_PATH``) as the machine sees it.
    """

    def __init__(self, root: Path = HOST) -> None:
        self.root = root
        self.files: dict[str, LibraryFile] = {}
        self._missing: set[str] = set()

    def __call__(self, path: str) -> LibraryFile | None:
        if path in self.files:
            return self.files[path]
        if path in self._missing:
            return None
        found = self._look(path)
        if found is None:
            self._missing.add(path)
            return None
        is_link, real, dangling = found
        file = LibraryFile(
            path=path,
            realpath=real,
            is_symlink=is_link,
            dangling=dangling,
            readable=(not dangling) and os.access(real, os.R_OK),
            elf=None if dangling else read_elf(real),
        )
        self.files[path] = file
        return file

    def _look(self, path: str) -> tuple[bool, str, bool] | None:
        """(is a link, the file it finally names, the link leads nowhere), or None."""
        seen = rooted(self.root, path)
        if seen is None:
            try:
                os.lstat(path)  # exists, even as a dangling link
            except OSError:
                return None
            is_link = os.path.islink(path)
            return is_link, os.path.realpath(path), is_link and not os.path.exists(path)
        try:
            entry = resolve_inside(self.root, seen, follow_last=False)
            if not entry.exists:
                return None
            is_link = os.path.islink(entry.host)
        except OSError:  # a loop on the way: the loader cannot open it either
            return None
        try:
            target = resolve_inside(self.root, entry.inside)
        except OSError:  # the link itself leads into a loop: as good as dangling
            return True, os.fspath(entry.host), True
        return is_link, os.fspath(target.host), is_link and not target.exists


def linking_object(path: str) -> LinkingObject:
    elf = read_elf(path)
    return LinkingObject(path, expand_origin(elf.rpath, path), expand_origin(elf.runpath, path))


def system_directories(root: Path, interpreter: str) -> list[str]:
    """The loader's default directories, as the loader itself lists them (ld.so --help)."""
    dirs: list[str] = []
    ld_so = _program_interpreter(interpreter)
    if ld_so and root == Path("/"):
        try:
            out = subprocess.run(
                [ld_so, "--help"], capture_output=True, text=True, timeout=5
            ).stdout
            dirs = [
                line.split()[0]
                for line in out.splitlines()
                if line.strip().endswith("(system search path)")
            ]
        except (OSError, subprocess.SubprocessError):
            dirs = []
    if not dirs:
        machine = platform.machine()
        dirs = [f"/lib/{machine}-linux-gnu", f"/usr/lib/{machine}-linux-gnu", "/lib", "/usr/lib"]
        if machine in ("x86_64", "aarch64"):
            dirs = ["/lib64", "/usr/lib64", *dirs]
    expanded = []
    for d in dirs:
        base = str(under(root, d)) if root != Path("/") else d
        expanded += [f"{base}/glibc-hwcaps/{level}" for level in HWCAPS] + [base]
    return expanded


def _program_interpreter(path: str) -> str | None:
    return read_interpreter(path)


def read_cache(
    root: Path, environ: Mapping[str, str] | None = None
) -> tuple[str, list, str | None]:
    cache_file = str(under(root, "/etc/ld.so.cache"))
    ldconfig = find_ldconfig(environ)
    if ldconfig is None:
        return cache_file, [], "ldconfig was not found (looked on PATH, /sbin, /usr/sbin)"
    try:
        # the tree's own cache file, even behind a link; never one outside the tree
        argv = [ldconfig, "-p"] + (["-C", host_path(root, cache_file)] if root != HOST else [])
    except OSError as exc:
        return cache_file, [], f"{cache_file} cannot be read: {exc.strerror}"
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, errors="replace", timeout=LDCONFIG_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        return cache_file, [], f"`{' '.join(argv)}` did not finish within {LDCONFIG_TIMEOUT_S:g} s"
    except OSError as exc:
        return cache_file, [], f"`{' '.join(argv)}` failed: {exc.strerror}"
    if proc.returncode != 0:
        return cache_file, [], f"`{' '.join(argv)}` failed: {proc.stderr.strip()[:200]}"
    entries = cache_entries(proc.stdout)
    if root != Path("/"):
        # the cache of a system root names files as seen from inside it
        entries = [CacheEntry(e.soname, e.flags, str(under(root, e.path))) for e in entries]
    return cache_file, entries, None


def cache_entries(text: str) -> list[CacheEntry]:
    """The cache lines of ``ldconfig -p``, matched by the pattern the reader of pasted
    listings uses too (gpusetup.libs.resolve.LDCONFIG_CACHE_LINE; the rest of that reader
    judges pasted listings, which a probe does not need: it runs on every doctor)."""
    from gpusetup.libs.resolve import LDCONFIG_CACHE_LINE as CACHE_LINE

    entries = []
    for line in text.splitlines():
        match = CACHE_LINE.match(line)
        if match:
            entries.append(CacheEntry(match.group(1), match.group(2), match.group(3).strip()))
    return entries


def _site_packages() -> list[Path]:
    seen, out = set(), []
    for entry in sys.path:
        p = Path(entry)
        if p.name in ("site-packages", "dist-packages") and p.is_dir() and p not in seen:
            seen.add(p)
            out.append(p)
    return out


def pip_library_owners() -> tuple[dict[str, str], dict[str, str]]:
    """The environment's pip NVIDIA libraries, read once from their RECORD files:
    (site-packages/nvidia/<dir>/lib -> owner, library file -> "pip <distribution> <version>").

    CUDA 13's toolkit packages (nvidia-cuda-runtime, nvidia-cublas, ...) all install into
    one directory, nvidia/cu13/lib, so a directory can have several owners: the directory
    names them all, and each file its own.
    """
    dirs: dict[str, str] = {}
    files: dict[str, str] = {}
    for sp in _site_packages():
        owners: dict[str, list[str]] = {}
        for dist_info in sorted(sp.glob("nvidia_*.dist-info")):
            name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
            owner = f"pip {name.replace('_', '-')} {version}"
            try:
                with open(dist_info / "RECORD", errors="replace") as record:
                    for line in record:
                        parts = line.split(",", 1)[0].split("/")
                        if len(parts) < 3 or parts[0] != "nvidia":
                            continue
                        if owner not in owners.setdefault(parts[1], []):
                            owners[parts[1]].append(owner)
                        if len(parts) == 4 and parts[2] == "lib":
                            files[str(sp.joinpath(*parts))] = owner
            except OSError:
                continue
        nvidia = sp / "nvidia"
        if nvidia.is_dir():
            for lib in sorted(nvidia.glob("*/lib")):
                found = owners.get(lib.parent.name)
                dirs[str(lib)] = (
                    ", ".join(found) if found else f"pip package directory nvidia/{lib.parent.name}"
                )
    return dirs, files


def pip_library_dirs() -> dict[str, str]:
    """site-packages/nvidia/<dir>/lib -> the pip distribution(s) that installed it."""
    return pip_library_owners()[0]


def off_path_directories(
    environ: Mapping[str, str], root: Path, pip_dirs: dict[str, str]
) -> dict[str, str]:
    """Where people install CUDA libraries that may be off the loader's path."""
    places: dict[str, str] = dict(pip_dirs)
    conda = environ.get("CONDA_PREFIX")
    if conda:
        places[f"{conda}/lib"] = f"conda environment {conda}"
    for var in ("CUDA_HOME", "CUDA_PATH"):
        base = environ.get(var)
        if base:
            for sub in ("lib64", "lib", f"targets/{platform.machine()}-linux/lib"):
                places.setdefault(f"{base}/{sub}", f"${var} ({base})")
    for cuda in _cuda_trees(root):
        for sub in ("lib64", "lib", f"targets/{platform.machine()}-linux/lib"):
            places.setdefault(str(cuda / sub), str(cuda))
    return places


def _cuda_trees(root: Path) -> list[Path]:
    """/usr/local/cuda* of the tree (named where they lie, not where their links lead)."""
    return [under(root, p) for p in glob_inside(root, "/usr/local/cuda*")]


def _listdir(root: Path, directory: str) -> list[str]:
    return os.listdir(host_path(root, directory))


def find_under_opt(root: Path, stems: set[str], deadline: float) -> dict[str, str]:
    """Directories under /opt holding any of the libraries, bounded in depth, size and time."""
    found: dict[str, str] = {}
    try:
        start = Path(host_path(root, under(root, "/opt")))
    except OSError:
        return found
    stack = [(start, 0)]
    visited = 0
    while stack and visited < OPT_WALK_MAX_DIRS and time.monotonic() < deadline:
        directory, depth = stack.pop()
        visited += 1
        try:
            with os.scandir(directory) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        if depth < OPT_WALK_MAX_DEPTH:
                            stack.append((Path(entry.path), depth + 1))
                    elif entry.name.startswith("lib") and any(
                        entry.name.startswith(stem + ".") for stem in stems
                    ):
                        found[str(directory)] = "/opt"
        except OSError:
            continue
    return found


_LIBRARY_NAME = re.compile(r"^lib.*\.so(\.\d+)*$")


def find_uncached(root: Path, conf, cache) -> dict[str, list[str]]:
    """Libraries in ld.so.conf directories that the cache does not list (ldconfig not run).

    Compared by real path, since the cache names one of the directories that share an
    inode (/lib and /usr/lib on merged-/usr systems).
    """
    # files are compared by (device, inode): one stat each, where realpath walks every
    # component of every path
    dir_ids: dict[str, tuple[int, int] | None] = {}

    def dir_id(path: str) -> tuple[int, int] | None:
        if path not in dir_ids:
            try:
                st = os.stat(host_path(root, path))
                dir_ids[path] = (st.st_dev, st.st_ino)
            except OSError:
                dir_ids[path] = None
        return dir_ids[path]

    here = root == HOST
    cached: set[tuple[int, int]] = set()
    for e in cache:
        try:
            st = os.stat(e.path if here else host_path(root, e.path))
        except OSError:
            continue
        cached.add((st.st_dev, st.st_ino))
    cached_names: set[tuple[str, tuple[int, int] | None]] | None = None  # when first needed
    uncached: dict[str, list[str]] = {}
    # a directory listed under two names (/lib and /usr/lib merged) is read once
    found_in: dict[tuple[int, int], list[tuple[str, str]]] = {}
    for d in conf.directories:
        host_dir = str(under(root, d.path))
        ident = dir_id(host_dir)
        if ident is None:
            continue
        if ident in found_in:
            if found_in[ident]:
                uncached.setdefault(host_dir, []).extend(s for _, s in sorted(found_in[ident]))
            continue
        try:
            entries = list(os.scandir(host_dir if here else host_path(root, host_dir)))
        except OSError:
            continue
        found: list[tuple[str, str]] = []
        for entry in entries:
            if not _LIBRARY_NAME.match(entry.name) or not entry.is_file(follow_symlinks=False):
                continue
            if (ident[0], entry.inode()) in cached:
                continue
            elf = read_elf(entry.path)
            if elf.elf_class is None or elf.error:
                continue
            soname = elf.soname or entry.name
            if cached_names is None:
                cached_names = {(e.soname, dir_id(os.path.dirname(e.path))) for e in cache}
            # another file in the directory provides the cached soname (alternatives)
            if (soname, ident) in cached_names:
                continue
            shown = entry.name if soname == entry.name else f"{entry.name} (soname {soname})"
            found.append((entry.name, shown))
        found_in[ident] = found
        if found:  # in name order (only what is listed is sorted, not the directory)
            uncached.setdefault(host_dir, []).extend(shown for _, shown in sorted(found))
    return uncached


def find_toolchain(
    root: Path, environ: Mapping[str, str], pip_dirs: dict[str, str]
) -> dict[str, list[str]]:
    """ptxas and libdevice, which XLA needs to compile GPU kernels: beside a pip-installed
    framework (nvidia/cuda_nvcc for -cu11/-cu12, nvidia/cu13 for CUDA 13), under
    $CUDA_HOME / /usr/local/cuda*, and ptxas on PATH."""
    bases = [Path(p).parent for p in pip_dirs if p.endswith(("cuda_nvcc/lib", "cu13/lib"))]
    if root == Path("/"):
        for sp in _site_packages():
            bases += [sp / "nvidia" / "cuda_nvcc", *sorted((sp / "nvidia").glob("cu[0-9]*"))]
    for var in ("CUDA_HOME", "CUDA_PATH"):
        if environ.get(var):
            bases.append(Path(environ[var]))
    bases += _cuda_trees(root)
    found: dict[str, list[str]] = {"ptxas": [], "libdevice": []}
    seen: set[str] = set()
    for base in bases:
        for kind, candidate in (
            ("ptxas", base / "bin" / "ptxas"),
            ("libdevice", base / "nvvm" / "libdevice" / "libdevice.10.bc"),
        ):
            try:
                real = real_path(root, candidate)
            except OSError:
                continue
            if real not in seen and os.path.isfile(real):
                seen.add(real)
                found[kind].append(str(candidate))
    on_path = shutil.which("ptxas", path=environ.get("PATH")) if root == Path("/") else None
    if on_path and os.path.realpath(on_path) not in seen:
        found["ptxas"].append(on_path)
    return found


PTXAS_VERSION_TIMEOUT_S = 5.0
#: cudnn_version.h is 4 KiB, cudnn.h (cuDNN 7) about 100 KiB
HEADER_READ_LIMIT = 4 << 20
VERSION_FILE_LIMIT = 1 << 20
#: ``Cuda compilation tools, release 13.0, V13.0.88`` (ptxas --version, nvcc --version)
_TOOL_RELEASE = re.compile(r"release (\d+\.\d+), V(\d+\.\d+(?:\.\d+)?)")
_NVCC_DIST_INFO = re.compile(r"nvidia_cuda_nvcc(?:_cu\d+)?-(\d+\.\d+(?:\.\d+)*)\.dist-info")


def toolchain_versions(
    ptxas_paths: list[str], root: Path, deadline: float, run_tools: bool = True
) -> dict[str, str]:
    """The CUDA release of each ptxas (``13.0.88``), which decides the PTX it writes.

    Read without running anything where possible: the toolkit's version.json (cuda_nvcc),
    then the nvidia-cuda-nvcc dist-info beside it (pip packages, and toolkits assembled
    from them); only then ``ptxas --version``, on this machine (never in a system root),
    for a file no one else may replace, under the probe's deadline.
    """
    versions: dict[str, str] = {}
    for path in ptxas_paths:
        version = _version_from_files(Path(path))
        if version is None and run_tools and root == Path("/"):
            version = _version_from_ptxas(path, deadline)
        if version:
            versions[path] = version
    return versions


def _version_from_files(ptxas: Path) -> str | None:
    import json

    from gpusetup.probe.inputs import InputError, read_input

    toolkit = ptxas.parent.parent  # <toolkit>/bin/ptxas, site-packages/nvidia/<dir>/bin/ptxas
    try:
        data = json.loads(read_input(toolkit / "version.json", VERSION_FILE_LIMIT))
        entry = data.get("cuda_nvcc") or data.get("cuda") or {}
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            return entry["version"]
    except (InputError, ValueError, AttributeError):
        pass
    # <toolkit>/dist-info (a toolkit assembled from pip wheels, as /usr/local/cuda here),
    # or site-packages itself for site-packages/nvidia/<dir>
    places = [toolkit / "dist-info"]
    if toolkit.parent.name == "nvidia":
        places.append(toolkit.parent.parent)
    for where in places:
        try:
            names = sorted(os.listdir(where))
        except OSError:
            continue
        for name in names:
            match = _NVCC_DIST_INFO.fullmatch(name)
            if match and _dist_info_major_matches(toolkit, match.group(1)):
                return match.group(1)
    return None


def _dist_info_major_matches(toolkit: Path, version: str) -> bool:
    """site-packages holds one nvidia-cuda-nvcc per CUDA major: nvidia/cu13 is 13's,
    nvidia/cuda_nvcc the -cu11/-cu12 one; a toolkit directory has only its own."""
    name = toolkit.name
    if name.startswith("cu") and name[2:].isdigit():
        return version.split(".")[0] == name[2:]
    return True


def _version_from_ptxas(path: str, deadline: float) -> str | None:
    from gpusetup.probe._deadline import run_command

    remaining = deadline - time.monotonic()
    if remaining <= 0 or not _safe_to_run(path):
        return None
    try:
        result = run_command([path, "--version"], min(PTXAS_VERSION_TIMEOUT_S, remaining))
    except OSError:  # cannot be started here (permissions, a broken file): version unknown
        return None
    match = _TOOL_RELEASE.search(result.stdout[:65536])
    return match.group(2) if match else None


def _safe_to_run(path: str) -> bool:
    """A regular executable that only its owner (root or this user) can replace: we run as
    root on production nodes and must not run what anyone could have put there."""
    try:
        real = os.path.realpath(path)
        st = os.stat(real)
        parent = os.stat(os.path.dirname(real))
    except OSError:
        return False
    trusted = (0, os.getuid())
    return (
        stat.S_ISREG(st.st_mode)
        and bool(st.st_mode & 0o111)
        and not st.st_mode & 0o022
        and not parent.st_mode & 0o002
        and st.st_uid in trusted
        and parent.st_uid in trusted
    )


def _world_writable(path: str) -> bool:
    try:
        return bool(os.stat(path).st_mode & 0o002)
    except OSError:
        return False


def cudnn_header_version(path: Path) -> str | None:
    """cuDNN's version from a header file (read by gpusetup.parse.cudnn_header)."""
    from gpusetup.parse.cudnn_header import header_version
    from gpusetup.probe.inputs import InputError, read_input

    try:
        text = read_input(path, HEADER_READ_LIMIT, "a cuDNN header")
    except InputError:
        return None
    return header_version(text.decode("utf-8", "replace"))


def find_cudnn_headers(
    lib_dirs: list[str], root: Path, environ: Mapping[str, str]
) -> list[CudnnHeader]:
    include_dirs = [str(Path(d).parent / "include") for d in lib_dirs]
    include_dirs += [
        str(under(root, d))
        for d in ("/usr/include", f"/usr/include/{platform.machine()}-linux-gnu")
    ]
    include_dirs += [str(p / "include") for p in _cuda_trees(root)]
    for var in ("CUDA_HOME", "CUDA_PATH", "CONDA_PREFIX"):
        if environ.get(var):
            include_dirs.append(f"{environ[var]}/include")
    headers, seen = [], set()
    for inc in include_dirs:
        # cuDNN 8 and later keep the version in cudnn_version.h; 7 and older in cudnn.h
        for name in ("cudnn_version.h", "cudnn.h"):
            path = Path(inc) / name
            try:
                real = real_path(root, path)
            except OSError:
                continue
            if real in seen or not os.path.isfile(real):
                continue
            version = cudnn_header_version(Path(real))
            if version:
                seen.add(real)
                headers.append(CudnnHeader(str(path), version))
                break
    return headers


def probe_libraries(
    root: Path,
    environ: Mapping[str, str],
    python_version: str,
    spec: str | None = None,
    confirm: bool = False,
    budget_s: float = 10.0,
    extra: tuple[str, ...] = (),
    walk_opt: bool = True,
) -> LibraryFacts:
    """Every library ``spec`` (default: the installed TensorFlow, else the newest for
    ``python_version``) and ``extra`` need, searched as the loader searches from the tree at
    ``root`` under ``environ``; copies elsewhere (``walk_opt``: under /opt too, bounded, and
    ``ptxas --version`` run where no file tells its release: both only where they can matter);
    the cache and its configuration; with ``confirm``, the real loader's answers."""
    deadline = time.monotonic() + budget_s
    exe = os.path.realpath(sys.executable)
    # the toolchain's versions may need `ptxas --version` (a child): asked first, in the
    # background, so the child runs while the search below works
    pip_dirs, pip_files = pip_library_owners() if root == Path("/") else ({}, {})
    toolchain = find_toolchain(root, environ, pip_dirs)
    versions = _Background(
        lambda: toolchain_versions(toolchain["ptxas"], root, deadline, run_tools=walk_opt)
    )
    tf = find_tensorflow() if root == Path("/") else None
    target, requirements = choose_requirements(spec, python_version, tf)
    known = {r.soname for r in requirements}
    major = target_cuda_major(requirements)
    requirements += [extra_requirement(s, major) for s in extra if s not in known]

    interp_elf = read_elf(exe)
    interpreter = LinkingObject(
        exe, expand_origin(interp_elf.rpath, exe), expand_origin(interp_elf.runpath, exe)
    )
    caller = linking_object(tf.caller) if tf and tf.caller else None
    ld_path = [d for d in environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    cache_file, cache, cache_error = read_cache(root, environ)
    model = LoaderModel(
        interpreter=interpreter,
        ld_library_path=ld_path,
        cache=cache,
        cache_flags=cache_flags_for(interp_elf.machine, interp_elf.elf_class),
        system_dirs=system_directories(root, exe),
        elf_class=interp_elf.elf_class or 64,
        machine=interp_elf.machine or "EM_X86_64",
    )
    conf = read_ld_so_conf(root)
    recorder = FileRecorder(root)
    for req in requirements:
        model.resolve(req.soname, caller, recorder)

    # every copy of every required library, on the search path and off it
    stems = {library_stem(r.soname) for r in requirements}
    search_dirs: dict[str, str] = {}
    for directory, source in model.steps(caller):
        if directory is not None:
            search_dirs.setdefault(directory, source)
    for d in conf.directories:
        search_dirs.setdefault(str(under(root, d.path)), f"ld.so.conf ({d.source})")
    # the environment's pip nvidia-* packages (read once: their RECORD files name owners)
    off_path = off_path_directories(environ, root, pip_dirs)
    if walk_opt:
        found = find_under_opt(root, stems, deadline)
        off_path.update({k: v for k, v in found.items() if k not in off_path})
    copies: dict[str, list[LibraryCopy]] = {s: [] for s in stems}
    seen_real: dict[str, set[str]] = {s: set() for s in stems}

    def add_copy(stem: str, path: str, where: str, on_path: bool) -> None:
        file = recorder(path)
        if file is None or file.dangling:
            return
        if file.realpath in seen_real[stem]:
            return
        seen_real[stem].add(file.realpath)
        soname = file.elf.soname if file.elf and file.elf.soname else Path(path).name
        copies[stem].append(LibraryCopy(path, soname, pip_files.get(path, where), on_path))

    for entry in cache:
        stem = library_stem(entry.soname)
        if stem in copies and entry.flags.startswith(model.cache_flags):
            add_copy(stem, entry.path, CACHE, True)
    # a directory holds thousands of names: those of no wanted library are dropped at once
    prefixes = tuple(stem + "." for stem in stems)
    for places, on_path in ((search_dirs, True), (off_path, False)):
        for directory, where in places.items():
            try:
                names = sorted(n for n in _listdir(root, directory) if n.startswith(prefixes))
            except OSError:
                continue
            for name in names:
                for stem in stems:
                    if name.startswith(stem + "."):
                        add_copy(stem, f"{directory}/{name}", where, on_path)

    uncached = find_uncached(root, conf, cache) if cache_error is None else {}

    tool_versions = versions.result()
    writable = [d for d in ld_path if _world_writable(d)]
    writable += [f"{d.path} ({d.source})" for d in conf.directories if d.world_writable]

    needed = _needed_names(recorder)
    cudnn_dirs = sorted({os.path.dirname(c.path) for c in copies.get("libcudnn.so", [])})
    headers = find_cudnn_headers(cudnn_dirs, root, environ)
    loader = None
    if confirm:
        from gpusetup.probe.loader import ask_loader

        loader = ask_loader([r.soname for r in requirements], environ)
        for answer in loader:
            if answer.ok and answer.path:
                # its realpath is recorded, for the check that compares it with the search
                recorder(answer.path)
    return LibraryFacts(
        target=target,
        tensorflow=tf,
        requirements=requirements,
        interpreter=interpreter,
        interpreter_class=model.elf_class,
        interpreter_machine=model.machine,
        caller=caller,
        ld_library_path=ld_path,
        system_dirs=model.system_dirs,
        cache_file=cache_file,
        cache=[e for e in cache if library_stem(e.soname) in stems or e.soname in needed],
        cache_error=cache_error,
        ld_so_conf=conf,
        files=recorder.files,
        copies=copies,
        uncached=uncached,
        cudnn_headers=headers,
        world_writable_dirs=writable,
        toolchain=toolchain,
        toolchain_versions=tool_versions,
        loader=loader,
    )


def _needed_names(recorder: FileRecorder) -> set[str]:
    names = set()
    for file in recorder.files.values():
        if file.elf:
            names.update(file.elf.needed)
    return names
