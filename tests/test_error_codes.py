"""Every CUDA, cuDNN, cuBLAS and NCCL error code reaches a root cause: the codes of the CUDA
headers on this machine (the CUDA 13 toolkit), by name, by text and by number, each in one
family whatever the wording."""

from __future__ import annotations

import ctypes
import re
from pathlib import Path

import pytest

from gpusetup.logtriage import triage_text

CUDA_INCLUDE = Path("/usr/local/cuda/include")
LIBCUDART = Path("/usr/local/cuda/lib64/libcudart.so.13")
#: texts too common to read without a name (their entries need one), or shared by two codes
BARE_TOO_COMMON = {"unknown error", "initialization error", "out of memory"}


def enum(header: str, prefix: str) -> dict[str, int]:
    text = (CUDA_INCLUDE / header).read_text()
    return {n: int(v) for n, v in re.findall(rf"^\s*({prefix}\w+)\s*=\s*(\d+)", text, re.M)}


def family(line: str) -> str | None:
    roots = triage_text(line).root_causes
    return roots[0].family if roots else None


needs_headers = pytest.mark.skipif(not (CUDA_INCLUDE / "cuda.h").exists(), reason="no CUDA headers")


@needs_headers
def test_every_cuda_error_name_has_a_family_and_both_apis_agree() -> None:
    runtime = {v: n for n, v in enum("driver_types.h", "cudaError").items() if v}
    driver = {v: n for n, v in enum("cuda.h", "CUDA_ERROR_").items() if v}
    missing = []
    for code in sorted(set(runtime) | set(driver)):
        families = {
            name: family(f"RuntimeError: {name}")
            for name in (runtime.get(code), driver.get(code))
            if name
        }
        if None in families.values():
            missing.append(families)
        if code in runtime and code in driver and code not in (3, 201):
            # 3 and 201 mean other things in the two APIs (initialization error vs. not
            # initialised, device uninitialised vs. invalid context): both are read, apart
            assert len(set(families.values())) == 1, (code, families)
    assert not missing, missing


@needs_headers
@pytest.mark.skipif(not LIBCUDART.exists(), reason=f"no CUDA runtime at {LIBCUDART}")
def test_every_cuda_error_text_reads_as_its_name_does() -> None:
    lib = ctypes.CDLL(str(LIBCUDART))
    lib.cudaGetErrorString.restype = ctypes.c_char_p
    runtime = {v: n for n, v in enum("driver_types.h", "cudaError").items() if v}
    texts = {v: lib.cudaGetErrorString(v).decode() for v in runtime}
    shared = {t for t in texts.values() if list(texts.values()).count(t) > 1}
    wrong = []
    for code, name in runtime.items():
        text = texts[code]
        if text in BARE_TOO_COMMON or text in shared:
            continue
        by_name = family(f"RuntimeError: {name}")
        for line in (f"RuntimeError: CUDA error: {text}", f"cuda runtime error (7) : {text}"):
            if family(line) != by_name:
                wrong.append((code, line, family(line), by_name))
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("cudaGetDeviceCount returned 36\n-> API call is not supported in the installed CUDA driver", "driver-too-old"),  # noqa: E501
        ("Check failed: error == cudaSuccess (8 vs. 0)  invalid device function", "compute-capability"),  # noqa: E501
        ("CUDA error 702 at kernel.cu:88", "gpu-fault"),
        ("RuntimeError: CUDA error: the launch timed out and was terminated", "gpu-fault"),
        ("CUDA_ERROR_MPS_CONNECTION_FAILED", "permission"),
        ("failed call to cuInit: CUDA_ERROR_JIT_COMPILER_NOT_FOUND: PTX JIT compiler library not found", "toolchain"),  # noqa: E501
        ("Could not load library: CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED", "cudnn-missing"),
        ("cudnnCreate failed: CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH", "compute-capability"),
        ("E0000 cuda_dnn.cc:522] CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED", "out-of-memory"),  # noqa: E501
        ("cublas error: CUBLAS_STATUS_ARCH_MISMATCH", "compute-capability"),
        ("torch.distributed.DistBackendError: NCCL error in: ProcessGroupNCCL.cpp:1970, invalid usage (run with NCCL_DEBUG=WARN for details), NCCL version 2.20.5", "nccl"),  # noqa: E501
        ("ncclRemoteError: A call failed possibly due to a network error or a remote process exiting prematurely.", "nccl"),  # noqa: E501
        ("pynvml.NVMLError_CorruptedInforom: Corrupted infoROM", "gpu-fault"),
    ],
)  # fmt: skip
def test_codes_in_the_wordings_of_each_tool(line: str, expected: str) -> None:
    assert family(line) == expected


def test_a_group_entry_says_which_code_it_read() -> None:
    roots = triage_text(
        "RuntimeError: CUDA error: too many resources requested for launch"
    ).root_causes
    assert "701" in roots[0].diagnosis and "cudaErrorLaunchOutOfResources" in roots[0].diagnosis


def test_the_longest_text_names_the_code() -> None:
    roots = triage_text("CUDA error: resource not mapped as array").root_causes
    assert "cudaErrorNotMappedAsArray" in roots[0].diagnosis
