"""Readings the hundred-and-fifty-fifth to hundred-and-seventieth samples taught, each on the
real paste or line that showed it (the corpus file, whose .toml keeps the thread's URL, or
the thread named beside the line) and on the real line that must keep its other reading."""

from __future__ import annotations

import pytest
from real_readings import Reading, assert_reading

from gpusetup.logtriage import triage_text

# case -> (family, entry, facts the diagnosis names, facts the fix names)
READINGS: dict[str, Reading] = {
    # YoshitakaMo/localcolabfold#70: nvidia/cuda:11.2.0-base has no ptxas to start
    "colabfold-docker-base-no-ptxas": (
        "toolchain",
        "xla.ptxas.cannot-launch",
        ["Couldn't invoke ptxas --version", "could not start ptxas at all"],
        ["nvidia-cuda-nvcc-cu12", "jax[cuda12-local]"],
    ),
    # tensorflow/tensorflow#61330: TF 2.13 in a venv without the toolkit's compiler
    "tf-v100-ptxas-not-found": (
        "toolchain",
        "xla.ptxas.cannot-launch",
        ["Couldn't invoke ptxas --version", "Failed to launch ptxas"],
        ["--xla_gpu_cuda_data_dir"],
    ),
    # jax-ml/jax#7239: jaxlib in Jupyter without the toolkit's bin on PATH
    "jax-ptxas-not-found-jupyter": (
        "toolchain",
        "xla.ptxas.cannot-launch",
        ["Couldn't invoke ptxas --version"],
        ["jax[cuda12]"],
    ),
    # void-linux/void-packages#53759: make's error in Czech ("Chyba 2") on DKMS's build
    # directory itself
    "t170-void-nvidia470-k612-czech-chyba": (
        "kernel-module",
        "dkms.make-error",
        ["470.239.06", "kernel-headers-6.12.7_1"],
        ["/var/lib/dkms/nvidia/470.239.06/build/make.log"],
    ),
    # Frogging-Family/nvidia-all#337: GNU ld cannot read an object of the open modules built
    # for CachyOS's clang kernel; the kernel from its /usr/lib/modules path, the driver from
    # the source tree's name
    "t170-cachyos-nvidia-open-580-italian-attesa": (
        "kernel-module",
        "kernel-module.object-format-not-recognized",
        ["nvidia/nv-platform.o", "6.18.7-2-cachyos", "nv-interface.o"],
        ["LLVM=1"],
    ),
    # numba/numba#9216, AccelerateHS/accelerate-llvm#94, Rust-GPU/rust-cuda#78: libNVVM
    "t170-numba-libnvvm-cuda-home-list": (
        "toolchain",
        "loader.shared-object-missing.libnvvm",
        ["libnvvm.so", "nvvm/lib64"],
        ["conda install -c conda-forge cuda-nvcc", "CUDA_HOME"],
    ),
    "t170-accelerate-ptx-libnvvm-so4-missing": (
        "toolchain",
        "loader.shared-object-missing.libnvvm",
        ["libnvvm.so.4"],
        ["nvvm/lib64"],
    ),
    "t170-rust-cuda-libnvvm-so4-build-script": (
        "toolchain",
        "loader.shared-object-missing.libnvvm",
        ["libnvvm.so.4"],
        ["nvvm/lib64"],
    ),
    # ogkalu2/Merge-Stable-Diffusion-models-without-distortion#1: jaxlib on Windows
    "t170-jax-windows-ptxas-exe-createprocess": (
        "toolchain",
        "xla.ptxas.cannot-launch",
        ["Failed to launch ptxas"],
        ["jax[cuda12]"],
    ),
    # tensorflow/tensorflow#97387: the PTX-JIT notice for 12.0, then the kernel lookup fails
    "t170-tfnightly-rtx5080-cc120-invalid-handle": (
        "compute-capability",
        "cuda.code.program",
        ["compute capability 12.0", "CUDA_ERROR_INVALID_HANDLE", "line 2"],
        ["TF_CUDA_COMPUTE_CAPABILITIES=12.0"],
    ),
    # TaterTotterson/microWakeWord-Trainer-Nvidia-Docker#56: XLA's LLVM emits PTX 8.5
    "t170-tfnightly-rtx5060ti-sm120-ptx85-llvm": (
        "compute-capability",
        "llvm.nvptx.ptx-version-below-target",
        ["PTX 8.5", "sm_120"],
        ["TF_CUDA_COMPUTE_CAPABILITIES"],
    ),
    # remsky/Kokoro-FastAPI#306: PyTorch's warning quoted without its closing period
    "b164-docker-rtx5060ti-sm120-not-compatible": (
        "compute-capability",
        "torch.sm-not-compatible",
        ["NVIDIA GeForce RTX 5060 Ti", "sm_50 sm_60 sm_70 sm_75 sm_80 sm_86 sm_90"],
        ["cu128"],
    ),
    # open-mmlab/mmcv#693: nvcc through '/usr/local/cuda-10.1:/bin/nvcc' finds no cicc
    "b164-mmcv-full-build-nvcc-cicc-not-found": (
        "toolchain",
        "nvcc.cicc-not-found",
        ["cicc", "CUDA 10.1"],
        ["nvvm/bin/cicc", "no ':'"],
    ),
    # NVIDIA/nvidia-container-runtime#98: daemon.json still names the removed runtime
    "b166-docker-stale-nvidia-runtime-config-after-uninstall": (
        "container",
        "docker.nvidia-runtime-missing",
        ['exec: "nvidia-container-runtime": executable file not found in $PATH'],
        ["daemon.json", "systemctl daemon-reload"],
    ),
    # gglyptodon/helixer-docker#5: SingularityCE set up for nvidia-container-cli without it
    "b166-singularity-ce-nvccli-binary-missing": (
        "container",
        "singularity.nvccli-missing",
        ["/usr/bin/nvidia-container-cli"],
        ["libnvidia-container-tools", "use nvidia-container-cli = no"],
    ),
    # NVIDIA/gpu-operator#1142: the installer's unsigned module under Secure Boot
    "b166-gpu-operator-secureboot-unsigned-module": (
        "kernel-module",
        "nvidia-installer.module-load-error",
        ["Operation not permitted", "signature check"],
        ["turn Secure Boot off", "mokutil --import"],
    ),
    # NVIDIA/nvidia-container-toolkit#1860: a CDI spec v0.7 field Podman 4.9's library rejects
    "b166-podman-cdi-spec-unknown-field-additionalgids": (
        "container",
        "cdi.spec-unknown-field",
        ['"additionalGids"', "/etc/cdi/nvidia.yaml"],
        ["Podman 5.x", "nvidia-ctk cdi generate"],
    ),
    # tensorflow/tensorflow#5473: the module that would not load explains TensorFlow's "kernel
    # driver does not appear to be running"
    "b163-tf011-nvidia-367-uvm-unknown-symbol": (
        "kernel-module",
        "kmod.module-not-found-by-name",
        ["Unknown symbol in module", "/proc/driver/nvidia/version does not exist"],
        [],
    ),
    # pythonlessons/TensorFlow-2.x-YOLOv3#105: TF-TRT's stub aborts for the missing TensorRT
    "b163-tf2-trt-libnvinfer6-missing-abort": (
        "library-missing",
        "loader.shared-object-missing",
        ["libnvinfer.so.6", "getInferLibVersion symbol not found"],
        [],
    ),
    # tensorflow/serving (tfserving-libnvinfer7-needs-libnvrtc111): TensorRT's load failure is
    # no longer optional where its stub aborts
    "tfserving-libnvinfer7-needs-libnvrtc111": (
        "library-missing",
        "tf.dso.dlopen-failed.tensorrt",
        ["libnvrtc.so.11.1", "getInferLibVersion symbol not found"],
        [],
    ),
    # NixOS/nixpkgs#371259: driver and kernel from the nix derivation's name
    "b165-nixos-555-kernel612-drm-build-fail": (
        "kernel-module",
        "kernel-module.nvidia-source-compile-error",
        ["The kernel is 6.12.8"],
        [],
    ),
    # NVIDIA/nvidia-docker#365: the kernel uname -a shows
    "b165-ubuntu1404-runfile-module-missing-new-kernel": (
        "kernel-module",
        "modprobe.module-not-found",
        ["The kernel is 3.13.0-116-generic"],
        [],
    ),
    # NVIDIA/open-gpu-kernel-modules#669: the compiler's error leads over make's lines that
    # parallel make printed first
    "b165-ubuntu2204-dkms-530-kernel65-vm-flags": (
        "kernel-module",
        "kernel-module.nvidia-source-compile-error",
        ["scripts/Makefile.build:251"],
        [],
    ),
    # NVIDIA/open-gpu-kernel-modules#1030: the driver an Xid happened on
    "b165-arch-open595-xid31-mmu-fault": (
        "gpu-fault",
        "nvrm.xid",
        ["595.71.05"],
        [],
    ),
}


@pytest.mark.parametrize("case", sorted(READINGS))
def test_a_real_paste_gets_the_reading_its_thread_established(case: str) -> None:
    assert_reading(case, READINGS[case])


def _roots(text: str) -> list[tuple[str, str]]:
    return [(r.id, r.family) for r in triage_text(text).root_causes]


@pytest.mark.parametrize(
    "line",
    [
        # NVIDIA/open-gpu-kernel-modules#501: the kernel Makefile's target is the build
        # directory itself
        "make[1]: *** [Makefile:2024: /var/lib/dkms/nvidia/530.41.03/build] Error 2",
        # Tk-Glitch/PKGBUILDS#414, quoted by the poster
        "> make[1]: *** [Makefile:1652: /var/lib/dkms/nvidia/435.27.08/build] Error 2",
        # linux-surface/linux-surface#573: an object of the module
        "make[2]: *** [scripts/Makefile.build:271: "
        "/var/lib/dkms/nvidia/470.57.02/build/nvidia/nv-mmap.o] Error 1",
    ],
)
def test_dkms_s_make_error_on_the_build_directory_or_an_object_in_it(line: str) -> None:
    assert _roots(line + "\n") == [("dkms.make-error", "kernel-module")]


@pytest.mark.parametrize(
    "line",
    [
        # NVIDIA/open-gpu-kernel-modules#501: the compile lines around the failure
        "  CC [M]  /var/lib/dkms/nvidia/530.41.03/build/nvidia-drm/nvidia-drm-gem-user-memory.o",
        # OpenMandrivaAssociation/distribution#2165: dkms's own command line
        "Mai 24 21:41:22 blackysgate2 sh[11422]: make -C /lib/modules/4.11.2-desktop-1omv/build "
        "M=/var/lib/dkms/nvidia-current/378.13-1/build clean",
        # Frogging-Family/nvidia-all#152-style pointer to the log (open-gpu-kernel-modules#635)
        "Consult /var/lib/dkms/nvidia/545.29.02/build/make.log for more information.",
    ],
)
def test_a_dkms_path_outside_make_s_error_line_is_not_that_error(line: str) -> None:
    assert ("dkms.make-error", "kernel-module") not in _roots(line + "\n")


def test_libnvvm_missing_is_the_toolkit_s_compiler_not_a_runtime_library() -> None:
    # SeanNaren/warp-ctc#152: nvcc's cicc without its libNVVM
    line = (
        "cicc: error while loading shared libraries: libnvvm.so.3: cannot open shared object "
        "file: No such file or directory\n"
    )
    (first,) = triage_text(line).root_causes
    assert (first.id, first.family) == ("loader.shared-object-missing.libnvvm", "toolchain")
    assert "libnvvm.so.3" in first.diagnosis and "nvvm/lib64" in first.fix
    assert "tensorflow[and-cuda]" not in first.fix


def test_numba_s_libnvvm_search_names_the_toolkit_path_it_tried() -> None:
    # numba/numba#9216: Numba's open_cudalib falls back to the bare soname
    line = "OSError: libnvvm.so: cannot open shared object file: No such file or directory\n"
    assert _roots(line) == [("loader.shared-object-missing.libnvvm", "toolchain")]


@pytest.mark.parametrize(
    ("line", "entry", "family"),
    [
        # numba/numba#9216's neighbour in the same traceback: another library stays generic
        (
            "OSError: libcudart.so.11.0: cannot open shared object file: No such file or "
            "directory\n",
            "loader.shared-object-missing",
            "library-missing",
        ),
        # weiliu89/caffe#546: cuDNN keeps its own reading
        (
            ": error while loading shared libraries: libcudnn.so.5: cannot open shared object "
            "file: No such file or directory\n",
            "loader.shared-object-missing.cudnn",
            "cudnn-missing",
        ),
    ],
)
def test_other_missing_libraries_keep_their_readings(line: str, entry: str, family: str) -> None:
    assert _roots(line)[0] == (entry, family)


def test_a_ptxas_that_starts_and_fails_is_not_one_that_cannot_start() -> None:
    # openxla/xla#5932: ptxas ran and does not know the GPU
    line = (
        "2023-09-26 23:49:25.317379: W external/xla/xla/stream_executor/gpu/asm_compiler.cc:231] "
        "Falling back to the CUDA driver for PTX compilation; ptxas does not support CC 9.0\n"
    )
    assert _roots(line)[0][0] == "xla.ptxas.version"
    # unslothai/unsloth#1830: Triton's ptxas ran and crashed
    assert _roots("RuntimeError: `ptxas` failed with error code 4294967295:\n")[0][0] == (
        "xla.ptxas.failed"
    )


def test_couldn_t_invoke_something_else_is_no_ptxas_reading() -> None:
    line = "Win32Exception: Couldn't invoke DeviceIoControl for 2235520. LastError: 5\n"
    assert "xla.ptxas.cannot-launch" not in [r for r, _ in _roots(line)]


_JIT = (
    # tensorflow/tensorflow#97387
    "W0000 00:00:1753232013.685876   24341 gpu_device.cc:2431] TensorFlow was not built with "
    "CUDA kernel binaries compatible with compute capability 12.0. CUDA kernels will be "
    "jit-compiled from PTX, which could take 30 minutes or longer.\n"
)


def test_the_ptx_jit_notice_alone_is_no_root_cause() -> None:
    assert _roots(_JIT) == []


def test_an_invalid_handle_without_the_notice_stays_a_cuda_call_that_failed() -> None:
    assert _roots("CUDA_ERROR_INVALID_HANDLE\n") == [("cuda.code.program", "gpu-fault")]


def test_the_notice_does_not_take_over_another_cause_of_the_same_run() -> None:
    # the notice of #97387 beside the out-of-memory of iperov/DeepFaceLab (dfl-no-preview-oom):
    # the memory is the cause, the handle error after it is not read as the architecture
    oom = (
        "ResourceExhaustedError (see above for traceback): OOM when allocating tensor with "
        "shape[3,3,512,2048] and type float on /job:localhost/replica:0/task:0/device:GPU:0 by "
        "allocator GPU_0_bfc\n"
    )
    roots = _roots(_JIT + oom + "CUDA_ERROR_INVALID_HANDLE\n")
    assert roots[0][1] == "out-of-memory"
    assert "compute-capability" not in [family for _, family in roots]


def test_the_hook_s_own_name_keeps_its_reading() -> None:
    # NVIDIA/nvidia-docker#1337: the prestart hook, not the runtime binary
    line = (
        'docker: Error response from daemon: exec: "nvidia-container-runtime-hook": executable '
        "file not found in $PATH.\n"
    )
    assert _roots(line)[0][0] == "nvidia-container-runtime.hook-missing"


@pytest.mark.parametrize(
    ("line", "kernel"),
    [
        # NVIDIA/nvidia-docker#365: uname -a
        (
            "Linux <hostname> 3.13.0-116-generic #163-Ubuntu SMP Fri Mar 31 14:13:22 UTC 2017 "
            "x86_64 x86_64 x86_64 GNU/Linux",
            "3.13.0-116-generic",
        ),
        # Tk-Glitch/PKGBUILDS#414: DKMS's make.log header
        (
            "> DKMS make.log for nvidia-435.27.08 for kernel 5.4.2-arch1-1 (x86_64)",
            "5.4.2-arch1-1",
        ),
        # NixOS/nixpkgs#371259: the driver's derivation for one kernel
        (
            "error: builder for '/nix/store/318xj6zhy7ign21vi9zhzp31mamygz6n-nvidia-x11-555.58.02-"
            "6.12.8.drv' failed with exit code 2;",
            "6.12.8",
        ),
    ],
)
def test_the_kernel_a_module_is_built_for_is_read_from_the_log(line: str, kernel: str) -> None:
    from gpusetup.logtriage.context import infer
    from gpusetup.parse.log import LogLine

    ctx = infer((LogLine(1, line),), ())
    assert ctx.versions["kernel"].value == kernel
