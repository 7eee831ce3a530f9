"""The entry point starts the NVML child before the CLI loads, and the probe adopts it.

Measured in ``bench/startup.py``; here: which command lines start it and that the probe
uses that same child under the same environment only (test_children: that a real run asks
NVML once, and that one which never asks for it leaves no child behind).
"""

from __future__ import annotations

import os
import time

import pytest

from gpusetup.__main__ import asks_nvml
from gpusetup.probe import nvml


@pytest.mark.parametrize(
    ("argv", "asks"),
    [
        (["doctor"], True),
        (["--debug", "doctor", "--no-smoke", "--json"], True),
        (["gpus", "--json"], True),
        (["map", "--select", "0"], True),
        (["validate", "--format", "npd"], True),
        (["collect", "-o", "facts.json"], True),
        (["libs"], True),
        (["doctor", "--from", "facts.json"], False),
        (["doctor", "--from=facts.json"], False),
        (["doctor", "--help"], False),
        (["gpus", "-h"], False),
        (["--help"], False),
        (["--version"], False),
        ([], False),
        (["triage", "log.txt"], False),
        (["explain", "driver.nvml"], False),
        (["wheel", "inspect", "doctor"], False),  # the command is the first word
    ],
)
def test_which_command_lines_start_nvml_early(argv, asks):
    assert asks_nvml(argv) is asks


def test_the_probe_adopts_the_early_child_under_the_same_environment():
    nvml.start_early()
    early = nvml._early[1]
    try:
        assert nvml.start_nvml() is early
        assert nvml._early is None
    finally:
        early.close()


def test_under_another_environment_the_early_child_is_stopped_and_a_new_one_runs():
    nvml.start_early()
    early = nvml._early[1]
    child = nvml.start_nvml({**os.environ, "CUDA_VISIBLE_DEVICES": "1"})
    try:
        assert child is not early
        end = time.monotonic() + 5
        while os.path.exists(f"/proc/{early.pid}/status") and time.monotonic() < end:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{early.pid}/status")
    finally:
        child.close()
        early.close()
