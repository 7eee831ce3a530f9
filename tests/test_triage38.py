"""Readings the forty-sixth to fifty-seventh held-out samples taught, each on the real paste
that showed it (the corpus file, whose .toml keeps the thread's URL) and, where a rule
decides between two families, on the real line that must keep the other one."""

from __future__ import annotations

import pytest
from real_readings import REAL, Reading, assert_reading

from gpusetup.logtriage import triage_text

# case -> (family, entry, facts the diagnosis names, facts the fix names)
READINGS: dict[str, Reading] = {
    # beclab/Olares#3963: Ubuntu 26.04's nova_core holds the GPU; the installer's load
    # failure printed before it is its consequence
    "ubuntu2604-nova-core-binds-gpu-nvidia-ko-no-such-device": (
        "kernel-module",
        "nvrm.already-bound",
        ["0000:01:00.0", "NovaCore"],
        ["nova_core", "update-initramfs"],
    ),
    # jax-ml/jax#24901
    "jax04-pjrt-plugin-api-mismatch-older-jaxlib": (
        "wheel",
        "jax.pjrt-api-mismatch",
        ["PJRT API 0.54", "PJRT API 0.51"],
        ["jax[cuda12]"],
    ),
    # ma-gilles/recovar#64: the warning wrapped after "installed,"
    "jax09-cuda12-plugin-jaxlib-version-mismatch": (
        "wheel",
        "jax.plugin-version-mismatch",
        ["jax_cuda12_plugin 0.9.2", "jaxlib 0.9.0.1"],
        ["jax_cuda12_plugin==0.9.0.1"],
    ),
    # modular/mojo-gpu-puzzles#256
    "mojo-jetson-orin-driver-540-below-580": (
        "driver-too-old",
        "modular.driver-not-supported",
        ["580", "540.4.0"],
        ["MODULAR_NVPTX_COMPILER_PATH"],
    ),
    # numba/numba#3794: ptxas printed by the driver's JIT (cuLinkAddData)
    "numba-conda-cudatoolkit10-driver390-ptx63": (
        "driver-too-old",
        "ptxas.unsupported-ptx-version",
        ["ISA 6.3", "up to 6.1", "driver's PTX JIT"],
        ["cudatoolkit"],
    ),
    # PaddlePaddle/PaddleOCR#1505
    "paddleocr-gunicorn-workers-oom-gpu0": (
        "out-of-memory",
        "paddle.out-of-memory",
        ["GPU 0", "25.002197MB"],
        ["CUDA_VISIBLE_DEVICES"],
    ),
    # NVIDIA/DALI#2362: DALI's own message names Docker, read as the container's
    "dali-docker-libnvcuvid-no-video-capability": (
        "container",
        "dali.nvcuvid-load-failed",
        ["libnvcuvid.so", "VideoReader"],
        ["NVIDIA_DRIVER_CAPABILITIES=compute,utility,video"],
    ),
    # trexminer/T-Rex#95: a driver API symbol the program needs, libcuda 440 lacks
    "trex-cuda111-build-driver440-undefined-symbol": (
        "driver-too-old",
        "loader.undefined-symbol.driver-api",
        ["cuDevicePrimaryCtxSetFlags_v2"],
        ["Update the NVIDIA driver"],
    ),
    # xmrig/xmrig-nvidia#247: NVRTC's builtins, then "device kernel image is invalid"
    "xmrig-nvidia-nvrtc-builtins-missing": (
        "library-missing",
        "nvrtc.builtins-load-failed",
        ["libnvrtc-builtins.so"],
        ["LD_LIBRARY_PATH"],
    ),
    # ollama/ollama#4256
    "ollama-agx-orin-cublas-create-alloc-failed-wrong-cuda-build": (
        "cudnn-init",
        "ggml.cublas-create-failed",
        ["cublasCreate_v2", "the resource allocation failed"],
        ["JetPack"],
    ),
    # ollama/ollama#5453: the 32-bit libcuda skipped, the 64-bit one's init failure decides
    "ollama-cuinit-999-nvidia-uvm-reload": (
        "kernel-module",
        "cuda.err.unknown",
        ["nvcuda init failure: 999"],
        [],
    ),
    # huggingface/text-generation-inference#398
    "tgi-v100-cc70-flash-attention-unsupported": (
        "compute-capability",
        "tgi.flash-attention-cc",
        ["7.0", "Flash Attention"],
        ["8.0"],
    ),
    # vllm-project/vllm#1284: vLLM's minimum, the bfloat16 line its consequence
    "vllm-p100-cc60-below-minimum": (
        "compute-capability",
        "vllm.cc-below-minimum",
        ["7.0", "Tesla P100-PCIE-16GB, compute capability 6.0"],
        [],
    ),
    # clab/dynet#1020: CUDA 8's "no CUDA-capable device" on a half-upgraded driver
    "dynet-no-device-nvml-version-mismatch": (
        "driver-mismatch",
        "nvml.version-mismatch",
        ["driver/library version mismatch"],
        ["Reboot"],
    ),
    # acheong08/Diffusion-ColabUI#108: wrapped over three lines
    "colab-diffusion-torch-cu117-torchvision-cu118": (
        "wheel",
        "torchvision.cuda-version-mismatch",
        ["CUDA 11.7", "CUDA 11.8"],
        ["torchvision"],
    ),
    # ai-dynamo/dynamo#5482
    "sglang-cuda13-container-torch291-cudnn913": (
        "cudnn-version",
        "sglang.torch291-cudnn-check",
        ["2.9.1+cu130", "cuDNN 9.13"],
        ["nvidia-cudnn-cu13", "SGLANG_DISABLE_CUDNN_CHECK"],
    ),
    # NVIDIA/enroot#207
    "enroot-nvidia-visible-devices-unknown-device": (
        "container",
        "nvidia-container-cli.unknown-device",
        ["GPU 4"],
        ["nvidia-smi -L", "NVIDIA_VISIBLE_DEVICES=all"],
    ),
    # floydhub/dockerfiles#3: a docker run without a GPU before the user's own check
    "floydhub-pytorch-docker-without-nvidia-docker": (
        "container",
        "torch.user.cuda-not-available",
        ["without asking for a GPU"],
        ["--gpus"],
    ),
    # NVIDIA/nvidia-docker#68: the 1.0 betas' wording
    "nvidia-docker1-driver-cuda65-image-cuda75": (
        "driver-too-old",
        "nvidia-docker.unsupported-cuda-version.beta",
        ["CUDA 7.5", "CUDA 6.5"],
        [],
    ),
    # NVIDIA/nvidia-docker#460
    "nvidia-docker1-legacy-plugin-not-found": (
        "container",
        "nvidia-docker.legacy-plugin-not-found",
        ["nvidia_driver_375.26"],
        ["systemctl start nvidia-docker"],
    ),
    # mattshma/bigdata#105: the mismatch without its client line
    "nvrm-kernel-module-375-vs-384-mismatch": (
        "driver-mismatch",
        "nvrm.api-mismatch.kernel-side",
        ["375.39"],
        ["Reboot"],
    ),
    # Theano/Theano#5581
    "theano-mixed-dnn-header-5005-lib-5110": (
        "cudnn-version",
        "theano.mixed-dnn-version",
        ["5005", "5110"],
        ["dnn.include_path"],
    ),
    # NVIDIA/gpu-operator#234
    "openshift-4-7-driver-kernel-headers-entitlement": (
        "kernel-module",
        "dnf.kernel-headers-no-match",
        ["kernel-headers-4.18.0-240.23.2.el8_3.x86_64"],
        ["entitle"],
    ),
    # NVIDIA/nvidia-container-toolkit#1631
    "jetson-thor-cdi-nvmap-gid-nonroot-permission-denied": (
        "permission",
        "tegra.nvmap-permission",
        ["/dev/nvmap"],
        ["video"],
    ),
    # bytedance/ABQ-LLM#11
    "abqllm-cmake-cuda-compiler-unknown-default-arch": (
        "toolchain",
        "cmake.cuda-default-architecture-failed",
        ["default architecture"],
        ["CMAKE_CUDA_COMPILER", "CMAKE_CUDA_ARCHITECTURES"],
    ),
    # chelsea0x3b/cudarc#246
    "cudarc-windows-nvrtc64-120-0-dll-not-found": (
        "library-missing",
        "cudarc.nvrtc-not-found",
        ["nvrtc64_120_0.dll"],
        ["cargo update -p cudarc"],
    ),
    # facebookresearch/deepcluster#56
    "deepcluster-faiss-cpu-no-standardgpuresources": (
        "cpu-only-build",
        "faiss.no-gpu-resources",
        ["StandardGpuResources"],
        ["faiss-gpu"],
    ),
    # NVIDIA/nvidia-docker#1519: an amd64 image on a Jetson
    "jetson-docker-amd64-image-on-arm64-driver-error": (
        "glibc-abi",
        "docker.image-platform-mismatch",
        ["linux/amd64", "linux/arm64/v8"],
        ["--platform linux/arm64/v8"],
    ),
    # billwuhao/ComfyUI_ACE-Step#14: the cudaMallocAsync error cut after "device"
    "comfyui-acestep-oom-allocation-on-device": (
        "out-of-memory",
        "torch.out-of-memory.async-cut",
        ["Allocation on device"],
        ["--lowvram"],
    ),
    # open-mmlab/mmcv#1556: the extension's own operator on at::Tensor
    "mmcv-full-1318-pypi-undefined-symbol-points-in-boxes": (
        "wheel",
        "loader.undefined-symbol.extension-op",
        ["_Z27points_in_boxes_cpu_forwardN2at6TensorES0_S0_"],
        ["mim install mmcv-full"],
    ),
    # ai-aimbot/AIMr#8: OpenCV's warning without the space after its semicolon
    "opencv47-pip-dnn-not-built-with-cuda": (
        "cpu-only-build",
        "opencv.dnn-built-without-cuda",
        ["DNN module was not built with CUDA backend"],
        [],
    ),
    # PaddlePaddle/Paddle#22576: Paddle's "error code : 35"
    "paddle163-post107-aistudio-error35": (
        "driver-too-old",
        "cuda.err.insufficient-driver",
        ["error code : 35"],
        [],
    ),
    # spacemeshos/gpu-post#15
    "spacemesh-gpupost-k80-cc37-requires-50": (
        "compute-capability",
        "gpu-post.kernel-requires-capability",
        ["5.0"],
        ["compute_cap"],
    ),
    # trexminer/T-Rex#92
    "trex-rtx3090-cc86-cuda10-build": (
        "compute-capability",
        "trex.cc-not-supported-by-cuda",
        ["CUDA 10.0", "8.6"],
        ["CUDA 11.1"],
    ),
    # abetlen/llama-cpp-python#225: llama.dll's CUDA dependencies on Python 3.8+
    "llamacpp-python-win-llama-dll-cuda-deps-not-found": (
        "library-missing",
        "ctypes.gpu-build-dll-dependencies",
        ["llama.dll"],
        ["os.add_dll_directory"],
    ),
    # canonical/nvidia-graphics-drivers#62: the rejected key, not nvidia-smi before it
    "ubuntu2204-secureboot-key-rejected-535": (
        "kernel-module",
        "modprobe.secure-boot",
        ["Key was rejected by service"],
        [],
    ),
}


@pytest.mark.parametrize("case", sorted(READINGS))
def test_the_paste_is_read_with_its_facts(case: str) -> None:
    assert_reading(case, READINGS[case])


def test_a_consequence_of_the_reading_is_explained_not_a_root() -> None:
    # the installer's load failure (Olares#3963), the bfloat16 check (vllm#1284), the
    # invalid kernel image after NVRTC failed (xmrig-nvidia#247), the 32-bit libcuda
    # probe (ollama#5453)
    for case, consequence in (
        ("ubuntu2604-nova-core-binds-gpu-nvidia-ko-no-such-device", "nvidia-installer.load-failed"),
        ("vllm-p100-cc60-below-minimum", "vllm.bfloat16-needs-cc80"),
        ("xmrig-nvidia-nvrtc-builtins-missing", "cuda.code.no-code-for-gpu"),
        ("ollama-cuinit-999-nvidia-uvm-reload", "loader.wrong-elf-class"),
    ):
        result = triage_text((REAL / f"{case}.log").read_text(encoding="utf-8"))
        assert consequence not in [r.id for r in result.root_causes], case
        assert consequence in [i.id for i in result.items if not i.root_cause], case


def test_ptxas_on_a_file_stays_the_toolkit_s() -> None:
    # triton-lang/triton#4576: ptxas run on a .ptx file is a toolkit's ptxas, not the driver
    line = (
        "E                   ptxas /tmp/tmpqgu1f9dk.ptx, line 5; fatal   : Unsupported .version "
        "8.6; current version is '8.5'"
    )
    first = triage_text(line).root_causes[0]
    assert (first.family, first.id) == ("toolchain", "ptxas.unsupported-ptx-version")


@pytest.mark.parametrize(
    "line",
    [
        # tests/data/logs/real/t19-mmdet-cudasetupargument-undefined.log: a runtime API symbol
        "ImportError: /home/yy18dlz/opt/anaconda3/envs/open-mmlab/lib/python3.7/site-packages/"
        "mmcv/_ext.cpython-37m-x86_64-linux-gnu.so: undefined symbol: cudaSetupArgument",
        # torch113-poetry-dlc-cu113-cublaslt-undefined-symbol.log: a cuBLAS symbol
        "OSError: /root/.cache/pypoetry/virtualenvs/my-env-jEFYeG2G-py3.10/lib/python3.10/"
        "site-packages/torch/lib/../../nvidia/cublas/lib/libcublas.so.11: undefined symbol: "
        "cublasLtGetStatusString, version libcublasLt.so.11",
    ],
)
def test_lower_case_cuda_symbols_are_not_the_driver_api(line: str) -> None:
    first = triage_text(line).root_causes[0]
    assert first.id != "loader.undefined-symbol.driver-api"
    assert first.family == "glibc-abi"


def test_the_driver_api_symbol_of_libcuda_itself_keeps_its_own_reading() -> None:
    # ollama/ollama#5493: the driver's own libcuda names the symbol it lacks
    line = "dlerr: /usr/lib64/libcuda.so.418.74: undefined symbol: cuCtxCreate_v3"
    first = triage_text(line).root_causes[0]
    assert first.id == "loader.undefined-symbol.libcuda"


def test_an_unknown_device_wording_of_other_toolkits_is_read_too() -> None:
    # NVIDIA/nvidia-container-toolkit#632 (docker compose) and #29 (Unraid, a template's
    # "false" as the id)
    for line, value in (
        ("nvidia-container-cli: device error: 2: unknown device: unknown", "GPU 2"),
        ("nvidia-container-cli: device error: false: unknown device: unknown.", "GPU false"),
    ):
        first = triage_text(line).root_causes[0]
        assert (first.family, first.id) == ("container", "nvidia-container-cli.unknown-device")
        assert value in first.diagnosis


def test_nvrm_bound_to_vfio_names_the_unbinding() -> None:
    # jurkovic-nikola/OpenLinkHub#174: a GPU set aside for passthrough
    line = "> [10582.980815] NVRM: GPU 0000:01:00.0 is already bound to vfio-pci."
    first = triage_text(line).root_causes[0]
    assert (first.family, first.id) == ("kernel-module", "nvrm.already-bound")
    assert "vfio-pci" in first.diagnosis
    assert "/sys/bus/pci/drivers/vfio-pci/unbind" in first.fix
