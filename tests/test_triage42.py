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
