"""Readings of the driver a log shows installed by its packages and of the module DKMS
builds, each on real pastes (tests/data/logs/real/, URL in the case's .toml; or quoted
here with the thread's URL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import split_lines

REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"


def _real(name: str) -> str:
    return (REAL / f"{name}.log").read_text(encoding="utf-8")


# https://github.com/tensorflow/tensorflow/issues/52530: its dpkg -l listing, consecutive
# lines verbatim
DPKG_52530 = """\
ii  libnvidia-ml-dev                                10.1.243-3   amd64        NVIDIA Management Library (NVML) development files
ii  libnvjpeg10:amd64                               10.1.243-3   amd64        NVIDIA JPEG library (nvJPEG)
ii  libnvrtc10.1:amd64                              10.1.243-3   amd64        CUDA Runtime Compilation (NVIDIA NVRTC Library)
ii  libnvtoolsext1:amd64                            10.1.243-3   amd64        NVIDIA Tools Extension Library
ii  libnvvm3:amd64                                  10.1.243-3   amd64        NVIDIA NVVM Library
ii  nsight-compute                                  10.1.243-3   amd64        NVIDIA Nsight Compute
ii  nsight-compute-2020.3.0                         2020.3.0.18-1   amd64        NVIDIA Nsight Compute
ii  nsight-compute-2021.2.2                         2021.2.2.1-1   amd64        NVIDIA Nsight Compute
rc  nvidia-compute-utils-450                        450.102.04-0ubuntu0.20.04.1   amd64        NVIDIA compute utilities
rc  nvidia-compute-utils-460                        460.91.03-0ubuntu0.20.04.1   amd64        NVIDIA compute utilities
ii  nvidia-compute-utils-470                        470.57.02-0ubuntu1   amd64        NVIDIA compute utilities
"""  # noqa: E501


def test_dpkg_listing_names_the_installed_driver_not_removed_ones_nor_cuda_packages() -> None:
    ctx = infer(split_lines(DPKG_52530))
    assert ctx.userspace is not None
    assert ctx.userspace.value == "470.57.02"
    assert ctx.userspace.line == 11  # the "rc" (removed) 450 and 460 lines are not read


@pytest.mark.parametrize(
    ("listing", "version", "line"),
    [
        # https://github.com/illinois-scicomp/machine-shop-maintenance/issues/70
        (
            "ii  nvidia-smi     525.85.12-1  amd64        NVIDIA System Management Interface\n",
            "525.85.12",
            1,
        ),
        # https://github.com/NVIDIA/nvidia-docker/issues/854 (dpkg cuts the name column)
        (
            "rc  libnvidia-compute-396:amd6 396.54-0ubuntu0~gp amd64              NVIDIA libcompute package\n"  # noqa: E501
            "rc  libnvidia-compute-396:i386 396.54-0ubuntu0~gp i386               NVIDIA libcompute package\n"  # noqa: E501
            "ii  libnvidia-compute-410:amd6 410.73-0ubuntu0~gp amd64              NVIDIA libcompute package\n",  # noqa: E501
            "410.73",
            3,
        ),
        # https://github.com/NVIDIA/k8s-device-plugin/issues/178
        (
            "rc  libnvidia-compute-435:amd64 435.21-0ubuntu0.18 amd64              NVIDIA libcompute package\n"  # noqa: E501
            "ii  libnvidia-compute-440:amd64 440.59-0ubuntu0.18 amd64              NVIDIA libcompute package\n",  # noqa: E501
            "440.59",
            2,
        ),
    ],
)
def test_dpkg_lines_of_the_driver_packages(listing: str, version: str, line: int) -> None:
    ctx = infer(split_lines(listing))
    assert ctx.userspace is not None
    assert (ctx.userspace.value, ctx.userspace.line) == (version, line)


def test_rpm_listing_is_said_once_beside_the_nvml_mismatch() -> None:
    # the rpm list's nvidia-driver-latest-dkms-cuda-465.19.01 is both the driver and the package
    result = triage_text(_real("nvml-mismatch-azhop-465"))
    first = result.root_causes[0]
    assert first.family == "driver-mismatch"
    assert first.diagnosis.count("465.19.01 (line 15") == 1


def test_the_module_dkms_builds_is_named_from_its_build_log_path() -> None:
    result = triage_text(_real("bumblebee-debian-sid-dkms-367-kernel-4-8"))
    first = result.root_causes[0]
    assert first.family == "kernel-module"
    assert "The module DKMS builds is nvidia-current, driver 367.44 (line 7" in first.diagnosis


def test_no_dkms_sentence_without_the_build_log() -> None:
    line = "Error! Bad return status for module build on kernel: 5.15.0 (x86_64)\n"
    ctx = infer(split_lines(line))
    assert ctx.dkms_module is None
