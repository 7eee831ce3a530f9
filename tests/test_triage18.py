"""Family judgements that turn on evidence around a message: a container start without a GPU
beside one with it, NCCL's system calls refused on /dev/shm, cuDNN 8's Windows sub-libraries,
a development name missing beside its versioned library, ollama's fixed library search."""

from __future__ import annotations

from gpusetup.logtriage import triage_text

# https://github.com/tensorflow/tensorflow/issues/41785 (lines of the paste)
_PLAIN_RUN = (
    "    docker run -it -p 8888:8888 tensorflow/tensorflow:latest-gpu-jupyter jupyter notebook"
    " --notebook-dir=/tf --ip 0.0.0.0 --no-browser --allow-root\n"
)
_FAILURE = (
    "    2020-07-27 19:44:03.826179: E tensorflow/stream_executor/cuda/cuda_driver.cc:313] "
    "failed call to cuInit: UNKNOWN ERROR (-1)\n"
    "    2020-07-27 19:44:03.826201: I tensorflow/stream_executor/cuda/cuda_diagnostics.cc:163]"
    " no NVIDIA GPU device is present: /dev/nvidia0 does not exist\n"
)
_GPU_RUN = "    docker run --gpus all nvidia/cuda:10.0-base nvidia-smi\n"


def _first(log: str) -> tuple[str, str]:
    root = triage_text(log).root_causes[0]
    return root.family, root.id


def test_a_start_without_gpus_explains_its_own_output_beside_a_start_with_them() -> None:
    # the failing run first, the working --gpus run after it (the thread's paste)
    assert _first(_PLAIN_RUN + _FAILURE + _GPU_RUN) == (
        "container",
        "tf.cuda-diagnostics.no-dev-nvidia0",
    )
    diagnosis = triage_text(_PLAIN_RUN + _FAILURE + _GPU_RUN).root_causes[0].diagnosis
    assert "nvidia/cuda:10.0-base" in diagnosis
    # the other order: the output after the plain run is still that run's
    assert _first(_GPU_RUN + _PLAIN_RUN + _FAILURE)[0] == "container"
    # https://github.com/tensorflow/tensorflow/issues/44597: cuInit's 303 alone reads as no driver
    cuinit = (
        "W tensorflow/stream_executor/cuda/cuda_driver.cc:312] failed call to cuInit: UNKNOWN "
        "ERROR (303)\n"
    )
    assert _first(cuinit)[0] == "driver-missing"
    assert _first(_PLAIN_RUN + cuinit + _GPU_RUN)[0] == "container"
    # output after the start that asks for a GPU is not the GPU-less start's
    assert _first(_PLAIN_RUN + _GPU_RUN + cuinit)[0] == "driver-missing"
    # a request before any start (a Compose file, a variable) leaves the log undecided
    assert _first("GPUS='--gpus all'\n" + _PLAIN_RUN + cuinit)[0] == "driver-missing"


def test_nccl_calls_refused_on_dev_shm_are_its_permission_not_its_size() -> None:
    # https://github.com/NVIDIA/nccl/issues/328
    refused = (
        "node08:27106:27302 [0] include/shm.h:27 NCCL WARN Call to shm_open failed : "
        "Permission denied\n"
        "node08:27106:27302 [0] include/shm.h:48 NCCL WARN Error while creating shared memory "
        "segment nccl-shm-recv-b7948f403864987a-0-3-0 (size 4460544)\n"
    )
    result = triage_text(refused)
    assert [r.id for r in result.root_causes] == ["nccl.syscall.permission-denied"]
    # an NCCL failure (the families table: nccl covers /dev/shm), read as its rights
    assert result.root_causes[0].family == "nccl"
    assert "may not create files in /dev/shm" in result.root_causes[0].diagnosis
    # NCCL 2.12+ drops the space before the colon
    assert _first("misc/shmutils.cc:93 NCCL WARN Call to open failed: Permission denied\n") == (
        "nccl",
        "nccl.syscall.permission-denied",
    )
    # https://github.com/NVIDIA/nccl/issues/1589: a missing segment is NCCL's, not the user's
    enoent = (
        "g148:14937:69361 [0] misc/shmutils.cc:93 NCCL WARN Call to open failed: No such file "
        "or directory\n"
    )
    assert not triage_text(enoent).root_causes or _first(enoent)[1] != (
        "nccl.syscall.permission-denied"
    )
    # https://github.com/NVIDIA/nccl/issues/290: a full /dev/shm is the size
    full = (
        "gpu2-ru7:2143:2561 [1] include/shm.h:28 NCCL WARN Call to posix_fallocate failed : "
        "No space left on device\n"
    )
    assert _first(full) == ("nccl", "nccl.shm.posix-fallocate")


def test_a_development_name_missing_beside_its_versioned_file_is_the_link() -> None:
    # https://github.com/tensorflow/tensorflow/issues/2920 (macOS)
    log = (
        "Couldn't open CUDA library libcudnn.dylib. LD_LIBRARY_PATH: /usr/local/cuda/lib\n"
        "-rwxr-xr-x@ 1 yaroslavvb  staff  58270280 Apr 22 17:19 libcudnn.5.dylib\n"
    )
    root = triage_text(log).root_causes[0]
    assert root.family == "library-symlink"
    assert "ln -s libcudnn.5.dylib libcudnn.dylib" in root.fix
    # the Linux spelling, a find listing
    linux = (
        "Couldn't open CUDA library libcudnn.so. LD_LIBRARY_PATH: /usr/local/cuda/lib64\n"
        "/usr/local/cuda/lib64/libcudnn.so.5.1.10\n"
    )
    assert _first(linux)[0] == "library-symlink"
    # without the listing it is cuDNN missing; a versioned name missing is never the link
    assert _first(log.splitlines(keepends=True)[0])[0] == "cudnn-missing"
    versioned = (
        "Could not load dynamic library 'libcudnn.so.7'; dlerror: libcudnn.so.7: cannot open "
        "shared object file: No such file or directory\n"
        "/usr/local/cuda/lib64/libcudnn.so.7.6.5\n"
    )
    assert _first(versioned)[0] != "library-symlink"


def test_a_wanted_cudnn_major_listed_only_off_the_loader_path_is_the_wrong_version() -> None:
    # https://github.com/microsoft/onnxruntime-genai/issues/694 (lines of the paste)
    failure = (
        "ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory\n"
    )
    conda8 = (
        "/anaconda/envs/azureml_py38_PT_TF/lib/python3.9/site-packages/nvidia/cudnn/lib/"
        "libcudnn.so.8\n"
        "/anaconda/pkgs/cudnn-8.0.4-cuda10.1_0/lib/libcudnn.so.8.0.4\n"
    )
    system9 = "/usr/lib/x86_64-linux-gnu/libcudnn.so.9.2.1\n"
    root = triage_text(failure + conda8 + system9).root_causes[0]
    assert root.family == "cudnn-version"
    assert "libcudnn.so.9.2.1" in root.diagnosis and "does not search" in root.diagnosis
    # cuDNN 8 in a directory the loader searches: not the version (it is found, or not there)
    assert _first(failure + "/usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.7\n" + system9)[0] != (
        "cudnn-version"
    )
    # only off-path copies and no system major: nothing says another major is the one found
    assert _first(failure + conda8)[0] == "cudnn-missing"


def test_cudnn8_windows_cnn_library_error_126_is_its_zlib_ops_library_is_cudnn() -> None:
    please = "Please make sure {} is in your library path!\n"
    # https://github.com/Softcatala/whisper-ctranslate2/issues/41
    cnn = "Could not load library cudnn_cnn_infer64_8.dll. Error code 126\n"
    root = triage_text(cnn + please.format("cudnn_cnn_infer64_8.dll")).root_causes[0]
    assert (root.family, root.id) == ("library-missing", "cudnn8.windows-sublibrary-126.zlib")
    assert "zlibwapi.dll" in root.fix
    # https://github.com/Purfview/whisper-standalone-win/issues/169: the first sub-library
    ops = "Could not load library cudnn_ops_infer64_8.dll. Error code 126\n"
    assert _first(ops + please.format("cudnn_ops_infer64_8.dll")) == (
        "cudnn-missing",
        "cudnn8.sublibrary-load-failed",
    )


def test_ollama_fixed_nvml_search_names_its_last_path_not_a_missing_driver() -> None:
    # https://github.com/ollama/ollama/issues/1704 (ollama 0.1.x in Docker)
    line = (
        "gpu.go:38: CUDA not detected: Unable to load libnvidia-ml.so library to query for "
        "Nvidia GPUs: /usr/lib/wsl/lib/libnvidia-ml.so.1: cannot open shared object file: No "
        "such file or directory\n"
    )
    root = triage_text(line).root_causes[0]
    assert (root.family, root.id) == ("library-missing", "ollama.nvml.fixed-paths-last-tried")
    assert "/usr/lib/wsl/lib/libnvidia-ml.so.1" in root.diagnosis
    # under WSL (another line shows it) WSL's own library is the one missing
    wsl = "Linux pc 5.15.133.1-microsoft-standard-WSL2 #1 SMP x86_64 GNU/Linux\n" + line
    assert _first(wsl) == ("driver-missing", "ollama.nvml.fixed-paths-last-tried")
    # the loader's own wording of a missing libnvidia-ml.so.1 is still the driver's
    assert _first(
        "OSError: libnvidia-ml.so.1: cannot open shared object file: No such file or directory\n"
    ) == ("driver-missing", "loader.shared-object-missing.libcuda")


def test_error_35_in_a_container_beside_a_driver_for_cuda_12_is_the_container() -> None:
    # https://github.com/SYSTRAN/faster-whisper/issues/1229 (Unraid's driver plugin summary)
    error = (
        "> RuntimeError: CUDA failed with error CUDA driver version is insufficient for CUDA "
        "runtime version\n"
    )
    unraid = "Nvidia Driver Version: {}\nOpen Source Kernel Module: No\nInstalled GPU(s):\n"
    root = triage_text(error + unraid.format("565.77")).root_causes[0]
    assert (root.family, root.id) == ("container", "cuda.err.insufficient-driver")
    assert "Nvidia Driver Version: 565.77" in root.diagnosis
    assert "NVIDIA_VISIBLE_DEVICES" in root.fix
    # a driver older than CUDA 12's first is too old, in a container too
    assert _first(error + unraid.format("470.256.02"))[0] == "driver-too-old"
    # a CUDA 13 runtime needs a newer driver than CUDA 12's
    cuda13 = "Cuda compilation tools, release 13.0, V13.0.48\n"
    assert _first(error + unraid.format("565.77") + cuda13)[0] == "driver-too-old"
    # outside a container the same pair stays the driver's
    smi = "| NVIDIA-SMI 550.144.03      Driver Version: 550.144.03     CUDA Version: 12.4 |\n"
    assert _first(error + smi)[0] == "driver-too-old"


def test_no_device_on_a_jetson_run_as_another_user_is_the_video_group() -> None:
    # https://github.com/NVIDIA/nvidia-docker/issues/1449 (lines of the paste)
    start = "$ docker run --runtime nvidia --rm -it nvcr.io/nvidia/l4t-base:r32.4.4 bash -c '\\\n"
    as_user = ' && su - user -c "/tmp/samples/1_Utilities/deviceQuery/deviceQuery"\'\n'
    failure = "cudaGetDeviceCount returned 100\n-> no CUDA-capable device is detected\n"
    root = triage_text(start + as_user + failure).root_causes[0]
    assert (root.family, root.id) == ("permission", "cuda.err.no-device")
    assert "video group" in root.fix
    # as root on the Jetson, or as another user off a Jetson: not the group
    assert _first(start + failure)[0] != "permission"
    assert _first("$ docker run --rm -it ubuntu bash\n" + as_user + failure)[0] != "permission"
