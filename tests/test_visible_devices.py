"""CUDA_VISIBLE_DEVICES with MIG devices, judged as CUDA does, per driver generation.

NVIDIA's MIG user guide ("CUDA Device Enumeration",
https://docs.nvidia.com/datacenter/tesla/mig-user-guide/): from R470 (470.42.01) a MIG
device is MIG-<UUID>; before, MIG-<GPU-UUID>/<GPU instance ID>/<compute instance ID>. The
simulated libcuda applies the variable by those rules; gpusetup's env.cuda-visible-devices
must say what CUDA then shows (cuda.init), for every spelling.
"""

from __future__ import annotations

import json

import pytest
from conftest import load_machine

from gpusetup.devices.visibility import resolve_visible_devices
from gpusetup.facts import NvmlMigDevice

GPU = "GPU-5d5ba0d6-d33d-2b2c-524d-9e3d8d2b8a77"
MIG1 = "MIG-c6d4f1ef-42e4-5de3-91c7-45d71c87eb3f"  # GPU instance 1, compute instance 0
MIG2 = "MIG-cba663e8-9bed-5b25-b243-5985ef7c9beb"  # GPU instance 2, compute instance 0
R580, R460 = "580.95.05", "460.106.00"

CASES = [
    # driver, CUDA_VISIBLE_DEVICES, devices CUDA shows, gpusetup's status, words in its title
    (R580, MIG1, 1, "pass", "shows 0 of 1 GPU(s) and 1 MIG device(s)"),
    (R580, "MIG-c6d4f1ef", 1, "pass", "shows 0 of 1 GPU(s) and 1 MIG device(s)"),
    (R580, f"{MIG2},{MIG1}", 2, "pass", "shows 0 of 1 GPU(s) and 2 MIG device(s)"),
    (R580, f"MIG-{GPU}/1/0", 0, "fail", "form of drivers before R470"),
    (R580, f"mig-{GPU.lower()}/1/0", 0, "fail", "form of drivers before R470"),
    (R580, f"{MIG1},MIG-{GPU}/2/0", 1, "warn", "form of drivers before R470"),
    (R580, "MIG-c", 0, "fail", "matches 2 MIG devices"),
    (R580, "MIG-00000000", 0, "fail", "matches no MIG device"),
    (R580, f"{MIG1},{MIG1}", 1, "warn", "names a MIG device already listed"),
    (R460, f"MIG-{GPU}/2/0", 1, "pass", "shows 0 of 1 GPU(s) and 1 MIG device(s)"),
    (R460, f"MIG-{GPU[:12]}/1/0", 1, "pass", "shows 0 of 1 GPU(s) and 1 MIG device(s)"),
    (R460, f"MIG-{GPU}/3/0", 0, "fail", "matches no MIG device"),
    (R460, f"MIG-{GPU}/1/1", 0, "fail", "matches no MIG device"),
    (R460, MIG1, 0, "fail", "is the MIG-<uuid> form of drivers from R470"),
    (R460, f"MIG-{GPU}/1/0/7", 0, "fail", "MIG-<uuid> form"),
    ("470.42.01", MIG1, 1, "pass", "shows 0 of 1 GPU(s) and 1 MIG device(s)"),
    ("470.42.00", f"MIG-{GPU}/1/0", 1, "pass", "shows 0 of 1 GPU(s) and 1 MIG device(s)"),
]


@pytest.mark.parametrize(("driver", "value", "cuda_shows", "status", "words"), CASES)
def test_gpusetup_and_cuda_agree_on_mig_entries(
    cli, tmp_path, driver, value, cuda_shows, status, words
):
    machine = load_machine("mig")
    machine["driver_version"] = driver
    path = tmp_path / "mig.json"
    path.write_text(json.dumps(machine))
    report = cli(
        "doctor", "--json", "--no-smoke", machine_file=path, CUDA_VISIBLE_DEVICES=value
    ).json()
    env = [f for f in report["findings"] if f["id"] == "env.cuda-visible-devices"][0]
    assert (env["status"], words in env["title"]) == (status, True), env
    cuda = report["facts"]["cuda"]
    shown = len(cuda["devices"]) if cuda["init_error"] is None else 0
    assert shown == cuda_shows, cuda
    judged = env["evidence"]["visible"] + len(env["evidence"].get("MIG instances", []))
    assert judged == shown


def test_mig_entries_are_taken_as_written_when_the_inventory_is_unknown():
    """Facts recorded before gpusetup listed MIG devices: nothing to judge them by."""
    vis = resolve_visible_devices(f"MIG-{GPU}/1/0", [GPU], None, R580)
    assert vis.mig_entries == [f"MIG-{GPU}/1/0"] and vis.invalid_entry is None


def test_an_unknown_driver_accepts_either_spelling():
    migs = {GPU: [NvmlMigDevice(MIG1, 1, 0)]}
    assert resolve_visible_devices(MIG1, [GPU], migs, None).mig_entries == [MIG1]
    assert resolve_visible_devices(f"MIG-{GPU}/1/0", [GPU], migs, None).mig_entries == [MIG1]
