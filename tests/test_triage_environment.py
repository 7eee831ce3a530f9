"""Triage of environment listings that print no error: PyTorch's "CUDA is not available"
judged by the GPU, the build's CUDA and the driver the same listing shows (collect_env, an
issue template), and never without that symptom."""

from __future__ import annotations

import pytest

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import LogLine

# https://github.com/pytorch/pytorch/issues/43058 (cut at line boundaries)
_COLLECT_ENV_10_2_ON_418 = """\
PyTorch version: 1.6.0
Is debug build: No
CUDA used to build PyTorch: 10.2

OS: Red Hat Enterprise Linux Server 7.6 (Maipo)
Python version: 3.7
Is CUDA available: {available}
CUDA runtime version: Could not collect
GPU models and configuration:
GPU 0: Tesla V100-PCIE-16GB

Nvidia driver version: {driver}
cuDNN version: Could not collect
"""

# https://github.com/pytorch/pytorch/issues/160804
_TEMPLATE_5090 = """\
- **PyTorch Version**: 2.2.0+cu121
- **GPU**: NVIDIA GeForce RTX 5090 (32GB GDDR7)
- **CUDA Version**: 12.8 (Driver 570.181)
- **OS**: Ubuntu (Linux)
```python
import torch
print(f"CUDA Available: {torch.cuda.is_available()}")  # Returns False
```
"""


def _root(text: str):  # noqa: ANN202 - the engine's root cause record
    roots = triage_text(text).root_causes
    return roots[0] if roots else None


def test_a_build_cuda_newer_than_the_listed_driver_is_driver_too_old() -> None:
    root = _root(_COLLECT_ENV_10_2_ON_418.format(available="No", driver="418.67"))
    assert root is not None and root.family == "driver-too-old"
    assert "418.67" in root.diagnosis and "CUDA 10.2" in root.diagnosis
    assert "440.33" in root.diagnosis and "440.33" in root.fix
    # the symptom's list of possible causes gives way to the one the facts show
    assert "likely causes" not in root.diagnosis
    # the verdict's sentences are the diagnosis and fix, not facts of the log
    assert not {"support", "environment_fix", "reading"} & set(root.facts)


def test_a_driver_new_enough_for_the_build_gets_no_driver_verdict() -> None:
    root = _root(_COLLECT_ENV_10_2_ON_418.format(available="No", driver="450.51.05"))
    assert root is not None and root.family != "driver-too-old"
    assert "environment_fix" not in root.facts


def test_the_same_listing_with_cuda_available_names_no_root_cause() -> None:
    assert _root(_COLLECT_ENV_10_2_ON_418.format(available="Yes", driver="418.67")) is None
    assert _root(_COLLECT_ENV_10_2_ON_418.format(available="True", driver="418.67")) is None


def test_a_gpu_newer_than_the_build_cuda_is_compute_capability() -> None:
    root = _root(_TEMPLATE_5090)
    assert root is not None and root.family == "compute-capability"
    assert "RTX 5090" in root.diagnosis and "12.0" in root.diagnosis
    assert "CUDA 12.1" in root.diagnosis and "12.8" in root.diagnosis
    assert "whl/cu128" in root.fix


def test_a_tesla_generation_gpu_beside_cuda_10_is_compute_capability() -> None:
    # https://github.com/pytorch/pytorch/issues/31876
    text = (
        "PyTorch version: 1.2.0\nCUDA used to build PyTorch: 10.0\n"
        "OS: Microsoft Windows 7 Professional\nIs CUDA available: No\n"
        "GPU models and configuration: GPU 0: GeForce 210\nNvidia driver version: 342.01\n"
    )
    root = _root(text)
    assert root is not None and root.family == "compute-capability"
    assert "GeForce 210" in root.diagnosis and "1.2" in root.diagnosis
    assert "6.5" in root.diagnosis


@pytest.mark.parametrize(
    ("driver", "family_is_driver"),
    [("535.54.03", False), ("520.61.05", True)],
)
def test_from_cuda_11_the_major_s_floor_decides(driver: str, family_is_driver: bool) -> None:
    # minor-version compatibility: a +cu124 build runs on any 12.x driver (525.60.13+)
    text = (
        "PyTorch version: 2.4.0+cu124\nCUDA used to build PyTorch: 12.4\n"
        "OS: Ubuntu 22.04.4 LTS (x86_64)\nIs CUDA available: False\n"
        f"GPU models and configuration: GPU 0: Tesla T4\nNvidia driver version: {driver}\n"
    )
    root = _root(text)
    assert root is not None
    assert (root.family == "driver-too-old") is family_is_driver


def test_nvidia_smi_s_cuda_version_below_the_wheel_s_is_driver_too_old() -> None:
    text = (
        ">>> torch.__version__\n'2.1.0+cu121'\n>>> torch.cuda.is_available()\nFalse\n"
        "| NVIDIA-SMI 470.182.03   Driver Version: 470.182.03   CUDA Version: 11.4     |\n"
    )
    root = _root(text)
    assert root is not None and root.family == "driver-too-old"
    assert "470.182.03" in root.diagnosis and "12.1" in root.diagnosis


def test_windows_driver_numbers_are_not_dated_by_the_linux_table() -> None:
    text = _COLLECT_ENV_10_2_ON_418.format(available="No", driver="418.96").replace(
        "Red Hat Enterprise Linux Server 7.6 (Maipo)", "Microsoft Windows 10 Pro"
    )
    root = _root(text)
    assert root is not None and root.family != "driver-too-old"


@pytest.mark.parametrize(
    ("line", "cuda"),
    [
        ("CUDA used to build PyTorch: 10.1.243", "10.1"),
        ("[pip3] torch==1.5.0+cu92", "9.2"),
        ("Ultralytics YOLOv8.0.53 Python-3.9.1 torch-1.8.1+cu111 CUDA:0", "11.1"),
        ("[conda] pytorch   1.3.0   py3.7_cuda10.1.243_cudnn7.6.3_0    pytorch", "10.1"),
        ("- **PyTorch Version**: 2.2.0+cu121", "12.1"),
    ],
)
def test_the_build_s_cuda_is_read_from_each_listing(line: str, cuda: str) -> None:
    clue = infer((LogLine(1, line),)).build_cuda
    assert clue is not None and clue.value == cuda


def test_a_torch_cpu_wheel_has_no_build_cuda() -> None:
    assert infer((LogLine(1, "PyTorch version: 2.0.1+cpu"),)).build_cuda is None
