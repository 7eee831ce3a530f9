"""The NVIDIA kernel side: driver version file, loaded modules, /dev/nvidia* nodes."""

from __future__ import annotations

import os
import re
from pathlib import Path

from gpusetup.facts import DeviceNode, KernelFacts
from gpusetup.probe.paths import inside, under

KERNEL_MODULES = ("nvidia", "nvidia_uvm", "nvidia_modeset", "nvidia_drm", "nouveau", "vfio_pci")
_VERSION_RE = re.compile(r"Kernel Module(?: for [\w.]+)?\s+(\d+\.\d+(?:\.\d+)?)")
_GPU_NODE_RE = re.compile(r"nvidia\d+")


def parse_driver_version(text: str) -> str | None:
    """``NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue ...`` -> 580.95.05."""
    match = _VERSION_RE.search(text)
    return match.group(1) if match else None


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
    return KernelFacts(
        driver_version=parse_driver_version(text),
        driver_version_line=version_line,
        modules=sorted(modules),
        device_nodes=gpu_nodes,
        control_nodes=control,
    )
