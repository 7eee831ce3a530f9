"""CUDA_VISIBLE_DEVICES as logs set it (a shell assignment, os.environ in a script, a
printed value) is read, said and fixed beside a "no GPU" message. Lines are real (URLs
beside them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import LogLine


@pytest.mark.parametrize(
    ("line", "value"),
    [
        # https://github.com/YoujiaZhang/Ref-GS/issues/4
        ('os.environ["CUDA_VISIBLE_DEVICES"] = "2"', "2"),
        # https://github.com/Grace9994/CoMoSVC/issues/6
        (
            "If not comment out the line `os.environ[\"CUDA_VISIBLE_DEVICES\"]='1'` in train.py, "
            "training will encounter an error: `RuntimeError: No CUDA GPUs are available`.",
            "1",
        ),
        # https://github.com/tensorflow/tensorflow/issues/50300
        ('export CUDA_VISIBLE_DEVICES="5,6"', "5,6"),
        # https://github.com/pytorch/pytorch/issues/95073
        ("CUDA_VISIBLE_DEVICES: 1,2", "1,2"),
        # https://github.com/ogkalu2/comic-translate/issues/224
        ("os.environ['CUDA_VISIBLE_DEVICES']: None", "None"),
    ],
)
def test_each_way_a_log_sets_it_is_read(line: str, value: str) -> None:
    clue = infer((LogLine(1, line),)).versions["visible_devices"]
    assert clue.value == value


def test_a_comparison_is_no_setting() -> None:
    line = 'if os.environ.get("CUDA_VISIBLE_DEVICES") == "0":'  # not from a log: a guard
    assert "visible_devices" not in infer((LogLine(1, line),)).versions


def test_an_index_the_machine_lacks_is_said_and_fixed() -> None:
    # https://github.com/YoujiaZhang/Ref-GS/issues/4 (cut at line boundaries)
    text = (
        "```python\n"
        "import os\n"
        'os.environ["CUDA_VISIBLE_DEVICES"] = "2"\n'
        "os.environ['CUDA_LAUNCH_BLOCKING'] = '1'\n"
        "```\n"
        "\n"
        'If uncommented, can cause errors on machines without GPU index 2 (e.g. "No CUDA GPUs '
        'are available").\n'
    )
    root = triage_text(text).root_causes[0]
    assert root.family == "visibility"
    assert "The log sets CUDA_VISIBLE_DEVICES=2 (line 3)" in root.diagnosis
    assert "without a GPU 2 the process sees no GPU" in root.diagnosis
    assert root.fix.startswith("Set CUDA_VISIBLE_DEVICES (line 3: 2) to GPUs this machine has")


_LEASTEREO = (
    # https://github.com/XuelianCheng/LEAStereo/issues/10 (the paste whole)
    Path(__file__).resolve().parent
    / "data"
    / "logs"
    / "real"
    / "leastereo-cuda-visible-devices-1-single-gpu.log"
).read_text()


def test_cuda_not_available_beside_an_index_past_the_gpus_is_that_setting() -> None:
    result = triage_text(_LEASTEREO)
    root = result.root_causes[0]
    assert (root.id, root.family) == ("torch.user.cuda-not-available", "visibility")
    assert "CUDA_VISIBLE_DEVICES=1 (line 2)" in root.diagnosis
    assert root.fix.startswith("Set CUDA_VISIBLE_DEVICES (line 2: 1)")
    # the setting that is the cause is not also listed as harmless
    assert "env.cuda-visible-devices" not in {i.id for i in result.items if i.role == "benign"}


@pytest.mark.parametrize(
    ("setting", "family"),
    [
        # synthetic variations of the paste above
        ("   CUDA_VISIBLE_DEVICES=0", "cpu-only-build"),  # GPU 0 exists on any GPU machine
        ("   CUDA_VISIBLE_DEVICES=-1", "visibility"),  # hides every GPU
        ("   CUDA_VISIBLE_DEVICES=0,1", "cpu-only-build"),  # GPU 0 among them
    ],
)
def test_only_a_setting_that_can_leave_no_gpu_is_blamed(setting: str, family: str) -> None:
    text = _LEASTEREO.replace("   CUDA_VISIBLE_DEVICES=1", setting)
    assert triage_text(text).root_causes[0].family == family


def test_a_listing_with_the_gpu_the_setting_selects_clears_it() -> None:
    # synthetic: nvidia-smi -L shows two GPUs, so GPU 1 exists
    listing = (
        "GPU 0: NVIDIA GeForce RTX 3090 (UUID: GPU-0b8e8d43-4a5c-6b1d-9c2e-1f3a5b7c9d0e)\n"
        "GPU 1: NVIDIA GeForce RTX 3090 (UUID: GPU-1c9f9e54-5b6d-7c2e-0d3f-2a4b6c8d0e1f)\n"
    )
    assert triage_text(listing + _LEASTEREO).root_causes[0].family == "cpu-only-build"


_REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"


def test_a_setting_to_nothing_is_the_reading_of_a_log_without_a_gpu() -> None:
    # https://github.com/tensorflow/tensorflow/issues/2175: TF 0.8 starts, no GPU device
    root = triage_text((_REAL / "tf08-cuda-visible-devices-blank.log").read_text()).root_causes[0]
    assert (root.id, root.family) == ("env.cuda-visible-devices.hides-all", "visibility")
    assert root.fix.startswith("Unset it (unset CUDA_VISIBLE_DEVICES")


def test_a_no_device_error_beside_an_empty_setting_is_fixed_by_unsetting_it() -> None:
    # https://github.com/tensorflow/tensorflow/issues/26460: CUDA_VISIBLE_DEVICES='' python
    text = (_REAL / "tf-nightly-cuda-visible-devices-empty.log").read_text()
    root = triage_text(text).root_causes[0]
    assert (root.id, root.family) == ("cuda.err.no-device", "visibility")
    assert root.fix.startswith("Unset CUDA_VISIBLE_DEVICES (line 1 sets it to nothing")


@pytest.mark.parametrize(
    "line",
    [
        # not from logs: a comparison, a value, a spaced prose setting of GPU 0
        'if os.environ.get("CUDA_VISIBLE_DEVICES") == "":',
        "CUDA_VISIBLE_DEVICES = 0",
        "export CUDA_VISIBLE_DEVICES=0",
    ],
)
def test_only_settings_to_nothing_read_as_hiding_every_gpu(line: str) -> None:
    ids = {i.id for i in triage_text(line + "\n").items}
    assert "env.cuda-visible-devices.hides-all" not in ids
