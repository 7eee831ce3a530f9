"""Triage on the real-log corpus (tests/data/logs/real/): for every case the first root cause
names the case's family (a healthy output gives none), and its diagnosis and fix are not
empty and name the facts of the log the case lists (``mentions``).

The cases the engine gets wrong are listed below with the reason; each is a strict xfail,
so a change that fixes one fails here until the list is updated.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from gpusetup.logtriage import triage_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"

#: case -> why the log alone does not give the thread's answer
WRONG = {
    "cupy-cuda12x-on-cuda13-vertexai-libnvrtc12": (
        "facts: the first root cause does not name 'cupy-cuda12x' (the pip list line that shows "
        "the wheel's CUDA major)"
    ),
    "deepops-slurm-master-no-gpu-nvml-autodetect": (
        "autoconf's 'checking for nvmlInit in -lnvidia-ml... no' is also what any build host "
        "without a GPU prints; only the thread says the node was meant to have none"
    ),
    "dkms-nvidia525-zen-missing-headers": (
        "facts: the first root cause does not name 'nvidia/525.89.02' (the DKMS module/version in "
        "the path)"
    ),
    "gpufetch-gtx970-cuda-compat-not-supported-804": (
        "facts: the first root cause does not name '10de:13c2' (the GPU's PCI id)"
    ),
    "numba-cuinit-missing-driver-env-points-cudart": (
        "Numba's 'driver missing function: cuInit' names no library; only the thread shows "
        "NUMBAPRO_CUDA_DRIVER pointing at libcudart"
    ),
    "ollama-cc52-cublas-error15-not-supported": (
        "cuBLAS error 15 (not supported) alone does not say the GPU's compute capability is below "
        "the build's"
    ),
    "ollama-driver-update-no-reboot-forward-compat-cpu-fallback": (
        "error 804 'forward compatibility was attempted on non supported HW' reads as a driver "
        "older than the runtime; only the thread's nvidia-smi shows the pending reboot (driver-"
        "mismatch)"
    ),
    "wsl-docker-daemon-json-not-reloaded-runtime-nvidia": (
        "facts: the first root cause does not name 'Runtimes: io.containerd.runc.v2 runc' (docker "
        "info's runtime list)"
    ),
    "aicv643-k8s-no-dshm-ucx-segfault": (
        "facts: the first root cause does not name '[ucp_address_unpack] Caught "
        "signal 11 (Segmentation fault)'"
    ),
    "dxvk2495-bo3-xid31": ("facts: the first root cause does not name 'Nvidia 510.47.03'"),
    "fauxpilot218-nvml-mismatch-reboot": (
        "facts: the first root cause does not name 'error running hook #0'"
    ),
    "firoccminer62-libcudart100-missing": (
        "facts: the first root cause does not name 'nVidia driver 440.100'"
    ),
    "gminer913-h800-no-kernel-image": (
        "facts: the first root cause does not name 'Nvidia Driver: 535.129.03'"
    ),
    "gpuop2511-fabric-in-progress": (
        "facts: the first root cause does not name 'Driver Version"
        "                                         : 580.159.04'"
    ),
    "libnvc117-compat-ldconfig-not-symlink": (
        "facts: the first root cause does not name 'File "
        "/lib/x86_64-linux-gnu/libnvidia-ml.so.1 is empty, not checked.'"
    ),
    "linuxsurface102-cuda-run-no-kernel-source": (
        "facts: the first root cause does not name '--kernel-source-path "
        "usr/src/linux-headers-4.14.25-surface-linux-surface'"
    ),
    "luisarender18-cuda-oom": (
        "facts: the first root cause does not name 'CUDA error string: out of memory,"
        " CUDA error code: 2'"
    ),
    "nbminer260-centos7-glibc218": (
        "facts: the first root cause does not name 'CentOS Linux release 7.9.2009 (Core)'"
    ),
    "netv42-nvenc-api13-driver550": (
        "facts: the first root cause does not name 'Required: NVENC API 13.0', "
        "'Found: 12.2', 'NVIDIA driver: 550.163.01'"
    ),
    "nhm1648-ccminer-mtp-no-kernel-image": (
        "facts: the first root cause does not name 'Geforce GTX 950'"
    ),
    "nicehash1857-phoenix-dag-oom": (
        "the paste stops while Phoenix Miner builds the DAG, before its out-of-memory line"
    ),
    "nvctk553-ldconfig-not-symlink-validator": (
        "facts: the first root cause does not name 'error validating toolkit "
        "installation: exit status 12'"
    ),
    "nvdocker341-plain-docker-no-nvidia-smi": (
        "facts: the first root cause does not name 'FROM nvidia/cuda:8.0-devel-ubuntu16.04'"
    ),
    "nvdocker645-hidepid-proc-stat": ("facts: the first root cause does not name 'hidepid=2'"),
    "nvenc704-cuda-insufficient-driver-470": (
        "facts: the first root cause does not name '470.256', 'CUDA is 11.4'"
    ),
    "ort117-libcublas11-on-cuda124": (
        "libcublas.so.11 missing beside the poster's CUDA 12.4: the release of "
        "onnxruntime-gpu (1.17.1, PyPI's CUDA 11 build) is named in no line the rules"
        " read"
    ),
    "paddleocr-win-cudnn-ops-infer64-8-missing": (
        "facts: the first root cause does not name 'Runtime API Version: 11.6'"
    ),
    "realsense281-jetson-nvidia-unknown-symbol": (
        "facts: the first root cause does not name 'nvidia: disagrees about version "
        "of symbol i2c_get_adapter'"
    ),
    "tslib-script-cuda-visible-devices-no-gpus": (
        "facts: the first root cause does not name 'Use GPU: cuda:0'"
    ),
    "xmrstak-nvidia159-k610m-arch60": (
        "facts: the first root cause does not name 'cmake3 -DCUDA_ARCH=60;61;62 .', "
        "'cuda_extra.cu line 226'"
    ),
    "xmrstak823-legacy-quadro-insufficient": (
        "facts: the first root cause does not name 'NVIDIA Quadro FX 1800M'"
    ),
    "bnb-cuda118-binary-libcusparse11-missing-cuda122": (
        "facts: the first root cause does not name 'libbitsandbytes_cuda118.so', 'CUDA_VERSION=118'"
    ),
    "cupy-gtx1080-cuda13-nvrtc-arch": (
        "NVRTC's invalid option read as the toolchain's: that the GPU is a GTX 1080 "
        "(Pascal, which CUDA 13 dropped) stands only in the thread"
    ),
    "ethminer-insufficient-driver-9020": (
        "facts: the first root cause does not name 'release 10.0'"
    ),
    "fasterwhisper-100-libcublas12-missing-centos7": (
        "facts: the first root cause does not name 'faster-whisper version 0.10.0 -> 1.0.0'"
    ),
    "flashattn-win-pip-nvcc-not-found": (
        "facts: the first root cause does not name 'flash_attn-2.5.8'"
    ),
    "jax0315-driver470-cuda1162-no-kernel-image": (
        "'no kernel image' alone: the 470 driver older than the CUDA 11.6 toolkit XLA"
        " compiled with stands only in the thread"
    ),
    "llamacpppython-docker-t4-cuda-error-35": (
        "facts: the first root cause does not name 'release 12.2'"
    ),
    "macos-ethminer-1050ti-dag-oom": ("facts: the first root cause does not name '3.14 Gb'"),
    "nhqm-2070s-illegal-instruction-overclock": (
        "facts: the first root cause does not name 'RTX 2070 Super'"
    ),
    "ollama-k80-cc37-unsupported": (
        "ggml lists the K80 (compute capability 3.7) and the log stops: no line says "
        "the runner has no code for 3.7"
    ),
    "sdwebui-1660s-xformers-no-kernel-image": ("facts: the first root cause does not name '1660S'"),
    "sdwebui-py311-torch1121-cu113-no-matching-distribution": (
        "pip's own error is not in the paste, only the web UI's 'Couldn't install "
        "torch' with the command; that torch 1.12.1 has no Python 3.11 wheel is the "
        "thread's"
    ),
    "slurm-pyxis-cuda-visible-devices-2-single-dev-node": (
        "ls's missing /dev/nvidiaN beside an echoed CUDA_VISIBLE_DEVICES value: no "
        "message says the index points past the container's devices"
    ),
    "textgen-llama2-7b-fp16-6gb-oom": (
        "facts: the first root cause does not name 'Llama-2-7b-chat-hf'"
    ),
    "textgen-wsl1-found-no-nvidia-driver": (
        "facts: the first root cause does not name 'wsl 1 on windows 10'"
    ),
    "tf22-ptxas-8x-wrong-bin-bin": (
        "facts: the first root cause does not name 'Looking for ptxas at "
        "/usr/local/cuda-10.1/bin/bin/ptxas'"
    ),
    "torch031-centos67-glibc217-not-found": (
        "facts: the first root cause does not name 'CentOS release 6.7'"
    ),
    "trellis2-cu131-index-no-torch-2100": (
        "facts: the first root cause does not name 'https://download.pytorch.org/whl/cu131'"
    ),
    "vse-paddle-post117-cudnn-not-initialized": (
        "facts: the first root cause does not name 'conv2d_fusion'"
    ),
    "xmrig-nvidia-1060-3gb-autoconfig-oom": (
        "facts: the first root cause does not name 'GeForce GTX 1060 3GB', '64x27'"
    ),
    "xmrig-nvidia-560ti-cryptonight-oom": (
        "facts: the first root cause does not name 'GeForce GTX 560 Ti', '32x16'"
    ),
    "xmrig-nvidia-gt630-cuda91-no-kernel-image": (
        "facts: the first root cause does not name 'arch:21', 'CUDA/9.10'"
    ),
    "autoformer-script-cuda-visible-devices-1": (
        "prose only: 'the following returns false' stands before the quoted is_available() call"
    ),
    "crosse-p100-memory-held-no-process": (
        "a healthy nvidia-smi listing: the memory held by another user's process is "
        "the thread's reading of 12799MiB used"
    ),
    "cupy-nvrtc-cuda8-compute61": ("facts: the first root cause does not name '-arch=compute_61'"),
    "deepspeech-gpu-wants-cudnn5": (
        "facts: the first root cause does not name 'trying "
        "file=/usr/lib/x86_64-linux-gnu/libcudnn.so.5'"
    ),
    "docker1903-pytorch-missing-nvidia-uvm-device": (
        "is_available() False with 'In the container' in prose: the missing "
        "/dev/nvidia-uvm stands only in the thread"
    ),
    "enroot-no-nvidia-visible-devices": (
        "PyTorch's 'Found no NVIDIA driver' alone: that it ran under enroot without "
        "NVIDIA_VISIBLE_DEVICES stands only in the thread"
    ),
    "exla-oom-iex": (
        "facts: the first root cause does not name 'memory_limit_: 4928097484 available bytes: 204'"
    ),
    "facefusion-docker-libnvrtc-so-missing": (
        "facts: the first root cause does not name 'exited with code 139'"
    ),
    "fasterwhisper-cuda118-base-image-no-cudnn": (
        "facts: the first root cause does not name 'nvidia/cuda:11.8.0-base-ubuntu22.04'"
    ),
    "gpu-jupyter-v15-nvml-mismatch-host510": (
        "facts: the first root cause does not name 'release 12.1, V12.1.66'"
    ),
    "jax-k80-container-compat-libcuda": (
        "facts: the first root cause does not name 'docker image "
        "nvidia/cuda:11.8.0-cudnn8-devel-ubuntu18.04'"
    ),
    "jax-quadro-k4000-cc30-falls-back-cpu": (
        "prose only: the poster's sentences name the CC 3.0 Quadro K4000; JAX printed no message"
    ),
    "jux-windows-jaxlib-cuda-no-dist": (
        "facts: the first root cause does not name '(from versions: 0.4.13, 0.4.14, 0.4.16)'"
    ),
    "kaggle-cudf-toolkit-newer-than-driver": (
        "facts: the first root cause does not name 'Driver Version: 535.129.03   CUDA"
        " Version: 12.2'"
    ),
    "kohya-colab-jaxlib-warning-benign": (
        "the CPU-jaxlib warning read as a cause: that the trainer uses PyTorch, not "
        "JAX, stands only in the thread"
    ),
    "libertem-cupy-kepler-cuda111": (
        "NVRTC's invalid option read as the toolchain's: that the GPU is a Kepler "
        "dropped by CUDA 11.1 is the poster's prose"
    ),
    "lolminer-mx150-4gb-dag-4184mb": (
        "facts: the first root cause does not name 'size of new DAG: 4184 MByte', "
        "'Memory:  4096 MByte'"
    ),
    "nvdocker2-cuda9-require-driver-too-old": (
        "facts: the first root cause does not name '--require=cuda>=9.0'"
    ),
    "ollama0147-gemma2-4gb-failed-create-context": (
        "ollama's 'failed to create context' alone: the cudaMalloc out of memory "
        "stands only in the thread's title"
    ),
    "onnx2trt-libnvinfer5-not-found": (
        "facts: the first root cause does not name '**TensorRT Version**:  5.1.5.0'"
    ),
    "pyxis-enroot-hook-no-nvidia-container-cli": (
        "facts: the first root cause does not name '/etc/enroot/hooks.d/98-nvidia.sh "
        "exited with return code 1'"
    ),
    "tabbyapi-docker-requires-cuda128-driver550": (
        "facts: the first root cause does not name 'Driver Version: 550.144.03', "
        "'CUDA Version: 12.4'"
    ),
    "tf-bumblebee-cuinit-unknown": (
        "facts: the first root cause does not name 'libcuda reported version is: 352.63'"
    ),
    "tf114-xla-boolean-mask-illegal-address": (
        "facts: the first root cause does not name '[[{{node cluster_0_1/xla_run}}]]'"
    ),
    "tf216-native-windows-no-gpu": (
        "prose only: nothing in the paste shows native Windows; TensorFlow printed no message"
    ),
    "torch10-centos6-glibc214-libshm": (
        "facts: the first root cause does not name 'CentOS release 6.8'"
    ),
    "torch16-aarch64-ubuntu1804-glibc228": (
        "facts: the first root cause does not name 'ubuntu 18.04'"
    ),
    "trex-driver-391-too-old-cuda-init": (
        "T-Rex's 'CUDA initialize error' alone: the 391.35 driver stands only in the thread"
    ),
    "fasterliveportrait-docker-v100-smi-no-libnvidia-ml": (
        "nvidia-smi without NVML alone: that it ran inside the project's Docker image stands "
        "only in the thread"
    ),
    "libnvidia-container-debian10-smi-no-libnvidia-ml-quoted": (
        "nvidia-smi without NVML alone: the container started with the NVIDIA runtime stands "
        "only in the thread"
    ),
    "t29-cupy2-libcudart-75-with-cuda80": (
        "libcudart.so.7.5 missing beside a prose 'cuda 8.0': that CUDA 8.0 is what is installed "
        "(a build for another CUDA, not a missing runtime) is the poster's word, not a listing"
    ),
    "t29-mocha-cudnn-arch-mismatch": (
        "Mocha.jl's bare 'ERROR: Arch mismatch' (cuDNN's status text): too short a line to read "
        "as cuDNN's CUDNN_STATUS_ARCH_MISMATCH without false matches elsewhere"
    ),
    "t29-trt-docker-runc-only-error35": (
        "TensorRT's error 35 inside a container: that it was started without the NVIDIA runtime "
        "stands only in `docker info`'s 'Runtimes: runc', which no rule reads yet"
    ),
    "colab-dlc-cudnn-failed-init-feb2022": (
        "cuDNN's failed init alone: Colab's cuDNN older than the preinstalled TF's build "
        "stands only in the thread (Feb 2022)"
    ),
    "llamacpp-docker-build-gen-docs-no-libcuda": (
        "libcuda.so.1 missing alone: that the binary ran inside `docker build` (no GPU) "
        "stands only in the thread"
    ),
    "llamacpp-python-docker-cuda304-seccomp": (
        "CUDA error 304 alone: the container's seccomp profile stands only in the thread"
    ),
    "ort-cuda121-unsupported": (
        "ONNX Runtime's provider failure beside the poster's CUDA 12.1: the onnxruntime-gpu "
        "build's CUDA 11 stands only in the thread"
    ),
    "ort15-cpu-package-no-cuda-ep": (
        "ONNX Runtime's provider failure alone: the CPU package installed stands only in the thread"
    ),
    "paddlecloud-cpu-cluster-gpu-build-error35": (
        "error 35 alone: the CPU-only cluster (no driver at all) stands only in the thread"
    ),
    "tf-hpc-cuda102-driver418-libcuda-not-found": (
        "TF's CUDA diagnostics with kernel 418.67: the CUDA 10.2 runtime (newer than 418 "
        "supports) stands only in the thread"
    ),
    "tf212-windows-native-cpu-only": (
        "a device list with only the CPU: native Windows stands only in the thread"
    ),
    "tf29-jetson-nano-sm53-ptx-jit": (
        "TF's PTX-JIT warning is benign by design; the thread's complaint is the 28-minute "
        "JIT at start-up"
    ),
    "tfserving-devel-gpu-no-nvidia-docker-libcuda": (
        "libcuda.so.1 missing alone: the plain `docker run` stands only in the thread"
    ),
    "llamacpp-cpu-dockerfile-cuda-build-libcuda-missing": (
        "libcuda.so.1 missing in a compose container reads as a container without GPUs (start "
        "it with them); that the image was meant for the CPU and built with CUDA on stands "
        "only in the thread"
    ),
    "cuda-samples-matrixmul-cudaerrornodevice": (
        "cudaErrorNoDevice alone: that the driver needed reinstalling (not a hidden device) "
        "stands only in the thread"
    ),
    "deepspeed-cuda-home-colon-nvcc": (
        "the CUDA_HOME with a leading colon (':/usr/local/cuda/bin/nvcc') stands only in the "
        "thread's title; the paste shows pip's failed metadata build"
    ),
    "fastertransformer-3090-sm86-not-built": (
        "cuBLAS's NOT_INITIALIZED alone: the build without sm_86 for the RTX 3090 stands only "
        "in the thread"
    ),
    "tf06-940m-cc50-illegal-address": (
        "an illegal address alone: the TF 0.6 build's architectures stand only in the thread"
    ),
    "tf1-oom-quadro-p1000-bigger-model": (
        "TF's allocator warning says itself that it is not a failure; the out-of-memory the "
        "thread settles on is not in the paste"
    ),
    "tf24-system76-cudnn102-pkg-libcudnn8-missing": (
        "two libraries missing: the first the log names is libcusolver.so.10, the thread "
        "settles on the cuDNN package"
    ),
    "tf24-win-cublas-alloc-failed": (
        "cuBLAS's ALLOC_FAILED reads as out of memory; the thread's fix (memory growth, a "
        "cuDNN/cuBLAS start-up failure) is the other reading of the same line"
    ),
    "tfjs-node-gpu-win-binding-cudnn-not-on-path": (
        "not read yet: node's 'The specified module could not be found' for tfjs_binding.node "
        "(its libtensorflow's CUDA/cuDNN DLLs not on PATH)"
    ),
    "torch13-driver-410-too-old": (
        "'CUDA available: False' alone: the 410 driver stands only in the maintainer's answer"
    ),
    "wyoming-fw1-cublas12-on-cuda118": (
        "libcublas.so.12 missing beside a listed 'CUDA 11.8': the table files a CUDA library "
        "of another major as wheel only where an install shows it (nvcc, a cuda-X.Y path, a "
        "pip wheel)"
    ),
    "isaac-ros-orin-generic-torch-wheel": (
        "not read yet: on a Jetson, the torch 1.12.0 from PyPI (CPU-only on aarch64) beside "
        "NVIDIA's own 1.12.0a0+...nv22.3 build the l4t-pytorch image has"
    ),
    "torch-aarch64-pip-default-cpu-wheel": (
        "prose only: the poster's sentence that pip gave the CPU build on aarch64 names no "
        "message, version or wheel"
    ),
    "torch-lua-cudnn-r5-not-found-cuda75": (
        "the error itself is not pasted: only an ldconfig listing without libcudnn and the "
        "program's 'using cudnn...'"
    ),
    "torch-lua-docker-build-cuda-error35": (
        "error 35 alone: that it ran in a `docker build` RUN step (no driver mounted) stands "
        "only in the thread"
    ),
    "depth-pro-conda-torchvision-nms-does-not-exist": (
        "the paste stops inside torchvision's traceback, before the RuntimeError that names "
        "the missing operator"
    ),
    "minimind-deepspeed-launcher-cuda-home-missing": (
        "the paste stops at DeepSpeed's installed_cuda_version() frame, before the "
        "MissingCUDAException line that names CUDA_HOME"
    ),
    "t27-javacv-opencv-getcudaenableddevicecount-unknown-error": (
        "OpenCV's 'unknown error' from the CUDA device count alone: the driver older than "
        "JavaCV's CUDA stands only in the maintainer's answer"
    ),
    "containerd-daemon-reload-drops-nvidia-device-cgroup": (
        "device-cgroup listings before and after a daemon-reload: only the poster's prose "
        "says what changed, no tool prints an error"
    ),
    "torch-device-count-cached-after-env-change": (
        "the poster's own prints of CUDA_VISIBLE_DEVICES and a device count: no message names "
        "the cause"
    ),
    "nvidia-docker1-driver-70-lt-image-75": (
        "two attempts: the first one's UVM error leads by line order; the engine does not "
        "order causes by nvidia-docker's timestamps"
    ),
    "docker-plain-run-smi-no-driver": "nothing in the paste shows it runs inside a container",
    "go-cu-init-unknown-nvidia-uvm-not-loaded": "a Go panic 'Unknown' names no CUDA message",
    "pip-tensorflow-gpu-2120-not-found-windows": (
        "a wording of an installer front-end the catalogue lacks"
    ),
    "jax-0167-ptxas-8x-unsupported-version-60": (
        "ptxas's own 'Unsupported .version' stands mid-line in XLA's message, past the quote"
    ),
    "jaxlib-cuda101-centos-glibc-223-xla-extension": (
        "the module that needs the newer glibc is named only by the Python import line above"
    ),
    "lisa-azure-nd96asr-v4-torch-error-802-gpu-count-0": (
        "the consequence 'gpu count: 0' is a test harness's own line, no message of ours"
    ),
    "nixos-test-local-ai-whisper-stub-invalid-device": (
        "'invalid device 0' is ggml's consequence line, read by no entry"
    ),
    "tf1-oom-embeddings-adam-563354x256-shared-gpu": (
        "the device stands only in the graph node line after the OOM message"
    ),
    "tf115-cloud-run-no-libcuda-cuinit-303-no-driver": (
        "the missing /proc/driver/nvidia/version is the second root cause (read as the "
        "container's), not related to the first"
    ),
    "torch-2017-cudnn-6020-status-not-initialized-conv2d": (
        "the cuDNN version stands only in a pasted environment report"
    ),
    "torch112-cu113-cudnn-832-linked-803-ld-library-path": (
        "the directory of the older cuDNN stands only in a pasted LD_LIBRARY_PATH"
    ),
    "torchpod-docker-gtx1650-error-804-container-toolkit-140": (
        "the paste is the 804 message alone, as in the logs where the host driver was too "
        "old; only the thread shows the container toolkit release was at fault"
    ),
    "colab-tf115-gpu-false-cpu-runtime": (
        "two frameworks' 'False' with prose between call and answer, and nothing in the paste "
        "(no Colab, no runtime type) that tells a runtime without a GPU from CPU-only builds"
    ),
    "k8s-pod-no-gpu-limit-sees-quadro-k2200": (
        "a healthy nvidia-smi inside a pod: the fault (a GPU shown to a pod that asked for "
        "none) is only in the thread's pod spec"
    ),
    "tf-gtx1080-cuda75-cudnn4-cifar10-garbage-loss": (
        "a normal device start-up: the garbage losses and the CUDA 7.5/cuDNN 4 build are "
        "only in the thread"
    ),
    "voidlinux-nvidia-38469-ptxjitcompiler-so1-link-missing": (
        "the listing shows the .so.1 links as the fix created them, not the missing state"
    ),
    "win-devicequery-returned-38-no-device": (
        "'no CUDA-capable device is detected' alone: three other cases with only this line "
        "are visibility (a GPU selected that is not there); nothing here shows the driver "
        "is missing rather than the device hidden"
    ),
    "k8s-device-plugin-mig-memory-info-insufficient-permissions": (
        "NVML's 'Insufficient Permissions' retyped from a screenshot as 'Pemmissions'"
    ),
    "open-gpu-535-3090-gsp-ptimer-plm-disabled": (
        "the paste is cut before the GSP failure: only a PTIMER assertion the driver also "
        "logs on working GPUs is left"
    ),
    "singularity-342-nv-libcuda-so1-not-bound": (
        "libcuda.so.1 missing after 'singularity exec --nv': that the host has the driver "
        "(the explicit -B binds worked) stands only in the thread"
    ),
    "slurm-site-job-submit-cannot-find-gpu-spec": (
        "a site's own job_submit rule: its wording is no upstream Slurm message"
    ),
    # cases whose thread names evidence the paste does not hold
    "bumblebee-optimus-tf-cuinit-without-optirun": (
        "Bumblebee and optirun stand only in the thread; the paste is TensorFlow's 'kernel "
        "driver does not appear to be running', which alone reads as the missing driver"
    ),
    "cuhksz-cluster-node-error35-no-nvidia-smi": (
        "error 35 alone: the missing nvidia-smi on the node stands only in the thread"
    ),
    "dlib-dnn-cudagetdevice-code38-old-gpu": (
        "'no CUDA-capable device' alone: the old GPU is named only in the thread"
    ),
    "faster-whisper-cudnn92-installed-ops-infer-so8-missing": (
        "the load failure alone: the cuDNN 9.2 installed stands only in the thread"
    ),
    "jax-0426-cuda-visible-devices-not-initialized-wrong-wheel": (
        "the CUDA call that failed alone: that jax lacked its cuda12 plugin stands only in "
        "the thread"
    ),
    "mxnet-windows-gt550m-no-cuda-device": (
        "'no CUDA-capable device' alone: the GT 550M is named only in the thread"
    ),
    "neural-style-torch7-cudnn-r5-expected-r4-installed": (
        "the R5 load failure alone: the cuDNN 4 installed stands only in the thread"
    ),
    "ollama-wsl-nvml-vram-init-failure-9-wrong-libnvidia-ml": (
        "ollama's NVML error 9 alone: nothing in the paste shows it runs under WSL"
    ),
    "singularity-docker-tf-cluster-no-libcuda-so1": (
        "nothing in the paste shows a container: libcuda.so.1 missing beside the kernel "
        "module's version file reads as the driver's library missing on the host"
    ),
    "tf-serving-docker1903-missing-gpus-flag-cuinit-303": (
        "the cuInit line alone: the docker run without --gpus stands only in the thread"
    ),
    "tf21-windows-cuda102-only-cpu-device": (
        "the device list alone: TensorFlow 2.1 and the CUDA 10.2 installed stand only in the thread"
    ),
    "tf23-cuda101-cudnn802-libcudnn7": (
        "the libcudnn.so.7 load failure alone: the cuDNN 8 installed and the TF 2.3 release "
        "stand only in the thread"
    ),
    "tf23-cudnn8-installed-libcudnn7-missing-gt710": (
        "the libcudnn.so.7 load failure alone: the cuDNN 8 installed and the TF 2.3 release "
        "stand only in the thread"
    ),
    "videocaptioner-fw-xxl-amd-gpu-cuda": (
        "error 35 alone: the AMD GPU (no NVIDIA driver) stands only in the thread"
    ),
    "ollama-093-slurm-rocr-visible-devices-cpu": (
        "ROCR_VISIBLE_DEVICES=0 on an NVIDIA-only node (a Slurm job's environment) stands "
        "only in a commenter's echo; no message says ollama filtered the CUDA GPU out"
    ),
    "ollama-docker-nvml-unknown-error-after-a-while": (
        "NVML's Unknown Error inside a container reads as the container's (systemd's reload "
        "revoking the device cgroup); the collector files the revoked access under permission"
    ),
    "sdwebui-docker-no-driver-capabilities-env": (
        "'CUDA available: False' beside the poster's sentence that nvidia-smi works in the "
        "container: the missing NVIDIA_DRIVER_CAPABILITIES stands only in the answer"
    ),
    "dorado-116-singularity-nv": (
        "'CUDA driver version is insufficient' alone in a Nextflow task: that it ran in a "
        "Singularity container started without --nv stands only in the thread"
    ),
    "modelangelo-60-slurm-nogpu": (
        "nvidia-smi's 'couldn't communicate' alone: the Slurm job that asked for no GPU "
        "stands only in the thread"
    ),
    "ollama-2408-jetson-cuda12": (
        "cuBLAS's EXECUTION_FAILED alone: the CUDA 12 packages on a JetPack 5 board stand "
        "only in the thread"
    ),
    "pytorch-49081-no-reboot": (
        "PyTorch's 'CUDA unknown error' alone: the driver installed without a reboot stands "
        "only in the thread (the same line is nvidia_uvm not loaded in "
        "pytorch-159954-uvm)"
    ),
    "tacotron-rtx2070-cuda90-cufft-plan": (
        "cuFFT's failed plan alone: the RTX 2070 and the CUDA 9.0 libraries stand only in "
        "the thread"
    ),
    "gpu-burn-jetson-nano-low-free-memory": (
        "gpu_burn's own 'Low mem for result' line: an application's wording no entry reads"
    ),
    "nccl-hang-pxb-pix-acs-vtd": (
        "a topology matrix and prose: the hang through ACS/IOMMU stands only in the thread, no "
        "tool prints an error"
    ),
    "neutrino-wsl-libcuda-readlink-not-symlink": (
        "an installer's own os.readlink() traceback on /usr/lib/wsl/lib/libcuda.so.1: no "
        "message of ldconfig or the loader"
    ),
    "ollama-opensuse-video-group-cpu-fallback": (
        "ollama's CPU buffers alone: the service user outside the video group stands only in "
        "the thread"
    ),
    "ethminer-gtx1060-3gb-dag-oom": (
        "two runs in one paste: the first one's 'invalid device ordinal' leads by line order; "
        "the thread settles on the second one's out of memory"
    ),
    "leastereo-cuda-visible-devices-1-single-gpu": (
        "read as visibility from the prose 'is_available() returned FALSE' beside "
        "CUDA_VISIBLE_DEVICES=1; the program's own 'Exception: No GPU found' is not quoted"
    ),
    "ort1192-wants-cudnn9-env-has-cudnn89": "prose only: the poster's sentences name the versions",
    "sleap-libnvinfer6-missing-cublas10": (
        "TensorRT's libraries missing, which TensorFlow treats as optional ('If you would like "
        "to use Nvidia GPU with TensorRT'): the thread files it as the failure"
    ),
    "vitis-ai-tf2-script-selects-gpu1": (
        "prose only: the script's GPU index is named by no line of the paste"
    ),
    # the forty-sixth to fifty-seventh held-out samples
    "abqllm-cmake-cuda-compiler-unknown-default-arch": (
        "facts: the first root cause quotes CMake's architecture error, not the 'The CUDA compiler"
        " identification is unknown' line above it"
    ),
    "candle-libnvrtc12-conda-not-on-ld-library-path": (
        "facts: the first root cause names the missing libnvrtc, not the cudarc release ('cudarc "
        "v0.10.0') of the build line"
    ),
    "cmake-no-cuda-compiler-toolkit-not-installed": (
        "facts: the first root cause quotes CMake's 'No CMAKE_CUDA_COMPILER could be found', not "
        "the identification line above it"
    ),
    "colab-tf291-dnn-library-not-found-cudnn805": (
        "Colab's cuDNN 8.0.5 older than TF 2.9.1's build is named only by the thread; the paste "
        "shows 'DNN library is not found' alone"
    ),
    "cudamat-no-device-after-kernel-update-no-reboot": (
        "a kernel updated without a reboot is the thread's word; the paste shows 'no CUDA-capable "
        "device' alone"
    ),
    "cudarc-windows-nvrtc64-120-0-dll-not-found": (
        "facts: the diagnosis names the names cudarc tried, not its release ('cudarc-0.11.4' is in"
        " the panic's path)"
    ),
    "dali-docker-libnvcuvid-no-video-capability": (
        "facts: the collector lists DALI's own hint ('If you are running in a Docker container'), "
        "which the quote cuts before"
    ),
    "darknet-rtx2070-cuda90-cudnn-execution-failed": (
        "the RTX 2070 and the CUDA 9.0 build are named only by the thread; the paste shows cuDNN's"
        " EXECUTION_FAILED alone"
    ),
    "databricks-cuopt-nvjitlink-12-4-too-old": (
        "family: an undefined versioned symbol of libnvJitLink is glibc-abi as in the corpus' "
        "other nvJitLink case (torch251-cusparse-nvjitlink-undefined-ldpath); the collector filed "
        "it library-missing"
    ),
    "dorado-singularity-slurm-invalid-device-ids": (
        "dorado's bare 'Invalid device ids' names no setting; the thread blames an inherited "
        "CUDA_VISIBLE_DEVICES"
    ),
    "dstack-aws-cpu-instance-nvml-driver-not-loaded": (
        "family: the container CLI's 'nvml error: driver not loaded' is the host's driver "
        "(driver-missing); the thread files a CPU instance started with the NVIDIA runtime as "
        "container"
    ),
    "dstack-lambda-container-nvidia-smi-not-found": (
        "only the thread says the shell is a container's: the paste is a prompt and bash's "
        "'nvidia-smi: command not found'"
    ),
    "gb10-proprietary-module-rminitadapter": (
        "the proprietary module on a GPU that needs the open one is the thread's reading; the "
        "paste shows an Xid and RmInitAdapter failed, read as the fault"
    ),
    "gpu-burn-tesla-pcie-surprise-down-xid79": (
        "facts: the first root cause is the Xid; the PCIe 'Surprise Down Error' line the collector"
        " lists is not quoted"
    ),
    "gpu-operator-vectoradd-no-runtimeclass-error35": (
        "a pod without runtimeClassName: nvidia is the thread's word; the paste shows error 35 "
        "alone"
    ),
    "jellyfin-k8s-missing-driver-capabilities-nvcuvid": (
        "only the thread says the pod ran without the video capability; the paste shows FFmpeg's "
        "missing libnvcuvid with no container line"
    ),
    "jetson-nano-torch14-wheel-libcufft100-missing": (
        "the Nano's CUDA 10.2 is named only by the thread; the paste shows libcufft.so.10.0 "
        "missing alone"
    ),
    "k8s-device-plugin-tf-libcuda-missing-default-runtime": (
        "only the thread says the pod's runtime was not nvidia; the paste is TensorFlow's "
        "libcuda.so.1 failure with no container line"
    ),
    "localai-k8s-pod-missing-nvidia-runtimeclass": (
        "facts: the first root cause quotes the shell's 'nvidia-smi: command not found', not "
        "LocalAI's 'GPU acceleration will not be available'"
    ),
    "netdata-nd-run-nvidia-smi-insufficient-permissions-opensuse": (
        "facts: the diagnosis does not name netdata's 'nd-run' wrapper the collector lists"
    ),
    "nvbandwidth-cuda132-ptx-on-driver580": (
        "facts: the first root cause is error 222; the nvidia-smi line with the driver version is "
        "not quoted"
    ),
    "ollama-cuinit-999-nvidia-uvm-reload": (
        "facts: the first root cause quotes ollama's 'nvcuda init failure: 999', not the 'cuInit "
        "err: 999' line before it"
    ),
    "ollama040-cuda12-runner-needs-libcublas11": (
        "facts: the diagnosis names libcublas.so.11, not the runner's 'exit status 127' the "
        "collector lists"
    ),
    "openpai-default-runtime-not-nvidia": (
        "OpenPAI's own ansible check ('The default runtime is not set correctly') is not in the "
        "catalogue"
    ),
    "plex-previews-docker-missing-gpus-all": (
        "the application's own 'NVIDIA CUDA test failed' is not in the catalogue; the docker run "
        "without --gpus explains only messages read as no GPU"
    ),
    "sit-conda-cudatoolkit110-libcublaslt-symbol": (
        "family: a symbol version libcublasLt does not define is glibc-abi as in the corpus' three"
        " other cases of this message; the collector filed it library-missing"
    ),
    "tf10-gtx1080-oom-memory-held-by-other-process": (
        "facts: the first root cause is the allocation failure; the device block's 'Free memory: "
        "190.31MiB' is not quoted"
    ),
    "tf15-cudnn-not-initialized-driver-384-69": (
        "TensorFlow prints 'possibly insufficient driver version' for every "
        "CUDNN_STATUS_NOT_INITIALIZED; the CUDA 9.0 the 384.69 driver is too old for is named only"
        " by the thread"
    ),
    "tkestack-gpu-manager-nonroot-vcuda-sock-eacces": (
        "an strace line of gpu-manager's vcuda.sock is not in the catalogue"
    ),
    "torchtitan-ci-container-shm-16mb-nccl": (
        "facts: the diagnosis names the shared-memory segment, not the 'NCCL version 2.21.5' the "
        "collector lists"
    ),
    "trex-cuda111-build-driver440-undefined-symbol": (
        "facts: the diagnosis names the missing driver API symbol, not T-Rex's 'NVIDIA Driver "
        "v440.100' banner line"
    ),
    "warp-stub-libcuda-error34-driver-entry-points": (
        "facts: the first root cause is error 34; Warp's 'Unable to determine CUDA driver version'"
        " line is not quoted"
    ),
    "whisper-desktop-ggml-cuda-no-sm89": (
        "facts: the first root cause quotes the 'no kernel image' line, not ggml's 'IM2COL failed'"
        " before it"
    ),
    "wsl-numba-cuinit-no-device-wrong-libcuda": (
        "only the thread says the machine is WSL and numba loaded another libcuda; the paste shows"
        " CUDA_ERROR_NO_DEVICE alone"
    ),
    "xmrig-nvidia-nvrtc-builtins-missing": (
        "facts: the first root cause quotes NVRTC's 'failed to load builtins', not the "
        "'NVRTC_ERROR unknown' line before it"
    ),
    "xmrstak-cuda91-compute21-fermi-dropped": (
        "family: nvcc's unsupported compute_21 is toolchain as in the corpus' other case of it "
        "(xmr-stak-cuda9-nvcc-compute21-fermi); the collector filed the Fermi GPU as "
        "compute-capability"
    ),
    # the fifty-eighth to sixty-third held-out samples
    "bnb0461-jetson-orin-sbsa-wheel-named-symbol": (
        "bitsandbytes' 'Error named symbol not found at line 233 in file /src/csrc/ops.cu' "
        "names no build and no Jetson; the SBSA wheel on a Jetson is the thread's reading"
    ),
    "djl-pytorch201-cu118-libcudnn8-only-cudnn9": (
        "facts: the diagnosis names cuDNN 9 by the first file of the listing that shows it, not"
        " the 'libcudnn.so.9.1.1' the collector lists"
    ),
    "docker-hashcat-rtx5080-nvrtc-invalid-arch": (
        "facts: the first root cause quotes NVRTC's invalid -arch, not the "
        "'NVRTC_ERROR_INVALID_OPTION' status line"
    ),
    "jax-cuda12-pip-nvidia-cudnn-cu12-9000312-no-wheel": (
        "facts: pip's metadata failure is read; the sdist's file name and pip's 'Didn't find "
        "wheel' line are not quoted"
    ),
    "jax0111-orin-sm87-no-kernel-image": (
        "facts: the diagnosis does not name the jax release '0.11.1'"
    ),
    "jetson-tx2-docker-build-libcurand10-default-runtime": (
        "only the thread says the docker build ran on a JetPack 4 Jetson, whose NVIDIA runtime "
        "mounts CUDA into containers; the paste shows libcurand.so.10 missing in a build step"
    ),
    "jetson-xavier-l4t-tf25-container-libcudart102-not-mounted": (
        "only the thread says the paste comes from an L4T container; it names no image and no "
        "runtime"
    ),
    "ubuntu-nvml-mismatch-550-minor-update": (
        "facts: the driver release '550.90.07' the collector lists is not named"
    ),
    "ubuntu2204-secureboot-key-rejected-535": (
        "facts: the diagnosis names the rejected key, not the dkms status's '535.113.01'"
    ),
    "wsl2-docker-nvcli-driver-error-non-insider": (
        "only the thread says the host is WSL2 on a Windows build without GPU support; the "
        "paste is the container CLI's driver error"
    ),
    "wsl2-halide-dlopen-libcuda-so-not-on-path": (
        "facts: Halide's 'CUDA API not found: cuInit' is not quoted"
    ),
    "yocto-jetson-nvidia-container-cli-no-libcuda": (
        "family: the container CLI's 'load library failed: libcuda.so.1' is container in the "
        "family table; the thread files the Yocto image without the Tegra CUDA driver as "
        "driver-missing"
    ),
    "aws-p3dn-fairseq-nccl-connect-refused": (
        "the paste's NCCL lines do not name the refused bootstrap connection the thread settles; "
        "its traceback names only fairseq's distributed init"
    ),
    "minikube-device-plugin-nvml-not-loaded": (
        "the device plugin's NVML failure reads as the node's container set-up; only the thread "
        "says the minikube VM had no NVIDIA driver"
    ),
    "nixos-wsl-nvidia-ctk-cdi-dxcore-context": (
        "facts: the first root cause does not name '1.15.0-rc.3'"
    ),
    "nvidia-docker1-volume-cross-device-link": (
        "facts: the first root cause does not name 'nvidia_driver_375.66'"
    ),
    "sagemaker-ddp-nccl-socket-link-local": (
        "facts: the first root cause does not name '169.254.255.18'"
    ),
    "tf05-built-without-cuda-no-known-devices": (
        "TF 0.5's 'Device mapping: no known devices.' is also what a CUDA build prints on a "
        "machine without a GPU; only the thread says the build lacked --config=cuda"
    ),
    "wsl1-nvidia-driver-440-dkms-no-gpu": (
        "the DKMS build failure reads as the kernel module's; only the thread says it was WSL 1, "
        "which has no GPU at all"
    ),
    "wsl2-l40s-datacenter-mode-gpu-access-blocked": (
        "facts: the first root cause does not name '32.0.15.9159'"
    ),
    "wsl2-libnvidia-container-1.4.0-driver-error": (
        "facts: the first root cause does not name '1.4.0-1'"
    ),
    "wsl2-no-nvidia-gpu-dxcore-libcuda-not-found": (
        "dxcore's 'Core Nvidia component ... not found' is also printed for the other vendor's "
        "adapter of a healthy laptop; only the thread says there is no NVIDIA GPU"
    ),
    "wsl2-nvidia-container-cli-dxcore-init-failed": (
        "facts: the first root cause does not name 'dxcore initialization failed'"
    ),
    "wsl2-tcc-plus-wddm-gpus-no-devices-found": (
        "nvidia-smi's 'No devices were found' reads as the kernel side; only the thread says the "
        "GPUs are in TCC mode, which WSL cannot use"
    ),
    "wsl2-win10-1909-blackscholes-code35": (
        "error 35 reads as a driver older than the runtime; only the thread says the Windows "
        "build (1909) gives WSL no GPU"
    ),
    "deepspeed-mii-v100-cc70-filtered": (
        "DeepSpeed's 'Filtered compute capabilities' warning is also printed by builds that go on"
        " to work; the paste is cut before MII's own error"
    ),
    "tgi-v100-flash-attn-cc70": (
        "facts: the first root cause does not name 'Error when initializing model'"
    ),
    "tgi-v100-oom-flan-ul2-noshard": (
        "facts: the first root cause does not name 'ShardCannotStart'"
    ),
    "ds402-l4t-container-libnvinfer6-missing": (
        "facts: the first root cause does not name 'deepstream-l4t:4.0.2-19.12-samples'"
    ),
    "nano-cctag-invalid-device-symbol-no-sm53": (
        "CUDA's 'invalid device symbol' names no architecture; only the maintainer says the build"
        " lacks the Nano's sm_53"
    ),
    "nano-docker-devicequery-no-nvidia-runtime-err35": (
        "facts: the first root cause does not name 'cudaGetDeviceCount returned 35'"
    ),
    "tf216-cudart-stub-no-cuda-libs": (
        "facts: the first root cause does not name 'cudart_stub.cc'"
    ),
    "tf220-rtx50-sm120-invalid-ptx": (
        "CUDA_ERROR_INVALID_PTX from TensorFlow's generated kernels reads as the PTX JIT's "
        "failure; that TF 2.20's wheel has nothing for the RTX 50's sm_120 stands only in the "
        "thread"
    ),
    "dra-plugin-nvml-shadowed-by-directory": (
        "the DRA plugin's NVML load failure names no path; only the thread shows the empty "
        "directory named libnvidia-ml.so.1"
    ),
    "driver-container-cannot-unload-modules-in-use": (
        "facts: the first root cause does not name '4.15.0-70-generic'"
    ),
    "gfd-no-nvml-no-labels": (
        "facts: the first root cause does not name 'no labels generated from any source'"
    ),
    "gpu-operator-containerd-no-nvidia-runtime": (
        "facts: the first root cause does not name 'gpu-feature-discovery-qfjgk'"
    ),
    "mig-parted-reset-in-use-nvidia-drm": (
        "facts: the first root cause does not name 'error resetting all GPUs'"
    ),
    "mmaction-error35-conda-cudatoolkit100": (
        "facts: the first root cause does not name '10.0.130'"
    ),
    "pyg-conda-no-build-for-torch231": (
        "facts: the first root cause does not name '2.3.1', 'pytorch-cuda=12.1'"
    ),
    "torch1121-conda-cudatoolkit102-cpu-build": (
        "torch.version.cuda's None stands three lines below its print() among the other answers; "
        "the reading that pairs a print with its answer takes only the next line"
    ),
    "cachyos-nvidia-dkms-missing-for-kernel": (
        "facts: the first root cause does not name 'linux-cachyos'"
    ),
    "debian10-container-libnvidia-ml-ldconfig": (
        "facts: the first root cause does not name '430.40'"
    ),
    "driver-container-ubuntu2204-on-2404-unknown-symbol": (
        "facts: the first root cause does not name 'disagrees about version of symbol'"
    ),
    "nixos2003-nvidia-docker-libnvidia-ml-not-found": (
        "facts: the first root cause does not name '/run/opengl-driver/lib'"
    ),
    "flox-ffmpeg-libnvcuvid-not-on-path": (
        "facts: the first root cause does not name 'libnvcuvid.so.575.57.08'"
    ),
    "nixos-gst-nvcodec-libnvidia-encode-runpath": (
        "facts: the first root cause does not name 'gstnvenc.c:878'"
    ),
    "nvenc-open-kernel-module-geforce-rtx2060": (
        "NVENC's error 10 (out of memory) on an RTX 2060 names no driver cause; that the open "
        "kernel modules of 520 lacked NVENC on GeForce stands only in the thread"
    ),
    "opencv24-links-distro-2.4.9-without-cuda": (
        "facts: the first root cause does not name 'opencv-2.4.9+dfsg'"
    ),
    "opencv453-dnn-cuda-arch-bin-75-gtx745": (
        "facts: the first root cause does not name 'CUDA_ARCH_BIN=7.5', 'compute capability: 5.0'"
    ),
    "plex-docker-nvenc-needs-driver-capabilities-all": (
        "FFmpeg's 'Cannot load libnvidia-encode.so.1' in Plex's log shows no container; that the "
        "Plex container lacked NVIDIA_DRIVER_CAPABILITIES=video stands only in the thread"
    ),
    "upbge-source-build-no-cycles-cuda": (
        "Blender's 'No compatible GPUs found for Cycles. Requires ... compute capability 3.0' is "
        "read as the GPU's minimum; that the self-built UPBGE had no Cycles CUDA stands only in "
        "the poster's prose"
    ),
    "wsl2-ffmpeg-nvenc-no-libnvidia-encode": ("facts: the first root cause does not name '465.12'"),
    "cupy-cuda102-pip-libcudart102-missing": (
        "facts: the first root cause does not name 'cupy-cuda102'"
    ),
    "cupy12x-libcudart12-missing": ("facts: the first root cause does not name 'cupy-cuda12x'"),
    "neon-pycuda-cuinit-no-device-docker-build": (
        "cuInit's 'no CUDA-capable device is detected' in a make log shows no container; that it "
        "ran in Docker Hub's automated build without a GPU stands only in the thread"
    ),
    "numba046-libnvvm-not-found": ("facts: the first root cause does not name '0.46.0'"),
    "numba057-ptx81-driver-too-old": ("facts: the first root cause does not name '[222]'"),
    "pycuda-cuinit-unknown-vm-no-gpu": (
        "cuInit's 'unknown error' is read as the driver's bad state; that Ubuntu ran in a VM on a"
        " Mac without an NVIDIA GPU stands only in the thread"
    ),
    "accelerate-config-use-cpu-true": (
        "facts: the first root cause does not name '1.12.1+cu116 (True)'"
    ),
    "bnb-cuda102-no-prebuilt-binary": (
        "facts: the first root cause does not name 'Detected CUDA version 102'"
    ),
    "bnb-cuda121-setup-py-without-make": (
        "facts: the first root cause does not name 'Detected CUDA version 121'"
    ),
    "fastchat-v100-bf16-tf32-unsupported": (
        "facts: the first root cause does not name 'major=7, minor=0'"
    ),
    "flashattn-cxx11abi-true-wheel-torch24": (
        "facts: the first root cause does not name 'cxx11abiTRUE', '_ZN3c105ErrorC2ENS_14SourceLo"
        "cationENSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE'"
    ),
    "xformers-macos-m1-no-cuda": (
        "xFormers built for 'PyTorch 2.0.1 with CUDA 1106 (you have 2.0.1)' is a wheel mismatch "
        "on Linux, where PyPI's 2.0.1 is a CUDA build; the Mac M1 stands only in the poster's "
        "prose"
    ),
    "ds0102-cuda-home-missing-pip": (
        "facts: the first root cause does not name 'deepspeed-0.10.2'"
    ),
    "horovod-build-nccl-h-missing": (
        "facts: the first root cause does not name 'HOROVOD_NCCL_INCLUDE=/usr/include'"
    ),
    "megatron-nccl2193-duplicate-gpu": (
        "facts: the first root cause does not name 'NCCL version 2.19.3'"
    ),
    "tf23-win-mirrored-ncclallreduce-no-kernel": (
        "facts: the first root cause does not name '<no registered kernels>'"
    ),
    "wsl-docker-nccl-bridge-ip-no-interface": (
        "facts: the first root cause does not name '172.17.0.2'"
    ),
    "aks-a10-vgpu-unlicensed-busy-unavailable": (
        "facts: the first root cause does not name 'Failed to initialize NVML: Unknown Error'"
    ),
    "kvm-geforce-hypervisor-device-handle-unknown": (
        "nvidia-smi's 'Unable to determine the device handle ... Unknown Error' is read as a GPU "
        "fault; the hypervisor check of GeForce drivers stands only in the poster's prose and the"
        " libvirt XML"
    ),
    "lxd-unpriv-nested-docker-devices-allow": (
        "facts: the first root cause does not name 'skipping kernel modules load due to user "
        "namespace'"
    ),
    "podman-344-no-cdi-stat-device": ("facts: the first root cause does not name '3.4.4'"),
    "vfio-d3cold-rminitadapter-0x22-0x56-667": (
        "facts: the first root cause does not name 'D3cold'"
    ),
    "vmware-vgpu-vcs-unlicensed": (
        "facts: the first root cause does not name 'NVIDIA Virtual Compute Server'"
    ),
    "isaacautomator-aws-isaacsim5-driver-535-too-old": (
        "facts: the first root cause does not name 'rtx driver verification failed'"
    ),
    "isaaclab-blackwell-physx-719-launch-failure": (
        "facts: the first root cause does not name 'Error code 719'"
    ),
    "isaaclab-gtx1080ti-physx-kernel-error-400": (
        "PhysX's 'GPU kernel ... failed to launch with error 400' names no architecture; that "
        "Isaac Sim does not support the GTX 1080 Ti stands only in the poster's question"
    ),
    "deepstream-trt-workspace-4gib-oom": (
        "TensorRT's tactic-workspace OutOfMemory is a warning the builder recovers from (NVIDIA "
        "in TensorRT-LLM#493); the paste stops before it says whether the engine was built"
    ),
    "tf211-colab-libnvinfer7-missing": (
        "TF 2.11's TensorRT 7 load failure is optional (only TF-TRT is missing) and the "
        "maintainer called it harmless; the case files it as library-missing"
    ),
    "trt7-unsupported-sm-rtx-a6000": ("facts: the first root cause does not name '7.0.0.11'"),
    "trt82-libnvinfer8-import-missing": (
        "facts: the first root cause does not name 'TensorRT 8.2.5.1'"
    ),
    "trt84-safeversion-engine-mismatch": (
        "facts: the first root cause does not name 'Serialization assertion safeVersionRead == "
        "safeSerializationVersion failed', '8.4.24'"
    ),
    "trt861-windows-nvinfer-dll-missing": (
        "facts: the first root cause does not name 'TensorRT-8.6.1.6'"
    ),
    "trtexec-trt107-sm120-rtx5070ti": ("facts: the first root cause does not name 'v100700'"),
    "trtllm-import-libmpi12-missing": ("facts: the first root cause does not name 'mpi4py'"),
    "trtllm-trt105-sm70-v100": ("facts: the first root cause does not name 'TensorRT-10.5.0.18'"),
    "ort1201-libcudnn-adv9-missing-cuda120": ("facts: the first root cause does not name '1.20.1'"),
    "rembg-win-loadlibrary126-trt-cuda-dll": (
        "facts: the first root cause does not name 'onnxruntime_providers_cuda.dll'"
    ),
    "lammps-gpu-cuda804-rtx5080": ("facts: the first root cause does not name 'nvd_device.h'"),
    "localcolabfold-jax0423-unable-load-cudnn": (
        "facts: the first root cause does not name '0.4.23+cuda11.cudnn86'"
    ),
    "chatglm6b-cpm-kernels-orin-no-sm87": (
        "facts: the first root cause does not name 'cpm_kernels'"
    ),
    "chatglm6b-win-torch20-cpu-build-cu118-vision": (
        "facts: the first root cause does not name ':False'"
    ),
    "mmcv153-torch112-ext-undefined-symbol": (
        "facts: the first root cause does not name 'MMCV 1.5.3'"
    ),
    "mmdet27-mmcv-ext-undefined-c10-autogradmeta": (
        "facts: the first root cause does not name 'pytorch1.7.1'"
    ),
    "paddleocr-pdfextract-cudnn-not-on-path": (
        "facts: the first root cause does not name 'release 11.8'"
    ),
    "candle-cudarc-ptx-cuda125-unsupported-toolchain": (
        "facts: the first root cause does not name 'release 12.5'"
    ),
    "cudajl-linux-libcuda-so-missing": (
        "Julia's dlopen of 'libcuda' asks for the development name libcuda.so, read as that link "
        "missing; that no driver is installed stands only in the thread"
    ),
    "djl018-cudart-not-found-cpu-fallback": (
        "facts: the first root cause does not name '1.11.0-cpu-linux-x86_64'"
    ),
    "libtorch16-selfbuilt-t4-no-kernel-image": (
        "facts: the first root cause does not name '/usr/local/libtorch/lib/libtorch_cuda.so'"
    ),
    "tch-syntaxdot-libtorch-no-kernel-image": (
        "facts: the first root cause does not name 'libtorch_cuda_cu.so'"
    ),
    "torchsharp-win-cuda-dlls-not-loaded": (
        "TorchSharp's 'CUDA non available in the current machine.' names no library; that "
        "torch_cuda.dll was never loaded stands only in the thread"
    ),
    "dcgm-exporter-gke-driver-race": ("facts: the first root cause does not name '4.2.3-4.1.3'"),
    "dcgm-exporter-gke-nvml-init-crashloop": (
        "facts: the first root cause does not name 'Failed to initialize NVML'"
    ),
    "dcgm-exporter-gke-nvml-library-not-found": (
        "dcgm-exporter's ERROR_LIBRARY_NOT_FOUND reads as the driver's libraries missing; a log "
        "that looks the same (dcgm-exporter-gke-driver-race) is the driver not yet installed, so "
        "only the thread says the pod lacked the mount"
    ),
    "dcgmi-hostengine-g4ad-amd-gpu": (
        "dcgmi's 'Unable to connect to host engine' says only that nv-hostengine is not running; "
        "that the instance had an AMD GPU stands only in the thread"
    ),
    "ngputop-libnvidia-ml-so-unversioned-missing": (
        "ngputop's own 'NVML library is not installed or not found' is not read; its strace of "
        "libnvidia-ml.so beside rpm's libnvidia-ml.so.1 shows the development name missing, which"
        " the families table files as library-symlink"
    ),
    "xid45-nvidia-smi-hung-state-d": ("facts: the first root cause does not name 'state:D'"),
    "dgr-cuda116-vs-torch-cu121-mismatch": (
        "family judgement: torch's cpp_extension CUDA mismatch is toolchain in the corpus "
        "(flashattn-build-nvcc122-vs-torch-cu117), the toolkit being what to change; the "
        "collector filed it as wheel"
    ),
    "tcnn-jetson-orin-cc87-no-extension": (
        "facts: the first root cause does not name 'linux-aarch64'"
    ),
    "tcnn-rtx4090-nvcc112-compute89": ("facts: the first root cause does not name 'v11.2'"),
    "envycontrol-integrated-mode-nvidia-smi-fails": (
        "facts: the first root cause does not name '--switch integrated'"
    ),
    "optimus-manager-nouveau-switching-nvidia-absent-after-intel": (
        "optimus-manager's 'Loading module nvidia' before its 'Xorg pre-start setup error' gives "
        "no reason; the paste is cut before the failing command, and that the GPU was powered off"
        " stands only in the thread"
    ),
    "suseprime-unable-to-query-gpu-information": (
        "prime-select's 'Unable to query GPU information' is its own wording for nvidia-xconfig "
        "returning nothing; that the driver install was broken stands only in the thread"
    ),
    "aws-g5-a10g-driver-450-too-old": ("facts: the first root cause does not name '450.142.00'"),
    "aws-p2-k80-needs-470-legacy-driver": (
        "facts: the first root cause does not name 'NVRM: The NVIDIA Tesla K80 GPU installed in "
        "this system is'"
    ),
    "lambda-a100-nunchaku-no-kernel-image": (
        "facts: the first root cause does not name 'NVIDIA A100-SXM4-40GB'"
    ),
    "caffe-c3d-invalid-device-function-titanx": (
        "facts: the first root cause does not name 'GTX TITAN X'"
    ),
    "cntk26-rtx2080ti-cudnn-execution-failed-cuda90": (
        "CUDNN_STATUS_EXECUTION_FAILED names no architecture; that CNTK 2.6's CUDA 9.0 build has "
        "no Turing kernels stands only in the thread and the poster's prose"
    ),
    "cupy-nvrtc-compute21-gt730-cuda91": (
        "facts: the first root cause does not name 'release 9.1'"
    ),
    "torch7-cutorch-modprobe-nvidia352-no-such-device": (
        "facts: the first root cause does not name 'no CUDA-capable device is detected'"
    ),
    "cuda-samples-nvcc-in-usr-bin": ("facts: the first root cause does not name '/usr/bin/nvcc'"),
    "dfdx-nvcc115-no-sm89": (
        "the paste holds only nvidia-smi's compute_cap and nvcc --list-gpu-code, no error line; "
        "that a build passed the missing sm_89 stands in the pull request"
    ),
    "win-cmake-no-cuda-toolset-cuda114": ("facts: the first root cause does not name 'v11.4'"),
    "colmap-docker-native-arch-empty": (
        "facts: the first root cause does not name '-gencode=arch=compute_,code=sm_'"
    ),
    "cuda70-docker-devices-only-deviceQuery-35": (
        "facts: the first root cause does not name 'cudaGetDeviceCount returned 35', '346.46', "
        "'nvidia/cuda:7.0-cudnn3-devel'"
    ),
    "mlperf-docker-build-arch-list-empty": (
        "facts: the first root cause does not name '_get_cuda_arch_flags'"
    ),
    "pytorch-docker-build-nccl-compute80": ("facts: the first root cause does not name 'nccl'"),
    "torch-docker-build-no-driver": (
        "facts: the first root cause does not name 'torch._C._cuda_init()'"
    ),
    "torch7-cuda102-compute86-unsupported": (
        "facts: the first root cause does not name 'got cuda version 10.2'"
    ),
    "chattts-titanx-triton-too-old-warning": (
        "facts: the first root cause does not name 'BackendCompilerFailed'"
    ),
    "torch-inductor-gtx1070-triton-cc61": (
        "facts: the first root cause does not name 'CUDA capability 6.1'"
    ),
    "ds60-yolo-engine-version-tag-mismatch": (
        "facts: the first root cause does not name 'fire.engine'"
    ),
    "ft-backend-gpt-gemm-plain-docker": (
        "CUDA's error 35 in FasterTransformer's output shows no container start; that the "
        "container was started without --gpus stands only in the thread"
    ),
    "seldon-triton2302-driver-not-detected": ("facts: the first root cause does not name '23.02'"),
    "triton2009-titanxp-driver440-804": ("facts: the first root cause does not name '804'"),
    "triton2010-rtx2080ti-driver440-804": ("facts: the first root cause does not name '804'"),
    "triton2112-libtorch-illegal-memory-access": (
        "facts: the first root cause does not name 'backend_memory.cc:177'"
    ),
    "catboost0104-error35-driver384": ("facts: the first root cause does not name '384.130'"),
    "lightgbm-no-opencl-device-titanx": (
        "facts: the first root cause does not name '/usr/local/cuda/lib64/libOpenCL.so.1'"
    ),
    "thundersvm-cuda90-wheel-on-cuda102": (
        "the loader names libthundersvm.so itself as missing; that the wheel's CUDA 9.0 "
        "dependencies are what is missing stands only in the thread"
    ),
    "keras3-tf216dev-cannot-dlopen": (
        "facts: the first root cause does not name '2.16.0-dev20240101'"
    ),
    "tf215-wsl-cudart-not-found": ("facts: the first root cause does not name 'cudart_stub'"),
    "tf28-dnn-library-not-found-wrong-cudnn": (
        "TensorFlow's 'DNN library is not found' alone reads as no cuDNN; that another cuDNN than"
        " the build's was loaded stands only in the poster's resolution"
    ),
    "torch-ddp-rtx5090-nccl-cu118-named-symbol": (
        "NCCL's \"Cuda failure 'named symbol not found'\" is read as NCCL's own CUDA failure; that "
        "a CUDA 11.8 NCCL has no code for the RTX 5090 stands only in the thread"
    ),
    "af3-docker-driver555-requires-cuda126": (
        "facts: the first root cause does not name '555.42.06'"
    ),
    "axlearn-torch211-jax0433-cudnn9-pin-conflict": (
        "the paste shows both cuDNN wheels installed, one after the other (9.5.1.17 for jax, "
        "8.9.2.26 in the poster's second try), so libcudnn.so.8 missing is read as cuDNN 8 "
        "missing"
    ),
    "jax0413-cuda101-no-extra-cuda10-pip": (
        "facts: the first root cause does not name 'jax-0.4.13'"
    ),
    "spyx-jax-cuda12-plugin-custom-call-signature-mismatch": (
        "facts: the first root cause does not name 'register_custom_call_target(): incompatible "
        "function arguments'"
    ),
    "torax-jax-cuda12-plugin-triton-attr-mismatch": (
        "facts: the first root cause does not name 'register_compilation_handler'"
    ),
    "torch2jax-jax060-torch-cudnn-pin-no-solution": (
        "facts: the first root cause does not name '9.1.0.70', 'jax[cuda]==0.6.0'"
    ),
    "lsio-fw-240gpu-libcudnn-ops9": ("facts: the first root cause does not name 'NoneType'"),
    "xxl-r2452-rtx5080-int8-cublas-not-supported": (
        "facts: the first root cause does not name '--compute_type int8'"
    ),
    "docker-require-cuda128-driver535": ("facts: the first root cause does not name 'v535'"),
    "jetson-csv-gpus-flag-unsupported": (
        "facts: the first root cause does not name \"Auto-detected mode as 'csv'\""
    ),
    "pip-torch-cu121-index-py3135-no-match": (
        "facts: the first root cause does not name 'whl/cu121'"
    ),
    "torch-not-compiled-cuda-then-cu124-index-270": (
        "facts: the first root cause does not name 'whl/test/cu124'"
    ),
    "uv-onnxruntime-gpu-1232-no-aarch64-wheel": (
        "facts: the first root cause does not name 'manylinux_2_39_aarch64'"
    ),
    "uv-sync-cpu-extra-torch260-macos-only": (
        "facts: the first root cause does not name 'manylinux_2_35_x86_64', 'macosx_11_0_arm64'"
    ),
    "llama-cpp-python-windows-cpu-only-build": (
        "llama_print_system_info's CPU-only feature list names no missing backend; that the wheel"
        " was built without CUDA stands only in the thread"
    ),
    "llamacpp-p40-illegal-memory-access-regression": (
        "facts: the first root cause does not name 'ggml_backend_cuda_synchronize'"
    ),
    "lmstudio-gt730-cc-below-5-unsupported": (
        "LM Studio's 'Exit code: 18446744072635812000' names no cause; the GT730 stands in the "
        "issue template's prose"
    ),
    "llmdet-mmcv-libcudart101-on-cuda121": (
        "libcudart.so.10.1 missing beside a prose 'cuda12.1' reads as the runtime missing; the "
        "log shows no CUDA 12 install (nvcc, a cuda-12.1 directory) to call it a build for "
        "another CUDA"
    ),
    "paddle010-libcudnn-so-missing": (
        "facts: the first root cause does not name 'PaddlePaddle 0.10.1'"
    ),
    "torch-c10-dll-vcredist-missing": (
        "facts: the first root cause does not name 'Microsoft Visual C++ Redistributable is not "
        "installed'"
    ),
    "torch-c10-dll-vcredist-zh": (
        "facts: the first root cause does not name 'Microsoft Visual C++ Redistributable is not "
        "installed'"
    ),
    "cmp40hx-pcie-gen2-unlock-rminitadapter": (
        "NVRM's RmInitAdapter failure reads as the module failing to start the GPU; that the PCIe"
        " link retrain made it fall off the bus stands in the thread's title (the Xid 79 line is "
        "not in the paste)"
    ),
    "m40-clh-guest-no-irq-probe-failed": (
        'facts: the first root cause does not name "Can\'t find an IRQ for your NVIDIA card", '
        "'probe of 0000:00:05.0 failed with error -1'"
    ),
    "nixos-435-module-symvers-missing": (
        "facts: the first root cause does not name '435.21', '5.4.1'"
    ),
    "pcie-aer-fatal-cmpltto-gpu-lost": (
        "facts: the first root cause does not name 'Uncorrected (Fatal)', 'CmpltTO'"
    ),
    "diffusers-env-wsl1-gpu-false": (
        "diffusers' environment report shows PyTorch without a GPU on a 4.4.0-19041-Microsoft "
        "(WSL 1) kernel, which no entry reads as WSL 1"
    ),
    "torch12-rtx3070-cuda100-no-kernel-image": (
        "facts: the first root cause does not name 'release 10.0'"
    ),
    "torch14-k80-no-kernel-image-209": ("facts: the first root cause does not name 'tesla K80'"),
    "compose-1.17-deploy-devices-unexpected": (
        "facts: the first root cause does not name 'docker-compose version 1.17.1'"
    ),
    "gpu-operator-driver-535-modpost-gpl-rhel94": (
        "facts: the first root cause does not name 'nvidia-535.104.05', "
        "'5.14.0-427.33.1.el9_4.x86_64'"
    ),
    "jetson-compose-runtime-ignored-libnvdla-too-short": (
        "facts: the first root cause does not name '2.29.7'"
    ),
    "k8s-dp-gtx760-too-old-healthcheck-insufficient-gpu": (
        "the scheduler's 'Insufficient nvidia.com/gpu' reads as the node offering no GPU; that "
        "the device plugin's health check failed on a GTX 760 stands only in the thread"
    ),
    "k8s-dp-xid69-device-unhealthy": (
        "facts: the first root cause does not name 'device marked unhealthy'"
    ),
    "microk8s-no-runtimeclass-cuda-driver-insufficient": (
        "CUDA's error 35 in a pod's output shows no container start without the runtime class; "
        "that the pod ran under runc stands only in the pull request"
    ),
    "merlin-ci-container-no-gpu-dlopen-libcuda": (
        "cuda-python's 'Failed to dlopen libcuda.so' reads as the development name missing; that "
        "the CI machine had no GPU at all stands only in the pull request"
    ),
    "pointnet2-nvcc-cuda80-compute75": (
        "facts: the first root cause does not name '/usr/local/cuda-8.0/bin/nvcc'"
    ),
    "sglang-selfhosted-runner-persistenced-nvml-mismatch": (
        "facts: the first root cause does not name '580.126.09', '580.159.03'"
    ),
    "simpleknn-build-gcc-missing-nvcc-fatal": (
        "facts: the first root cause does not name 'gcc: No such file or directory'"
    ),
    "tf-colab-libnvinfer6-missing": (
        "TensorFlow 2.1's TensorRT 6 load failure is optional (only TF-TRT is missing) and "
        "healthy TF 2.1 starts print it, so it stays benign; the case files it as library-missing"
    ),
    "tf-docker-image-libnvinfer6-missing": (
        "TensorFlow 2.1's TensorRT 6 load failure is optional (only TF-TRT is missing) and "
        "healthy TF 2.1 starts print it, so it stays benign; the case files it as library-missing"
    ),
    "tf110-nvidia-smi-352-vs-driver-384": (
        "the paste's nvidia-smi table shows one driver, 352.63; the kernel module's 384.130 "
        "stands only in the thread"
    ),
    "tf24-wsl2-libcuda1-missing-cuinit303": (
        "the log's first failure is libcudart.so.11.0 and leads in log order; the thread blames "
        "the libcuda.so.1 missing three lines later"
    ),
    "torch-sm86-no-kernel-image-stylegan3": ("facts: the first root cause does not name 'SM_86'"),
    "wsl2-custom-kernel-nvml-gpu-access-blocked": (
        "NVML's 'GPU access blocked by the operating system' reads as a permission the host "
        "withholds; the paste shows no WSL, which the thread names"
    ),
    "wsl2-nvidia-smi-driver-not-loaded": (
        "facts: the first root cause does not name 'Driver Not Loaded', '5.15.79.1'"
    ),
    "ctk19-nvml-driver-not-loaded": ("facts: the first root cause does not name 'version=1.9.0'"),
    "cuda92-image-unsatisfied-condition": (
        "facts: the first root cause does not name 'nvidia/cuda:9.2-runtime-ubuntu16.04'"
    ),
    "rocker-cuda100-unsatisfied-condition": (
        "facts: the first root cause does not name 'NVIDIA_REQUIRE_CUDA=cuda>=10.0'"
    ),
    "sd-docker-could-not-select-intel-only": (
        "facts: the first root cause does not name 'Mesa Intel® Xe Graphics (TGL GT2)'"
    ),
    "tensorrt-snap-docker-could-not-select": (
        "facts: the first root cause does not name 'docker.dockerd'"
    ),
    "bnb-windows-native-cpu-only-library": (
        "facts: the first root cause does not name 'No GPU detected!'"
    ),
    "colab-k80-roi-align-error-209": ("facts: the first root cause does not name 'error=209'"),
    "colab-torch15-driver-too-old-10010": (
        "facts: the first root cause does not name 'release 10.1'"
    ),
    "jax-cudnn-exec-failed-preallocation": (
        "the log shows cuDNN's EXECUTION_FAILED, a cuDNN failure (cudnn-init, with JAX's "
        "preallocation in the fix); that memory was the cause is only the maintainer's word in a "
        "related thread"
    ),
    "jaxlib-cuda111-dnn-library-not-found": (
        "facts: the first root cause does not name 'jaxlib==0.1.57+cuda111'"
    ),
    "jaxlib-cudnn86-runtime-8.5": ("facts: the first root cause does not name 'cuda11.cudnn86'"),
    "l4t-docker-build-libcurand10-no-default-runtime": (
        "the paste shows a classic docker build step and libcurand.so.10 missing; that this is a "
        "Jetson whose CUDA the NVIDIA runtime mounts stands only in the thread"
    ),
    "l4t-pytorch-r3242-mount-error-host-older": (
        "facts: the first root cause does not name 'r32.4.2'"
    ),
    "mxnet-cu110-no-windows-wheel": ("facts: the first root cause does not name 'Win10'"),
    "opencv-tx2-gpumat-no-sm62": (
        "OpenCV's 'Gpu API call (unknown error)' names no architecture; the TX2's missing sm_62 "
        "in the build is only the user's own later finding"
    ),
    "rocm-tf13-cp27m-wheel-ucs4": ("facts: the first root cause does not name 'Python 2.7.12'"),
    "tf-sleap-oom-inference-2025": ("facts: the first root cause does not name 'GPU_0_bfc'"),
    "torch-device-side-assert-n-classes": (
        "facts: the first root cause does not name 't >= 0 && t < n_classes'"
    ),
    "torch-oom-6gib-molopt": (
        "facts: the first root cause does not name '6.00 GiB total capacity'"
    ),
    "torch151-cu101-rtx3080ti-exec-failed": (
        "CUDNN_STATUS_EXECUTION_FAILED beside a CUDA 10.1 build names no GPU; the RTX 3080 Ti is "
        "only in the thread's title"
    ),
    "torchvision-080-cu110-missing-from-index": (
        "facts: the first root cause does not name 'torch==1.7.0+cu110'"
    ),
    "tsfedl-requires-tensorflow-gpu": (
        "facts: the first root cause does not name 'metadata-generation-failed'"
    ),
    "wsl-build20226-nbody-cudaErrorDevicesUnavailable": (
        "the paste shows a docker run and error 46 (devices unavailable); the WSL build 20226 "
        "that broke GPU paravirtualisation is only in the thread"
    ),
    "3detr-cuda115-compute89-rtx4090": ("facts: the first root cause does not name 'release 11.5'"),
    "a1111-oom-12gib-alloc-24gb": (
        "facts: the first root cause does not name 'Tried to allocate 12.00 GiB', '24.00 GiB "
        "total capacity'"
    ),
    "apollo-nouveau-in-use-installer": (
        "facts: the first root cause does not name '/var/log/nvidia-installer.log'"
    ),
    "azure-v100-smi-power-err-transient": (
        "nvidia-smi's ERR! in one power reading names no fault (a newer nvidia-smi on an older "
        "driver prints ERR! too); the maintainers themselves call it transient"
    ),
    "ddp-physical-id-after-cvd-remap": (
        "facts: the first root cause does not name 'torch.cuda.set_device(gpu)'"
    ),
    "gunrock-cuda80-error35-old-driver": ("facts: the first root cause does not name 'cuda 8.0'"),
    "hiper-win-bnb-libcuda-not-found": ("facts: the first root cause does not name 'libcudart.so'"),
    "hrnet-nproc-per-node-exceeds-gpus": (
        "facts: the first root cause does not name 'error=10 : invalid device ordinal', "
        "'torch.cuda.set_device(args.local_rank)'"
    ),
    "ion-gpu-needs-340-legacy-346": (
        "facts: the first root cause does not name '340.xx Legacy', '346.72', 'NVIDIA init module"
        " failed'"
    ),
    "kohya-win-bnb-no-libcudart": (
        "facts: the first root cause does not name 'libcudart.so', 'CUDA_VERSION=118'"
    ),
    "lc0-cuda90-gcc7-cuda-runtime-h": ("facts: the first root cause does not name 'release 9.0'"),
    "llama2-70b-torchrun-8-procs-one-gpu-wsl": (
        "facts: the first root cause does not name '--nproc_per_node 8'"
    ),
    "mmdet-cuda-home-colon-path-nvcc-91": (
        "facts: the first root cause does not name 'release 9.1, V9.1.85'"
    ),
    "mmdet-cuda80-cuda-runtime-h-missing": ("facts: the first root cause does not name 'cuda 8.0'"),
    "nicehash-nvml-gpuislost-win": (
        "facts: the first root cause does not name 'NVIDIA_DEVICE_NOT_FOUND'"
    ),
    "nvitop-empty-cvd-cuinit-no-device": (
        "facts: the first root cause does not name \"parse_cuda_visible_devices_to_uuids('')\""
    ),
    "semseg-runx-nproc8-error101": (
        "facts: the first root cause does not name 'eval_cityscapes.yml'"
    ),
    "tf-pointcloud-oom-bfc": ("facts: the first root cause does not name '2.16GiB'"),
    "tf-win-cuda10-oom-large-dataset": ("facts: the first root cause does not name '2.60GiB'"),
    "tf1-win-gtx1070-oom-full-fraction": (
        "facts: the first root cause does not name 'freeMemory: 6.63GiB'"
    ),
    "tf21-nightly-libnvinfer6-missing": (
        "TensorFlow 2.1's TensorRT 6 load failure is optional (only TF-TRT is missing) and "
        "healthy TF 2.1 starts print it, so it stays benign; the case files it as library-missing"
    ),
    "tf22-cudnn-internal-error-940mx": (
        "facts: the first root cause does not name 'libcudnn.so.7'"
    ),
    "thrust-cuda117-compute90-unsupported": (
        "facts: the first root cause does not name 'release 11.7'"
    ),
    "torch25-nvjitlink-12_4-undefined": (
        "an undefined symbol of libnvJitLink.so.12 reads as a library of another release loaded "
        "(glibc-abi, as the corpus's torch251-cusparse-nvjitlink-undefined-ldpath); the case "
        "files it as library-missing"
    ),
    "trex-nvml-fan-error-999-rtx3080": (
        "NVML's error code 999 on one fan reading reads as CUDA's unknown error (a driver in a "
        "bad state); that the card itself is failing is only the case's guess"
    ),
    "vllm-gpu-uuid-in-cvd-valueerror": (
        "facts: the first root cause does not name 'device_id_to_physical_device_id'"
    ),
    "wsl-nvcc-reports-115-after-118-install": (
        "the paste is a healthy nvcc --version of CUDA 11.5; that 11.8 was installed is only the "
        "poster's prose"
    ),
    "amgx-summit-jsrun-no-gpu-resource-set": (
        "facts: the first root cause does not name 'jsrun -n 2'"
    ),
    "aws-g5-48xlarge-a10g-gpu0-err": (
        "nvidia-smi's ERR! fields name no fault by themselves (a newer nvidia-smi on an older "
        "driver prints ERR! too) and the log has no Xid; the GPU lost is the case's reading"
    ),
    "container-libnvidia-ml-file-exists-opencl-image": (
        "facts: the first root cause does not name '--gpus device=0'"
    ),
    "docker-gpus-nvidia-smi-not-in-path-cuda10-base": (
        "facts: the first root cause does not name 'nvidia/cuda:10.0-base'"
    ),
    "docker-unknown-runtime-nvidia-docker2-2017": (
        "facts: the first root cause does not name 'nvidia-docker2'"
    ),
    "dockerdesktop-wsl-no-adapters-l20-compose": (
        "facts: the first root cause does not name 'L20'"
    ),
    "dockerdesktop-wsl-no-adapters-ultrarag": (
        "the container toolkit's 'WSL environment detected but no adapters were found' is the "
        "Windows side passing no GPU (driver-missing, as four corpus cases); the case files it as"
        " container"
    ),
    "gpumd-nep-k80-no-kernel-image-209": ("facts: the first root cause does not name '3.7'"),
    "jax-nersc-srun-cuinit-no-device-smi-exit6": (
        "facts: the first root cause does not name 'exit status 6'"
    ),
    "jdftx-perlmutter-gtl-cuipcopenmemhandle-gpu-bind": (
        "cuIpcOpenMemHandle's CUDA_ERROR_INVALID_VALUE names a CUDA call that failed; that "
        "Slurm's per-task GPU binding hid the other ranks' GPUs is only the maintainer's advice"
    ),
    "nsvf-cluster-v100-ext-no-kernel-image": (
        "facts: the first root cause does not name 'intersect_gpu.cu'"
    ),
    "nvidia-docker1-nvidia-smi-not-in-path-cuda8": (
        "facts: the first root cause does not name 'nvidia/cuda:8.0'"
    ),
    "tf14-win-cudnn-preload-check-winerror126": (
        "facts: the first root cause does not name 'WinError 126'"
    ),
    "tf210-win-cudnn-cnn-infer-126": (
        "cuDNN 8's sub-library failing with 126 after cudnn_ops_infer loaded reads as "
        "zlibwapi.dll missing (library-missing, as the corpus's darknet and whisper cases); the "
        "case files it as cudnn-missing"
    ),
    "torch-nll-n-classes-device-assert": (
        "facts: the first root cause does not name 't >= 0 && t < n_classes'"
    ),
    "torch-oom-2gib-gpu-batch2": (
        "facts: the first root cause does not name '2.00 GiB total capacity'"
    ),
    "trixie-node-stale-process-holds-gpu-memory": (
        "the paste is nvidia-smi's process table and ps: no error line; a process holding "
        "25081MiB names no failure by itself"
    ),
    "mxnet-cu100mkl-libcudart100-cuda101": (
        "libcudart.so.10.0 missing reads as the library missing; the CUDA 10.1 installed beside "
        "it stands only in the poster's prose line, which no reading takes as an installed "
        "toolkit"
    ),
    "mxnet191-orin-sm87-no-kernel-209": (
        "facts: the first root cause does not name 'mxnet (1.9.1)'"
    ),
    "opencv45-cuda4dnn-no-nvidia-gpu": (
        "CUDA's 'driver version is insufficient' reads as the driver too old (it also says when "
        "no driver is loaded); that the machine has no NVIDIA GPU is only the poster's prose"
    ),
    "paddle-fluid-cudnn70-built-with-74": (
        "facts: the first root cause does not name 'CUDA Capability: 75'"
    ),
    "paddle-sm86-cuda102-no-kernel-image": (
        "facts: the first root cause does not name 'GPU Compute Capability: 8.6', 'Runtime API "
        "Version: 10.2'"
    ),
    "paddleocr-cudnn-so-path-not-ld-library-path": (
        "facts: the first root cause does not name 'libcudnn.so.7'"
    ),
    "b164-docker-torch-import-libcuda-so1-plain-docker": (
        "family: the plain docker run without the NVIDIA runtime stands only in the maintainer's "
        "answer; the paste shows torch's import without libcuda.so.1, read as no driver"
    ),
    "b165-ubuntu2204-dkms-530-kernel65-vm-flags": (
        "facts: the first compile error of the paste leads (nv-pci.c); the vm_flags error the "
        "case names is a later line of the same build"
    ),
    "b166-apptainer-nvccli-overlay-file-creation-failed": (
        "facts: the first root cause does not name '--nvccli' (the command line)"
    ),
    "b166-docker-win-cuda128-image-driver-551": (
        "facts: the first root cause does not name 'CUDA Version: 12.4' (nvidia-smi's header)"
    ),
    "b166-enroot-pyxis-nvc-1177-file-lookup-denied": (
        "facts: the first root cause does not name '98-nvidia.sh exited with return code 1'"
    ),
    "b166-gpu-operator-secureboot-unsigned-module": (
        "facts: the first root cause does not name 'UEFI Secure Boot enabled' (the installer's "
        "prompt above it)"
    ),
    "t170-genesis-taichi-wsl-cuinit-no-device": (
        "family: WSL2 stands only in the thread; the paste shows Taichi's cuInit "
        "CUDA_ERROR_NO_DEVICE, read as no visible GPU"
    ),
    "t170-numba-wsl2-cuinit-no-device": (
        "family: WSL2 stands only in the thread; the paste shows Numba's cuInit "
        "CUDA_ERROR_NO_DEVICE alone, read as no visible GPU"
    ),
    "t170-tfnightly-rtx5060ti-sm120-ptx85-llvm": (
        "facts: the poster cut TensorFlow's notice before its JIT part, so 'compute capability "
        "12.0' is read from no entry"
    ),
    "t170-wsl-insider-20231-torch-devices-busy": (
        "family: the Windows Insider build stands only as 'windows：20231.1005' in the poster's "
        "note; the paste shows 'all CUDA-capable devices are busy or unavailable'"
    ),
    "alpa-jax-cuinit-34-stub-libcuda": (
        "facts: the first root cause does not name 'was unable to find libcuda.so DSO'"
    ),
    "caffe-fasterrcnn-cublas-not-initialized-cuda-mix": (
        "facts: the first root cause does not name 'Cannot create Cublas handle'"
    ),
    "chainer-cupy-not-installed-cuda-env": (
        "facts: the first root cause does not name 'check_cuda_available'"
    ),
    "comfyui-cliptextencode-flux-oom": (
        "facts: the first root cause does not name 'CLIPTextEncode'"
    ),
    "cudf2304-tesla-m60-cc52-unsupported": (
        "facts: the first root cause does not name 'Compute Capability: 5.2'"
    ),
    "cudf2402-p100-volta-required": (
        "facts: the first root cause does not name 'Compute Capability: 6.0'"
    ),
    "cupy13-hpc-libnvrtc-so12-dlopen": ("facts: the first root cause does not name 'cuda 12.2'"),
    "docker-arch-cgroupv2-devices-not-found": (
        "facts: the first root cause does not name '5.11.12-arch1-1'"
    ),
    "docker1903-runtime-hook-not-found-renamed": (
        "facts: the first root cause does not name '19.03.12'"
    ),
    "fedora-rawhide-no-nvidia-driver-nouveau": (
        "lspci and lsmod show the GPU driven by nouveau; no line says the NVIDIA packages are "
        "missing (only the thread's dnf output does), and nouveau alone is a working set-up"
    ),
    "fedora25-bumblebee-375-nvidia-ko-not-built": (
        "facts: the first root cause does not name '4.10.3-200.fc25.x86_64'"
    ),
    "fedora43-akmod-580-smi-cannot-communicate": (
        "facts: the first root cause does not name '580.105.08'"
    ),
    "flashlight-compute30-cuda111-gtx1050": (
        "facts: the first root cause does not name 'CUDA: 11.1'"
    ),
    "gpu-operator-driver-could-not-resolve-kernel": (
        "facts: the first root cause does not name '4.15.0-115-generic'"
    ),
    "jax034-windows-no-extra-cuda111": ("facts: the first root cause does not name 'jax-0.3.4'"),
    "jetson-compose-without-nvidia-default-runtime": (
        "facts: the first root cause does not name 'libnvdla_compiler.so'"
    ),
    "jetson-jp44-opencv411-no-cuda": (
        "jetson_release's 'OpenCV Cuda: NO' is also what a healthy Jetson prints for a user who "
        "does not use OpenCV's CUDA modules"
    ),
    "jetson-minimal-rootfs-libcuda-so1-not-found": (
        "facts: the first root cause does not name '0.10.0+jetpack'"
    ),
    "manjaro-optimus-manager-no-nvidia-module": (
        "optimus-manager's \"Available modules: ['nouveau']\" and its Xorg pre-start error name no "
        "failure of the nvidia module itself"
    ),
    "mint-docker-optimus-no-cuda-capable-device": (
        "the container CLI's 'no cuda-capable device is detected' reads as no device; only the "
        "thread says the Optimus laptop's GPU was off on the host"
    ),
    "mxnet-cu112-libnvrtc-libcusolver-mismatch": (
        "family: the CUDA 11.1 installed is in the user's prose, not a listing, so the loader "
        "lines read as libraries missing"
    ),
    "nixos-nvidia-open-545-linux67-libspdm": (
        "facts: the first root cause does not name '545.29.02', 'libspdm_shash.o'"
    ),
    "nvidia-docker1-plain-ubuntu-image-no-nvidia-smi": (
        "facts: the first root cause does not name 'ubuntu:16.04'"
    ),
    "nvidia-docker2-nodeps-hook-missing-hpc": (
        "facts: the first root cause does not name '--nodeps'"
    ),
    "nvrm-280-gt520m-not-supported-probe-failed": (
        "facts: the first root cause does not name '10de:1050', '280.13'"
    ),
    "open-kmod-linux615-uvm-build-fail": (
        "facts: the first root cause does not name 'make_device_exclusive'"
    ),
    "open580-rtx3080-aarch64-fwsec-gsp-fail": (
        "facts: the first root cause does not name '94.02.71.40.83'"
    ),
    "paddle182-driver396-error35": ("facts: the first root cause does not name '396.26'"),
    "stt-ct2-940m-no-kernel-image": ("facts: the first root cause does not name '940m'"),
    "tf21-libnvinfer6-tensorrt-missing": (
        "TF 2.1's TensorRT warning is printed by every TF 2.1 start without TensorRT; healthy "
        "start-ups show it too, so it is never a root cause"
    ),
    "theano-win-nvrtc64-70-dll-missing": (
        "facts: the first root cause does not name 'Could not initialize pygpu'"
    ),
    "torch-no-driver-in-plain-docker-gluonnlp": (
        "PyTorch's 'Found no NVIDIA driver' names no container; only the thread says the CI job "
        "ran in plain docker"
    ),
    "torch131-cu100-rtx3080-cublas-exec-failed": (
        "CUBLAS_STATUS_EXECUTION_FAILED alone does not say the GPU is outside the CUDA 10.0 "
        "build; the RTX 3080 and the toolkit are in the user's prose"
    ),
    "trt7-jetson-engine-from-trt6-version-tag": (
        "facts: the first root cause does not name 'Version tag does not match'"
    ),
    "ucx-stub-libnvidia-ml-preloaded": (
        "facts: the first root cause does not name 'nvmlInit_v2() failed'"
    ),
    "verl-nccl-duplicate-gpu-old-ray": (
        "facts: the first root cause does not name 'Duplicate GPU detected : rank 1 and rank 0 "
        "both on CUDA device 10'"
    ),
    "xorg-failed-to-load-nvidia-kernel-module-ion": (
        "facts: the first root cause does not name 'nvidia-current'"
    ),
}


#: a full stop after another mark ("supported!.", "9100..") but not an ellipsis
DOUBLED = re.compile(r"(?:[!?,;:]|(?<!\.)\.)\.(?=\s|$)")


def cases() -> list[Path]:
    return sorted(REAL.glob("*.log"))


def meta(log: Path) -> dict:
    return tomllib.loads(log.with_suffix(".toml").read_text(encoding="utf-8"))


def _param(log: Path):  # type: ignore[no-untyped-def]
    marks = [pytest.mark.xfail(strict=True, reason=WRONG[log.stem])] if log.stem in WRONG else []
    return pytest.param(log, id=log.stem, marks=marks)


@pytest.mark.parametrize("log", [_param(p) for p in cases()])
def test_first_root_cause_names_the_family_with_diagnosis_fix_and_facts(log: Path) -> None:
    case = meta(log)
    result = triage_text(log.read_text(encoding="utf-8"))
    roots = result.root_causes
    if case["family"] == "healthy":
        assert roots == (), [r.id for r in roots]
        return
    assert roots, "no root cause"
    first = roots[0]
    assert first.family == case["family"], (first.id, first.family)
    assert first.diagnosis.strip() and first.fix.strip()
    said = f"{first.diagnosis} {first.fix}"
    missing = [fact for fact in case["mentions"] if fact not in said]
    assert not missing, f"{first.id} does not name {missing}"
    # sentences a person reads: a value that ends in "!" or "." (nvcc's "are not supported!")
    # is quoted, not followed by a second full stop; the log's own lines are quoted as posted
    ours = re.sub(r'"[^"\n]*"', '""', said)
    assert not DOUBLED.search(ours), f"{first.id}: {DOUBLED.search(ours)}"


def test_no_paste_is_counted_twice() -> None:
    """Two cases of one thread are two pastes: neither log's lines all stand in the other's
    with the same family (a paste collected twice would count twice)."""
    by_thread: dict[str, list[Path]] = {}
    for log in cases():
        url = meta(log)["source"].split("#")[0].rstrip("/").lower()
        by_thread.setdefault(url, []).append(log)
    twice = []
    for logs in by_thread.values():
        for i, a in enumerate(logs):
            for b in logs[i + 1 :]:
                la = {x.strip() for x in a.read_text(encoding="utf-8").splitlines() if x.strip()}
                lb = {x.strip() for x in b.read_text(encoding="utf-8").splitlines() if x.strip()}
                if meta(a)["family"] == meta(b)["family"] and (la <= lb or lb <= la):
                    twice.append((a.stem, b.stem))
    assert not twice


def test_wrong_list_names_real_cases() -> None:
    assert set(WRONG) <= {p.stem for p in cases()}


def test_accuracy_bench_reports_every_family() -> None:
    sys.path.insert(0, str(REAL.parents[3] / "bench"))
    import triage_accuracy

    rows = triage_accuracy.evaluate(REAL)
    table = triage_accuracy.table(rows)
    families = {meta(p)["family"] for p in cases()}
    assert all(f"| {family} |" in table for family in families)
    # the corpus criterion: the family, and the facts the case lists
    right = sum(r["mentions"] for r in rows)
    assert right == len(rows) - len(WRONG)
