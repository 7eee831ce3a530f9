"""Deadlines and choices a user hands gpusetup: a bad one is a usage error (exit 2) that
names the setting, the value and what is accepted; never a wrong verdict or a crash."""

from __future__ import annotations

import pytest

BAD_SECONDS = ["0", "-1", "nan", "inf", "-inf", "1e300", "3601", "abc", "", " ", "15s", "0x10"]


@pytest.mark.parametrize("variable", ["GPUSETUP_NVML_TIMEOUT", "GPUSETUP_CUDA_TIMEOUT"])
@pytest.mark.parametrize("value", BAD_SECONDS)
def test_a_deadline_variable_that_is_no_deadline_is_a_usage_error(cli, variable, value):
    run = cli("gpus", machine_file="h100", **{variable: value})
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert variable in run.stderr and repr(value) in run.stderr
    assert "greater than 0 and at most 3600" in run.stderr
    assert "No NVIDIA GPU" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    "args",
    [["doctor", "--json"], ["map"], ["collect"], ["validate", "--format", "npd"], ["smoke"]],
    ids="-".join,
)
def test_every_probing_command_rejects_a_bad_nvml_deadline(cli, args):
    run = cli(*args, machine_file="h100", GPUSETUP_NVML_TIMEOUT="nan")
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "GPUSETUP_NVML_TIMEOUT='nan'" in run.stdout + run.stderr


@pytest.mark.parametrize("value", ["0.5", "2", "3600", " 7 ", "1e1"])
def test_a_usable_deadline_is_accepted(cli, value):
    run = cli("gpus", "--json", machine_file="h100", GPUSETUP_NVML_TIMEOUT=value)
    assert run.returncode == 0, run.stderr
    assert run.json()["gpus"][0]["name"] == "NVIDIA H100 80GB HBM3"


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-1", "1e9"])
def test_smoke_timeout_must_be_a_usable_deadline(cli, value):
    run = cli("smoke", "--timeout", value)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "--timeout" in run.stderr and "at most 86400" in run.stderr


@pytest.mark.parametrize("args", [["map", "--smoke", "--backend", "foo"], ["map", "--backend", ""]])
def test_map_rejects_an_unknown_backend_as_a_usage_error(cli, args):
    run = cli(*args, machine_file="h100")
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "--backend must be one of tensorflow, torch" in run.stderr
    assert "internal error" not in run.stderr
