"""Readings the hundred-and-twenty-third to hundred-and-thirtieth held-out samples taught,
each on the real paste that showed it (the corpus file, whose .toml keeps the thread's URL)
and, where a rule decides between two readings, on the real line that must keep the other
one."""

from __future__ import annotations

import pytest
from real_readings import REAL, Reading, assert_reading, first_root

from gpusetup.logtriage import triage_text

# case -> (family, entry, facts the diagnosis names, facts the fix names)
READINGS: dict[str, Reading] = {
    # bitsandbytes-foundation/bitsandbytes#322: bitsandbytes 0.3x on native Windows
    "bnb-windows-native-cpu-only-library": (
        "cpu-only-build",
        "bitsandbytes.libcuda-not-detected",
        ["native Windows", "libbitsandbytes_cpu.so", "the driver is not what is missing"],
        ["0.43"],
    ),
    # Akegarasu/lora-scripts#375: pip's resolver on a torch and a torchvision of two releases
    "torch221-torchvision0161-conflict": (
        "wheel",
        "pip.conflict-caused-by",
        [
            "The user requested torch==2.2.1+cu118",
            "torchvision 0.16.1+cu118 depends on torch==2.1.1+cu118",
        ],
        ["--index-url https://download.pytorch.org/whl/"],
    ),
    # deepchem/deepchem#2915: the same report without its "Cannot install" line
    "deepchem-torch111-torchvision011-conflict": (
        "wheel",
        "pip.conflict-caused-by",
        ["torchvision 0.11.0+cu113 depends on torch==1.10.0+cu113"],
        ["pytorch/vision's README"],
    ),
    # googlecolab/colabtools#2377: `nvcc file.cu` on a K80, no kernel image
    "colab-k80-nvcc11-no-kernel-image": (
        "toolchain",
        "cuda.err.no-kernel-image",
        ["line 2", "nvcc file.cu", "without an architecture option"],
        ["nvcc -arch=sm_XY", "compute_cap"],
    ),
    # tensorflow/tensorflow#40920: cuInit finds no device and nvidia-smi cannot reach the
    # kernel module: the module is why
    "tf18-cuinit-no-device-nvidia-smi-no-driver": (
        "kernel-module",
        "nvidia-smi.couldnt-communicate",
        ["kernel module"],
        ["modprobe nvidia"],
    ),
}


@pytest.mark.parametrize("case", sorted(READINGS))
def test_a_real_paste_gets_the_reading_its_thread_established(case: str) -> None:
    assert_reading(case, READINGS[case])


def test_the_kernel_module_explains_the_no_device_line_before_it() -> None:
    result = triage_text(
        (REAL / "tf18-cuinit-no-device-nvidia-smi-no-driver.log").read_text(encoding="utf-8")
    )
    assert [r.id for r in result.root_causes] == ["nvidia-smi.couldnt-communicate"]
    explained = {i.id: i.explained_by for i in result.items if not i.root_cause}
    assert explained["cuda.err.no-device"] == ("nvidia-smi.couldnt-communicate",)


def test_cuinit_without_a_device_alone_is_still_what_hides_the_gpus() -> None:
    # the same line of tensorflow/tensorflow#40920 without nvidia-smi's failure beside it
    line = (
        "> 2020-06-29 14:30:40.010427: E tensorflow/stream_executor/cuda/cuda_driver.cc:406] "
        "failed call to cuInit: CUDA_ERROR_NO_DEVICE\n"
    )
    roots = triage_text(line).root_causes
    assert [(r.id, r.family) for r in roots] == [("cuda.err.no-device", "visibility")]


def test_bitsandbytes_without_libcuda_on_linux_is_still_the_driver_library() -> None:
    # the example line of bitsandbytes-foundation/bitsandbytes#1322 (a Linux machine)
    line = (
        "CUDA SETUP: WARNING! libcuda.so not found! Do you have a CUDA driver installed? If you "
        "are on a cluster, make sure you are on a CUDA machine!\n"
    )
    first = triage_text(line).root_causes[0]
    assert (first.id, first.family) == ("bitsandbytes.libcuda-not-detected", "driver-missing")
    assert "native Windows" not in first.diagnosis


def test_pip_s_cannot_install_line_is_explained_by_the_conflict_it_names() -> None:
    text = (REAL / "torch221-torchvision0161-conflict.log").read_text(encoding="utf-8")
    result = triage_text(text)
    explained = {i.id: i.explained_by for i in result.items if not i.root_cause}
    assert explained["pip.cannot-install-conflicting"] == ("pip.conflict-caused-by",)
    # alone (its first line), it is the root cause and names what pip could not install
    alone = triage_text(text.splitlines()[0] + "\n").root_causes
    assert [(r.id, r.family) for r in alone] == [("pip.cannot-install-conflicting", "wheel")]
    assert "torch==2.2.1+cu118 and torchvision==0.16.1+cu118" in alone[0].diagnosis


def test_an_nvcc_build_that_names_its_architecture_is_not_nvcc_s_default() -> None:
    # the K80 paste of googlecolab/colabtools#2377 with an architecture on its nvcc line
    text = (REAL / "colab-k80-nvcc11-no-kernel-image.log").read_text(encoding="utf-8")
    assert "`!nvcc file.cu -o a.out`" in text
    named = text.replace("`!nvcc file.cu -o a.out`", "`!nvcc -arch=sm_75 file.cu -o a.out`")
    first = triage_text(named).root_causes[0]
    assert (first.id, first.family) == ("cuda.err.no-kernel-image", "compute-capability")
    # and nvcc asked only for its version names no build at all
    version = text.replace("`!nvcc file.cu -o a.out`", "`!nvcc --version`")
    assert triage_text(version).root_causes[0].family == "compute-capability"


def test_jax_s_cudnn_failure_is_fixed_by_its_preallocation() -> None:
    # jax-ml/jax#12461: CUDNN_STATUS_EXECUTION_FAILED in a JAX convolution
    first = first_root("jax-cudnn-exec-failed-preallocation")
    assert (first.id, first.family) == ("cudnn.status.other", "cudnn-init")
    assert "XLA_PYTHON_CLIENT_PREALLOCATE=false" in first.fix


def test_the_classic_builder_s_step_container_is_a_docker_build() -> None:
    # the classic builder's step line of dusty-nv/jetson-containers#266 before the no-driver
    # line of AUTOMATIC1111/stable-diffusion-webui#17038: a build step gets no GPU
    text = (
        " ---> Running in d6dbcce55f3d\n"
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an "
        "NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx\n"
    )
    first = triage_text(text).root_causes[0]
    assert first.family == "container"
    # without the step line the same error is the driver's
    alone = triage_text(text.splitlines()[1] + "\n").root_causes[0]
    assert alone.family == "driver-missing"
