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
def fake_driver_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the simulated libnvidia-ml.so.1 with the system C compiler (once per session)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    assert cc, "a C compiler is needed to build the simulated driver (install gcc)"
    out = tmp_path_factory.mktemp("fakegpu")
    subprocess.run(
        [
            cc,
            "-shared",
            "-fPIC",
            "-O1",
            "-Wall",
            "-Werror",
            "-Wl,-soname,libnvidia-ml.so.1",
            "-o",
            str(out / "libnvidia-ml.so.1"),
            str(FAKEGPU / "fakenvml.c"),
        ],
        check=True,
    )
    return out


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


@pytest.fixture
def cli(fake_driver_dir: Path):
    """Run ``python -m gpusetup ARGS`` on a simulated machine (or with no driver at all)."""

    def run(
        *args: str,
        machine_file: Path | str | None = None,
        sysroot: Path | None = None,
        lib_dir: Path | None = None,
        timeout: float = 60,
        **env: str,
    ) -> Run:
        extra = dict(env)
        if machine_file is not None:
            path = machine_file if isinstance(machine_file, Path) else machine(machine_file)
            extra["FAKEGPU_MACHINE"] = str(path)
            extra["LD_LIBRARY_PATH"] = str(lib_dir or fake_driver_dir)
        elif lib_dir is not None:
            extra["LD_LIBRARY_PATH"] = str(lib_dir)
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


def make_sysroot(
    root: Path,
    machine_data: dict | None = None,
    *,
    driver: str | None = "nvidia",
    modules: tuple[str, ...] | None = None,
    kernel_version: str | None = None,
    nodes: bool = True,
    extra_pci: list[tuple[str, str, str]] = (),
) -> Path:
    """A system-root tree (sysfs, /proc, /dev) matching a machine description.

    ``driver`` is the kernel driver bound to each GPU (None: unbound). Device nodes are
    plain files: the probe only checks that they exist and can be opened.
    """
    pci = root / "sys/bus/pci/devices"
    drivers = root / "sys/bus/pci/drivers"
    pci.mkdir(parents=True, exist_ok=True)
    gpus = (machine_data or {}).get("gpus", [])
    entries = [
        (g["pci_bus_id"], "0x" + g.get("pci_device_id", "0x233010DE")[2:6].lower(), "0x030200")
        for g in gpus
    ] + list(extra_pci)
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
    dev = root / "dev"
    dev.mkdir(exist_ok=True)
    if nodes:
        for g in gpus:
            (dev / f"nvidia{g.get('minor_number', 0)}").write_text("")
        (dev / "nvidiactl").write_text("")
    return root
