"""CUDA_VISIBLE_DEVICES as logs set it (a shell assignment, os.environ in a script, a
printed value) is read, said and fixed beside a "no GPU" message. Lines are real (URLs
beside them)."""

from __future__ import annotations

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
