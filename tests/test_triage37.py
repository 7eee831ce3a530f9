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


# https://github.com/ultralytics/ultralytics/issues/6071 (yolo checks on Windows, PyPI's torch)
ULTRALYTICS_6071 = """\
OS                  Windows-10-10.0.19044-SP0
Environment         Windows
Python              3.11.0
Install             pip
RAM                 15.91 GB
CPU                 AMD Ryzen 5 5600X 6-Core Processor
CUDA                None

matplotlib           3.8.0>=3.3.0
torch                2.1.0>=1.8.0
torchvision          0.16.0>=0.9.0
"""

# https://github.com/invoke-ai/InvokeAI/issues/1202 (InvokeAI 2.0 on Windows, a CPU torch)
INVOKEAI_1202 = """\
* Initializing, be patient...
>> GFPGAN Initialized
>> CodeFormer Initialized
>> ESRGAN Initialized
>> Using device_type cpu
>> Loading stable-diffusion-1.4 from models/ldm/stable-diffusion-v1/model.ckpt
"""


def test_ultralytics_report_without_cuda_beside_pypis_windows_torch_is_a_cpu_build() -> None:
    first = triage_text(ULTRALYTICS_6071).root_causes[0]
    assert (first.family, first.id) == ("cpu-only-build", "ultralytics.checks-cuda-none")
    assert "torch 2.1.0 (line 10" in first.diagnosis and "CPU-only builds" in first.diagnosis
    assert "download.pytorch.org/whl/cu121" in first.fix
    # the same report where torch is a CUDA build names no Windows wheel
    cuda = ULTRALYTICS_6071.replace("2.1.0>=1.8.0", "2.1.0+cu121>=1.8.0")
    first = triage_text(cuda).root_causes[0]
    assert first.family == "cpu-only-build" and "PyPI serves" not in first.diagnosis


def test_ultralytics_report_with_cuda_is_healthy() -> None:
    assert not triage_text(ULTRALYTICS_6071.replace("None", "12.1")).root_causes


def test_invokeai_that_chose_the_cpu_sees_no_gpu() -> None:
    first = triage_text(INVOKEAI_1202).root_causes[0]
    assert (first.family, first.id) == ("cpu-only-build", "invokeai.device-type-cpu")
    assert "download.pytorch.org" in first.fix
    assert not triage_text(INVOKEAI_1202.replace("device_type cpu", "device_type cuda")).root_causes


DETECTRON2_4901 = """\
Looking in links: https://dl.fbaipublicfiles.com/detectron2/wheels/cu118/torch2.0/index.html
ERROR: Could not find a version that satisfies the requirement detectron2 (from versions: none)
ERROR: No matching distribution found for detectron2
"""  # noqa: E501


def test_pip_without_a_distribution_of_another_package_gets_no_tensorflow_only_fix() -> None:
    # https://github.com/facebookresearch/detectron2/issues/4901 (Colab: detectron2's
    # find-links page has no wheel for torch 2.0 and CUDA 11.8)
    log = DETECTRON2_4901
    first = triage_text(log).root_causes[0]
    assert first.family == "wheel"
    assert first.fix.startswith("Check python --version")
    assert "the files detectron2 publishes" in first.fix and "find-links" in first.fix


# https://github.com/NVIDIA/nccl/issues/1488 (H100: fabric manager restarted, GPUs not reset)
NCCL_1488 = """\
node23:12098:12141 [2] NCCL INFO transport/nvls.cc:394 -> 1
node23:12098:12141 [2] NCCL INFO init.cc:1196 -> 1
node23:12098:12141 [2] NCCL INFO init.cc:1462 -> 1
node23:12098:12141 [2] NCCL INFO group.cc:75 -> 1 [Async thread]
"""


def test_nccl_trace_through_nvls_is_the_nvswitch_fabric() -> None:
    first = triage_text(NCCL_1488).root_causes[0]
    assert (first.family, first.id) == ("fabric-manager", "nccl.nvls-setup-failed")
    assert first.facts == {"value": "394", "code": "1"}
    assert "NCCL_NVLS_ENABLE=0" in first.fix and "reset the GPUs" in first.fix


# https://github.com/jax-ml/jax/issues/5464 (jaxlib 0.1.55+cuda110 beside cuDNN 7's files)
JAX_5464 = """\
$ echo $LD_LIBRARY_PATH
/opt/cudnn/lib64:/usr/local/cuda//lib64:/opt/cudnn/lib64:/usr/local/cuda/lib64
$ ls /opt/cudnn/lib64/ 
libcudnn.so  libcudnn.so.7  libcudnn.so.7.6.0  libcudnn_static.a
2021-01-19 21:40:57.616373: W tensorflow/stream_executor/platform/default/dso_loader.cc:60] Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open shared object file: No such file or directory; LD_LIBRARY_PATH: /opt/cudnn/lib64:/usr/local/cuda//lib64:/opt/cudnn/lib64:/usr/local/cuda/lib64
"""  # noqa: E501, W291


def test_plain_ls_columns_show_the_cudnn_installed() -> None:
    first = triage_text(JAX_5464).root_causes[0]
    assert first.family == "cudnn-version"
    assert "cuDNN 7 is installed, this build needs cuDNN 8" in first.diagnosis
    ctx = infer(_lines(JAX_5464))
    assert [c.value for c in ctx.cudnn_installed] == ["7"]
    assert "libcudnn.so.7.6.0" in ctx.listed_libraries


def test_a_line_of_words_is_no_ls_listing() -> None:
    # prose with a library name in it lists nothing
    prose = "I have libcudnn.so.7.6.0  installed and it still fails\n"
    assert infer(_lines(prose)).cudnn_installed == ()


# https://github.com/Qidian213/deep_sort_yolov3/issues/111 (Jetson Nano, the OOM killer)
DEEPSORT_111 = """\
kthreadd: page allocation stalls for 10004ms, order:2, mode:0x27080c0(GFP_KERNAL_ACCOUNT|__GFP_ZERO|__GFP_NOTRACK)
kthread invoked oom-killer: gfp_mask=0x27080c0(GFP_KERNEL_ACCOUNT|__GFP_ZERO|__GFP_NOTRACK), nodemask=0, order=2, oom_score_adj=0
Out of memory: Kill process 7248 (python3) score 266 or sacrifice child
"""  # noqa: E501


def test_the_kernels_oom_killer_is_out_of_memory() -> None:
    first = triage_text(DEEPSORT_111).root_causes[0]
    assert (first.family, first.id) == ("out-of-memory", "kernel.oom-killer")
    assert first.facts == {"pid": "7248", "process": "python3"}
    # Linux 5.0+'s wording, behind dmesg -T's timestamp (https://github.com/0jc1/py-autovod/issues/7)
    newer = (
        "[Sun Mar 30 08:24:00 2025] Out of memory: Killed process 7899 (python) "
        "total-vm:26,184,840kB, anon-rss:153,700,88kB, file-rss:0kB, shmem-rss:0kB, UID:0 "
        "pgtables:38964kB oom_score_adj:0\n"
    )
    assert triage_text(newer).root_causes[0].facts == {"pid": "7899", "process": "python"}


# https://github.com/NVIDIA/nvidia-docker/issues/861 (GTX 1080, CUDA 10 image, older driver)
BRAND_861 = r"""`docker: Error response from daemon: OCI runtime create failed: container_linux.go:348: starting container process caused "process_linux.go:402: container init caused \"process_linux.go:385: running prestart hook 1 caused \\\"error running hook: exit status 1, stdout: , stderr: exec command: [/usr/bin/nvidia-container-cli --load-kmods configure --ldconfig=@/sbin/ldconfig.real --device=all --compute --utility --require=cuda>=10.0 brand=tesla,driver>=384,driver<385 --pid=3088 /var/lib/docker/overlay2/681b52ecc456f043441a3ea22321c4b3842a182ec7ab15b094a24e614eb481c2/merged]\\\\nnvidia-container-cli: requirement error: unsatisfied condition: brand = tesla\\\\n\\\"\"": unknown.
`
"""  # noqa: E501


def test_container_requirement_failing_on_its_brand_exception_is_the_old_driver() -> None:
    first = triage_text(BRAND_861).root_causes[0]
    assert (first.family, first.id) == ("driver-too-old", "nvidia-container-cli.brand-requirement")
    assert first.facts["version"] == "10.0" and first.facts["value"] == "tesla"


# TensorFlow 1.3's Windows self-check script (https://github.com/tensorflow/tensorflow/issues/13837)
SELF_CHECK_13837 = """\
ERROR: Failed to import the TensorFlow module.

- Python version is 3.5.

- Could not load 'cudart64_80.dll'. The GPU version of TensorFlow
  requires that this DLL be installed in a directory that is named in
  your %PATH% environment variable. Download and install CUDA 8.0 from
  this URL: https://developer.nvidia.com/cuda-toolkit

- Could not find cuDNN 6.

  * TensorFlow 1.2.1 or earlier requires cuDNN 5.1. ('cudnn64_5.dll')
  * TensorFlow 1.3 or later requires cuDNN 6. ('cudnn64_6.dll')
"""


def test_tensorflow_windows_self_check_names_each_missing_dll_by_its_family() -> None:
    roots = triage_text(SELF_CHECK_13837).root_causes
    assert [(r.family, r.id) for r in roots] == [
        ("library-missing", "tf.self-check-script.dll"),
        ("cudnn-missing", "tf.self-check-script.cudnn"),
    ]
    assert roots[0].facts["dll"] == "cudart64_80.dll"
    # the script's table of releases is no TensorFlow version of the log
    assert "tensorflow" not in infer(_lines(SELF_CHECK_13837)).versions
    nvcuda = SELF_CHECK_13837.replace("cudart64_80.dll", "nvcuda.dll")
    assert triage_text(nvcuda).root_causes[0].family == "driver-missing"
