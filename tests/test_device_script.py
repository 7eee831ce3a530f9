"""The comparison the GPU acceptance script relies on, run against the simulated driver."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, load_machine


def smi_csv(machine: dict) -> str:
    """What `nvidia-smi --query-gpu=index,name,pci.bus_id,uuid,compute_cap,driver_version
    --format=csv` prints for this machine."""
    lines = ["index, name, pci.bus_id, uuid, compute_cap, driver_version"]
    for i, g in enumerate(machine["gpus"]):
        cc = ".".join(map(str, g["compute_capability"]))
        lines.append(
            f"{i}, {g['name']}, {g['pci_bus_id']}, {g['uuid']}, {cc}, {machine['driver_version']}"
        )
    return "\n".join(lines) + "\n"


def compare(tmp_path, csv_text: str, gpus_json: str) -> subprocess.CompletedProcess:
    (tmp_path / "smi.csv").write_text(csv_text)
    (tmp_path / "gpus.json").write_text(gpus_json)
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts/compare_nvidia_smi.py"),
            str(tmp_path / "smi.csv"),
            str(tmp_path / "gpus.json"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_gpusetup_agrees_with_nvidia_smi_and_a_difference_is_caught(cli, tmp_path):
    machine = load_machine("mixed8")
    gpus = cli("gpus", "--json", machine_file="mixed8").stdout
    assert compare(tmp_path, smi_csv(machine), gpus).returncode == 0
    machine["gpus"][3]["uuid"] = "GPU-ffffffff-0004-4a00-8000-00000000a004"
    result = compare(tmp_path, smi_csv(machine), gpus)
    assert result.returncode == 1 and "GPU 3 uuid" in result.stdout
