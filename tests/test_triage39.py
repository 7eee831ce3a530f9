"""Readings the sixty-fourth to seventy-first held-out samples taught, each on the real paste
that showed it (the corpus file, whose .toml keeps the thread's URL) and, where a rule
decides between two readings, on the real line that must keep the other one."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from real_readings import REAL, Reading, assert_reading, first_root

from gpusetup.logtriage import Triage, triage_text

# case -> (family, entry, facts the diagnosis names, facts the fix names)
READINGS: dict[str, Reading] = {
    # NVIDIA/nvidia-docker#1337: the hook renamed by hand
    "docker1903-runtime-hook-not-found-renamed": (
        "container",
        "nvidia-container-runtime.hook-missing",
        ["nvidia-container-runtime-hook"],
        ["nvidia-container-toolkit"],
    ),
    # NVIDIA/gpu-operator#730: containerd without the runtime handler
    "gpu-operator-no-runtime-nvidia-configured": (
        "container",
        "containerd.no-nvidia-runtime",
        ["'nvidia'"],
        ["nvidia-ctk runtime configure --runtime=containerd"],
    ),
    # NVIDIA/gpu-operator#85
    "gpu-operator-driver-could-not-resolve-kernel": (
        "kernel-module",
        "gpu-operator.driver-kernel-unresolved",
        ["kernel headers"],
        ["precompiled driver image"],
    ),
    # a CSDN paste of Ubuntu 16.04's ldconfig in Chinese: read as the English message
    "ldconfig-nvidia375-libegl-not-symlink": (
        "library-symlink",
        "ldconfig.not-symlink",
        ["/usr/lib/nvidia-375/libEGL.so.1"],
        ["ldconfig"],
    ),
    # dionhaefner/pyhpc-benchmarks#17
    "tensorflow-gpu-removed-conda-env": (
        "wheel",
        "pip.tensorflow-gpu-removed",
        ["tensorflow-gpu"],
        ["Replace tensorflow-gpu with tensorflow"],
    ),
    # ICLDisco/parsec#555
    "cmake326-cuda-architectures-empty": (
        "toolchain",
        "cmake.cuda-architectures-empty",
        ["dtd_test_new_tile"],
        ["-DCMAKE_CUDA_ARCHITECTURES"],
    ),
    # pytorch/ci-infra#541: the NVLS bind wrapped before "CUDA error"
    "p5-h100-nvls-401-fm-not-running": (
        "fabric-manager",
        "nccl.nvls-bind-failed",
        ["CUDA error 401", "the operation cannot be performed in the present state"],
        ["nvidia-fabricmanager", "NCCL_NVLS_ENABLE=0"],
    ),
    # NVIDIA/nccl#976
    "nccl218-h100-nvls-fm-restarted": (
        "fabric-manager",
        "nccl.nvls-cuda-failure",
        ["transport/nvls.cc:165", "invalid argument"],
        ["nvidia-smi -r"],
    ),
    # NVIDIA/nccl#426
    "nccl-roce-ib-error-12-gid-index": (
        "nccl",
        "nccl.ib-completion-error",
        ["status 12", "IBV_WC_RETRY_EXC_ERR"],
        ["NCCL_IB_GID_INDEX"],
    ),
    # NVIDIA/gpu-operator#1595
    "gpu-operator-fabricmanager-start-unknown-option": (
        "fabric-manager",
        "fabricmanager.start-script-unknown-option",
        ["/usr/share/nvidia/nvswitch/fabricmanager.cfg"],
        ["--fm-config-file /usr/share/nvidia/nvswitch/fabricmanager.cfg"],
    ),
    # rwth-i6/returnn#1802: an older libnccl.so.2 found first
    "torch-undefined-ncclMemFree-cu11-cu12-nccl-mix": (
        "wheel",
        "loader.undefined-symbol.nccl",
        ["ncclMemFree"],
        ["nvidia-nccl-cu11"],
    ),
    # NVIDIA/cudf#12812: the GPU and its capability on the lines after the warning
    "cudf2304-tesla-m60-cc52-unsupported": (
        "compute-capability",
        "cudf.architecture-required",
        ["Pascal", "6.0", "Tesla M60", "5.2"],
        ["6.0"],
    ),
    # cupy/cupy#4696: CuPy's import error beside Chainer's own is the reason
    "chainer7-colab-cupy-util-missing": (
        "wheel",
        "chainer.cupy-too-new",
        ["cupy.util"],
        ["7.8.0"],
    ),
    # PaddlePaddle/Paddle#73687
    "paddle31-win-rtx5090d-sm120-arch-mismatch": (
        "compute-capability",
        "paddle.mismatched-gpu-architecture",
        ["75 80 86 89", "sm_120"],
        ["sm_120"],
    ),
    # Theano/Theano#6682
    "theano-win-nvrtc64-70-dll-missing": (
        "library-missing",
        "libgpuarray.could-not-load-dll",
        ["nvrtc64_70.dll"],
        ["nvrtc64_70.dll"],
    ),
    # linghu8812/tensorrt_inference#173: TensorRT's "error: 35"
    "trt-cuda-init-failure-error35": (
        "driver-too-old",
        "cuda.err.insufficient-driver",
        [],
        [],
    ),
    # Dunedan/mbp-2016-linux#60: NVRM's continuation line gives the BAR
    "tb3-egpu-bar1-0m-bios-misconfigured": (
        "kernel-module",
        "nvrm.pci-io-region-invalid",
        ["invalid"],
        ["pci=realloc"],
    ),
    # NVIDIA/open-gpu-kernel-modules#840: GCC's zh_CN "错误："
    "open-kmod-linux615-uvm-build-fail": (
        "kernel-module",
        "kernel-module.nvidia-source-compile-error",
        ["nvidia-uvm/uvm_pmm_gpu.c"],
        [],
    ),
    # Comfy-Org/ComfyUI#4852: the error report's markdown line
    "comfyui-ksampler-allocation-oom": (
        "out-of-memory",
        "torch.out-of-memory.async-cut",
        ["OutOfMemoryError"],
        ["--lowvram"],
    ),
    # open-webui/open-webui#1192: Portainer's spaced "capabilities :"
    "openwebui-ollama-docker-desktop-no-gpu": (
        "container",
        "docker.could-not-select-driver",
        ["[[gpu]]"],
        ["nvidia-ctk runtime configure"],
    ),
    # NVIDIA/nvidia-container-toolkit#452: NixOS-WSL
    "nixos-wsl-nvidia-ctk-cdi-dxcore-context": (
        "container",
        "nvidia-ctk.wsl-dxcore-init-failed",
        ["dxcore"],
        ["/usr/lib/wsl/lib"],
    ),
    # NVIDIA/nvidia-docker#475: a separate /var
    "nvidia-docker1-volume-cross-device-link": (
        "container",
        "nvidia-docker-plugin.cross-device-link",
        ["/usr/lib/nvidia-375/bin/nvidia-cuda-mps-control"],
        ["nvidia-docker-plugin"],
    ),
    # apptainer/singularity#1548
    "singularity25-nv-libs-bind-dir-missing": (
        "container",
        "singularity.nv-libs-dir-missing",
        ["/.singularity.d/libs"],
        ["Apptainer"],
    ),
    # hacksider/Deep-Live-Cam#1338: cuDNN's "Could not locate" names a cuBLAS DLL
    "deeplivecam-cublasLt64_10-missing": (
        "library-missing",
        "cudnn.could-not-locate",
        ["cublasLt64_10.dll"],
        [],
    ),
    # bmaltais/kohya_ss#486: error 127 on a cuDNN DLL (French Windows)
    "kohya-torch-winerror127-cudnn-adv-infer": (
        "cudnn-version",
        "windows.winerror-127",
        ["cudnn_adv_infer64_8.dll"],
        [],
    ),
    # NVIDIA/nvidia-docker#1242: the modules of an earlier driver still held
    "driver-container-cannot-unload-modules-in-use": (
        "kernel-module",
        "driver-container.modules-in-use",
        ["in use"],
        ["rmmod"],
    ),
    # NVIDIA/mig-parted#181: nvidia_drm holds the GPUs a MIG change must reset
    "mig-parted-reset-in-use-nvidia-drm": (
        "kernel-module",
        "nvidia-smi.reset-in-use",
        ["00000000:01:00.0"],
        ["nvidia_drm"],
    ),
}


@pytest.mark.parametrize("case", sorted(READINGS))
def test_the_paste_is_read_with_its_facts(case: str) -> None:
    assert_reading(case, READINGS[case])


def test_chainer_without_cupy_is_a_cpu_only_build() -> None:
    # yusuketomoto/chainer-fast-neuralstyle#99: no CuPy error beside it
    first = first_root("chainer-cupy-not-installed-cuda-env")
    assert (first.family, first.id) == ("cpu-only-build", "chainer.cuda-environment-not-set-up")
    result = triage_text(
        (REAL / "chainer7-colab-cupy-util-missing.log").read_text(encoding="utf-8")
    )
    explained = [i.id for i in result.items if not i.root_cause]
    assert "chainer.cuda-environment-not-set-up" in explained


def test_an_nccl_symbol_is_not_a_glibc_abi_and_other_symbols_keep_theirs() -> None:
    assert first_root("torch-undefined-ncclMemFree-cu11-cu12-nccl-mix").family == "wheel"
    # a lower-case "nccl" that is not NCCL's API is not read as NCCL
    other = "ImportError: /opt/x/libfoo.so: undefined symbol: ncclbar_init\n"
    roots = triage_text(other).root_causes
    assert not roots or roots[0].id != "loader.undefined-symbol.nccl"


def test_the_other_unknown_options_are_not_the_fabric_manager() -> None:
    roots = triage_text("gcc: error: Unknown option: --frobnicate\n").root_causes
    assert not roots or roots[0].family != "fabric-manager"


_MO = sorted(Path("/usr/share/locale").glob("*/LC_MESSAGES/libc.mo"))


@pytest.mark.skipif(not _MO, reason="glibc's catalogues (libc-l10n) are not installed here")
def test_ldconfig_s_translations_are_the_machine_s_own_and_read_as_english() -> None:
    # every language this machine's glibc translates ldconfig's message into is read as the
    # English message (the phrases in triage35.toml are these catalogues')
    read = 0
    for mo in _MO:
        with mo.open("rb") as f:
            phrase = gettext.GNUTranslations(f)._catalog.get("%s is not a symbolic link\n")
        if not phrase or phrase == "%s is not a symbolic link\n":
            continue
        line = "/sbin/ldconfig: " + (phrase % "/usr/lib/x86_64-linux-gnu/libcuda.so.1").strip()
        roots = triage_text(line + "\n").root_causes
        assert roots and roots[0].family == "library-symlink", (mo, line)
        assert "libcuda.so.1" in roots[0].diagnosis, (mo, roots[0].diagnosis)
        read += 1
    assert read >= 30


def test_a_dll_s_family_under_cudnn_s_and_windows_words_stays_where_it_was() -> None:
    # zlibwapi.dll is cuDNN 8's own dependency (t19-darknet-zlibwapi-missing-windows), and
    # error 127 on torch's own c10_cuda.dll is DLLs of two releases mixed, not cuDNN's
    assert first_root("t19-darknet-zlibwapi-missing-windows").family == "cudnn-missing"
    assert first_root("paddleocr-zlibwapi-missing").family == "cudnn-missing"
    assert first_root("torch-win-winerror-127-c10-cuda-old-dlls").family == "glibc-abi"


def reading(triage: Triage) -> list[tuple[str, bool, tuple[str, ...]]]:
    return [(i.id, i.root_cause, i.explained_by) for i in triage.items]


def test_causes_on_one_line_lead_by_the_catalogue_not_by_the_order_they_were_found() -> None:
    # the same-line order once followed the prefilter's groups, and a needle added elsewhere
    # flipped which of two readings of jax0434's ptxas line led; now it is the specific
    # entry before the generic, then the catalogue's order: the scan's matches in reverse
    # give the same root causes
    from dataclasses import replace

    from gpusetup.logtriage.rules import judge
    from gpusetup.logtriage.scan import scan_text

    checked = 0
    for log in sorted(REAL.glob("*.log")):
        scan = scan_text(log.read_text(encoding="utf-8"))
        found = judge(scan).root_causes
        flipped = replace(scan, matches=type(scan.matches)(reversed(scan.matches)))
        assert [i.id for i in judge(flipped).root_causes] == [i.id for i in found], log.stem
        # and so does every other item: symptoms, what explains them, benign lines
        assert reading(judge(flipped)) == reading(judge(scan)), log.stem
        checked += len(found) - len({i.line for i in found})
    assert checked >= 5


def test_vllm_without_a_platform_in_a_docker_run_without_gpus_is_the_container() -> None:
    # studio-dots-ai/dots.ocr#11: `docker run -p 8000:8000 image` without --gpus
    first = first_root("vllm-docker-run-without-gpus-unspecified-platform")
    assert first.family == "container"
    # alone, vLLM's notice is a symptom read as no visible GPU
    line = (
        "INFO 08-02 02:39:50 [__init__.py:248] No platform detected, vLLM is running on "
        "UnspecifiedPlatform\n"
    )
    roots = triage_text(line).root_causes
    assert [(r.id, r.family) for r in roots] == [("vllm.no-platform-detected", "visibility")]


def test_docker_s_platform_notice_beside_a_working_devicequery_is_no_root_cause() -> None:
    # roflcoopter/viseron#108: a mislabelled image whose deviceQuery finds the Jetson's GPU
    case = REAL / "nano-docker-devicequery-102-100-healthy.log"
    assert triage_text(case.read_text(encoding="utf-8")).root_causes == ()
    # without the working run the notice is still the cause it was
    notice = (
        "WARNING: The requested image's platform (linux/amd64) does not match the detected "
        "host platform (linux/arm64/v8) and no specific platform was requested\n"
    )
    assert [r.id for r in triage_text(notice).root_causes] == ["docker.image-platform-mismatch"]
