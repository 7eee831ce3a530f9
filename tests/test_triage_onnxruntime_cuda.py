"""ONNX Runtime's CUDA provider that does not start where PyPI's onnxruntime-gpu of the
release is built for another CUDA major than the log shows installed: CUDA 11.8 up to 1.18,
CUDA 12 from 1.19 (onnxruntime.ai, the CUDA execution provider's requirements: "Starting
with version 1.19, CUDA 12.x becomes the default version when distributing ONNX Runtime GPU
packages in PyPI"); ONNX Runtime's issue form read for both versions."""

from __future__ import annotations

from pathlib import Path

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import LogLine

REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"
# https://github.com/microsoft/onnxruntime/issues/19292 (the issue form as posted)
_ORT1162 = (REAL / "ort1162-cuda11-build-on-cuda121.log").read_text()


def test_a_cuda_11_release_on_cuda_12_is_the_wrong_build() -> None:
    root = triage_text(_ORT1162).root_causes[0]
    assert (root.id, root.family) == ("onnxruntime.create-provider-failed", "wheel")
    assert "onnxruntime-gpu 1.16.2 (line 23) from PyPI is built for CUDA 11" in root.diagnosis
    assert "CUDA 12.1 (line 39: Execution Provider Library Version: CUDA12.1)" in root.diagnosis
    # quoted: a version specifier unquoted is a shell redirection
    assert 'pip install "onnxruntime-gpu>=1.19"' in root.fix


def test_the_issue_form_answers_give_the_release_and_the_cuda() -> None:
    lines = tuple(LogLine(i, t) for i, t in enumerate(_ORT1162.splitlines(), 1))
    ctx = infer(lines)
    assert ctx.versions["onnxruntime"].value == "1.16.2"
    assert [c.value for c in ctx.cuda_installed] == ["12.1"]


def test_a_release_built_for_the_cuda_shown_keeps_the_load_failure() -> None:
    # synthetic: the same form with a 1.19 release, built for CUDA 12
    newer = _ORT1162.replace("onnxrumtime 1.16.2", "onnxruntime 1.19.2")
    assert triage_text(newer).root_causes[0].family == "library-missing"


def test_a_cuda_12_release_on_cuda_11_is_the_wrong_build() -> None:
    # synthetic: a 1.19 release on a CUDA 11.8 machine (nvcc's release line)
    text = _ORT1162.replace("onnxrumtime 1.16.2", "1.19.2").replace(
        "CUDA12.1", "Cuda compilation tools, release 11.8, V11.8.89"
    )
    root = triage_text(text).root_causes[0]
    assert root.family == "wheel"
    assert "built for CUDA 12" in root.diagnosis
    assert "1.18 or older" in root.fix


def test_a_build_from_onnx_runtimes_own_feed_is_not_pypis() -> None:
    # synthetic: the CUDA 12 feed named in the log: its 1.17 is built for CUDA 12
    text = _ORT1162 + (
        "pip install onnxruntime-gpu==1.17.1 --extra-index-url https://aiinfra.pkgs."
        "visualstudio.com/PublicPackages/_packaging/onnxruntime-cuda-12/pypi/simple/\n"
    )
    assert triage_text(text).root_causes[0].family == "library-missing"
