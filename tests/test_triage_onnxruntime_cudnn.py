"""ONNX Runtime's CUDA provider that cannot load beside a cuDNN of another major: its GPU
packages up to 1.18 are built with cuDNN 8, from 1.19 with cuDNN 9 (onnxruntime.ai, the CUDA
execution provider's requirements: "ONNX Runtime built with cuDNN 8.x is not compatible with
cuDNN 9.x, and vice versa")."""

from __future__ import annotations

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import LogLine

# https://github.com/microsoft/onnxruntime/issues/20223 (the whole paste)
_ORT117_CUDNN9 = """\
### Describe the issue

  Loadlibrary failed with error 126 when trying to load onnxruntime_providers_cuda.dll

### To reproduce

apply yolov8n.onnx with cuda12.4 cudnn9 onnxruntime-win-x64-cuda12-1.17.1
"""


def test_a_cudnn_8_release_beside_cudnn_9_is_a_cudnn_version_mismatch() -> None:
    root = triage_text(_ORT117_CUDNN9).root_causes[0]
    assert (root.id, root.family) == ("onnxruntime.loadlibrary-failed", "cudnn-version")
    assert "ONNX Runtime 1.17.1 (line 7) is built with cuDNN 8" in root.diagnosis
    assert ".." not in root.diagnosis
    assert "onnxruntime-gpu 1.19 or newer" in root.fix


def test_the_release_archive_names_the_release_and_the_list_the_cudnn() -> None:
    ctx = infer(
        (LogLine(1, "apply yolov8n.onnx with cuda12.4 cudnn9 onnxruntime-win-x64-cuda12-1.17.1"),)
    )
    assert ctx.versions["onnxruntime"].value == "1.17.1"
    assert [c.value for c in ctx.cudnn_installed] == ["9"]


def test_a_cudnn_9_release_or_no_cudnn_shown_keeps_the_load_failure() -> None:
    # synthetic variations of the paste above: a 1.19 release, and no cuDNN named
    newer = _ORT117_CUDNN9.replace("cuda12-1.17.1", "cuda12-1.19.2")
    assert triage_text(newer).root_causes[0].family == "library-missing"
    unnamed = _ORT117_CUDNN9.replace(" cudnn9", "")
    assert triage_text(unnamed).root_causes[0].family == "library-missing"
