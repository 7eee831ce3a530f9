"""NVIDIA devices on the PCI bus, from sysfs: works with no driver installed at all.

Reads ``/sys/bus/pci/devices/*/{vendor,device,class}`` and the ``driver`` link (the kernel
driver bound to the device: nvidia, nouveau, vfio-pci, or none).
"""

from __future__ import annotations

import os
from pathlib import Path

from gpusetup.facts import PciDevice, PciFacts
from gpusetup.probe.paths import under

NVIDIA_VENDOR_ID = "0x10de"


def _read(path: Path) -> str:
    return path.read_text(encoding="ascii", errors="replace").strip()


def probe_pci(root: Path) -> PciFacts:
    devices_dir = under(root, "/sys/bus/pci/devices")
    if not devices_dir.is_dir():
        return PciFacts(sysfs_present=False)
    found = []
    for entry in sorted(devices_dir.iterdir()):
        try:
            if _read(entry / "vendor").lower() != NVIDIA_VENDOR_ID:
                continue
            device_id = _read(entry / "device").lower()
            class_code = _read(entry / "class").lower()
        except OSError:
            continue  # a device that vanished or cannot be read is not evidence either way
        driver_link = entry / "driver"
        driver = os.path.basename(os.readlink(driver_link)) if driver_link.is_symlink() else None
        found.append(
            PciDevice(
                address=entry.name.lower(),
                vendor_id=NVIDIA_VENDOR_ID,
                device_id=device_id,
                class_code=class_code,
                driver=driver,
            )
        )
    return PciFacts(sysfs_present=True, nvidia_devices=found)
