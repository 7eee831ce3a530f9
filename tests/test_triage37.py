"""Readings that join start-up lines, each on real pastes (quoted verbatim with the thread's
URL): ggml's list of the architectures its CUDA code was built for beside the devices it
found, and the GPUs ggml's and Ollama's device lines name."""

from __future__ import annotations

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.context import infer
from gpusetup.parse.log import split_lines

# https://github.com/gpustack/llama-box/issues/44 (prebuilt binaries without sm_52)
LLAMABOX_44 = """\
0.00.026.055 I ggml_cuda_init: GGML_CUDA_FORCE_MMQ:    no
0.00.026.061 I ggml_cuda_init: GGML_CUDA_FORCE_CUBLAS: no
0.00.026.062 I ggml_cuda_init: found 2 CUDA devices:
0.00.026.212 I   Device 0: Tesla M60, compute capability 5.2, VMM: yes
0.00.026.356 I   Device 1: Tesla M60, compute capability 5.2, VMM: yes
system_info: CUDA : ARCHS = 600,610,700,750,800,860,890,900 | F16 = 1 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | LLAMAFILE = 1 |
"""  # noqa: E501

# https://github.com/ollama/ollama/issues/6493 (Ollama's device line of a working start)
OLLAMA_6493 = """\
time=2024-08-24T22:31:39.601Z level=INFO source=types.go:105 msg="inference compute" id=GPU-b18a7f7a-1c7f-15b3-064d-6596d1a63015 library=cuda compute=8.6 driver=12.6 name="NVIDIA GeForce RTX 3060" total="12.0 GiB" available="11.0 GiB"
"""  # noqa: E501


def _lines(text: str):
    return tuple(split_lines(text, 1))


def test_archs_list_above_the_device_is_a_build_without_its_architecture() -> None:
    first = triage_text(LLAMABOX_44).root_causes[0]
    assert (first.family, first.id) == ("compute-capability", "ggml.archs-below-device")
    assert "Tesla M60 (line 4) has compute capability 5.2" in first.diagnosis
    assert "(6.0)" in first.diagnosis
    assert "-DCMAKE_CUDA_ARCHITECTURES=52" in first.fix
    # CUDA 13 compiles no Maxwell code: the fix names the last toolkit that does
    assert "CUDA 12.9 or older" in first.fix


def test_archs_list_that_covers_the_device_is_healthy() -> None:
    # the same build on a GPU its oldest architecture covers, and one between its entries
    # (device code of 6.1 runs on 7.5): no root cause
    for device in (
        "Tesla P100-PCIE-16GB, compute capability 6.0",
        "Tesla T4, compute capability 7.5",
    ):
        text = LLAMABOX_44.replace("Tesla M60, compute capability 5.2", device)
        assert not triage_text(text).root_causes, device


def test_archs_list_without_a_device_line_is_healthy() -> None:
    text = "\n".join(line for line in LLAMABOX_44.splitlines() if "Device" not in line)
    assert not triage_text(text).root_causes


def test_archs_list_unexpanded_is_not_read() -> None:
    # a compiler that does not define __CUDA_ARCH_LIST__ prints the macro's name
    text = LLAMABOX_44.replace("600,610,700,750,800,860,890,900", "__CUDA_ARCH_LIST__")
    assert not triage_text(text).root_causes


def test_ggml_device_lines_name_the_gpus() -> None:
    gpus = infer(_lines(LLAMABOX_44)).gpus
    assert [(g.name, g.cc, g.line) for g in gpus] == [
        ("Tesla M60", "5.2", 4),
        ("Tesla M60", "5.2", 5),
    ]
    # a log of two starts lists each device once, at its first line
    twice = infer(_lines(LLAMABOX_44 + LLAMABOX_44)).gpus
    assert [g.line for g in twice] == [4, 5]


def test_ollama_inference_compute_names_the_gpu() -> None:
    (gpu,) = infer(_lines(OLLAMA_6493)).gpus
    assert (gpu.name, gpu.cc) == ("NVIDIA GeForce RTX 3060", "8.6")
    # newer releases name the device CUDA0 and the GPU in its description
    newer = OLLAMA_6493.replace(
        'name="NVIDIA GeForce RTX 3060"', 'name=CUDA0 description="NVIDIA GeForce RTX 3060"'
    )
    (gpu,) = infer(_lines(newer)).gpus
    assert gpu.name == "NVIDIA GeForce RTX 3060"


# https://github.com/omacom/omarchy/issues/2039 (Arch's ollama-cuda without sm_61, two 1080 Ti)
OMARCHY_2039 = """\
/build/ollama/src/ollama/ml/backend/ggml/ggml/src/ggml-cuda/common.cuh:106: ggml was not compiled with any CUDA arch <= 610
"""  # noqa: E501


def test_ggml_abort_without_the_gpus_architecture_is_the_build_without_it() -> None:
    first = triage_text(OMARCHY_2039).root_causes[0]
    assert (first.family, first.id) == ("compute-capability", "ggml.no-arch-at-or-below")
    assert first.facts["arch"] == "610"
    assert "CMAKE_CUDA_ARCHITECTURES" in first.fix
    # beside the device line, the fix is the GPU's own architecture
    with_device = "  Device 0: NVIDIA GeForce GTX 1080 Ti, compute capability 6.1, VMM: yes\n"
    first = triage_text(with_device + OMARCHY_2039).root_causes[0]
    assert "NVIDIA GeForce GTX 1080 Ti (line 1) has compute capability 6.1" in first.diagnosis
    assert "-DCMAKE_CUDA_ARCHITECTURES=61 with CUDA 12.9 or older" in first.fix


def test_ggml_abort_below_the_gpus_capability_is_the_august_2025_check() -> None:
    # llama.cpp#15589: an A100 (8.0) build aborting for 750, the check of commit 4c37636
    log = (
        "  Device 0: NVIDIA A100-SXM4-80GB, compute capability 8.0, VMM: yes\n"
        "common.cuh:112: ggml was not compiled with any CUDA arch <= 750\n"
    )
    first = triage_text(log).root_causes[0]
    assert first.id == "ggml.no-arch-at-or-below"
    assert "above 750" in first.diagnosis and "15587" in first.fix
    assert '-DCMAKE_CUDA_ARCHITECTURES="75;80"' in first.fix
