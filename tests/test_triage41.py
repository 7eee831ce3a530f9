"""Readings the hundred-and-twenty-third to hundred-and-forty-sixth held-out samples taught,
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
        "bitsandbytes.windows-search-paths",
        ["/usr/local/cuda/lib64", "before 0.43 on native Windows", "CPU-only library"],
        ["0.43", "WSL2"],
    ),
    # bitsandbytes-foundation/bitsandbytes#606: the same search in kohya_ss on Windows
    "kohya-win-bnb-no-libcudart": (
        "cpu-only-build",
        "bitsandbytes.windows-search-paths",
        ["/usr/local/cuda/lib64", "before 0.43"],
        ["pip install -U bitsandbytes"],
    ),
    # bitsandbytes-foundation/bitsandbytes#396: its first search path is the drive letter
    # ('C', from C:\\ split at the colon); the reading names the Linux path after it
    "hiper-win-bnb-libcuda-not-found": (
        "cpu-only-build",
        "bitsandbytes.windows-search-paths",
        ["/usr/local/cuda/lib64"],
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
    # open-mmlab/mmdetection#71, wang-xinyu/tensorrtx#2, LeelaChessZero/lc0#312: builds that
    # compile CUDA code without the toolkit's include directory
    "mmdet-cuda80-cuda-runtime-h-missing": (
        "toolchain",
        "compiler.cuda-header-missing",
        ["cuda_runtime.h", "/usr/local/cuda/include"],
        ["-I/usr/local/cuda/include"],
    ),
    "tensorrtx-jetson-cuda-runtime-api-h-missing": (
        "toolchain",
        "compiler.cuda-header-missing",
        ["cuda_runtime_api.h", "targets/aarch64-linux/include"],
        ["CPATH"],
    ),
    "lc0-cuda90-gcc7-cuda-runtime-h": (
        "toolchain",
        "compiler.cuda-header-missing",
        ["cuda_runtime.h"],
        ["/usr/local/cuda-X.Y"],
    ),
    # pjreddie/darknet#1944: CUDNN=1 without cuDNN's development library
    "darknet-ld-cannot-find-lcudnn": (
        "cudnn-missing",
        "ld.cannot-find-cudnn",
        ["libcudnn.so", "-lcudnn"],
        ["CUDNN=0", "cp -P"],
    ),
    # open-mmlab/mmdetection#125: CUDA_HOME set like a PATH list
    "mmdet-cuda-home-colon-path-nvcc-91": (
        "toolchain",
        "build.nvcc-path-missing",
        [":/usr/local/cuda-9.0:/usr/local/cuda-9.0/bin/nvcc", "':' in it"],
        ["export CUDA_HOME=/usr/local/cuda-X.Y", "which -a nvcc"],
    ),
    # karpathy/nanoGPT#277, pytorch/pytorch#57773: bfloat16 on GPUs before Ampere
    "nanogpt-autocast-bf16-unsupported-gpu": (
        "compute-capability",
        "torch.autocast-no-bfloat16",
        ["bfloat16", "compute capability 8.0"],
        ["float16", "torch.cuda.is_bf16_supported()"],
    ),
    "cublas-bf16-gemm-p100-sm60": (
        "compute-capability",
        "cublas.bfloat16-not-supported",
        ["CUDA_R_16BF", "cublasGemmStridedBatchedExFix", "CUBLAS_STATUS_NOT_SUPPORTED"],
        ["float16"],
    ),
    # NVIDIA/ansible-role-nvidia-driver#21, gridhead/nvidia-auto-installer-for-fedora-linux#99
    "centos7-kernel-headers-not-in-mirror": (
        "kernel-module",
        "packages.kernel-headers-unavailable",
        ["kernel-headers-3.10.0-957.12.2.el7.x86_64", "older running kernel"],
        ["kernel-devel-$(uname -r)"],
    ),
    "fedora35-kernel-devel-unavailable": (
        "kernel-module",
        "packages.kernel-headers-unavailable",
        ["Unable to find a match: kernel-headers kernel-devel", "exclude filter"],
        ["exclude=kernel*"],
    ),
    # vllm-project/vllm#13815: a scheduler's GPU UUID where vLLM wanted an index
    "vllm-gpu-uuid-in-cvd-valueerror": (
        "visibility",
        "visible-devices.uuid-parsed-as-index",
        ["GPU-52a3a85d-3c55-ca3a-a955-82c69ed360fc", "CUDA_VISIBLE_DEVICES"],
        ["nvidia-smi -L"],
    ),
    # linuxmint/cinnamon#7611: lsmod with nouveau and no nvidia module
    "mint183-nouveau-bound-not-nvidia340": (
        "kernel-module",
        "lsmod.nouveau-loaded",
        ["nouveau"],
        ["blacklist nouveau", "dkms autoinstall"],
    ),
    # matifali/coder-templates#40: /dev/nvidia* in the workspace, no nvidia-smi
    "coder-podman-terraform-no-nvidia-smi": (
        "container",
        "shell.no-nvidia-smi",
        ["line 5", "/dev/nvidia0", "without the driver's user-space files"],
        ["nvidia.com/gpu=all", "--gpus all"],
    ),
    # Mellanox/nv_peer_memory#8: GPUDirect's module built for another NVIDIA driver
    "nv-peer-mem-symbol-version-mismatch": (
        "kernel-module",
        "kernel.unknown-symbol",
        ["nv_peer_mem", "nvidia_p2p_get_pages"],
        ["MLNX_OFED"],
    ),
    # nicehash/NiceHashMiner#1695: NVML's GPU_IS_LOST under its .NET name
    "nicehash-nvml-gpuislost-win": (
        "gpu-fault",
        "nvidia-smi.gpu-lost",
        ["GPUIsLost"],
        ["Reboot"],
    ),
    # BVLC/caffe#4225: Caffe finds no device on an AWS g2 whose lspci shows the GRID K520
    # (the poster's bold inside the message, "no **CUDA-capable device is detected**")
    "caffe-cuda75-error38-no-device-aws-k520": (
        "driver-missing",
        "cuda.err.no-device",
        ["line 10", "NVIDIA Corporation", "no NVIDIA driver is loaded", "(38 vs. 0)"],
        ["nvidia-smi lists the GPU"],
    ),
    # brucefan1983/GPUMD#576: GPUMD's own CUDA error report
    "gpumd-nep-k80-no-kernel-image-209": (
        "compute-capability",
        "cuda.err.no-kernel-image",
        ["Error code: 209", "Tesla K80"],
        ["-gencode"],
    ),
    # tensorflow/tensorflow#14686: the self-check's traceback, cut before its message
    "tf14-win-cudnn-preload-check-winerror126": (
        "cudnn-missing",
        "tf.self-check-traceback.cudnn",
        ["build_info.cudnn_dll_name", "cudnn64_6.dll for 1.3 and 1.4"],
        ["PATH"],
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


def test_bitsandbytes_without_libcuda_on_native_windows_is_its_cpu_only_build() -> None:
    # lines 8 and 12 of bitsandbytes-foundation/bitsandbytes#322 (a D:\\ venv), without its
    # search of Linux paths between them
    lines = (REAL / "bnb-windows-native-cpu-only-library.log").read_text(encoding="utf-8")
    kept = [lines.splitlines()[i] for i in (7, 11)]
    assert "D:\\venv_ooba5" in kept[0] and "libcuda.so not found" in kept[1]
    first = triage_text("\n".join(kept) + "\n").root_causes[0]
    assert (first.id, first.family) == ("bitsandbytes.libcuda-not-detected", "cpu-only-build")
    assert "native Windows" in first.diagnosis and "0.43" in first.fix


def test_bitsandbytes_linking_its_cuda_binary_on_windows_stays_the_wheel_it_is() -> None:
    # bitsandbytes-foundation/bitsandbytes#976: it searched Linux paths and then tried the
    # Linux libbitsandbytes_cuda118.so through a WindowsPath: that failure leads
    first = first_root("sweep-bnb-windows-041-windowspath-cuda118")
    assert (first.id, first.family) == ("bitsandbytes.windows-before-043", "wheel")


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


def test_lsmod_with_the_nvidia_module_loaded_is_no_nouveau_cause() -> None:
    # the nouveau line of linuxmint/cinnamon#7611 beside an nvidia line of the same listing
    # format (here written by hand: name, size, use count)
    nouveau = "nouveau                1650688  3\n"
    assert triage_text(nouveau).root_causes[0].id == "lsmod.nouveau-loaded"
    both = "nvidia              35319808  45 nvidia_modeset\n" + nouveau
    assert triage_text(both).root_causes == ()


def test_no_nvidia_smi_without_device_nodes_is_still_no_driver() -> None:
    # the last line of matifali/coder-templates#40 alone
    first = triage_text("bash: nvidia-smi: command not found\n").root_causes[0]
    assert (first.id, first.family) == ("shell.no-nvidia-smi", "driver-missing")


def test_variables_printed_per_task_are_no_cuda_visible_devices_question() -> None:
    # Lightning-AI/pytorch-lightning#13605: srun ... env | grep CUDA_VISIBLE_DEVICES
    text = (REAL / "healthy-slurm-gpu-bind-closest-cvd.log").read_text(encoding="utf-8")
    assert triage_text(text).root_causes == ()
    # a setting as a shell or a script writes it, alone, still asks how GPUs are numbered
    # (tensorflow/tensorflow#50300)
    setting = 'export CUDA_DEVICE_ORDER="PCI_BUS_ID"\nexport CUDA_VISIBLE_DEVICES="5,6"\n'
    first = triage_text(setting).root_causes[0]
    assert first.id == "env.cuda-visible-devices.alone"


def test_a_header_of_another_library_is_not_the_cuda_toolkit_s() -> None:
    # GCC's wording with a header the CUDA toolkit does not ship
    line = "src/main.cpp:3:10: fatal error: opencv2/core.hpp: No such file or directory\n"
    assert not any(r.id == "compiler.cuda-header-missing" for r in triage_text(line).items)
    # clang's wording for a toolkit header is read as GCC's
    clang = "kernel.cu:1:10: fatal error: 'cuda_runtime.h' file not found\n"
    assert triage_text(clang).root_causes[0].id == "compiler.cuda-header-missing"


def test_no_device_beside_lspci_is_a_driver_only_where_nothing_shows_one() -> None:
    text = (REAL / "caffe-cuda75-error38-no-device-aws-k520.log").read_text(encoding="utf-8")
    lines = text.splitlines()
    error = next(line for line in lines if "Check failed" in line)
    # the error alone is CUDA seeing no GPU, which CUDA_VISIBLE_DEVICES can cause
    assert triage_text(error + "\n").root_causes[0].family == "visibility"
    # beside lspci's GPU and a setting that hides GPUs, the setting may be why
    hidden = "\n".join([error, 'export CUDA_VISIBLE_DEVICES=""', *lines[-2:]]) + "\n"
    assert triage_text(hidden).root_causes[0].family != "driver-missing"


def test_bold_inside_the_no_device_message_is_still_the_message() -> None:
    # BVLC/caffe#4225's line as posted: the poster's bold inside CUDA's words
    line = (
        "F0527 08:43:32.401912 27274 syncedmem.hpp:18] Check failed: error == cudaSuccess "
        "(38 vs. 0)  no **CUDA-capable device is detected**\n"
    )
    first = triage_text(line).root_causes[0]
    assert (first.id, first.family) == ("cuda.err.no-device", "visibility")
    assert "error 38" in first.diagnosis
