"""NVIDIA devices on the PCI bus, from sysfs: works with no driver installed at all.

Reads ``/sys/bus/pci/devices/*/{vendor,device,class}`` and the ``driver`` link (the kernel
driver bound to the device: nvidia, nouveau, vfio-pci, or none).
"""

from __future__ import annotations

import os
from pathlib import Path

from gpusetup.facts import PciDevice, PciFacts
from gpusetup.probe.paths import inside

NVIDIA_VENDOR_ID = "0x10de"


def _read(path: Path) -> str:
    return path.read_text(encoding="ascii", errors="replace").strip()


def nvidia_on_pci(root: Path) -> bool:
    """Whether any device on the PCI bus is NVIDIA's (vendor 0x10de), read from sysfs."""
    try:
        devices = inside(root, "/sys/bus/pci/devices")
        names = os.listdir(devices)
    except OSError:
        return False
    for name in names:
        try:
            if (
                _read(inside(root, f"/sys/bus/pci/devices/{name}/vendor")).lower()
                == NVIDIA_VENDOR_ID
            ):
                return True
        except OSError:
            continue
    return False


def probe_pci(root: Path) -> PciFacts:
    try:
        devices_dir = inside(root, "/sys/bus/pci/devices")
    except OSError:
        return PciFacts(sysfs_present=False)
    if not devices_dir.is_dir():
        return PciFacts(sysfs_present=False)
    found = []
    for name in sorted(os.listdir(devices_dir)):
        # each entry is a link into /sys/devices: followed inside the tree, like the rest
        entry = f"/sys/bus/pci/devices/{name}"
        try:
            if _read(inside(root, f"{entry}/vendor")).lower() != NVIDIA_VENDOR_ID:
                continue
            device_id = _read(inside(root, f"{entry}/device")).lower()
            class_code = _read(inside(root, f"{entry}/class")).lower()
            driver_link = inside(root, f"{entry}/driver", follow_last=False)
            is_link = driver_link.is_symlink()
            driver = os.path.basename(os.readlink(driver_link)) if is_link else None
        except OSError:
            continue  # a device that vanished or cannot be read is not evidence either way
        found.append(
            PciDevice(
                address=name.lower(),
                vendor_id=NVIDIA_VENDOR_ID,
                device_id=device_id,
                class_code=class_code,
                driver=driver,
            )
        )
    return PciFacts(sysfs_present=True, nvidia_devices=found)
