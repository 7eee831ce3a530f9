"""The NVIDIA kernel side: driver version file, loaded modules, /dev/nvidia* nodes."""

from __future__ import annotations

import os
import re
from pathlib import Path

from gpusetup.facts import DeviceNode, KernelFacts
from gpusetup.probe.paths import inside, under
from gpusetup.serde import record

KERNEL_MODULES = ("nvidia", "nvidia_uvm", "nvidia_modeset", "nvidia_drm", "nouveau", "vfio_pci")
_GPU_NODE_RE = re.compile(r"nvidia\d+")


@record
class VersionLine:
    """What /proc/driver/nvidia/version says: the driver release, or on a Jetson the L4T
    release, and which kernel module flavour is loaded."""

    driver_version: str | None
    kernel_module: str | None  # "proprietary", "open", "l4t"
    l4t_release: str | None


def parse_version_line(text: str) -> VersionLine:
    """``NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue ...`` -> 580.95.05,
    proprietary; ``... Open Kernel Module for x86_64  565.57.01  Release Build ...`` -> open;
    a Jetson's ``... Open Kernel Module for aarch64  35.3.1  Release Build ...`` is L4T
    35.3.1, not a driver release (never judged against desktop driver minimums). Read by
    gpusetup.parse.proc_version."""
    from gpusetup.parse import proc_version

    reading = proc_version.read(text)
    return VersionLine(reading.driver_version, reading.kernel_module, reading.l4t_release)


def parse_driver_version(text: str) -> str | None:
    """The driver release in /proc/driver/nvidia/version (None on a Jetson: L4T)."""
    return parse_version_line(text).driver_version


def _node(root: Path, name: str) -> DeviceNode:
    try:
        real = inside(root, f"/dev/{name}")
    except OSError:  # a link loop: nothing can open it
        return DeviceNode(path=str(under(root, f"/dev/{name}")), readable=False, writable=False)
    return DeviceNode(
        path=str(under(root, f"/dev/{name}")),
        readable=os.access(real, os.R_OK),
        writable=os.access(real, os.W_OK),
    )


def probe_kernel(root: Path) -> KernelFacts:
    version_line = None
    try:
        text = inside(root, "/proc/driver/nvidia/version").read_text(errors="replace")
        version_line = text.splitlines()[0].strip() if text.strip() else None
    except OSError:
        text = ""
    modules = []
    try:
        for line in inside(root, "/proc/modules").read_text(errors="replace").splitlines():
            name = line.split(" ", 1)[0]
            if name in KERNEL_MODULES:
                modules.append(name)
    except OSError:
        pass
    gpu_nodes, control = [], []
    try:
        names = sorted(os.listdir(inside(root, "/dev")))
    except OSError:
        names = []
    for name in names:
        if _GPU_NODE_RE.fullmatch(name):
            gpu_nodes.append(_node(root, name))
        elif name in ("nvidiactl", "nvidia-uvm"):
            control.append(_node(root, name))
    gpu_nodes.sort(key=lambda n: int(n.path.rsplit("nvidia", 1)[1]))
    # no version file (no driver): nothing to read, and the reader is not imported
    line = parse_version_line(text) if text.strip() else VersionLine(None, None, None)
    return KernelFacts(
        driver_version=line.driver_version,
        driver_version_line=version_line,
        modules=sorted(modules),
        device_nodes=gpu_nodes,
        control_nodes=control,
        kernel_module=line.kernel_module,
        l4t_release=line.l4t_release,
    )
