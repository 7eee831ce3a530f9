"""The report for the machine the tests run on, checked against what we observe directly.

No simulation here: the real sysfs, the real loader. On the CI machine (no GPU, no driver)
the doctor must fail gpu.present with a fix and exit 1; on a GPU machine it must see them.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path


def nvidia_gpus_in_sysfs() -> list[str]:
    root = Path("/sys/bus/pci/devices")
    found = []
    for dev in root.iterdir() if root.is_dir() else []:
        try:
            vendor = (dev / "vendor").read_text().strip()
            cls = (dev / "class").read_text().strip()
        except OSError:
            continue
        if vendor == "0x10de" and cls.startswith(("0x0300", "0x0302")):
            found.append(dev.name)
    return sorted(found)


def nvml_loadable() -> bool:
    try:
        ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return False
    return True


def test_doctor_on_this_machine_matches_direct_observation(cli):
    run = cli("doctor", "--json")
    report = run.json()
    present = next(f for f in report["findings"] if f["id"] == "gpu.present")
    pci = report["facts"]["pci"]
    assert (
        sorted(
            d["address"]
            for d in pci["nvidia_devices"]
            if d["class_code"].startswith(("0x0300", "0x0302"))
        )
        == nvidia_gpus_in_sysfs()
    )
    has_library = nvml_loadable()
    nvml = report["facts"]["nvml"]
    assert (
        nvml["init_error"] is None
        or nvml["init_error"]["error_class"] != "NVMLError_LibraryNotFound"
    ) == has_library
    if not nvidia_gpus_in_sysfs() and not has_library:
        assert present["status"] == "fail"
        assert present["title"] == "This machine has no NVIDIA GPU"
        assert present["fix"]
        assert run.returncode == 1
        assert report["summary"]["fail"] == 1  # one root cause, the rest skip
    else:
        assert present["status"] == "pass"
    assert report["facts"]["host"]["uid"] == os.getuid()


def test_console_doctor_on_this_machine_has_no_traceback(cli):
    run = cli("doctor")
    assert run.returncode in (0, 1)
    assert "gpu.present" in run.stdout
    assert run.stderr == ""
