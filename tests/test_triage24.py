"""Readings of TensorFlow pastes of every era: which way the loaded cuDNN differs from the
build's, and a dlopen failure retyped inside markdown bold."""

from __future__ import annotations

import pytest

from gpusetup.logtriage import triage_text

_TAIL = (
    "  If using a binary install, upgrade your CuDNN library to match.  If building from"
    " sources, make sure the library loaded at runtime matches a compatible version specified"
    " during compile configuration."
)


def _first(log: str):  # noqa: ANN202 - the engine's root cause record
    return triage_text(log).root_causes[0]


@pytest.mark.parametrize(
    ("loaded", "built", "said"),
    [
        # https://github.com/windj007/docker-jupyter-keras-tools/issues/7
        ("7104 (compatibility version 7100)", "7005 (compatibility version 7000)", "another minor"),
        # https://github.com/nicolov/segmentation_keras/issues/32
        ("6021 (compatibility version 6000)", "5105 (compatibility version 5100)", "another major"),
        # https://github.com/carpedm20/DCGAN-tensorflow/issues/242
        ("5005 (compatibility version 5000)", "5110 (compatibility version 5100)", "older"),
    ],
)
def test_the_cudnn_diagnosis_says_which_way_the_loaded_one_differs(
    loaded: str, built: str, said: str
) -> None:
    line = (
        "E tensorflow/stream_executor/cuda/cuda_dnn.cc:396] Loaded runtime CuDNN library: "
        f"{loaded} but source was compiled with {built}.{_TAIL}\n"
    )
    root = _first(line)
    assert root.family == "cudnn-version"
    assert said in root.diagnosis
    if said != "older":
        assert "older" not in root.diagnosis
        assert "TF 2.15+" in root.fix and "TensorFlow release built for" in root.fix


def test_a_dlopen_failure_in_markdown_bold_ends_its_dlerror_at_the_closer() -> None:
    # https://github.com/tensorflow/tensorflow/issues/45028
    line = (
        "then get ERROR: **could not load dynamic library 'cusolver64_10.dll'; dlerror: "
        "cusolver64_10.dll not found**, here are the logs:\n"
    )
    root = _first(line)
    assert root.family == "library-missing"
    assert "not found." in root.diagnosis
    assert "**" not in root.diagnosis.split(" Log line")[0]


def test_glibc_s_opening_backtick_stays_inside_the_dlerror() -> None:
    line = (
        "Could not load dynamic library 'libcudart.so.10.0'; dlerror: /lib64/libc.so.6: "
        "version `GLIBC_2.14' not found (required by libcudart.so.10.0)\n"
    )
    assert "`GLIBC_2.14' not found" in _first(line).diagnosis
