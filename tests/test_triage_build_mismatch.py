"""Triage of GPU libraries that load without a CUDA build for what is installed beside them
(xFormers, bitsandbytes), NVRTC without its builtins, Jetson's placeholder libraries and
TensorFlow's compute-capability minimum printed over two lines: each message family in
other versions, sonames and platforms than the corpus cases (the lines are the upstream
format strings filled in as those releases print them)."""

from __future__ import annotations

import pytest

from gpusetup.logtriage import triage_text

CASES = {
    "xformers-other-version": (
        "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for "
        "a different version of PyTorch or Python.\n  Please reinstall xformers",
        "xformers.built-for-other-version",
        "",
    ),
    "xformers-cpu-torch-py312": (
        "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
        "    PyTorch 2.5.1+cu124 with CUDA 1204 (you have 2.5.1+cpu)\n"
        "    Python  3.12.7 (you have 3.12.7)",
        "xformers.built-for-torch-cpu",
        "2.5.1+cpu",
    ),
    "xformers-other-torch-cu128": (
        "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions. xFormers was built for:\n"
        "    PyTorch 2.9.1+cu128 with CUDA 1208 (you have 2.8.0+cu128)",
        "xformers.built-for-other-torch",
        "2.8.0+cu128",
    ),
    "bitsandbytes-windows-dll-path-with-space": (
        "Could not find the bitsandbytes CUDA binary at WindowsPath('C:/Users/J Doe/venv/Lib/"
        "site-packages/bitsandbytes/libbitsandbytes_cuda128.dll')\n"
        "The installed version of bitsandbytes was compiled without GPU support. 8-bit "
        "optimizers, 8-bit multiplication, and GPU quantization are unavailable.",
        "bitsandbytes.no-cuda-binary",
        "libbitsandbytes_cuda128.dll",
    ),
    "bitsandbytes-compiled-without-gpu-alone": (
        "The installed version of bitsandbytes was compiled without GPU support. 8-bit "
        "optimizers, 8-bit multiplication, and GPU quantization are unavailable.",
        "bitsandbytes.compiled-without-gpu",
        "",
    ),
    "nvrtc-builtins-windows-dll": (
        "nvrtc: error: failed to open nvrtc-builtins64_121.dll.\n"
        "  Make sure that nvrtc-builtins64_121.dll is installed correctly.",
        "nvrtc.builtins-open-failed",
        "nvrtc-builtins64_121.dll",
    ),
    "nvrtc-builtins-cuda13": (
        "nvrtc: error: failed to open libnvrtc-builtins.so.13.0.\n"
        "  Make sure that libnvrtc-builtins.so.13.0 is installed correctly.",
        "nvrtc.builtins-open-failed",
        "libnvrtc-builtins.so.13.0",
    ),
    "x86-driver-library-placeholder": (
        "python3: error while loading shared libraries: /usr/lib/x86_64-linux-gnu/"
        "libnvidia-ml.so.1: file too short",
        "container.placeholder-library-file-too-short",
        "libnvidia-ml.so.1",
    ),
    "jetson-cudnn-python-import": (
        "ImportError: /usr/lib/aarch64-linux-gnu/libcudnn.so.8: file too short",
        "container.placeholder-library-file-too-short",
        "libcudnn.so.8",
    ),
    "tf-cc-minimum-on-the-next-line": (
        "\tIgnoring visible gpu device (device: 0, name: Tesla K80, pci bus id: 0000:00:04.0, "
        "compute capability: 3.7) with Cuda compute capability 3.7. \n"
        "\tThe minimum required Cuda capability is 5.0.",
        "tf.gpu.ignoring-device-cc",
        "5.0",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_root_cause_is_the_entry_of_its_message_family(name: str) -> None:
    text, entry_id, fact = CASES[name]
    roots = triage_text(text).root_causes
    assert roots and roots[0].id == entry_id, [r.id for r in roots]
    assert fact in roots[0].diagnosis + roots[0].fix


def test_a_truncated_toolkit_library_on_a_pc_is_not_a_container_placeholder() -> None:
    # a cuDNN copied half-way into /usr/local/cuda (microsoft/CNTK#2213): a broken file
    text = "/usr/local/cuda/lib64/libcudnn.so.6: file too short"
    ids = [r.id for r in triage_text(text).root_causes]
    assert "container.placeholder-library-file-too-short" not in ids
