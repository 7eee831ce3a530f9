"""scripts/compare_nvidia_smi.py reads nvidia-smi's CSV in any column order (through the
CSV reader of gpusetup.parse), with or without a header, and says clearly when a file is
not one it can compare.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT, load_machine

SCRIPT = ROOT / "scripts/compare_nvidia_smi.py"


def _csv(machine: dict, columns: list[str], header: bool = True) -> str:
    """What ``nvidia-smi --query-gpu=<columns> --format=csv[,noheader]`` prints."""
    lines = [", ".join(columns)] if header else []
    for index, gpu in enumerate(machine["gpus"]):
        values = {
            "index": str(index),
            "name": gpu["name"],
            "pci.bus_id": gpu["pci_bus_id"],
            "uuid": gpu["uuid"],
            "compute_cap": ".".join(map(str, gpu["compute_capability"])),
            "driver_version": machine["driver_version"],
        }
        lines.append(", ".join(values[c] for c in columns))
    return "\n".join(lines) + "\n"


def _run(tmp_path, csv_text: str, gpus_json: str) -> subprocess.CompletedProcess:
    (tmp_path / "smi.csv").write_text(csv_text)
    (tmp_path / "gpus.json").write_text(gpus_json)
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "smi.csv"), str(tmp_path / "gpus.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def mixed8_gpus(cli) -> str:
    return cli("gpus", "--json", machine_file="mixed8").stdout


@pytest.mark.parametrize(
    "columns",
    [
        ["name", "pci.bus_id", "index", "uuid"],  # index third, no cc or driver
        ["uuid", "driver_version", "compute_cap", "name", "index", "pci.bus_id"],
        ["pci.bus_id", "name"],  # no index: paired by bus id
    ],
)
def test_any_column_order_with_a_header_agrees(tmp_path, mixed8_gpus, columns):
    result = _run(tmp_path, _csv(load_machine("mixed8"), columns), mixed8_gpus)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "compared 8 GPU(s): OK" in result.stdout


def test_noheader_in_another_order_reads_columns_from_the_values(tmp_path, mixed8_gpus):
    columns = ["uuid", "name", "compute_cap", "index", "pci.bus_id", "driver_version"]
    result = _run(tmp_path, _csv(load_machine("mixed8"), columns, header=False), mixed8_gpus)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "columns assumed from the values" in result.stdout


def test_a_difference_in_another_column_order_is_caught(tmp_path, mixed8_gpus):
    machine = load_machine("mixed8")
    machine["gpus"][3]["uuid"] = "GPU-ffffffff-0004-4a00-8000-00000000a004"
    result = _run(tmp_path, _csv(machine, ["name", "uuid", "index"]), mixed8_gpus)
    assert result.returncode == 1
    assert "GPU 3 uuid" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "holds no nvidia-smi CSV row"),
        ("Failed to initialize NVML: Driver/library version mismatch\n", "holds no"),
    ],
)
def test_a_csv_without_rows_is_a_clear_error(tmp_path, mixed8_gpus, content, message):
    result = _run(tmp_path, content, mixed8_gpus)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_unreadable_json_is_a_clear_error(tmp_path):
    result = _run(tmp_path, _csv(load_machine("mixed8"), ["index", "name"]), "{not json")
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr
