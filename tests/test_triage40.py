"""Readings the eightieth to eighty-seventh held-out samples taught, each on the real paste
that showed it (the corpus file, whose .toml keeps the thread's URL) and, where a rule
decides between two readings, on the real line that must keep the other one."""

from __future__ import annotations

import pytest
from real_readings import REAL, Reading, assert_reading, first_root

from gpusetup.logtriage import triage_text

# case -> (family, entry, facts the diagnosis names, facts the fix names)
READINGS: dict[str, Reading] = {
    # mamba-org/mamba#969: libsolv's constraint conflict with the driver's __cuda
    "mamba-cudatoolkit11-cuda102-constraint": (
        "driver-too-old",
        "conda.cuda-constraint-conflict",
        ["cudatoolkit-11.0.3-h15472ef_6", "__cuda >=11.0", "CUDA 10.2"],
        ["cudatoolkit=10.2"],
    ),
    # pyg-team/pytorch_geometric#9458: conda's classic solver, no pyg build for torch 2.3
    "pyg-conda-no-build-for-torch231": (
        "wheel",
        "conda.unsatisfiable",
        ["pyg -> pytorch-cuda[version='11.6.*|11.7.*|11.8.*|12.1.*']"],
        ["pip"],
    ),
    # fieldsoftheworld/ftw-baselines#117: pixi on a CI runner without a driver
    "pixi-cuda-virtual-package-no-gpu": (
        "wheel",
        "pixi.cuda-virtual-package-missing",
        ["__cuda"],
        ["CONDA_OVERRIDE_CUDA=12.0"],
    ),
    # NixOS/nixpkgs#454772: the datacenter module without the driver's firmware
    "nixos-datacenter-gsp-firmware-missing": (
        "kernel-module",
        "kernel.nvidia-gsp-firmware-load-failed",
        ["gsp_tu10x.bin", "565.57.01", "-2"],
        ["/lib/firmware/nvidia/565.57.01/gsp_tu10x.bin"],
    ),
    # opencv/opencv#20706: CUDA_ARCH_BIN=7.5 on a GTX 745
    "opencv453-dnn-cuda-arch-bin-75-gtx745": (
        "compute-capability",
        "opencv.dnn-not-built-for-device",
        ["CUDA_ARCH_BIN"],
        ["CUDA_ARCH_BIN"],
    ),
    # NVIDIA/cuml#5484: pip cuDF on a compute capability 5.0 GPU
    "cuml-pip-ptx-le50-cc50": (
        "compute-capability",
        "cudf.missing-ptx-files",
        ["compute capability 5.0", "sm_50"],
        ["6.0"],
    ),
    # numba/numba#4979: Numba 0.46 without libNVVM on its search path
    "numba046-libnvvm-not-found": (
        "library-missing",
        "numba.cudalib-not-found",
        ["nvvm"],
        ["CUDA_HOME"],
    ),
    # huggingface/accelerate#1048: the saved config says CPU
    "accelerate-config-use-cpu-true": (
        "visibility",
        "accelerate.config-use-cpu",
        ["use_cpu: True"],
        ["accelerate config"],
    ),
    # lm-sys/FastChat#1191: TF32 on a V100 (the GPU read from CudaDeviceProperties)
    "fastchat-v100-bf16-tf32-unsupported": (
        "compute-capability",
        "transformers.tf32-needs-ampere",
        ["--tf32 requires Ampere", "Tesla V100-DGXS-32GB"],
        ["--tf32 False"],
    ),
    # tensorflow/tensorflow#44281 and #21470: Windows builds without NCCL
    "tf23-win-mirrored-ncclallreduce-no-kernel": (
        "nccl",
        "tf.nccl-op-missing",
        ["No OpKernel was registered to support Op 'NcclAllReduce'"],
        ["HierarchicalCopyAllReduce"],
    ),
    "tf1-win-estimator-ncclallreduce-not-registered": (
        "nccl",
        "tf.nccl-op-missing",
        ["Op type not registered 'NcclAllReduce'"],
        ["HierarchicalCopyAllReduce"],
    ),
    # NVIDIA/nccl#929: NCCL_COMM_ID on a subnet the container is not on
    "wsl-docker-nccl-bridge-ip-no-interface": (
        "nccl",
        "nccl.no-listening-interface",
        ["No interface found in the same subnet"],
        ["NCCL_SOCKET_IFNAME"],
    ),
    # Igalia/webkit-container-sdk#23: a CDI spec older than the driver
    "podman-cdi-stale-spec-libegl-535": (
        "container",
        "crun.driver-file-missing",
        ["/lib/x86_64-linux-gnu/libEGL_nvidia.so.535.161.07", "535.161.07"],
        ["nvidia-ctk cdi generate"],
    ),
    # NVIDIA/gpu-operator#220: a vGPU guest without a license
    "vmware-vgpu-vcs-unlicensed": (
        "permission",
        "nvidia-smi.vgpu-unlicensed",
        ["Unlicensed"],
        ["nvidia-gridd"],
    ),
    # horovod/horovod#3378: no NCCL development header
    "horovod-build-nccl-h-missing": (
        "library-missing",
        "compiler.nccl-header-missing",
        ["nccl.h"],
        ["libnccl-dev"],
    ),
    # microsoft/WSL#6367: WSL's driver of 2020 passed no NVENC library in
    "wsl2-ffmpeg-nvenc-no-libnvidia-encode": (
        "driver-missing",
        "ffmpeg.cannot-load-codec-library",
        ["libnvidia-encode.so.1"],
        [],
    ),
    # isaac-sim/IsaacAutomator#40: Omniverse's RTX driver check
    "isaacautomator-aws-isaacsim5-driver-535-too-old": (
        "driver-too-old",
        "omniverse.driver-below-minimum",
        ["535.5", "[0.0, 535.129)"],
        ["580"],
    ),
    # DDTRobot/tita_rl_sim2sim2real#7, NVIDIA/TensorRT-LLM#2400, NVIDIA/TensorRT#2332
    "trtexec-trt107-sm120-rtx5070ti": (
        "compute-capability",
        "tensorrt.unsupported-sm",
        ["SM 120"],
        ["10.8"],
    ),
    "trtllm-trt105-sm70-v100": ("compute-capability", "tensorrt.unsupported-sm", ["SM 70"], []),
    "trt7-unsupported-sm-rtx-a6000": (
        "compute-capability",
        "tensorrt.unsupported-sm",
        ["Assertion failed: Unsupported SM"],
        [],
    ),
    # NVIDIA/TensorRT#3252: the bindings' own search of PATH
    "trt861-windows-nvinfer-dll-missing": (
        "library-missing",
        "tensorrt.python-library-not-found",
        ["nvinfer.dll"],
        ["PATH"],
    ),
    # 3dem/relion#1058 and microsoft/onnxruntime#9939: out of GPU memory in their words
    "relion4-autorefine-gpu-oom": (
        "out-of-memory",
        "relion.gpu-out-of-memory",
        ["custom_allocator.cuh"],
        ["MPI ranks"],
    ),
    "ort19-colab-v100-bfcarena-oom-8gb": (
        "out-of-memory",
        "onnxruntime.bfc-arena-allocation-failed",
        [],
        ["gpu_mem_limit"],
    ),
    # JuliaGPU/CuArrays.jl#248: a Fermi GPU under CUDAnative
    "cuarrays-gtx460-cc21-unsupported": (
        "compute-capability",
        "julia.capability-not-supported",
        ["2.1"],
        ["5.0"],
    ),
    # deepjavalibrary/djl#1977: no libcudart, so the CPU build
    "djl018-cudart-not-found-cpu-fallback": (
        "library-missing",
        "djl.cudart-not-found",
        ["libcudart"],
        ["LD_LIBRARY_PATH"],
    ),
    # NVlabs/tiny-cuda-nn#434: bindings without the Orin's sm_87
    "tcnn-jetson-orin-cc87-no-extension": (
        "compute-capability",
        "tinycudann.no-extension-for-cc",
        ["8.7", "sm_87"],
        ["TCNN_CUDA_ARCHITECTURES=87"],
    ),
    # ollama/ollama#11932: udev's modprobe of nvidia-drm, persistenced failing after it
    "persistenced-fails-nvidia-modprobe-popos": (
        "kernel-module",
        "udev.modprobe-nvidia-failed",
        ["nvidia-drm", "exit code 1"],
        ["sudo modprobe nvidia-drm"],
    ),
    # NVIDIA/gpu-monitoring-tools#96: the exporter's host engine without NVML
    "dcgm-exporter-gke-nvml-init-crashloop": (
        "container",
        "dcgm-exporter.hostengine-start-failed",
        ["DCGM initialization error"],
        ["/home/kubernetes/bin/nvidia"],
    ),
    # open-mmlab/mmdetection#4291: a typeinfo symbol of c10 is torch's ABI too
    "mmdet27-mmcv-ext-undefined-c10-autogradmeta": (
        "wheel",
        "loader.undefined-symbol.torch",
        ["_ZTIN3c1021AutogradMetaInterfaceE"],
        [],
    ),
    # Askannz/optimus-manager#485: modprobe through Python's subprocess
    "optimus-manager-modprobe-nvidia-fails": (
        "kernel-module",
        "python.modprobe-nvidia-failed",
        ["modprobe nvidia NVreg_UsePageAttributeTable=1", "exit status 1"],
        ["sudo modprobe nvidia"],
    ),
    # linux-surface/linux-surface#774: the kernel's build host in its banner is no container
    "surface-laptop3-book3-surface-kernel-nvidia-smi-fails": (
        "kernel-module",
        "nvidia-smi.couldnt-communicate",
        [],
        [],
    ),
    # emergingstack/es-dev-stack#6: the runfile's compiler check
    "docker-nvidia-installer-346-cc-check": (
        "kernel-module",
        "nvidia-installer.cc-check-failed",
        ["The CC version check failed"],
        ["--no-cc-version-check"],
    ),
    # colmap/colmap#1822 and mlcommons/training#690: no GPU to read an architecture from
    "colmap-docker-native-arch-empty": (
        "toolchain",
        "nvcc.empty-architecture",
        ["'compute_'"],
        ["CMAKE_CUDA_ARCHITECTURES"],
    ),
    "mlperf-docker-build-arch-list-empty": (
        "toolchain",
        "torch.cpp-extension.empty-arch-list",
        ["TORCH_CUDA_ARCH_LIST"],
        ["TORCH_CUDA_ARCH_LIST"],
    ),
    # NVIDIA/nvidia-docker#1734 and facebookresearch/detectron2#265: a docker build step
    "torch-docker-build-no-driver": (
        "container",
        "torch.no-driver",
        ["docker build step", "#0 0.895"],
        ["TORCH_CUDA_ARCH_LIST"],
    ),
    "detectron2-docker-build-no-device-38": (
        "container",
        "cuda.err.no-device",
        ["docker build step", "RUN FORCE_CUDA=1 pip install"],
        ["docker run"],
    ),
    # FlashML-org/FreeToken#246, pytorch/pytorch#95082 and #136361: Triton's words
    "freetoken-win-rtx2080ti-triton-shared-mem": (
        "out-of-memory",
        "triton.out-of-shared-memory",
        ["98304", "65536"],
        ["num_stages"],
    ),
    "torch20-nightly-ptxas-sm89-rtx4090": (
        "toolchain",
        "ptxas.ptx-version-no-target",
        ["7.4", "sm_89"],
        ["TRITON_PTXAS_PATH"],
    ),
    "torch26-win-py312-no-working-triton": (
        "wheel",
        "torch.compile.no-working-triton",
        ["Cannot find a working triton installation"],
        ["triton-windows"],
    ),
    # triton-lang/triton#2971: Triton's CUDA 12 cubins on a CUDA 11.4 driver
    "triton-nightly-a10-driver470-kernel-image-invalid": (
        "driver-too-old",
        "cuda.code.no-code-for-gpu",
        ["470.182.03", "the GPU itself is not the problem"],
        ["525.60.13"],
    ),
    # cupy/cupy#1651: a Fermi GPU's compute_21 in NVRTC's options
    "cupy-nvrtc-compute21-gt730-cuda91": (
        "compute-capability",
        "cupy.nvrtc-pre-kepler-arch",
        ["compute_21", "2.1"],
        ["3.0"],
    ),
    # alexjc/neural-enhance#19 and Theano/libgpuarray#566: Theano's own words
    "theano-cnmem-out-of-memory-force-device": (
        "out-of-memory",
        "theano.cnmem-out-of-memory",
        ["CNMEM_STATUS_OUT_OF_MEMORY"],
        ["lib.cnmem=0.8"],
    ),
    "theano-gpuarray-cudnn-device-not-supported-820m": (
        "compute-capability",
        "theano.cudnn-device-not-supported",
        ["Device not supported"],
        ["dnn.enabled=False"],
    ),
    # lightgbm-org/LightGBM#586 and dmlc/xgboost#3030
    "lightgbm-no-opencl-device-titanx": (
        "library-missing",
        "opencl.no-device-found",
        ["nvidia.icd"],
        ["clinfo"],
    ),
    "xgb07-not-compiled-gpu-support": (
        "cpu-only-build",
        "xgboost.not-compiled-with-gpu",
        [],
        ["USE_CUDA=ON"],
    ),
    # kmheckel/spyx#31 and google-deepmind/torax#1369: the CUDA plugin of another release
    "spyx-jax-cuda12-plugin-custom-call-signature-mismatch": (
        "wheel",
        "jax.plugin-initialize-failed",
        ["xla_cuda12"],
        ["jax[cuda12]"],
    ),
    # cantinilab/stories#5: XLA's sm_90a on a Blackwell GPU
    "stories-jax0426-blackwell-ptxas-sm90a-future-arch": (
        "compute-capability",
        "ptxas.future-architecture",
        ["sm_90a"],
        ["jax[cuda12]"],
    ),
    # google-deepmind/alphafold3#538: jaxlib without ROCm's attribute is the rocm attempt
    "af3-driver-cuda124-older-than-ptxas-12677": (
        "driver-too-old",
        "xla.ptxas.newer-than-driver",
        ["12.6.77", "12.4"],
        [],
    ),
    # rdyro/torch2jax#29, astral-sh/uv#1497, suxrobGM/bookshelf-scanner#1: resolvers' words
    "torch2jax-jax060-torch-cudnn-pin-no-solution": (
        "wheel",
        "uv.no-solution",
        ["No solution found when resolving dependencies"],
        [],
    ),
    "uv-sync-cpu-extra-torch260-macos-only": (
        "wheel",
        "uv.no-wheel-for-platform",
        ["torch==2.6.0"],
        ["+cpu"],
    ),
    "poetry-torch251-cu124-no-candidates-py313": (
        "wheel",
        "poetry.no-installation-candidates",
        ["torch", "2.5.1+cu124"],
        ["poetry env use 3.12"],
    ),
    # Purfview/whisper-standalone-win#403: CTranslate2's int8 GEMM on an RTX 50
    "xxl-r2452-rtx5080-int8-cublas-not-supported": (
        "compute-capability",
        "ctranslate2.cublas-not-supported",
        ["CUBLAS_STATUS_NOT_SUPPORTED"],
        ["--compute_type float16"],
    ),
    # NVIDIA/nvidia-container-toolkit#797, #434, #692; dusty-nv/jetson-containers#1577
    "ctk117-imex-channels-legacy-image": (
        "container",
        "container-toolkit.imex-channel-value",
        ["all"],
        ["NVIDIA_IMEX_CHANNELS"],
    ),
    "docker26-rootless-cdi-driver-not-enabled": (
        "container",
        "docker.cdi-driver-not-enabled",
        ["CDI"],
        ['"features": {"cdi": true}'],
    ),
    "podman-stale-cdi-egl-wayland": (
        "container",
        "crun.driver-file-missing",
        ["/usr/lib/libnvidia-egl-wayland.so.1.1.13"],
        ["nvidia-ctk cdi generate"],
    ),
    "jetson-csv-gpus-flag-unsupported": (
        "container",
        "container-toolkit.hook-direct-unsupported",
        ["csv mode"],
        ["--runtime=nvidia"],
    ),
    # IDEA-Research/Grounded-Segment-Anything#506: WSL with no GPU adapter
    "wsl-no-nvidia-gpu-no-adapters": (
        "driver-missing",
        "container-toolkit.wsl-no-adapters",
        ["no adapters were found"],
        ["wsl --update"],
    ),
    # ollama/ollama#8151: ollama's cudart code 35
    "ollama-ppc64le-cudart124-init-failure-35": (
        "driver-too-old",
        "cuda.err.insufficient-driver",
        ["init failure: 35"],
        [],
    ),
    # the hundred-and-twelfth to hundred-and-seventeenth samples
    "keyhunt-ru-no-kernel-image-gt650m": (
        "compute-capability",
        "cuda.err.no-kernel-image",
        ["no kernel image is available for execution this device"],
        [],
    ),
    "nixos-435-module-symvers-missing": (
        "kernel-module",
        "nvidia-kbuild.module-symvers-missing",
        ["Module.symvers"],
        ["IGNORE_MISSING_MODULE_SYMVERS=1"],
    ),
    "pcie-aer-fatal-cmpltto-gpu-lost": (
        "gpu-fault",
        "kernel.pcie-aer-gpu-unrecoverable",
        ["0000:03:00.0"],
        ["riser"],
    ),
    "torch011-virtualbox-no-nvidia-devices": (
        "driver-missing",
        "libcuda.no-nvidia-devices-found",
        ["no NVIDIA devices found"],
        ["passed through"],
    ),
    "compose-1.17-deploy-devices-unexpected": (
        "container",
        "compose.devices-unexpected",
        ["'devices' was unexpected", "1.28"],
        ["docker compose up"],
    ),
    "k8s-dp-xid69-device-unhealthy": (
        "gpu-fault",
        "k8s-device-plugin.xid-unhealthy",
        ["Xid 69", "GPU-7540a9b3-eeb9-1214-1526-f93c9ea826a8"],
        ["Xid 69"],
    ),
    "faiss-gha-condabuild-nvcc-not-found": (
        "toolchain",
        "cmake.findcudatoolkit-no-nvcc",
        ["CUDAToolkit_ROOT"],
        ["cuda-nvcc"],
    ),
    "simpleknn-build-gcc-missing-nvcc-fatal": (
        "toolchain",
        "nvcc.host-compiler-properties",
        ["Failed to preprocess host compiler properties"],
        ["build-essential"],
    ),
}


@pytest.mark.parametrize("case", sorted(READINGS))
def test_a_held_out_paste_is_read_as_its_thread_established(case: str) -> None:
    assert_reading(case, READINGS[case])


def test_a_driver_library_missing_outside_wsl_keeps_its_own_family() -> None:
    # flox/flox#3597: the same FFmpeg message on a Linux host is the library not on the path
    assert first_root("flox-ffmpeg-libnvcuvid-not-on-path").family == "library-missing"


def test_a_cuda_requirement_in_conda_s_list_is_why_it_is_unsatisfiable() -> None:
    # conda's own test of the classic solver (tests/core/test_solve.py, test_cuda_fail_1)
    text = (
        "UnsatisfiableError: The following specifications were found to be incompatible "
        "with your system:\n"
        "\n"
        "  - feature:/linux-64::__cuda==8.0=0\n"
        "  - cudatoolkit -> __cuda[version='>=10.0|>=9.0']\n"
        "\n"
        "Your installed version is: 8.0\n"
    )
    result = triage_text(text)
    roots = result.root_causes
    assert [(r.id, r.family) for r in roots] == [("conda.cuda-requirement-unmet", "driver-too-old")]
    assert ">=10.0|>=9.0" in roots[0].diagnosis
    explained = {i.id: i.explained_by for i in result.items if not i.root_cause}
    assert explained["conda.unsatisfiable"] == ("conda.cuda-requirement-unmet",)


def test_nouveau_s_own_firmware_and_a_vgpu_in_its_grace_period_are_not_these_causes() -> None:
    # nouveau asks for nvidia/<chip>/gsp/..., not the NVIDIA driver's nvidia/<version>/
    nouveau = (
        "nouveau 0000:01:00.0: Direct firmware load for nvidia/tu102/gsp/booter_load-535.113.01"
        ".bin failed with error -2\n"
    )
    assert "kernel.nvidia-gsp-firmware-load-failed" not in {
        i.id for i in triage_text(nouveau).items
    }
    for status in ("Unlicensed (Unrestricted)", "Licensed (Expiry: 2025-6-4 1:2:3 GMT)"):
        text = f"        License Status                    : {status}\n"
        assert triage_text(text).root_causes == (), status


def test_accelerate_told_to_use_the_gpu_is_no_cause() -> None:
    assert triage_text("        - use_cpu: False\n").root_causes == ()


def test_tensorrt_skipping_a_tactic_for_memory_is_not_out_of_memory() -> None:
    # marcoslucianops/DeepStream-Yolo#366: the builder's tactic warnings alone
    result = triage_text((REAL / "deepstream-trt-workspace-4gib-oom.log").read_text())
    assert result.root_causes == ()
    assert "tensorrt.tactic-memory-skipped" in {i.id for i in result.items}
    # a real allocation failure beside it still stands
    text = "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB\n"
    assert triage_text(text).root_causes[0].family == "out-of-memory"


def test_persistenced_alone_is_the_kernel_module_and_other_typeinfo_stays_generic() -> None:
    line = (
        "localhost nvidia-persistenced[103913]: nvidia-persistenced failed to initialize. "
        "Check syslog for more details.\n"
    )
    roots = triage_text(line).root_causes
    assert [(r.id, r.family) for r in roots] == [
        ("nvidia-persistenced.failed-to-initialize", "kernel-module")
    ]
    other = "ImportError: /opt/x/libfoo.so: undefined symbol: _ZTIN4absl12lts_2023080213StatusE\n"
    assert triage_text(other).root_causes[0].id != "loader.undefined-symbol.torch"


def test_a_kernel_built_in_a_container_is_not_a_container_and_triton_on_cuda12_is_the_gpu() -> None:
    # the kernel's banner names the host it was built in; a shell prompt's host stays one
    banner = (
        "[    0.000000] Linux version 5.16.13-surface (root@80c62fc9aa3e) (gcc 9.4.0) #1 SMP\n"
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"
    )
    assert triage_text(banner).root_causes[0].family == "kernel-module"
    prompt = (
        "root@80c62fc9aa3e:/workspace# nvidia-smi\n"
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"
    )
    assert triage_text(prompt).root_causes[0].family == "container"
    # Triton's invalid image beside a CUDA 12 driver stays the GPU's architecture
    triton = (
        "RuntimeError: Triton Error [CUDA]: device kernel image is invalid.\n"
        "NVIDIA-SMI 535.104.05   Driver Version: 535.104.05   CUDA Version: 12.2\n"
    )
    assert triage_text(triton).root_causes[0].family == "compute-capability"


def test_a_no_driver_line_outside_a_build_keeps_its_reading() -> None:
    # the same PyTorch line without a build step around it is no container's
    line = (
        "RuntimeError: Found no NVIDIA driver on your system. Please check that you have an "
        "NVIDIA GPU and installed a driver from http://www.nvidia.com/Download/index.aspx\n"
    )
    assert triage_text(line).root_causes[0].family == "driver-missing"


def test_the_cuda_plugin_s_exception_names_the_cause_when_an_entry_reads_it() -> None:
    # a CUDA library missing inside the plugin's initialize() is the cause it reports
    roots = first_root("jax-071-cuda12-plugin-cusparse-not-found")
    assert roots.family == "library-missing"
    # a requirement pip quotes is no cuDNN installed: only the 9.x it says is installed counts,
    # so libcudnn.so.8 missing beside it is the wrong cuDNN major
    text = (
        "torch 2.1.1 requires nvidia-cudnn-cu12==8.9.2.26, but you have nvidia-cudnn-cu12 "
        "9.5.1.17 which is incompatible.\n"
        "ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory\n"
    )
    assert triage_text(text).root_causes[0].family == "cudnn-version"


def test_aer_on_another_device_is_not_the_gpu_s_fault() -> None:
    # the same recovery failure of the GPU's HDMI audio function or a NIC names no GPU
    line = (
        "[  +0.000002] snd_hda_intel 0000:03:00.1: AER: can't recover "
        "(no error_detected callback)\n"
    )
    assert "kernel.pcie-aer-gpu-unrecoverable" not in {i.id for i in triage_text(line).items}
