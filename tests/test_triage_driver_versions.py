"""The driver and the CUDA it supports, read from what people paste: nvidia-smi -q's
spaced "CUDA Version        : 12.7" (and not a toolkit's 12.8.0 in prose), an rpm
package's release, and no forward-compatibility claim for a CUDA the release table has no
row for (R565's 12.7). Lines are real (URLs beside them)."""

from __future__ import annotations

from pathlib import Path

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import LogLine

REAL = Path(__file__).parent / "data" / "logs" / "real"


def _lines(*texts: str) -> tuple[LogLine, ...]:
    return tuple(LogLine(n, t) for n, t in enumerate(texts, 1))


def test_nvidia_smi_q_spacing_is_read_and_a_toolkit_release_is_not() -> None:
    # https://github.com/containers/ramalama/issues/759
    prose = (
        "It looks that the `quay.io/ramalama/cuda:latest` container is based on the CUDA "
        "Version: 12.8.0, while the CUDA on Fedora 41 is currently based on 12.7 :"
    )
    ctx = infer(_lines(prose, "CUDA Version        : 12.7"))
    assert ctx.driver_cuda.value == "12.7" and ctx.driver_cuda.line == 2


def test_an_rpm_package_names_the_driver() -> None:
    # https://github.com/containers/ramalama/issues/759
    assert infer(_lines("xorg-x11-drv-nvidia-cuda-565.77-3.fc41.x86_64")).driver.value == "565.77"
    # https://github.com/negativo17/nvidia-driver/issues/180
    assert infer(_lines("nvidia-driver-575.64.03-1.el9.x86_64")).driver.value == "575.64.03"
    # a package of another driver component names no release of its own
    assert infer(_lines("nvidia-xconfig-575.64-1.el9.x86_64")).driver is None


def test_r565_s_cuda_12_7_is_its_own_not_a_compat_library() -> None:
    # https://github.com/containers/ramalama/issues/759 (the whole paste)
    text = (REAL / "ramalama-cuda-container-ptx-newer-than-driver.log").read_text()
    root = triage_text(text).root_causes[0]
    assert root.family == "driver-too-old"
    assert "driver 565.77, which supports CUDA up to 12.7" in root.diagnosis
    assert "forward-compatibility" not in root.diagnosis


def test_a_sentence_s_full_stop_after_the_cuda_version_is_no_third_number() -> None:
    # synthetic lines (the rule's two edges): a version a sentence ends with, a toolkit's
    assert infer(_lines("CUDA Version: 12.2.")).driver_cuda.value == "12.2"
    assert infer(_lines("CUDA Version: 12.2.1")).driver_cuda is None
