"""Shared fixtures: the simulated driver libraries, system-root trees, and running the CLI.

The CLI always runs in a subprocess, so the real pynvml binding loads the simulated
libnvidia-ml.so.1 through the real dynamic loader (LD_LIBRARY_PATH).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
MACHINES = TESTS / "machines"
FAKEGPU = TESTS / "fakegpu"


def machine(name: str) -> Path:
    return MACHINES / f"{name}.json"


def load_machine(name: str) -> dict:
    return json.loads(machine(name).read_text())


@pytest.fixture(scope="session")
def fake_driver_build(tmp_path_factory: pytest.TempPathFactory):
    """Build the simulated libnvidia-ml.so.1 and libcuda.so.1, once per set of NVML entry
    points a machine lacks (its "missing_functions": a linker version script keeps them
    out of the dynamic symbol table, so pynvml's own lookup fails as on an older driver).
    """
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed to build the simulated driver (install gcc)"
    built: dict[tuple[str, ...], Path] = {}

    def build(missing: tuple[str, ...] = ()) -> Path:
        key = tuple(sorted(missing))
        if key in built:
            return built[key]
        out = tmp_path_factory.mktemp("fakegpu")
        flags = []
        if key:
            script = out / "missing.map"
            script.write_text("{ global: *; local: " + "".join(f"{f}; " for f in key) + "};\n")
            flags = [f"-Wl,--version-script,{script}"]
        for soname, source in (
            ("libnvidia-ml.so.1", "fakenvml.c"),
            ("libcuda.so.1", "fakecuda.c"),
        ):
            subprocess.run(
                [
                    cc,
                    "-shared",
                    "-fPIC",
                    "-O1",
                    "-Wall",
                    "-Werror",
                    f"-Wl,-soname,{soname}",
                    *(flags if soname == "libnvidia-ml.so.1" else []),
                    "-o",
                    str(out / soname),
                    str(FAKEGPU / source),
                ],
                check=True,
            )
        built[key] = out
        return out

    return build


@pytest.fixture(scope="session")
def fake_driver_dir(fake_driver_build) -> Path:
    """The simulated libnvidia-ml.so.1 and libcuda.so.1 with every entry point."""
    return fake_driver_build()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


def base_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CUDA_", "GPUSETUP_", "FAKEGPU_", "LD_LIBRARY_PATH"))
    }
    env.update(NO_COLOR="1", COLUMNS="80", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


def imported_by(args: list[str], modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` the CLI has imported once ``gpusetup ARGS`` is done (run in a
    fresh interpreter, on this machine)."""
    code = (
        "import sys\nfrom gpusetup.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {modules!r} if m in sys.modules], file=sys.stderr)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=base_env(),
        cwd=ROOT,
        timeout=120,
    )
    return eval(proc.stderr.strip().splitlines()[-1])  # noqa: S307 - our own list's repr


@pytest.fixture
def cli(fake_driver_build):
    """Run ``python -m gpusetup ARGS`` on a simulated machine (or with no driver at all)."""

    def run(
        *args: str,
        machine_file: Path | str | None = None,
        sysroot: Path | None = None,
        lib_dir: Path | None = None,
        timeout: float = 60,
        extra_lib_dirs: tuple = (),
        **env: str,
    ) -> Run:
        extra = dict(env)
        dirs = []
        if machine_file is not None:
            path = machine_file if isinstance(machine_file, Path) else machine(machine_file)
            extra["FAKEGPU_MACHINE"] = str(path)
            missing = tuple(json.loads(path.read_text()).get("missing_functions", ()))
            dirs.append(str(lib_dir or fake_driver_build(missing)))
        elif lib_dir is not None:
            dirs.append(str(lib_dir))
        dirs += [str(d) for d in extra_lib_dirs]
        if dirs:
            extra["LD_LIBRARY_PATH"] = ":".join(dirs)
        if sysroot is not None:
            extra["GPUSETUP_SYSROOT"] = str(sysroot)
        proc = subprocess.run(
            [sys.executable, "-m", "gpusetup", *args],
            capture_output=True,
            text=True,
            env=base_env(**extra),
            timeout=timeout,
            cwd=ROOT,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return Run(proc.returncode, proc.stdout, proc.stderr)

    return run


#: gpusetup's own dependencies (what `pip install gpusetup` brings, requests aside)
GPUSETUP_DISTRIBUTIONS = frozenset(
    {
        "typer",
        "rich",
        "nvidia-ml-py",
        "packaging",
        "pyelftools",
        "click",
        "shellingham",
        "markdown-it-py",
        "mdurl",
        "pygments",
        "typing-extensions",
        "annotated-doc",
    }
)


def minimal_site(site: Path, extra: frozenset[str] = frozenset()) -> Path:
    """A site directory with links to gpusetup's own dependencies (and ``extra``) from
    this environment, nothing else: run ``python -S`` with it on PYTHONPATH for a real
    environment without TensorFlow."""
    from importlib import metadata

    site.mkdir(parents=True, exist_ok=True)
    wanted = GPUSETUP_DISTRIBUTIONS | extra
    for dist in metadata.distributions():
        if (dist.metadata["Name"] or "").lower() not in wanted:
            continue
        for file in dist.files or []:
            top = file.parts[0]
            if top.endswith((".dist-info", "..")) or top == "__pycache__":
                continue
            source = Path(dist.locate_file(top))
            target = site / top
            if source.exists() and not target.exists():
                target.symlink_to(source)
    return site


def unshare_problem(flag: str, script: str, expect: str | None = None) -> str | None:
    """None when ``unshare FLAG sh -c SCRIPT`` works here (printing ``expect``, if given);
    else why not, for a skip. Namespaces let root tests change /dev or the hostname safely."""
    if os.geteuid() != 0:
        return f"unshare {flag} needs root"
    if not shutil.which("unshare"):
        return "util-linux unshare is not installed"
    proc = subprocess.run(
        ["unshare", flag, "sh", "-c", script], capture_output=True, text=True, timeout=30
    )
    if proc.returncode != 0 or (expect is not None and proc.stdout.strip() != expect):
        return f"unshare {flag} does not work here: {proc.stderr.strip()}"
    return None


def rebuild_cache(root: Path) -> None:
    """The real ldconfig, run on the tree as its root (as an image build would)."""
    ldconfig = shutil.which("ldconfig", path="/sbin:/usr/sbin:" + os.environ.get("PATH", ""))
    subprocess.run([ldconfig, "-r", str(root)], check=True, capture_output=True)


def real_cache(root: Path) -> str:
    """The tree's cache as the real ``ldconfig -p -C`` prints it."""
    ldconfig = shutil.which("ldconfig", path="/sbin:/usr/sbin:" + os.environ.get("PATH", ""))
    argv = [ldconfig, "-p", "-C", str(root / "etc/ld.so.cache")]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout


def make_sysroot(
    root: Path,
    machine_data: dict | None = None,
    *,
    driver: str | None = "nvidia",
    modules: tuple[str, ...] | None = None,
    kernel_version: str | None = None,
    nodes: bool = True,
    extra_pci: list[tuple[str, str, str]] = (),
    toolkit: bool = False,
) -> Path:
    """A system-root tree (sysfs, /proc, /dev) matching a machine description.

    ``driver`` is the kernel driver bound to each GPU (None: unbound). Device nodes are
    plain files: the probe only checks that they exist and can be opened. A machine's
    ``pci_only`` lists GPUs the PCI bus shows and NVML does not (bus id, device id, class).
    """
    pci = root / "sys/bus/pci/devices"
    drivers = root / "sys/bus/pci/drivers"
    pci.mkdir(parents=True, exist_ok=True)
    gpus = (machine_data or {}).get("gpus", [])
    entries = [
        (g["pci_bus_id"], "0x" + g.get("pci_device_id", "0x233010DE")[2:6].lower(), "0x030200")
        for g in gpus
    ]
    entries += [tuple(d) for d in (machine_data or {}).get("pci_only", [])] + list(extra_pci)
    for bus_id, device_id, class_code in entries:
        addr = bus_id.lower()[-12:]
        dev = pci / addr
        dev.mkdir(parents=True, exist_ok=True)
        (dev / "vendor").write_text("0x10de\n")
        (dev / "device").write_text(device_id + "\n")
        (dev / "class").write_text(class_code + "\n")
        if driver:
            (drivers / driver).mkdir(parents=True, exist_ok=True)
            (dev / "driver").symlink_to(f"../../../bus/pci/drivers/{driver}")
    other = pci / "0000:00:01.0"  # a non-NVIDIA device is always there
    other.mkdir(exist_ok=True)
    (other / "vendor").write_text("0x1af4\n")
    (other / "device").write_text("0x1000\n")
    (other / "class").write_text("0x020000\n")
    proc = root / "proc"
    proc.mkdir(exist_ok=True)
    if modules is None:
        modules = ("nvidia", "nvidia_uvm", "nvidia_modeset") if driver == "nvidia" else ()
    (proc / "modules").write_text("".join(f"{m} 1 0 - Live 0x0\n" for m in modules))
    if kernel_version:
        (proc / "driver/nvidia").mkdir(parents=True, exist_ok=True)
        (proc / "driver/nvidia/version").write_text(
            f"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {kernel_version}  "
            "Tue Sep 23 09:47:17 UTC 2025\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
        )
    if toolkit:  # the CUDA toolkit files XLA looks for
        cuda = root / "usr/local/cuda-12.5"
        (cuda / "bin").mkdir(parents=True, exist_ok=True)
        (cuda / "bin/ptxas").write_text("#!/bin/sh\necho 'ptxas: release 12.5'\n")
        (cuda / "bin/ptxas").chmod(0o755)
        (cuda / "nvvm/libdevice").mkdir(parents=True, exist_ok=True)
        (cuda / "nvvm/libdevice/libdevice.10.bc").write_bytes(b"BC\xc0\xde")
    etc = root / "etc"
    (etc / "ld.so.conf.d").mkdir(parents=True, exist_ok=True)
    (etc / "ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
    rebuild_cache(root)
    dev = root / "dev"
    dev.mkdir(exist_ok=True)
    if nodes:
        for g in gpus:
            (dev / f"nvidia{g.get('minor_number', 0)}").write_text("")
        (dev / "nvidiactl").write_text("")
    return root


# --- real ELF libraries ------------------------------------------------------------------

CUDA12_LIBRARIES = {
    # soname: (file name the soname links to, DT_NEEDED)
    "libcudart.so.12": ("libcudart.so.12.5.82", []),
    "libcublas.so.12": ("libcublas.so.12.5.3.2", ["libcublasLt.so.12"]),
    "libcublasLt.so.12": ("libcublasLt.so.12.5.3.2", []),
    "libcufft.so.11": ("libcufft.so.11.2.3.61", []),
    "libcusolver.so.11": ("libcusolver.so.11.6.3.83", ["libnvJitLink.so.12", "libcublas.so.12"]),
    "libnvJitLink.so.12": ("libnvJitLink.so.12.5.82", []),
    "libcusparse.so.12": ("libcusparse.so.12.5.1.3", ["libnvJitLink.so.12"]),
    "libcudnn.so.9": ("libcudnn.so.9.3.0", []),
    "libcuda.so.1": ("libcuda.so.580.95.05", []),
}


def build_library(
    directory: Path,
    soname: str,
    *,
    needed: list[str] = (),
    filename: str | None = None,
    runpath: str | None = None,
    rpath: str | None = None,
    link: bool = True,
    extra_flags: list[str] = (),
) -> Path:
    """A real shared object built with the system C compiler: SONAME, DT_NEEDED (linked
    against stub libraries of those names), optional RUNPATH/RPATH. ``filename`` is the
    real file; the soname is a symlink to it unless ``link`` is False."""
    cc = shutil.which("cc") or shutil.which("gcc")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / (filename or soname)
    src = directory / f".{soname}.c"
    src.write_text(f"int gpusetup_test_{abs(hash(soname)) % 10**8}(void) {{ return 1; }}\n")
    argv = [cc, "-shared", "-fPIC", "-o", str(target), str(src), f"-Wl,-soname,{soname}"]
    if needed:
        # link against throw-away stand-ins so DT_NEEDED names them; they are removed
        stubs = Path(tempfile.mkdtemp(prefix="gpusetup-link-"))
        for dep in needed:
            (stubs / f".{dep}.c").write_text("int gpusetup_stub(void) { return 0; }\n")
            subprocess.run(
                [
                    cc,
                    "-shared",
                    "-fPIC",
                    "-o",
                    str(stubs / dep),
                    str(stubs / f".{dep}.c"),
                    f"-Wl,-soname,{dep}",
                ],
                check=True,
            )
            argv += [f"-l:{dep}"]
        argv += [f"-L{stubs}", "-Wl,--no-as-needed"]
        argv = argv[:1] + ["-Wl,--no-as-needed"] + argv[1:]
    if runpath:
        argv += [f"-Wl,-rpath,{runpath}", "-Wl,--enable-new-dtags"]
    if rpath:
        argv += [f"-Wl,-rpath,{rpath}", "-Wl,--disable-new-dtags"]
    argv += list(extra_flags)
    subprocess.run(argv, check=True)
    src.unlink()
    if needed:
        shutil.rmtree(stubs)
    if filename and link and filename != soname:
        (directory / soname).symlink_to(filename)
    return directory / soname


@pytest.fixture(scope="session")
def cuda12_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with every library TensorFlow 2.21 opens, as real ELF files."""
    lib = tmp_path_factory.mktemp("cuda12") / "lib"
    for soname, (filename, needed) in CUDA12_LIBRARIES.items():
        if soname != "libcuda.so.1":  # the driver's library comes with the simulated driver
            build_library(lib, soname, filename=filename, needed=needed)
    return lib


def tensorflow_layout(site: Path, *, cuda_build: bool, version: str = "2.21.0") -> Path:
    """An installed TensorFlow as gpusetup reads it without importing it: the package
    directory with its generated build_info.py and the distribution's metadata. Importing
    it fails on purpose: only the files are real."""
    platform_dir = site / "tensorflow/python/platform"
    platform_dir.mkdir(parents=True, exist_ok=True)
    (site / "tensorflow/__init__.py").write_text(
        "raise ImportError('a file layout, not TensorFlow')\n"
    )
    entries = [("is_cuda_build", cuda_build), ("is_rocm_build", False)]
    if cuda_build:
        entries += [
            ("cuda_version", "12.5.1"),
            ("cudnn_version", "9"),
            ("cuda_compute_capabilities", ["sm_60", "sm_70", "sm_80", "sm_89", "compute_90"]),
        ]
    (platform_dir / "build_info.py").write_text(
        f"import collections\nbuild_info = collections.OrderedDict({entries!r})\n"
    )
    name = "tensorflow" if cuda_build else "tensorflow_cpu"
    dist = site / f"{name}-{version}.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: {version}\n"
    )
    return site


@pytest.fixture
def gpu_tensorflow(tmp_path: Path) -> str:
    """PYTHONPATH under which a CUDA build of TensorFlow 2.21 is installed (as files)."""
    site = tensorflow_layout(tmp_path / "tf-site", cuda_build=True)
    return f"{site}:{ROOT}"
