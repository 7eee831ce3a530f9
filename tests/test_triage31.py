"""Readings added from the twenty-seventh to twenty-ninth held-out samples, each on the real
paste it came from (tests/data/logs/real/, URL in the case's .toml) and, where the rule
has a boundary, a synthetic variation that must not fire."""

from __future__ import annotations

from pathlib import Path

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import split_lines

REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"


def _real(name: str) -> str:
    return (REAL / f"{name}.log").read_text(encoding="utf-8")


def test_compose_prefix_marks_a_container_and_the_fix_says_compose() -> None:
    # https://github.com/weaviate/weaviate/issues/1736
    text = _real("weaviate-compose-capabilities-found-no-driver")
    assert split_lines(text)[0].prefix.startswith("qna-transformers_1  |")
    root = triage_text(text).root_causes[0]
    assert root.family == "container"
    assert "docker-compose.yml" in root.fix and "capabilities: [gpu, compute, utility]" in root.fix


def test_a_log_tool_prefix_without_a_replica_number_is_no_container() -> None:
    # synthetic: a "name | message" prefix that is not compose's container name
    ctx = infer(tuple(split_lines("ollama  | time=2024 level=INFO msg=started\n")))
    assert ctx.platform is None


def test_a_windows_cudnn_dll_a_sentence_shows_is_the_cudnn_installed() -> None:
    # https://github.com/m-bain/whisperX/issues/899
    root = triage_text(_real("whisperx-windows-cudnn-ops-infer64-8-torch-cudnn9")).root_causes[0]
    assert root.family == "cudnn-version"
    assert "cudnn_ops_infer64_9.dll" in root.diagnosis


def test_the_dll_a_failure_names_is_not_the_one_installed() -> None:
    ctx = infer(
        tuple(split_lines("Could not locate cudnn_ops_infer64_8.dll. Please make sure it is in"))
    )
    assert ctx.cudnn_installed == ()


def test_libcuda_missing_inside_a_container_is_the_containers() -> None:
    # https://github.com/tensorflow/tensorflow/issues/4931 (nvidia/cuda's library path)
    root = triage_text(_real("tf-docker-build-no-libcuda")).root_causes[0]
    assert root.family == "container"


def test_the_loaders_trace_is_read_by_the_library_it_looks_for() -> None:
    # https://github.com/mozilla/DeepSpeech/issues/1094 (LD_DEBUG=libs)
    root = triage_text(_real("deepspeech-gpu-wants-cudnn5")).root_causes[0]
    assert (root.id, root.family) == ("ld.debug.trying-file", "cudnn-missing")
    assert "libcudnn.so.5" in root.diagnosis


def test_a_cpu_torch_version_printed_after_a_cuda_one_is_said() -> None:
    root = triage_text(_real("comfyui-tooncrafter-requirements-torch-cpu")).root_causes[0]
    assert "torch.__version__ is 2.3.0+cpu (line 12)" in root.diagnosis
    assert "2.2.0+cu121 before it (line 5)" in root.diagnosis


def test_the_samples_device_line_gives_the_gpus_capability() -> None:
    root = triage_text(_real("bminf-p100-cc60-no-kernel-image")).root_causes[0]
    assert "Tesla P100-PCIE-16GB, compute capability 6.0 (line 2)" in root.diagnosis


def test_pytorchs_sm_warning_in_bold_explains_the_no_kernel_image() -> None:
    # https://github.com/QData/C-Tran/issues/30: collect_env's sentence quoted in **bold**
    result = triage_text(_real("torch113-rtx4090-sm89-ctran"))
    assert [r.id for r in result.root_causes] == ["torch.sm-not-compatible"]
    assert "sm_37 sm_50 sm_60 sm_70" in result.root_causes[0].diagnosis


def test_cruns_wording_of_nvidia_smi_not_in_path() -> None:
    # https://github.com/NVIDIA/nvidia-container-runtime/issues/190
    root = triage_text(_real("podman-gpus-flag-noop-nvidia-smi-not-found")).root_causes[0]
    assert (root.id, root.family) == ("docker.exec-nvidia-smi-not-found", "container")
    assert "found no nvidia-smi" in root.diagnosis and "nvidia.com/gpu=all" in root.fix


def test_a_trace_that_goes_on_to_load_the_library_is_no_cause() -> None:
    # synthetic, in glibc's LD_DEBUG=libs format: the last path tried held the library
    text = (
        "      9088:\tfind library=libcudnn.so.8 [0]; searching\n"
        "      9088:\t  trying file=/usr/local/cuda/lib64/libcudnn.so.8\n"
        "      9088:\t  trying file=/usr/lib/x86_64-linux-gnu/libcudnn.so.8\n"
        "      9088:\t\n"
        "      9088:\tfile=libcudnn.so.8 [0];  generating link map\n"
    )
    assert triage_text(text).root_causes == ()
