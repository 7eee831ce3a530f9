"""What a log tells about where it comes from: the platform (native Windows, WSL, a
container, Kubernetes, Colab, a Jetson, macOS, Linux), a conda environment, the framework and
its version, the Python version, and what pasted command outputs show (nvidia-smi's driver
and CUDA version, TensorFlow's GPU descriptions, an ``ldconfig -p`` listing, PyTorch's
collect_env, the driver's version file), each with the line that shows it.

Inferred from the text only: nothing here asks the machine it runs on.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING

from gpusetup.parse.log import LogLine
from gpusetup.serde import record

if TYPE_CHECKING:  # read on demand: most logs hold no GPU listing
    from gpusetup.devices.listings import GpuNumbering

#: pasted outputs are read (parse.detect) when the kept context is at most this long
MAX_DETECT_CHARS = 1 << 20


@record
class Clue:
    value: str
    line: int
    evidence: str  # the text that shows it

    def shown(self) -> str:
        return f"{self.value} (line {self.line}: {self.evidence})"


@record
class Gpu:
    name: str | None
    cc: str | None
    bus_id: str | None
    line: int


@record
class Context:
    platform: Clue | None = (
        None  # windows | wsl | container | kubernetes | colab | jetson | macos | linux
    )
    conda: Clue | None = None
    #: TensorFlow.js for Node (tfjs-node-gpu): its own libtensorflow, not a pip TensorFlow
    tfjs: Clue | None = None
    framework: Clue | None = (
        None  # tensorflow | pytorch | jax | ctranslate2 | onnxruntime | paddle | ...
    )
    versions: dict[str, Clue] = field(
        default_factory=dict, hash=False
    )  # tensorflow, torch, jax, python ...
    driver: Clue | None = None  # the driver release a pasted output shows
    driver_cuda: Clue | None = None  # the highest CUDA the driver supports (nvidia-smi)
    kernel_module: Clue | None = None  # /proc/driver/nvidia/version, NVRM lines
    nvml_library: Clue | None = None
    #: the user-space driver release a package list shows installed (dpkg's "ii  nvidia-smi
    #: 525.85.12-1", libnvidia-compute-525, nvidia-compute-utils-470, rpm's nvidia-driver-*);
    #: dpkg's "rc" lines (removed) are not read
    userspace: Clue | None = None
    #: the NVIDIA module DKMS builds, from its build log's path
    #: (/var/lib/dkms/nvidia-390/390.25/build/make.log: value "nvidia-390 390.25")
    dkms_module: Clue | None = None
    toolkit: Clue | None = None  # nvcc / CUDA runtime version
    gpus: tuple[Gpu, ...] = ()
    libraries: tuple[str, ...] = ()  # sonames a pasted listing shows present (ldconfig -p, ls)
    cudnn_present: tuple[str, ...] = ()  # cuDNN majors the listings show present
    #: where the log shows a cuDNN major installed (value: the major): a listing, a package
    #: list, a header, a library it loaded
    cudnn_installed: tuple[Clue, ...] = ()
    #: where the log shows a CUDA toolkit/runtime major installed (value: major.minor or the
    #: major): nvcc, a /usr/local/cuda-X.Y directory, NVIDIA's pip wheels, conda's cudatoolkit
    #: (never nvidia-smi's "CUDA Version", the driver's maximum)
    cuda_installed: tuple[Clue, ...] = ()
    #: versioned library files the log lists (ls, find, ldconfig -p, a path alone on its
    #: line): libcudnn.so.8.9.7, libcudnn.5.dylib
    listed_libraries: tuple[str, ...] = ()
    #: a command the log runs as another, non-root user (su - user -c, sudo -u, runuser,
    #: gosu, docker run --user 1000)
    other_user: Clue | None = None
    #: cuDNN majors a listing shows only outside the loader's default directories (conda
    #: environments and package caches, site-packages) while another major sits in them
    cudnn_off_path: tuple[str, ...] = ()
    #: an L4T container image the log names (nvcr.io/nvidia/l4t-*, jetson-containers' tags)
    l4t_image: Clue | None = None
    #: a container the log starts without asking for a GPU (docker/podman run, compose up
    #: with no GPU flag anywhere in the log; value no-nv-flag: Apptainer/Singularity without
    #: --nv), or NVIDIA_VISIBLE_DEVICES=void; value docker-build: a docker build step, with no
    #: container start in the log
    gpuless_run: Clue | None = None
    #: another container start in the log that asks for a GPU (then the GPU-less start
    #: explains only its own part of the log, gpuless_lines); None: no other start does
    gpuless_other: Clue | None = None
    #: the lines the GPU-less start explains: from its line to the next start (exclusive)
    gpuless_lines: tuple[int, int] | None = None
    #: the CUDA release the framework build was made with (X.Y), as its environment listing
    #: shows it: collect_env's "CUDA used to build PyTorch", a +cuXYZ wheel, conda's build
    build_cuda: Clue | None = None
    #: ONNX Runtime's own feed or archive of a build for a CUDA major PyPI's onnxruntime-gpu
    #: of that release is not built for (onnxruntime-cuda-12, onnxruntime-linux-x64-gpu_cuda12)
    ort_feed: Clue | None = None
    #: an nvcc command that compiles a .cu file with no architecture option (-arch,
    #: -gencode, --gpu-architecture, -code) where no nvcc line of the log names one
    nvcc_default_arch: Clue | None = None
    #: an lsmod line of the NVIDIA module (name, size, use count)
    nvidia_lsmod: Clue | None = None
    #: an ls -l line of an NVIDIA device node (character device, major 195: /dev/nvidia0)
    device_node: Clue | None = None
    #: lspci's line of an NVIDIA display or 3D controller (the GPU is on the PCI bus)
    lspci_gpu: Clue | None = None


# (platform, pattern): the first line matching any pattern of a platform is its evidence;
# the order of this table is the precedence when several match.
_PLATFORMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "wsl",
        # (an issue form's "WSL version (if applicable):" left empty is no WSL)
        re.compile(
            r"/usr/lib/wsl/|microsoft-standard|\bWSL(?! version\b[^:\n]*:\s*$) ?2?\b|"
            r"\b[Ww]sl ?2\b|wsl\.exe|\\\\wsl"
        ),
    ),
    (
        "colab",
        # Kaggle's notebooks read as Colab's: a hosted runtime whose accelerator is a setting
        re.compile(
            r"google\.colab|/content/(?:drive|sample_data)|\bColab\b|colab\.research|"
            r"/kaggle/(?:working|input)\b|\bKaggle\b"
        ),
    ),
    (
        "kubernetes",
        re.compile(
            r"\bkubectl\b|\bkubelet\b|\bk8s[-.]|k8s-device-plugin|nvidia-device-plugin|"
            r"\bDaemonSet\b|\bmicrok8s\b|\bOpenShift\b|gpu-operator|\bpod/|FailedScheduling|nvidia\.com/gpu|"
            # GPU feature discovery writes its labels for node-feature-discovery
            r"node-feature-discovery|gpu-feature-discovery|"
            r"^\d{4}-\d\d-\d\dT\S+\s+(?:stdout|stderr)\s+[FP]\s"
        ),
    ),
    (
        "container",
        re.compile(
            r"\bdocker (?:run|exec|compose)\b|\bnvidia-docker\b|\bdocker-compose\b|\bpodman\b|"
            r"Error response from daemon|nvidia-container-cli|nvidia-container-runtime|"
            r"/\.dockerenv|NVIDIA Release \d|== CUDA ==|\bDockerfile\b|\bdocker\.io/|"
            r"\bnvcr\.io/|--gpus\b|\bcontainer\b|"
            # where NVIDIA's CUDA images (LD_LIBRARY_PATH) and GPU device plugins put the
            # host's driver libraries
            r"/usr/local/nvidia/lib(?:64)?\b|"
            # docker-compose (v1)'s progress: "Creating app_run ... done"
            r"^(?:Creating|Recreating|Starting) [\w.-]+ \.\.\. done\b|"
            # Unraid runs programs in Docker; its NVIDIA driver plugin's summary lines
            r"\b[Uu]n[Rr][Aa][Ii][Dd]\b|^Open Source Kernel Module: (?:Yes|No)\b|"
            # Docker names a container's host after its id (12 hex digits): a shell prompt
            # (not the kernel's "Linux version ... (root@80c62fc9aa3e)", the host it was
            # built in), or TensorFlow's CUDA diagnostics naming the host
            r"@(?=[0-9a-f]{0,11}[a-f])(?=[0-9a-f]{0,11}\d)[0-9a-f]{12}\b(?!\))|"
            r"\bhost(?:name)?:? \(?(?=[0-9a-f]{0,11}[a-f])(?=[0-9a-f]{0,11}\d)[0-9a-f]{12}\b"
        ),
    ),
    (
        "windows",
        re.compile(
            r"\b[A-Za-z]:\\(?:Users|Program Files|ProgramData|Windows|Python\d*|Anaconda|"
            r"miniconda|tools|dev|src|work|projects?)\b|\b[A-Za-z]:\\\S+\\|"
            r"\b\w+64_\d+\.dll\b|\bnvcuda\.dll\b|\.dll\b|\bwin_amd64\b|\bwin32\b|WinError|"
            r"Microsoft Windows|(?i:\bwindows[- ]?(?:10|11|7|8\.1|server)\b|\bos: "
            r"?windows)|^PS [A-Za-z]:\\|"
            r"\b(?:[Ii]n|[Oo]n|under) [Ww]indows\b|\.\.\\\w+\\"
        ),
    ),
    # the GPU feature discovery's "Detected non-Tegra platform" says the opposite
    ("jetson", re.compile(r"(?<!non-)\b[Tt]egra\b|\bL4T\b|\bJetson\b|\bJetPack\b|nvgpu\b")),
    (
        "macos",
        re.compile(
            r"\bmacOS\b|\bmacosx_\d|\bDarwin\b|\bOS X\b|-mac\d*:|\bMacBook\b|"
            r"(?<![\w./-])/Users/\w+/(?!AppData)|\.dylib\b|\bdyld\b|\bDYLD_LIBRARY_PATH\b"
        ),
    ),
)
#: an L4T container image: NGC's l4t-base/-ml/-pytorch/-tensorflow, jetson-containers'
#: dustynv/* tags built on them (ros:foxy-pytorch-l4t-r32.5.0)
_L4T_IMAGE = re.compile(
    r"\bl4t-(?:base|ml|pytorch|tensorflow|cuda|jetpack)(?::r?\d[\w.-]*)?\b|"
    r"\bdustynv/[\w.-]+(?::[\w.-]+)?|-l4t-r\d\d\.\d"
)
#: a container started: docker/podman/nerdctl run, compose up, Apptainer/Singularity's
#: exec/run/shell (which mount the GPU only with --nv)
_CONTAINER_RUN = re.compile(
    r"\b(?:docker|podman|nerdctl)(?:\s+container)?\s+(?:run|create)\s|"
    r"\bdocker[- ]compose\b[^\n]*\bup\b|"
    r"\b(?P<apptainer>singularity|apptainer)(?:\s+-\w+)*\s+(?:exec|run|shell|instance\s+start)\s"
)
#: any way the log asks for a GPU: Docker's --gpus, the NVIDIA runtime, CDI devices,
#: nvidia-docker, a compose device reservation or runtime, Apptainer's --nv
_GPU_REQUEST = re.compile(
    r"--gpus\b|--runtime[= ]+nvidia\b|nvidia\.com/gpu|\bnvidia-docker\b|"
    r"NVIDIA_VISIBLE_DEVICES[\"']?\s*[=:]\s*[\"']?(?!void\b|none\b)\w|"
    r"\bruntime:\s*nvidia\b|\bdriver:\s*nvidia\b|capabilities:\s*\[?\s*[\"']?gpu|"
    r"\bgpus:\s|\s--nv(?:ccli)?\b",
    re.I,
)
_VOID_DEVICES = re.compile(r"NVIDIA_VISIBLE_DEVICES[\"']?\s*[=:]\s*[\"']?(?:void|none)\b", re.I)
#: a docker build step: BuildKit's "#5 0.895 " step output, the classic builder's "Step
#: 3/9 : RUN" and its " ---> Running in <container>", BuildKit's "Dockerfile:27" context
#: and "failed to solve", a Dockerfile's RUN line, a docker build command; a build gets no
#: GPU (the NVIDIA runtime serves docker run)
_DOCKER_BUILD = re.compile(
    r"^\s*#\d+ \d+\.\d+ |^\s*Step \d+/\d+ : RUN\b|^Dockerfile:\d+\s*$|\bfailed to solve: "
    r"process\b|^\s*RUN\s+\S|\bdocker (?:buildx )?build\s|^\s*---> Running in [0-9a-f]{12}\b"
)
_CONDA = re.compile(
    r"/(?:ana|mini|micro)conda\d?/|/mambaforge/|/miniforge\d?/|\\(?:ana|mini)conda\d?\\|"
    r"\bconda (?:install|activate|create|env)\b|\$CONDA_PREFIX|/envs/[\w.-]+/(?:lib|bin)|"
    # conda-forge's compilers: their target triplet names the tools (x86_64-conda-linux-gnu-ld)
    r"\b(?:x86_64|aarch64|powerpc64le)-conda(?:_cos\d)?-linux-gnu\b"
)

_TFJS = re.compile(r"@tensorflow/tfjs-node|\btfjs-node(?:-gpu)?\b|tfjs_binding\.node")

# (framework, pattern): a line naming the framework; counted, the most named wins among
# those the matched messages allow.
_FRAMEWORKS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ctranslate2",
        re.compile(
            r"ctranslate2|faster[_-]whisper|whisperx|WhisperModel|stable[_-]ts|\bCTranslate2\b",
            re.I,
        ),
    ),
    ("onnxruntime", re.compile(r"onnxruntime|CUDAExecutionProvider|\bORT\b|onnx runtime", re.I)),
    # ollama embeds llama.cpp: its own lines (source=gpu.go, "llama runner") come first
    ("ollama", re.compile(r"\bollama\b|source=\w+\.go:\d+|llama runner", re.I)),
    (
        "llamacpp",
        re.compile(
            r"llama\.cpp|\bggml[_-]|\bllama_(?:model|new_context|init|kv_cache)|llama-(?:server|cli)\b|"
            r"llama_cpp|\bllamafile\b|\bkoboldcpp\b|\bGGUF\b|\.gguf\b",
            re.I,
        ),
    ),
    ("paddle", re.compile(r"\bpaddle(?:paddle)?\b", re.I)),
    # jaxlib builds XLA as external/xla (external/org_tensorflow before 2023); TensorFlow's
    # own builds print tensorflow/... or external/local_xla/...
    (
        "jax",
        re.compile(
            r"\bjax(?:lib)?\b|\bflax\b|xla_bridge|external/xla/xla/|external/org_tensorflow/"
        ),
    ),
    (
        "pytorch",
        re.compile(
            r"\btorch\b|\bPyTorch\b|torchvision|(?<![/\w])cuda:\d\b(?!\.\d)|libtorch|torch/|TORCH_USE_CUDA_DSA|"
            r"\bc10::|CUDAException\.cpp|ProcessGroupNCCL|aten/src|\bTHCGeneral\b|"
            # PyTorch's C10_CUDA_CHECK and the THC check of PyTorch < 1.4
            r"RuntimeError: CUDA error: |cuda runtime error \(\d+\)"
        ),
    ),
    (
        "tensorflow",
        re.compile(r"tensorflow|\bkeras\b|\btf\.(?:config|test|keras)|TensorFlow|\bTF_"),
    ),
    ("mxnet", re.compile(r"\bmxnet\b", re.I)),
    ("cupy", re.compile(r"\bcupy\b", re.I)),
    ("nccl", re.compile(r"\bNCCL (?:WARN|INFO)\b|\bnccl-tests\b")),
)

_VERSIONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "tensorflow",
        re.compile(
            r"(?:(?:tensorflow(?:[-_]gpu|[-_]cpu|[-_]intel)?|tf[-_]nightly(?:[-_]gpu|[-_]cpu)?)"
            r"(?:==|-|\s+)|Tensor "
            r"?[Ff]low(?: version| Version)?:?\s*|"
            r"tf\.__version__\W*|\btf\s+version:?\s*)(?P<v>[12]\.\d+(?:\.\d+)?)(?![\w.]*\.so)"
            # a requirement table's row ("TensorFlow 1.3 or later requires cuDNN 6") names
            # releases, not the one installed
            r"(?![\d.]* or (?:earlier|later|newer|older)\b)",
            re.I,
        ),
    ),
    (
        "torch",
        re.compile(
            r"(?:PyTorch "
            r"version:\s*|torch(?:==|-|\s+)|torch\.__version__\W*)(?P<v>\d+\.\d+(?:\.\d+)?(?:\+\w+)?)"
        ),
    ),
    ("torchvision", re.compile(r"\btorchvision(?:==|-|\s+)(?P<v>0\.\d+\.\d+(?:\+\w+)?)")),
    # the kernel a module is built for or runs on: uname -a, the kernel's banner, DKMS's
    # "for kernel X (x86_64)", NixOS's nvidia-x11-<driver>-<kernel>.drv, the headers' tree
    (
        "kernel",
        re.compile(
            r"^Linux \S+ (?P<v>\d+\.\d+\.\d+[\w.+~-]*) #\d|"
            r"\bLinux version (?P<v2>\d+\.\d+\.\d+[\w.+~-]*) \(|"
            r"\b(?:on|for) kernel:? (?P<v3>\d+\.\d+\.\d+[\w.+~-]*?) \(|"
            r"\bnvidia-x11-\d{3}\.\d+(?:\.\d+)?-(?P<v4>\d+\.\d+(?:\.\d+)?[\w-]*?)\.drv\b|"
            r"/lib/modules/(?P<v5>\d+\.\d+\.\d+[\w.+~-]*)/(?:build|source|kernel|updates|extra)\b|"
            r"/usr/src/(?:linux-headers-|kernel-headers-|kernels/)(?P<v6>\d+\.\d+\.\d+[\w.+~-]*?)"
            r"(?=/|\s|$)"
        ),
    ),
    # a CPU-only PyTorch's version as torch.__version__ prints it alone ("2.3.0+cpu"), and a
    # CUDA build's ("2.2.0+cu121") where a paste shows both
    ("torch_cpu", re.compile(r"^(?P<v>[12]\.\d+\.\d+\+cpu)$")),
    ("torch_cuda", re.compile(r"^(?P<v>[12]\.\d+\.\d+\+cu\d{2,3})$")),
    ("jaxlib", re.compile(r"jaxlib(?:==|-|\s+|\s*version:?\s*)(?P<v>0\.\d+\.\d+)")),
    ("jax", re.compile(r"\bjax(?:==|-|\s+|\s*version:?\s*)(?P<v>0\.\d+\.\d+)")),
    ("ctranslate2", re.compile(r"ctranslate2(?:==|-|\s+)(?P<v>\d+\.\d+(?:\.\d+)?)", re.I)),
    # onnxruntime-gpu==1.17.1, and the release archives' names (onnxruntime-win-x64-cuda12-1.17.1)
    (
        "onnxruntime",
        re.compile(
            r"onnxruntime(?:-gpu)?(?:-(?:win|linux|osx)-(?:x64|x86|arm64|aarch64)(?:-gpu)?"
            r"(?:-cuda\d+)?)?(?:==|-|\s+)(?P<v>1\.\d+(?:\.\d+)?)|"
            # its issue form: "ONNX Runtime Version or Commit ID" answered "onnxruntime 1.16.2"
            r"^ONNX Runtime Version or Commit ID: (?:[a-z-]+\s*)?v?(?P<v2>1\.\d+(?:\.\d+)?)",
            re.I,
        ),
    ),
    # "cuDNN 8.9.7", "cudnn version: 7.6.5", Paddle's "cuDNN Version: 8.1."
    (
        "cudnn",
        re.compile(
            r"\bcu[dD][nN][nN](?: version)?:?\s*v?(?P<v>[5-9]\.\d+\.\d+)\b|"
            r"\bcuDNN Version: (?P<v2>[5-9]\.\d+)\.?(?![\d.])"
        ),
    ),
    (
        "cuda",
        re.compile(
            r"(?:/usr/local/cuda-|\\CUDA\\v|\bCUDA[ -]?(?:[Tt]oolkit )?(?:version "
            r"|detected: )?|\bcuda_?)(?P<v>(?:[7-9]|1[0-3])\.\d)\b(?!\.\d+\.so)"
            # a release a message asks for ("upgrade to CUDA 12.6.3 or newer", Blender's
            # "only CUDA 8.0 is officially supported") is not the log's
            r"(?![\d.]*\s+(?:or\s+(?:newer|later|higher|above)|is officially supported))"
        ),
    ),
    ("library_path", re.compile(r"LD_LIBRARY_PATH(?::|=)\s*['\"]?(?P<v>[^\s'\";]*/[^\s'\";]*)")),
    (
        "python",
        re.compile(
            r"/python(?P<v>[23]\.\d{1,2})/|(?i:\bpython)(?:\s*version)?[:\s=]*v?(?P<v2>[23]\.\d{1,2}(?:\.\d+)?)\b"
        ),
    ),
    # CUDA_VISIBLE_DEVICES=1, os.environ["CUDA_VISIBLE_DEVICES"] = "2", "...": "0" (not ==)
    (
        "visible_devices",
        re.compile(
            r"CUDA_VISIBLE_DEVICES(?:['\"]\]?|['\"])?\s*(?:=(?!=)|:)\s*['\"]?(?P<v>[^\s'\"`,;)]*"
            r"(?:,[^\s'\"`,;)]+)*)"
        ),
    ),
    ("ptxas", re.compile(r"Using ptxas at (?P<v>\S+)")),
    # the system's C library: ldd --version, collect_env's "Libc version: glibc-2.31", a
    # sentence ("the version of glibc is 2.12"); never a symbol version (GLIBC_2.17)
    (
        "glibc",
        re.compile(
            r"ldd \((?:GNU libc|[\w ]*GLIBC [\w.~+-]+)\) (?P<v>2\.\d+)|"
            r"Libc version: glibc-(?P<v2>2\.\d+)|"
            r"\b[Gg]libc(?: version(?: is|:)?| is|:|=)\s*(?P<v3>2\.\d+)\b(?! or )"
        ),
    ),
    # a RHEL/CentOS kernel names its release (2.6.32-358.el6.x86_64): facts.toml [rhel_glibc]
    (
        "rhel",
        re.compile(r"\b\d\.\d+\.\d+-[\d.]+\.el(?P<v>[6-9])(?:_\d+)?\.(?:x86_64|aarch64|ppc64le)\b"),
    ),
    ("machine", re.compile(r"\b(?P<v>i[3-6]86|armv7l|aarch64|ppc64le|32-bit|32 bit)\b")),
)
_DRIVER = re.compile(
    (
        r"(?:Driver Version\s*:?\s*|NVIDIA driver version:?\s*|Nvidia driver "
        r"version:\s*|Kernel Module\s+|libcuda reported version is:?\s*)"
        r"(?P<v>\d{3}\.\d+(?:\.\d+)?)"
    ),
    re.I,
)
#: a driver branch the paste installs with the package manager (nvidia-390,
#: nvidia-driver-535, nvidia-headless-550-server): taken when no output shows the release
_DRIVER_PACKAGE = re.compile(
    r"\b(?:apt(?:-get)?|aptitude|dnf|yum|zypper)\s+(?:-\S+\s+)*install\b[^\n]*?"
    r"\bnvidia-(?:driver-|headless-)?(?P<v>\d{3})(?:-server|-open)?(?![\w.-])|"
    # an installed driver package as rpm names it (rpm -qa, rpm -qf): name-version-release
    r"\b(?:xorg-x11-drv-nvidia|nvidia-driver|libnvidia-ml|kmod-nvidia|akmod-nvidia)[\w-]*?-"
    r"(?P<rpm>\d{3}\.\d+(?:\.\d+)?)-\d[\w.]*\.(?:fc|el)\d+|"
    # the module DKMS builds: its source tree's version (/var/lib/dkms/nvidia/390.144/); Ubuntu's
    # driver packages up to 18.04 kept their files in /usr/lib/nvidia-375/; the .run installer
    r"/var/lib/dkms/nvidia/(?P<dkms>\d{3}\.\d+(?:\.\d+)?)/|/usr/lib(?:32)?/nvidia-(?P<dir>\d{3})/|"
    # the .run installer's name and the directory it unpacks to
    r"\bNVIDIA-Linux-(?:x86_64|aarch64|ppc64le)-(?P<run>\d{3}\.\d+(?:\.\d+)?)(?![\d.])|"
    # NixOS's derivation of the driver for one kernel: nvidia-x11-<driver>-<kernel>.drv
    r"\bnvidia-x11-(?P<nix>\d{3}\.\d+(?:\.\d+)?)-\d+\.\d+[\w.-]*?\.drv\b|"
    # the open kernel modules' source tree (a git tag's archive: open-gpu-kernel-modules-580.94.16)
    r"\bopen-gpu-kernel-modules-(?P<open>\d{3}\.\d+(?:\.\d+)?)(?![\d.])"
)
#: a wheel pip picked for another package shows the Python it installs for (cp38: 3.8)
_WHEEL_PYTHON = re.compile(
    r"[\w.]+-cp(?P<major>3)(?P<minor>\d{1,2})-(?:cp3\d{1,2}[dmu]*|abi3|none)-"
    r"(?:win|manylinux|musllinux|linux|macosx)[\w.]*\.whl"
)
#: the CUDA a PyTorch build was made with: collect_env's line, the local version of a CUDA
#: wheel (2.2.0+cu121, torch-1.8.1+cu111, "PyTorch Version**: 2.2.0+cu121"), conda's
#: pytorch build string (py3.7_cuda10.1.243_cudnn7.6.3_0)
_BUILD_CUDA = re.compile(
    r"CUDA used to build PyTorch:\s*(?P<v>\d+\.\d+)|"
    r"\b(?:[Pp]y)?[Tt]orch[\w ]{0,12}?[-=: *]+\d+\.\d+(?:\.\d+)?(?:\.dev\d+)?"
    r"\+cu(?P<wheel>\d{2,3})\b|"
    r"\bpytorch\s+\d+\.\d+(?:\.\d+)?\s+py\d\.\d+_cuda(?P<conda>\d+\.\d+)"
)
#: nvidia-smi's "CUDA Version: 12.7" (the table) or "CUDA Version        : 12.7" (-q): X.Y,
#: never a toolkit's X.Y.Z (a full stop after it ends a sentence)
_CUDA_SMI = re.compile(r"CUDA Version\s*:\s*(?P<v>\d+\.\d+)(?!\.?\d)")
_NVCC = re.compile(
    r"Cuda compilation tools, release (?P<v>\d+\.\d+)|CUDA runtime version:\s*(?P<v2>\d+\.\d+)"
)
_MODULE = re.compile(
    r"NVRM version: NVIDIA UNIX .*?Kernel Module\s+(?P<v>\d{3}\.\d+(?:\.\d+)?)|"
    r"loading NVIDIA UNIX .*?Kernel Module for \S+\s+(?P<v2>\d{3}\.\d+(?:\.\d+)?)|"
    r"kernel reported version is:?\s*(?P<v3>\d{3}\.\d+(?:\.\d+)?)"
)
# GPU names as programs and people write them, for logs without a readable listing; a bare
# model code (V100, H200) stands alone, not inside a host name or a version (V12.1.66);
# no V-series card has a one-digit number (TF's "MLIR V1 optimization pass")
_GPU_NAME = re.compile(
    r"(?<![\w.-])(?P<v>(?:NVIDIA )?(?:"
    r"GeForce (?:GTX |RTX |GT |MX )?\d{3,4}M?(?: Ti| SUPER| Laptop GPU)*|"
    r"(?:GTX|RTX|GT) ?\d{3,4}M?(?: Ti| SUPER)?|"
    r"(?:Tesla |GRID )?(?:[KMPT]\d{1,3}|V\d{2,3})[a-z]?(?:[- ](?:SXM\d?|DGXS|PCIE|PCIe|\d+GB))*|"
    r"(?:RTX )?A\d{2,4}(?:[- ](?:SXM\d?|DGXS|PCIE|PCIe|\d+GB))*|"
    r"[HBL]\d{2,3}[a-z]?(?: NVL| PCIe| SXM\d?| \d+GB(?: HBM\d)?)*|"
    r"Quadro \w+|TITAN \w+|Jetson \w+|Tegra X\d))\b(?![.-]\d)"
)
#: the CUDA samples' device line (helper_cuda.h's findCudaDevice: 'GPU Device 0: "Pascal"
#: with compute capability 6.0', and 'Compute 6.0 CUDA device: [Tesla P100-PCIE-16GB]')
_SAMPLES_CC = re.compile(
    r"^GPU Device \d+: \S.* with compute capability (?P<v>\d{1,2}\.\d)\b|"
    r"^Compute (?P<v2>\d{1,2}\.\d) CUDA device: \[|"
    # vLLM's dtype check names the GPU and its capability in one sentence
    r"\bYour \S.* GPU has compute capability (?P<v3>\d{1,2}\.\d)\b"
)
#: the devices a runtime lists as it starts: ggml's ggml_cuda_init (llama.cpp, whisper.cpp,
#: Ollama's runner: "  Device 0: Tesla M60, compute capability 5.2, VMM: yes") and Ollama's
#: "inference compute" line (compute=8.6 ... name="NVIDIA GeForce RTX 3060"; newer releases
#: name the device CUDA0 and the GPU in description="...")
_GGML_DEVICE = re.compile(
    r"\bDevice \d{1,3}: (?P<name>[^,\n]{2,80}?), compute capability (?P<cc>\d{1,2}\.\d)\b"
)
_OLLAMA_DEVICE = re.compile(
    r'msg="?inference compute"?[^\n]*?\blibrary=(?i:cuda)\b[^\n]*?\bcompute=(?P<cc>\d{1,2}\.\d)\b'
)
_OLLAMA_NAMES = (
    re.compile(r'\bdescription="([^"\n]+)"'),
    re.compile(r'\bname="([^"\n]+)"'),
    re.compile(r"\bname=(?!CUDA\d)([^\s\"]+)"),
)
_USERSPACE = re.compile(
    r"^\s*(?:ii\s+)?(?:nvidia-smi|nvidia-utils|libnvidia-(?:compute|gl|ml)\S*|"
    r"nvidia-driver(?:-[a-z]+)*(?:-\d{3})?|nvidia-compute-utils-\d{3}|nvidia-kernel-common\S*)"
    r"(?::amd64)?[\s-]+"
    r"(?:\d+:)?(?P<v>\d{3}\.\d+(?:\.\d+)?)[-\s.]"
)
_DKMS_LOG = re.compile(
    r"/var/lib/dkms/(?P<m>nvidia[\w.-]*)/(?P<v>\d{3}\.\d+(?:\.\d+)?)/(?:build/make|log/make)\.log"
)
_NVML_LIB = re.compile(r"NVML library version:\s*(?P<v>\d{3}\.\d+(?:\.\d+)?)")
_SONAME = re.compile(r"\b(lib[\w+-]+\.so(?:\.\d+)*)\b")
_CUDNN_PRESENT = re.compile(r"\blibcudnn(?:_\w+)?\.so\.(?P<major>\d+)")
#: a cuDNN major shown installed: pip's and conda's package lists, dpkg/apt, cudnn_version.h,
#: a library listing line (ls, ldconfig -p, find), a library the program loaded, cuDNN's
#: version as frameworks print it, or in words ("cuDNN 9.1 installed")
_CUDNN_INSTALLED = re.compile(
    # (not a requirement pip or uv quotes: "torch 2.1.1 requires nvidia-cudnn-cu12==8.9.2.26")
    r"(?<!requires )(?<!depends on )\bnvidia-cudnn-cu\d+(?:==|\s+|-)(?P<v>\d+)\.\d|"
    r"#define CUDNN_MAJOR\s+(?P<v2>\d+)|"
    r"^\s*(?:ii\s+)?libcudnn(?P<v3>\d+)(?:-cuda-\d+)?(?::amd64)?[\s/]|"
    r"^\s*cudnn\s+(?P<v4>\d+)\.\d+\.\d+[.\d]*\s+\S+|"
    r"^\s*(?:[-l][rwxsStT-]{9}\S*\s.*?)?(?:\S*/)?libcudnn(?:_\w+)?\.so\.(?P<v5>\d+)(?:\.\d+)+"
    r"(?:\s+->\s+\S+)?\s*$|"
    # macOS names the major before the suffix (libcudnn.5.dylib)
    r"^\s*(?:[-l][rwxsStT-]{9}\S*\s.*?)?(?:\S*/)?libcudnn(?:_\w+)?\.(?P<v11>\d+)(?:\.\d+)*\.dylib"
    r"(?:\s+->\s+\S+)?\s*$|"
    r"\blibcudnn(?:_\w+)?\.so\.(?P<v6>\d+)\S*\s+\(libc6|"
    r"(?:Successfully opened dynamic library|Loaded library) "
    r"\S*?libcudnn(?:_\w+)?\.so\.(?P<v7>\d+)|"
    r"Loaded cuDNN version (?P<v8>[1-9])\d{3}\b|"
    r"(?i:cuDNN)(?: version)?:?\s+v?(?P<v9>[5-9])\.\d+(?:\.\d+)*\s+(?:is\s+)?installed|"
    r"\binstalled\s+cuDNN\s+v?(?P<v10>[5-9])\.\d|"
    # a poster's list of what is installed: "cuda12.4 cudnn9 onnxruntime-win-x64-..."
    r"(?<![\w/.-])(?i:cudnn)(?P<v12>[7-9])(?![\w.])|"
    # a Windows DLL of cuDNN a listing or a sentence shows (cudnn_ops64_9.dll in torch\lib),
    # not on the line of a failure to find one
    r"^(?!.*(?:[Cc]ould not|[Cc]annot|[Uu]nable|not found|[Mm]issing|[Ee]rror|[Ff]ailed))"
    r".*?(?<![\w.-])cudnn(?:_\w+?)?64_(?P<v13>[7-9])\.dll"
)
_CUDA_INSTALLED = re.compile(
    r"Cuda compilation tools, release (?P<v>\d+\.\d+)|"
    r"/usr/local/cuda-(?P<v2>\d+\.\d+)\b|"
    r"\bnvidia-(?:cuda-runtime|cublas|cuda-nvrtc|cufft|curand|cusolver|cusparse)-cu(?P<v3>1\d)\b|"
    r"^\s*cudatoolkit\s+(?P<v4>\d+\.\d+)|"
    r"\\NVIDIA GPU Computing Toolkit\\CUDA\\v(?P<v5>\d+\.\d+)|"
    # ONNX Runtime's issue form: "Execution Provider Library Version" answered "CUDA 12.1"
    r"^Execution Provider Library Version: .*?\bCUDA\s*v?(?P<v6>1\d\.\d)"
)
#: CUDA_VISIBLE_DEVICES set to nothing: "export CUDA_VISIBLE_DEVICES=", "=''", '= ""'
_VISIBLE_NONE = re.compile(r"CUDA_VISIBLE_DEVICES(?:[\"']\]?)?(?:\s*=\s*(?:\"\"|'')|=(?=\s|$))")
#: ONNX Runtime's feeds and archives of its builds for the CUDA major PyPI's lacks
_ORT_FEED = re.compile(
    r"onnxruntime-cuda-1[1-3]\b|onnxruntime-\w+-\w+(?:-gpu)?[-_]cuda1[1-3]", re.I
)


#: a line of a file listing: ls -l's mode and owner, ldconfig -p's arrow, or a path alone
_LISTED = re.compile(
    r"^\s*(?:[-l][rwxsStT-]{9}\S*\s.*\s|\S+\s+\(libc6[^)]*\)\s+=>\s+)?(?:\S*/)?"
    r"(?P<name>lib[\w+-]+?(?:\.so(?:\.\d+)+|(?:\.\d+)+\.dylib))(?:\s+->\s+\S+)?\s*$"
)


#: a command run as another user than root: su's -c, sudo -u, runuser, gosu, setpriv,
#: Docker's --user/-u (the user ids 0 and root excluded)
_OTHER_USER = re.compile(
    r"\bsu\s+(?:-\s+|-l\s+|--login\s+)?(?!root\b)[a-z_][\w-]*\s+-c\b|"
    r"\b(?:sudo|runuser)\s+(?:-\S+\s+)*-u\s+(?!root\b|0\b)\S+|\bgosu\s+(?!root\b|0\b)\S+\s|"
    r"\bdocker\s+(?:run|exec)\b.*?\s(?:--user[= ]|-u\s+)(?!root\b|0\b)[\w$]"
)
#: the directories the loader searches without LD_LIBRARY_PATH (ld.so.conf's usual ones)
_DEFAULT_DIR = re.compile(
    r"^/(?:usr/)?lib(?:64|32)?/(?:[\w-]+-linux-gnu\w*/)?$|^/usr/local/lib/$|"
    r"^/usr/local/cuda[\w.-]*/(?:lib64|lib|targets/[\w-]+/lib)/$"
)


def _cudnn_off_path(lines: tuple[LogLine, ...]) -> tuple[str, ...]:
    """The cuDNN majors listed only off the loader's default directories, where another
    major is listed in them."""
    default: set[str] = set()
    other: set[str] = set()
    for line in lines:
        m = _LISTED.match(line.text) if "libcudnn" in line.text else None
        if not m or not (major := _CUDNN_PRESENT.search(m["name"])):
            continue
        path = line.text.strip().split()[-1] if "->" not in line.text else m["name"]
        folder = path[: path.rfind("/") + 1]
        if folder:
            (default if _DEFAULT_DIR.match(folder) else other).add(major["major"])
    return tuple(sorted(other - default)) if default else ()


def _listed(lines: tuple[LogLine, ...], limit: int = 64) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for line in lines:
        if len(found) >= limit:
            break
        if "lib" in line.text and (m := _LISTED.match(line.text)):
            found.setdefault(m["name"], None)
        elif "lib" in line.text:
            for name in _columns(line.text):
                if _LISTED.match(name):
                    found.setdefault(name, None)
    return tuple(found)


#: a file name as plain ``ls`` prints it in columns (no mode, no path)
_COLUMN_NAME = re.compile(r"[\w+-][\w.+-]*")
#: a cuDNN library file named with its version (libcudnn.so.7.6.0, libcudnn_ops.so.9.1.0)
_CUDNN_FILE = re.compile(r"libcudnn(?:_\w+)?\.so\.(?P<v>\d+)(?:\.\d+)+")


def _columns(text: str) -> tuple[str, ...]:
    """The names of a line that plain ``ls`` printed in columns ("libcudnn.so  libcudnn.so.7
    libcudnn.so.7.6.0  libcudnn_static.a"): names two or more spaces apart, at least half of
    them libraries; () for any other line."""
    names = tuple(text.split())
    if len(names) < 2 or "  " not in text.strip() or len(names) > 64:
        return ()
    if not all(_COLUMN_NAME.fullmatch(n) for n in names):
        return ()
    libraries = sum(1 for n in names if n.startswith("lib") and (".so" in n or n.endswith(".a")))
    # a library directory's listing is mostly libraries; a sentence is mostly words
    return names if libraries and 2 * libraries >= len(names) else ()


def _column_cudnn(lines: tuple[LogLine, ...]) -> tuple[Clue, ...]:
    """The cuDNN majors of versioned library files that plain ``ls`` lists in columns."""
    found: dict[str, Clue] = {}
    for line in lines:
        if "libcudnn" not in line.text:
            continue
        for name in _columns(line.text):
            if (m := _CUDNN_FILE.fullmatch(name)) and m["v"] not in found:
                found[m["v"]] = Clue(m["v"], line.number, _short(line.text, line.text.find(name)))
    return tuple(found.values())


def infer(lines: tuple[LogLine, ...], allowed: tuple[str, ...] = ()) -> Context:
    """The context of a log from its kept lines; ``allowed``: the frameworks the matched
    messages come from (empty: any)."""
    platform = _platform(lines)
    conda = _first(lines, _CONDA, "conda")
    tfjs = _first(lines, _TFJS, "tfjs")
    l4t = _first(lines, _L4T_IMAGE, "l4t-image")
    gpuless, gpuless_other, gpuless_lines = _gpuless_run(lines)
    framework = _framework(lines, allowed)
    versions: dict[str, Clue] = {}
    answered = _form_answers(lines)
    for name, pattern in _VERSIONS:
        clue = _first_value(lines, pattern, name) or _first_value(answered, pattern, name)
        if clue:
            versions[name] = clue
    if "visible_devices" not in versions and (hidden := _first(lines, _VISIBLE_NONE, "")):
        # an empty setting has no value to capture: the clue's value is the empty string
        versions["visible_devices"] = hidden
    if "python" not in versions and (wheel := _wheel_python(lines)):
        versions["python"] = wheel
    driver = _first_value(lines, _DRIVER, "driver")
    driver_cuda = _first_value(lines, _CUDA_SMI, "cuda")
    toolkit = _first_value(lines, _NVCC, "toolkit")
    module = _first_value(lines, _MODULE, "module")
    nvml = _first_value(lines, _NVML_LIB, "nvml")
    userspace = _first_value(lines, _USERSPACE, "userspace")
    dkms = next(
        (
            Clue(f"{m['m']} {m['v']}", line.number, _short(line.text, m.start()))
            for line in lines
            if "/var/lib/dkms/" in line.text and (m := _DKMS_LOG.search(line.text))
        ),
        None,
    )
    gpus: list[Gpu] = []
    libraries: list[str] = []
    text_size = sum(len(line.text) + 1 for line in lines)
    if text_size <= MAX_DETECT_CHARS and lines:
        gpus, libraries, smi_driver, smi_cuda = _pasted_outputs(lines)
        driver = driver or smi_driver
        driver_cuda = driver_cuda or smi_cuda
    driver = driver or _first_value(lines, _DRIVER_PACKAGE, "driver")
    if not gpus:
        gpus = _runtime_devices(lines)
    if not gpus:
        named = _first_value(lines, _GPU_NAME, "gpu")
        if named:
            cc = _first_value(lines, _SAMPLES_CC, "cc")
            gpus = [Gpu(named.value, cc.value if cc else None, None, named.line)]
    installed = _all_values(lines, _CUDNN_INSTALLED, "cudnn") or _column_cudnn(lines)
    cuda_installed = _all_values(lines, _CUDA_INSTALLED, "cuda") or _all_values(
        answered, _CUDA_INSTALLED, "cuda"
    )
    present = sorted(
        {m["major"] for name in libraries for m in [_CUDNN_PRESENT.search(name)] if m}
        | {c.value for c in installed}
    )
    return Context(
        platform=platform,
        conda=conda,
        framework=framework,
        tfjs=tfjs,
        versions=versions,
        driver=driver,
        driver_cuda=driver_cuda,
        kernel_module=module,
        nvml_library=nvml,
        userspace=userspace,
        dkms_module=dkms,
        toolkit=toolkit,
        gpus=tuple(gpus),
        libraries=tuple(libraries),
        cudnn_present=tuple(present),
        cudnn_installed=installed,
        cuda_installed=cuda_installed,
        listed_libraries=_listed(lines),
        cudnn_off_path=_cudnn_off_path(lines),
        other_user=_first(lines, _OTHER_USER, "other-user"),
        l4t_image=l4t,
        gpuless_run=gpuless,
        gpuless_other=gpuless_other,
        gpuless_lines=gpuless_lines,
        build_cuda=_build_cuda(lines),
        ort_feed=_first(lines, _ORT_FEED, "ort-feed"),
        nvcc_default_arch=_nvcc_default_arch(lines),
        nvidia_lsmod=_first(lines, _NVIDIA_LSMOD, "nvidia"),
        device_node=_first(lines, _DEVICE_NODE, "device-node"),
        lspci_gpu=_first(lines, _LSPCI_GPU, "lspci"),
    )


#: lsmod's line of the NVIDIA kernel module (nvidia, its size, its use count)
_NVIDIA_LSMOD = re.compile(r"^\s*nvidia\s+\d{4,}\s+\d+\b")
#: lspci's NVIDIA display or 3D controller ("00:03.0 VGA compatible controller: NVIDIA
#: Corporation GK104GL [GRID K520] (rev a1)", "3D controller [0302]: NVIDIA Corporation")
_LSPCI_GPU = re.compile(
    r"\b(?:VGA compatible controller|3D controller)(?: \[03\d\d\])?: NVIDIA Corporation\b"
)
#: ls -l of an NVIDIA device node: a character device of major 195 named /dev/nvidia*
_DEVICE_NODE = re.compile(
    r"^\s*c[rw-]{9}\S*\s+\d+\s+\S+\s+\S+\s+195,\s*\d+\s.*\s/dev/nvidia(?:\d+|ctl)\s*$"
)


#: nvcc compiling a CUDA source (`nvcc file.cu -o a.out`, `!nvcc -o x x.cu` in a notebook)
_NVCC_BUILD = re.compile(r"\bnvcc(?:\.exe)?\s+(?:[^\s|;&]+\s+)*?[^\s|;&]+\.cu\b")
#: an architecture option on an nvcc line
_NVCC_ARCH = re.compile(
    r"\s(?:-arch|--gpu-architecture|-gencode|--generate-code|-code|--gpu-code)\b|\s-arch[=_]"
)


def _nvcc_default_arch(lines: tuple[LogLine, ...]) -> Clue | None:
    """An nvcc build of a .cu file that leaves the architecture to nvcc's default."""
    found: Clue | None = None
    for line in lines:
        if "nvcc" not in line.text:
            continue
        if _NVCC_ARCH.search(line.text):
            return None
        if found is None and (m := _NVCC_BUILD.search(line.text)):
            found = Clue("default", line.number, _evidence(line.text, m))
    return found


#: torch.__version__'s answer on the line after the call (a REPL, a notebook)
_VERSION_ANSWER = re.compile(
    r"^\s*(?:Out\[\d+\]:\s*)?['\"]?\d+\.\d+(?:\.\d+)?\+cu(?P<wheel>\d{2,3})['\"]?\s*$"
)


def _build_cuda(lines: tuple[LogLine, ...]) -> Clue | None:
    """The CUDA X.Y the framework build was made with (cu121: 12.1, cu92: 9.2)."""
    asked = False
    for line in lines:
        after_call, asked = asked, "torch.__version__" in line.text
        if after_call and (m := _VERSION_ANSWER.match(line.text)):
            wheel = m["wheel"]
            return Clue(f"{wheel[:-1]}.{wheel[-1]}", line.number, _short(line.text, m.start()))
        if "orch" not in line.text:
            continue
        m = _BUILD_CUDA.search(line.text)
        if m:
            wheel = m["wheel"]
            value = f"{wheel[:-1]}.{wheel[-1]}" if wheel else (m["v"] or m["conda"])
            return Clue(value, line.number, _short(line.text, m.start()))
    return None


def _evidence(text: str, m: re.Match[str]) -> str:
    """What shows a clue: the matched text, with some of the line when it is short."""
    found = m.group(0).strip()
    if len(found) >= 8:
        return found if len(found) <= 80 else found[:79] + "…"
    return _short(text, m.start())


#: an issue form's question about a version as GitHub renders it ("### TensorFlow version",
#: its heading marks taken off with the other decorations), or one in bold
_FORM_QUESTION = re.compile(
    r"^\s*(?:#{2,4}\s+)?(?:\*\*)?(?P<q>[A-Za-z][\w/ .+-]{0,50}?\bversions?(?: or commit id)?)"
    r"(?:\*\*)?:?\s*$",
    re.I,
)
#: markdown's bold and code marks around a listing's words ("- **PyTorch:** 2.9.1")
_MARKS = re.compile(r"\*\*|__|`")
#: lines an answer may stand below its question (GitHub puts an empty line between)
_ANSWER_GAP = 2


def _form_answers(lines: tuple[LogLine, ...]) -> tuple[LogLine, ...]:
    """An issue form's answers read with their questions ("TensorFlow version: 2.18.0" from
    "### TensorFlow version", an empty line, "2.18.0"), the lines markdown marks
    ("- **PyTorch:** 2.9.1+cu130" as "- PyTorch: 2.9.1+cu130") and pip show's name and
    version ("torch==2.4.0+cu121"), at the answer's line."""
    out: list[LogLine] = []
    for i, line in enumerate(lines):
        if "*" in line.text or "_" in line.text or "`" in line.text:
            plain = _MARKS.sub("", line.text)
            if plain != line.text:
                out.append(LogLine(line.number, plain))
        if line.text.startswith("Name: ") and i + 1 < len(lines):
            # pip show: "Name: torch" then "Version: 2.4.0+cu121", read as torch==2.4.0+cu121
            nxt = lines[i + 1]
            if nxt.number == line.number + 1 and nxt.text.startswith("Version: "):
                name, version = line.text[6:].strip(), nxt.text[9:].strip()
                out.append(LogLine(nxt.number, f"{name}=={version}"))
        m = _FORM_QUESTION.match(line.text)
        if not m:
            continue
        question = m["q"]
        for nxt in lines[i + 1 : i + 2 + _ANSWER_GAP]:
            if nxt.number - line.number > _ANSWER_GAP + 1:
                break
            if nxt.text.strip():
                if not _FORM_QUESTION.match(nxt.text) and len(nxt.text) <= 200:
                    out.append(LogLine(nxt.number, f"{question}: {_MARKS.sub('', nxt.text)}"))
                break
    return tuple(out)


def _short(text: str, at: int = 0, width: int = 60) -> str:
    start = max(0, at - width // 3)
    piece = text[start : start + width].strip()
    return ("…" if start else "") + piece + ("…" if start + width < len(text) else "")


def _runtime_devices(lines: tuple[LogLine, ...], limit: int = 16) -> list[Gpu]:
    """The GPUs a runtime lists as it starts (ggml's device lines, Ollama's inference compute),
    each device once, at its first line (a log of several starts repeats them)."""
    gpus: list[Gpu] = []
    seen: set[str] = set()
    for line in lines:
        if len(gpus) >= limit:
            break
        text = line.text
        if "compute capability " in text and (m := _GGML_DEVICE.search(text)):
            name, cc = m["name"].strip(), m["cc"]
        elif "inference compute" in text and (m := _OLLAMA_DEVICE.search(text)):
            named = next((n for p in _OLLAMA_NAMES if (n := p.search(text))), None)
            name, cc = named[1] if named else "", m["cc"]
        else:
            continue
        if m[0] in seen:
            continue
        seen.add(m[0])
        gpus.append(Gpu(name or None, cc, None, line.number))
    return gpus


def _first(lines: tuple[LogLine, ...], pattern: re.Pattern[str], value: str) -> Clue | None:
    for line in lines:
        m = pattern.search(line.text)
        if m:
            return Clue(value, line.number, _evidence(line.text, m))
    return None


def _first_value(lines: tuple[LogLine, ...], pattern: re.Pattern[str], _name: str) -> Clue | None:
    for line in lines:
        m = pattern.search(line.text)
        if m:
            value = next((v for v in m.groups() if v), None)
            if value:
                return Clue(value, line.number, _short(line.text, m.start()))
    return None


def _all_values(
    lines: tuple[LogLine, ...], pattern: re.Pattern[str], _name: str, limit: int = 8
) -> tuple[Clue, ...]:
    """The first line showing each distinct value of ``pattern`` (at most ``limit``)."""
    found: dict[str, Clue] = {}
    for line in lines:
        if len(found) >= limit:
            break
        for m in pattern.finditer(line.text):
            index = next((i for i, v in enumerate(m.groups(), 1) if v), 0)
            value = m.group(index) if index else None
            if value and value not in found:
                # a match that reads a long way before its value shows the value's part
                at = m.start(index) if m.start(index) - m.start() > 40 else m.start()
                found[value] = Clue(value, line.number, _short(line.text, at))
    return tuple(found.values())


def _gpuless_run(
    lines: tuple[LogLine, ...],
) -> tuple[Clue | None, Clue | None, tuple[int, int] | None]:
    """The line that starts a container with no GPU: NVIDIA_VISIBLE_DEVICES=void, else a
    run or compose command where nothing in the log asks for a GPU (a flag on a
    continuation line counts, so the whole log is searched), else the first start whose
    part of the log (up to the next start) asks for none while another start does (a paste
    of the failing run beside one with --gpus that works): with that other start and the
    lines the GPU-less one explains."""
    void = _first(lines, _VOID_DEVICES, "void")
    if void is not None:
        return void, None, None
    starts = [i for i, line in enumerate(lines) if _CONTAINER_RUN.search(line.text)]
    if not starts:
        build = next((line for line in lines if _DOCKER_BUILD.search(line.text)), None)
        if build is not None and not any(_GPU_REQUEST.search(line.text) for line in lines):
            return Clue("docker-build", build.number, _command(build.text)), None, None
        return None, None, None
    other: Clue | None = None
    scope: tuple[int, int] | None = None
    first = starts[0]
    asks = [i for i, line in enumerate(lines) if _GPU_REQUEST.search(line.text)]
    if asks:
        if asks[0] < starts[0]:
            # a request before any start (a Compose file, a variable): judged as a whole
            return None, None, None
        ends = [*starts[1:], len(lines)]
        parts = list(zip(starts, ends, strict=True))
        gpuless = [(b, e) for b, e in parts if not any(b <= i < e for i in asks)]
        if not gpuless:
            return None, None, None
        first, end = gpuless[0]
        asking = next(b for b, e in parts if any(b <= i < e for i in asks))
        other = Clue("gpu-request", lines[asking].number, _command(lines[asking].text))
        last = lines[end].number if end < len(lines) else lines[-1].number + 1
        scope = (lines[first].number, last)
    text = lines[first].text
    m = _CONTAINER_RUN.search(text)
    value = "no-nv-flag" if m is not None and m["apptainer"] else "no-gpu-flag"
    return Clue(value, lines[first].number, _command(text)), other, scope


def _command(text: str) -> str:
    """A container start as evidence: the command itself (which image, which flags)."""
    text = text.strip()
    return text if len(text) <= 100 else text[:99] + "…"


def _wheel_python(lines: tuple[LogLine, ...]) -> Clue | None:
    """The Python a pip log installs for, read from the CPython tag of a wheel it chose."""
    for line in lines:
        m = _WHEEL_PYTHON.search(line.text)
        if m:
            return Clue(f"{m['major']}.{m['minor']}", line.number, _evidence(line.text, m))
    return None


#: docker compose's log prefix: the container's name, its replica number and "|"
#: ("app_1  | " of compose v1, "app-1  | " of v2)
COMPOSE_PREFIX = re.compile(r"^[A-Za-z][\w.-]*[-_]\d+\s+\|")


def _platform(lines: tuple[LogLine, ...]) -> Clue | None:
    found: dict[str, Clue] = {}
    for line in lines:
        if "container" not in found and line.prefix and COMPOSE_PREFIX.match(line.prefix):
            found["container"] = Clue("container", line.number, line.prefix.strip())
        for name, pattern in _PLATFORMS:
            if name in found:
                continue
            m = pattern.search(line.text)
            if m:
                found[name] = Clue(name, line.number, _evidence(line.text, m))
    for name, _ in _PLATFORMS:
        if name in found:
            return found[name]
    return None


def _framework(lines: tuple[LogLine, ...], allowed: tuple[str, ...]) -> Clue | None:
    counts: dict[str, int] = {}
    first: dict[str, Clue] = {}
    for line in lines:
        for name, pattern in _FRAMEWORKS:
            m = pattern.search(line.text)
            if m:
                counts[name] = counts.get(name, 0) + 1
                first.setdefault(name, Clue(name, line.number, _evidence(line.text, m)))
    candidates = [n for n in counts if not allowed or n in allowed] or list(counts)
    if not candidates:
        return None
    # the more specific applications (CTranslate2, ONNX Runtime) print through PyTorch or
    # TensorFlow paths too: the table's order breaks ties in their favour
    order = [name for name, _ in _FRAMEWORKS]
    best = max(
        candidates, key=lambda n: (counts[n] * (3 if order.index(n) < 3 else 1), -order.index(n))
    )
    return first[best]


def _pasted_outputs(
    lines: tuple[LogLine, ...],
) -> tuple[list[Gpu], list[str], Clue | None, Clue | None]:
    """GPUs, libraries, driver and CUDA versions from the command outputs in the paste."""
    from gpusetup.parse.detect import detect

    # detect numbers lines from 1: map them back to the log's numbers
    numbers = [line.number for line in lines]
    paste = detect("\n".join(line.text for line in lines))
    gpus: list[Gpu] = []
    libraries: list[str] = []
    driver = cuda = None
    for block in paste.blocks:
        reading = block.reading
        where = numbers[min(block.first_line, len(numbers)) - 1]
        for gpu in reading.gpus:
            at = numbers[min(gpu.line, len(numbers)) - 1] if gpu.line else where
            gpus.append(Gpu(gpu.name, gpu.compute_capability, gpu.bus_id, at))
        for lib in reading.libraries:
            if lib.status in (None, "opened") and lib.name not in libraries:
                libraries.append(lib.name)
        if reading.driver_version and driver is None:
            driver = Clue(
                reading.driver_version, where, f"{block.kind}: driver {reading.driver_version}"
            )
        if reading.cuda_version and cuda is None:
            cuda = Clue(reading.cuda_version, where, f"{block.kind}: CUDA {reading.cuda_version}")
    return gpus, libraries, driver, cuda


#: lines only GPU listings print (nvidia-smi's table, -L, -q, csv; deviceQuery; p2p;
#: TensorFlow's device lines): the paste is read for its numbering only when one is there
_LISTING_HINT = re.compile(
    r"\bNVIDIA-SMI \d|^\s*GPU \d{1,3}: .*\(UUID: |Bus-Id|^GPU [0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:|"
    r"\bpci\.bus_id\b|\bindex, ?name\b|^Device \d{1,3}: \"|pci bus id: ",
    re.MULTILINE | re.IGNORECASE,
)


def gpu_numbering(lines: tuple[LogLine, ...]) -> GpuNumbering | None:
    """Which nvidia-smi GPU is which CUDA device, as the listings pasted in the log show
    it, and the answer for the GPUs its prose names (gpusetup.devices.listings)."""
    text = "\n".join(line.text for line in lines)
    if len(text) > MAX_DETECT_CHARS or not _LISTING_HINT.search(text):
        return None
    # imported here: most logs hold no listing, and the readers cost a tenth of a second
    from gpusetup.devices.listings import numbering
    from gpusetup.parse.detect import detect

    paste = detect(text)
    # the question names GPUs ("GPU 4, 5, 6"): any line but the listings' own GPU lines
    records = {g.line for b in paste.blocks for g in b.reading.gpus}
    prose = [line.text for n, line in enumerate(lines, 1) if n not in records]
    return numbering([b.reading for b in paste.blocks], prose)
