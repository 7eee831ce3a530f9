"""The words of a finding: a diagnosis sentence built from the log's own facts (what the
message captured, decoded with ``facts.toml``, and what the rest of the log shows) and the
fix for the platform and framework the log comes from.
"""

from __future__ import annotations

import re
import string
from typing import Any

from gpusetup.logtriage.catalogue import Entry, catalogue
from gpusetup.logtriage.context import Clue, Context

#: what a placeholder says when the log did not fill it
_NEUTRAL = {
    "soname": "the library",
    "dll": "the DLL",
    "path": "the library",
    "dlerror": "the loader's error",
    "version": "the required version",
    "found": "the version found",
    "built": "the build's version",
    "loaded": "the loaded version",
    "driver": "the installed driver",
    "kernel": "another version",
    "client": "one version",
    "code": "its code",
    "name": "the component",
    "error": "the error",
    "status": "the status",
    "reason": "the reason it gives",
    "cc": "its compute capability",
    "min_cc": "the minimum",
    "max_cc": "the newest",
    "cc_major": "X",
    "cc_minor": "Y",
    "sm": "XX",
    "gpu": "the GPU",
    "bus_id": "the GPU",
    "ordinal": "0",
    "count": "some",
    "xid": "an Xid",
    "detail": "see the log",
    "size": "the allocation",
    "bytes": "the requested number of",
    "requirement": "the package",
    "wheel": "the wheel",
    "package": "the package",
    "extra": "the extra",
    "python": "this Python",
    "symbol": "a symbol",
    "module": "the module",
    "value": "the value",
    "process": "a process",
    "pid": "?",
    "capabilities": "[[gpu]]",
    "condition": "a newer CUDA",
    "library": "a library",
    "pci_id": "its PCI ID",
    "arch": "this architecture",
    "compiled": "other architectures",
}

FRAMEWORK_NAMES = {
    "tensorflow": "TensorFlow",
    "pytorch": "PyTorch",
    "jax": "JAX",
    "ctranslate2": "CTranslate2",
    "onnxruntime": "ONNX Runtime",
    "paddle": "PaddlePaddle",
    "mxnet": "MXNet",
    "cupy": "CuPy",
    "nccl": "NCCL",
    "pip": "pip",
    "tfjs": "TensorFlow.js for Node (tfjs-node-gpu)",
}
PLATFORM_NAMES = {
    "windows": "native Windows",
    "wsl": "WSL2",
    "container": "a container",
    "kubernetes": "Kubernetes",
    "colab": "Google Colab",
    "jetson": "a Jetson",
    "macos": "macOS",
    "linux": "Linux",
}


def fill(template: str, facts: dict[str, str]) -> str:
    """``template`` with the log's facts; a fact the log did not show reads neutrally and a
    parenthesis made of it alone is left out."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    missing = names - set(facts)
    for name in missing:
        template = re.sub(r"\s*\([^(){}]*\{" + name + r"\}[^(){}]*\)", "", template)
    values = {name: _shown(name, facts.get(name, _NEUTRAL.get(name, name))) for name in names}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return template


def _shown(name: str, value: str) -> str:
    """A fact as a sentence shows it: a C++ symbol mangled beyond reading is cut (the log
    line quoted with the diagnosis has it whole)."""
    if name == "symbol" and len(value) > 60:
        return value[:48] + "…"
    return value


def cuda_version_of(number: str) -> str | None:
    """CUDA's integer version (11040) as 11.4 (facts.toml [cuda_version])."""
    if not number.isdigit() or len(number) < 4:
        return None
    n = int(number)
    return f"{n // 1000}.{(n % 1000) // 10}"


def cudnn_version_of(number: str) -> str | None:
    """cuDNN's CUDNN_VERSION integer (7103, 90300) as 7.1.3 / 9.3.0 (facts.toml)."""
    if not number.isdigit() or len(number) < 4:
        return None
    n = int(number)
    major, rest = (n // 10000, n % 10000) if n >= 10000 else (n // 1000, n % 1000)
    return f"{major}.{rest // 100}.{rest % 100}"


def _cudnn_tuple(number: str) -> tuple[int, ...] | None:
    """A cuDNN version as printed (8.0.5, or CUDNN_VERSION 7104) as (8, 0, 5)."""
    dotted = number if "." in number else cudnn_version_of(number)
    if not dotted or not re.fullmatch(r"\d+(?:\.\d+)*", dotted):
        return None
    return tuple(int(part) for part in dotted.split("."))


def cudnn_direction(facts: dict[str, str]) -> str | None:
    """Which way the cuDNN loaded at run time differs from the build's: TensorFlow refuses
    an older one, and also a newer one where the major differs or, up to TF 1.12, the minor
    (its cuda_dnn.cc compares major and minor, the 'compatibility version')."""
    loaded, built = (_cudnn_tuple(facts.get(k, "")) for k in ("loaded", "built"))
    if not loaded or not built or loaded == built:
        return None
    if loaded < built:
        return (
            "The loaded cuDNN is older than the build's: "
            "it needs at least the build's minor of the same major."
        )
    if loaded[0] != built[0]:
        return (
            "The loaded cuDNN is newer than the build's, of another major: "
            "the build accepts only its own major."
        )
    return (
        "The loaded cuDNN is newer than the build's, of another minor: "
        "TensorFlow up to 1.12 accepts only the major and minor it was built with."
    )


#: a cuDNN library or DLL name with its major: libcudnn_ops.so.9, cudnn64_8.dll
CUDNN_NAME = re.compile(r"cudnn\w*?(?:64_|\.so\.)(\d+)", re.I)


def cudnn_major_of(name: str) -> str | None:
    """The cuDNN major a library or DLL name belongs to (facts.toml [cudnn_sublibraries])."""
    table = catalogue().facts.get("cudnn_sublibraries", {})
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    for key, names in table.items():
        if key == "source":
            continue
        major = key.rsplit("_", 1)[-1]
        if any(base == n or base.startswith(n + ".") for n in names):
            return major
    m = CUDNN_NAME.search(base)
    return m.group(1) if m else None


#: the CUDA major a CUDA library's soname or Windows DLL belongs to: libcublas.so.11,
#: libcudart.so.10.1, cudart64_110.dll (CUDA 11.0), cublas64_11.dll, cudart64_12.dll
_CUDA_LIBRARY = re.compile(
    r"\blib(?P<lib>cudart|cublas(?:Lt)?|cufft|curand|cusolver|cusparse|nvrtc|nvJitLink)"
    r"\.so\.(?P<major>\d+)|"
    r"\b(?P<dll>cudart|cublas(?:Lt)?|cufft|curand|cusolver|cusparse|nvrtc)64_(?P<digits>\d+)"
    r"(?:_\d+)?\.dll",
    re.I,
)


def cuda_major_words(facts: dict[str, str], ctx: Context) -> tuple[str, str] | None:
    """(diagnosis, fix) for a CUDA library of one major wanted where the log shows another
    CUDA major installed (nvcc, /usr/local/cuda-X.Y, NVIDIA's pip wheels)."""
    name = facts.get("dependency") or facts.get("soname") or facts.get("dll") or ""
    m = _CUDA_LIBRARY.search(name)
    if not m or not ctx.cuda_installed:
        return None
    if m["major"]:
        wanted, lib = m["major"], "lib" + m["lib"]
    else:
        digits = m["digits"]
        # cudart64_110.dll is CUDA 11.0, cudart64_101.dll 10.1, cudart64_90.dll 9.0;
        # cublas64_11.dll and cudart64_12.dll name the major alone
        two = len(digits) >= 3 or digits in ("10", "11", "12", "13")
        wanted = digits[:2] if two else digits[0]
        lib = m["dll"]
    if lib.lower().removeprefix("lib") in _OWN_MAJOR and not _cuda_numbered(m):
        # cuFFT, cuRAND, cuSOLVER and cuSPARSE number their sonames on their own from CUDA
        # 10.1 (libcufft.so.10 is CUDA 10.1-11.8's): only X.Y names (CUDA <= 10.0) say CUDA's
        return None
    installed = [c for c in ctx.cuda_installed if c.value.split(".")[0] != wanted]
    if not installed or any(c.value.split(".")[0] == wanted for c in ctx.cuda_installed):
        return None
    shown = installed[0]
    have = shown.value.split(".")[0]
    pip = _PIP_CUDA.get(lib.lower())
    wheel = f" (pip install {pip.format(major=wanted)})" if pip and wanted in ("11", "12") else ""
    return (
        f"{name.rsplit('/', 1)[-1].rsplit(chr(92), 1)[-1]} is CUDA {wanted}'s; the log shows "
        f"CUDA {shown.value} installed (line {shown.line}: {shown.evidence}): a library of "
        f"CUDA {have} does not stand in for CUDA {wanted}'s.",
        f"Install the build of the package made for CUDA {have}, the CUDA this machine has "
        f"(its CUDA {have} wheel or release); or install the CUDA {wanted} runtime libraries "
        f"beside CUDA {have}{wheel} and put their directory on the library path.",
    )


#: CUDA libraries whose soname major is their own, not CUDA's, from CUDA 10.1
_OWN_MAJOR = {"cufft", "curand", "cusolver", "cusparse"}


def _cuda_numbered(m: re.Match[str]) -> bool:
    """A cuFFT/cuRAND/cuSOLVER/cuSPARSE name numbered by CUDA's release: libcufft.so.9.0,
    cufft64_100.dll (CUDA 10.0)."""
    if m["major"]:
        rest = m.string[m.end() :]
        return int(m["major"]) <= 10 and re.match(r"\.\d", rest) is not None
    digits = m["digits"]
    return len(digits) >= 3 or (len(digits) == 2 and digits[0] in "6789")


_PIP_CUDA = {
    "libcudart": "nvidia-cuda-runtime-cu{major}",
    "cudart": "nvidia-cuda-runtime-cu{major}",
    "libcublas": "nvidia-cublas-cu{major}",
    "libcublaslt": "nvidia-cublas-cu{major}",
    "cublas": "nvidia-cublas-cu{major}",
    "cublaslt": "nvidia-cublas-cu{major}",
    "libcufft": "nvidia-cufft-cu{major}",
    "libcurand": "nvidia-curand-cu{major}",
    "libcusolver": "nvidia-cusolver-cu{major}",
    "libcusparse": "nvidia-cusparse-cu{major}",
    "libnvrtc": "nvidia-cuda-nvrtc-cu{major}",
}


def other_cudnn_sentence(major: str, ctx: Context) -> str:
    """The cuDNN majors the log shows installed besides the ``major`` a program wants."""
    off = set(ctx.cudnn_off_path)
    present = [m for m in ctx.cudnn_present if m != major and m not in off]
    if not present or (major in ctx.cudnn_present and major not in off):
        return ""
    shown = [c for c in ctx.cudnn_installed if c.value in present][:2]
    where = " (" + "; ".join(f"line {c.line}: {c.evidence}" for c in shown) + ")" if shown else ""
    aside = (
        f"; its cuDNN {major} copies are listed only in directories the loader does not search "
        "(a conda package cache, another environment, site-packages)"
        if major in off
        else ""
    )
    return (
        f"The log shows cuDNN {', '.join(present)} installed{where}, not cuDNN {major}: "
        f"cuDNN {'/'.join(present)} is installed, this build needs cuDNN {major} (a program "
        f"loads only the cuDNN major it was built for){aside}."
    )


#: the releases of a framework built for a cuDNN major (their release notes)
_CUDNN_BUILDS = {
    ("ctranslate2", "8"): "ctranslate2==4.4.0",
    ("ctranslate2", "9"): "ctranslate2>=4.5.0",
    ("onnxruntime", "8"): "onnxruntime-gpu==1.18.0",
    ("onnxruntime", "9"): "onnxruntime-gpu>=1.18.1",
}
#: the CUDA major cuDNN releases are built for, by cuDNN major, when the log shows none
_CUDNN_CUDA = {"9": "12", "8": "12", "7": "10"}


def cudnn_major_fix(
    facts: dict[str, str], ctx: Context, framework: str | None, platform: str | None
) -> str:
    """How to install the cuDNN major a build wants where another one is installed, for
    the platform and framework of the log."""
    from gpusetup.logtriage.rules import wanted_cudnn

    major = facts.get("wanted_cudnn") or wanted_cudnn(facts) or "the wanted"
    off = set(ctx.cudnn_off_path)
    present = "/".join(m for m in ctx.cudnn_present if m != major and m not in off)
    present = present or "the installed"
    cuda = next((c.value.split(".")[0] for c in ctx.cuda_installed), None)
    cuda = cuda or _CUDNN_CUDA.get(major, "12")
    build = _CUDNN_BUILDS.get((framework or "", present))
    if build:
        other = f"or keep cuDNN {present} with {build}, the build made for it"
    elif framework in FRAMEWORK_NAMES:
        other = f"or install the {FRAMEWORK_NAMES[framework]} build made for cuDNN {present}"
    else:
        other = f"or use a build of the program made for cuDNN {present}"
    if platform == "windows":
        return (
            f"Install cuDNN {major} for CUDA {cuda} (NVIDIA's cuDNN archive, or pip install "
            f'"nvidia-cudnn-cu{cuda}=={major}.*") and put the folder holding its DLLs (cuDNN '
            f"{major}'s bin folder) on PATH, then open a new terminal; {other}."
        )
    apt = f"libcudnn9-cuda-{cuda}" if major == "9" else f"libcudnn{major}"
    pip = (
        f'pip install "nvidia-cudnn-cu{cuda}=={major}.*" and put its lib folder '
        "(site-packages/nvidia/cudnn/lib) on LD_LIBRARY_PATH"
    )
    if ctx.conda is not None:
        return f"conda install cudnn={major} (in this environment), or {pip}; {other}."
    return f"Install cuDNN {major}: {pip}, or apt install {apt}; {other}."


def fix_template(entry: Entry, framework: str | None, platform: str | None, conda: bool) -> str:
    """The most specific fix the entry has for this framework and platform."""
    keys: list[str] = []
    if framework and platform:
        keys.append(f"{framework}/{platform}")
    if framework and conda:
        keys.append(f"{framework}/conda")
    if platform and platform != "linux":
        keys.append(platform)
    if framework:
        keys.append(framework)
    if conda:
        keys.append("conda")
    if platform == "linux":
        keys.append("linux")
    keys.append("generic")
    for key in keys:
        if key in entry.fixes:
            return entry.fixes[key]
    return ""


def decoded(
    entry: Entry,
    family: str,
    facts: dict[str, str],
    ctx: Context,
    text: str = "",
    following: str = "",
) -> list[str]:
    """Sentences that decode what the message carries and add what the rest of the log
    shows (``following``: the lines after the message), for the diagnosis."""
    out: list[str] = []
    tables: dict[str, Any] = catalogue().facts
    if "found" in facts and (v := cuda_version_of(facts["found"])):
        out.append(f"Found version {facts['found']} means the driver supports CUDA up to {v}.")
    cudnn = [
        f"{key} {facts[key]} = cuDNN {v}"
        for key in ("loaded", "built", "value")
        if key in facts
        and len(facts[key]) >= 4
        and "cudnn" in entry.id
        and (v := cudnn_version_of(facts[key]))
    ]
    if cudnn:
        said = "; ".join(cudnn)
        out.append(f"{said[0].upper()}{said[1:]}.")
    if (way := cudnn_direction(facts)) and "cudnn" in entry.id:
        out.append(way)
    if entry.cuda_error is not None or entry.id.startswith("cuda.code."):
        row = _cuda_error_row(tables.get("cuda_runtime_error", []), entry.cuda_error, facts)
        if row:
            meaning = f'{row["name"]} ("{row["string"].rstrip(".")}")'
            old = row.get("before_10_1")
            if (
                old is not None
                and _shows_number(text, old)
                and not _shows_number(text, row["code"])
            ):
                # Caffe's "(30 vs. 0)", old PyTorch's "cuda runtime error (38)"
                out.append(
                    f"CUDA error {old} (the numbering of CUDA 10.0 and older; {row['code']} "
                    f"from CUDA 10.1) is {meaning}."
                )
            else:
                out.append(f"CUDA error {row['code']} is {meaning}.")
    if "xid" in facts:
        xid = tables.get("xid", {}).get(facts["xid"])
        if isinstance(xid, dict):
            out.append(
                f"Xid {facts['xid']} ({xid['mnemonic']}): {xid['meaning']}; "
                f"first action: {xid['action']}."
            )
    for key in ("soname", "dll", "path"):
        name = facts.get(key)
        if not name:
            continue
        dll = tables.get("windows_dlls", {}).get(name.rsplit("\\", 1)[-1])
        if dll:
            out.append(f"{name.rsplit(chr(92), 1)[-1]} is {dll}.")
        major = cudnn_major_of(name) if "cudnn" in name.lower() else None
        if major:
            out.append(f"{name.rsplit('/', 1)[-1]} belongs to cuDNN {major}.")
            out.append(other_cudnn_sentence(major, ctx))
        break
    else:
        if family == "cudnn-version" and (major := facts.get("wanted_cudnn")):
            out.append(other_cudnn_sentence(major, ctx))
    if family in ("library-missing", "wheel") and (said := cuda_major_words(facts, ctx)):
        out.append(said[0])
    if "dependency" in facts:
        out.append(
            f"{facts.get('soname', 'The library')} itself may be present: it needs "
            f"{facts['dependency']}, which the loader cannot find; "
            "that dependency is what is missing."
        )
    if "sm" in facts and facts.get("sm_list"):
        out.append(f"This build has {facts['sm_list']}; sm_{facts['sm']} is not among them.")
    if family == "compute-capability" and ctx.gpus and "gpu" not in facts:
        g = ctx.gpus[0]
        bits = [b for b in (g.name, f"compute capability {g.cc}" if g.cc else None, g.bus_id) if b]
        if bits:
            out.append(f"The log's GPU: {', '.join(bits)} (line {g.line}).")
    if family == "driver-mismatch":
        client = facts.get("client") or (ctx.nvml_library.value if ctx.nvml_library else None)
        kernel = facts.get("kernel") or (ctx.kernel_module.value if ctx.kernel_module else None)
        said_driver = ctx.driver if not client and not kernel else None
        if said_driver:
            out.append(
                f"The driver installed is {ctx.driver.value} (line {ctx.driver.line}: "
                f"{ctx.driver.evidence}); the kernel module still loaded is another release."
            )
        packages = ctx.userspace
        # the line the sentence above quotes may be the package list's own: not said twice
        repeated = bool(said_driver and packages and packages.line == said_driver.line)
        if packages and not client and not repeated and packages.value != kernel:
            out.append(
                f"The packages installed are driver {packages.value} (line {packages.line}: "
                f"{packages.evidence})"
                + (f"; the loaded kernel module is {kernel}." if kernel else ".")
            )
        elif client and kernel and client != kernel:
            out.append(f"User-space driver/NVML {client}, loaded kernel module {kernel}.")
        elif client and not facts.get("client"):
            out.append(
                f"NVML library version {client} (line {ctx.nvml_library.line}) "
                "is not the loaded module's version."
                if ctx.nvml_library
                else ""
            )
    if family == "driver-too-old" and re.match(r"cuda\s*>=", facts.get("condition", "")):
        # nvidia-container-cli's requirement names the CUDA the image needs
        from gpusetup.knowledge import KnowledgeError, cuda_table

        try:
            row = cuda_table().min_driver_for(facts.get("version", ""))
        except (KnowledgeError, ValueError):
            row = None
        if row:
            out.append(
                f"CUDA {facts['version']} needs driver {row[1]} or newer on Linux "
                "(checks/data/cuda.toml)."
            )
    if family in (
        "driver-too-old",
        "toolchain",
        "driver-missing",
        "kernel-module",
        "container",
        "fabric-manager",
        "gpu-fault",
    ):
        if family == "kernel-module" and (kernel := ctx.versions.get("kernel")):
            out.append(f"The kernel is {kernel.value} (line {kernel.line}: {kernel.evidence}).")
        if family == "kernel-module" and ctx.dkms_module and not ctx.driver:
            module, version = ctx.dkms_module.value.split(" ", 1)
            out.append(
                f"The module DKMS builds is {module}, driver {version} "
                f"(line {ctx.dkms_module.line}: {ctx.dkms_module.evidence})."
            )
        elif ctx.driver:
            out.append(_driver_sentence(ctx.driver, ctx.driver_cuda))
        elif ctx.driver_cuda:
            out.append(
                f"nvidia-smi says the driver supports CUDA up to {ctx.driver_cuda.value} "
                f"(line {ctx.driver_cuda.line})."
            )
        elif ctx.kernel_module and family != "driver-mismatch":
            out.append(
                f"The loaded kernel module is {ctx.kernel_module.value} "
                f"(line {ctx.kernel_module.line})."
            )
    if entry.cuda_error is not None or family == "visibility":
        # the call is in the message, or in the lines a CUDA error check prints after it
        # ("Call: cuModuleLoad", "cudaGetDeviceCount returned 38")
        call = _CUDA_CALL.search(text) or _CUDA_NAME.search(following)
        if call:
            out.append(f"It failed in {call.group(1)}.")
    if family == "visibility" and not ctx.versions.get("visible_devices"):
        shown = [
            f"{label} {clue.value} (line {clue.line})"
            for label, clue in (("driver", ctx.driver), ("kernel module", ctx.kernel_module))
            if clue
        ]
        if shown:
            out.append(
                f"The log shows the driver at work ({', '.join(shown)}): CUDA runs, but this "
                "process is given no GPU (a scheduler's allocation, a container or "
                "CUDA_VISIBLE_DEVICES set elsewhere)."
            )
    vis = _visible_setting(facts, ctx)
    if family == "visibility" and vis:
        out.append(
            f"The log sets CUDA_VISIBLE_DEVICES={vis.value} (line {vis.line}): "
            f"{_visible_devices_words(vis.value)}"
        )
    if family == "cpu-only-build" and (cpu := ctx.versions.get("torch_cpu")):
        cuda = ctx.versions.get("torch_cuda")
        before = ""
        if cuda and cuda.line < cpu.line:
            before = (
                f"; the log shows {cuda.value} before it (line {cuda.line}): a later install "
                "replaced the CUDA build with the CPU one"
            )
        elif cuda:
            before = f"; the log also shows {cuda.value} (line {cuda.line})"
        out.append(f"torch.__version__ is {cpu.value} (line {cpu.line}), a CPU-only wheel{before}.")
    if family == "toolchain" and (ptxas := ctx.versions.get("ptxas")):
        out.append(f"The ptxas in use is {ptxas.value} (line {ptxas.line}).")
    if family == "wheel":
        out.extend(_wheel_facts(entry, facts, ctx))
    return [s for s in out if s]


def _driver_sentence(driver: Clue, shown: Clue | None) -> str:
    """The driver the log shows and the CUDA it supports: nvidia-smi's CUDA Version where
    the log has it, else the release table's; a CUDA Version above the driver's own release
    is a forward-compatibility libcuda (cuda-compat) in use."""
    from gpusetup.knowledge import KnowledgeError, cuda_table

    try:
        own = cuda_table().highest_cuda_for(branch_newest(driver.value))
    except (KnowledgeError, ValueError):
        own = None
    where = f"(line {driver.line})"
    if shown and own and _release(shown.value) > _release(own) and _needs_newer(shown, driver):
        return (
            f"The log shows driver {driver.value} {where}, whose own CUDA is {own} "
            f"(checks/data/cuda.toml), while its CUDA Version reads {shown.value} "
            f"(line {shown.line}): a forward-compatibility libcuda (cuda-compat) is in use."
        )
    if shown:
        return (
            f"The log shows driver {driver.value}, which supports CUDA up to {shown.value} {where}."
        )
    if own:
        return (
            f"The log shows driver {driver.value} {where}, which supports CUDA up to {own} "
            "(checks/data/cuda.toml)."
        )
    return f"The log shows driver {driver.value} {where}."


def _needs_newer(shown: Clue, driver: Clue) -> bool:
    """Whether the CUDA nvidia-smi reports needs a newer driver than ``driver`` by the
    release table (a CUDA the table has no row for, 12.7 of R565, is the driver's own)."""
    from gpusetup.knowledge import KnowledgeError, cuda_table, driver_at_least

    try:
        row = cuda_table().min_driver_for(shown.value)
    except (KnowledgeError, ValueError):
        return False
    return row is not None and not driver_at_least(branch_newest(driver.value), row[1])


def branch_newest(driver: str) -> str:
    """A driver release to judge by: a bare branch (the package nvidia-390 installs the
    branch's newest release) counts as its newest, a release as itself."""
    return driver if "." in driver else f"{driver}.999"


def _shows_number(text: str, number: int) -> bool:
    """Whether the line shows ``number`` as an error code: "(30 vs. 0)", "error (38)",
    "error 30", "code = 30", "returned 38", "[ 222 ]" (not a time or a size)."""
    pattern = (
        rf"(?:\(\s*|\berror\s*(?:code\s*)?[=:]?\s*\(?|\bcode\s*[=:]?\s*|\breturned\s+|\[\s*)"
        rf"{number}(?=\s*(?:\)|vs\b|\]|$|[\s,;:]))"
    )
    return re.search(pattern, text, re.I) is not None


def _cuda_error_row(
    rows: list[dict[str, Any]], code: int | None, facts: dict[str, str]
) -> dict[str, Any] | None:
    """The runtime error an entry stands for: its own code, or (an entry for a group of
    codes) the one its ``error`` fact names by runtime name, text or number."""
    if code is not None:
        return next((r for r in rows if r["code"] == code), None)
    said = facts.get("error", "")
    folded = said.lower()
    number = re.search(r"(\d+)\W*$", said)
    named = [r for r in rows if r["name"].lower() == folded]
    # the longest text the fact holds ("resource not mapped as array", not "resource not mapped")
    texts = [r for r in rows if r["string"].rstrip(".").lower() in folded]
    if named or texts:
        return named[0] if named else max(texts, key=lambda r: len(r["string"]))
    if number:
        return next((r for r in rows if r["code"] == int(number.group(1))), None)
    return None


_CUDA_CALL = re.compile(r"\b(cu(?:da)?[A-Z]\w+)\(")
_CUDA_NAME = re.compile(r"\b(cu(?:da)?(?!Error)[A-Z][a-z]\w+)\b")


def _visible_setting(facts: dict[str, str], ctx: Context) -> Clue | None:
    """The CUDA_VISIBLE_DEVICES setting the log shows, unless the entry read it itself (and
    has said it)."""
    vis = ctx.versions.get("visible_devices")
    return vis if vis and vis.value.strip("'\"") not in facts.values() else None


def visible_devices_fix(facts: dict[str, str], ctx: Context) -> str:
    """The fix a CUDA_VISIBLE_DEVICES setting of GPU indexes in the log points to."""
    vis = _visible_setting(facts, ctx)
    value = vis.value.strip("'\"") if vis else ""
    if vis and value in ("", "-1"):
        return (
            f"Unset CUDA_VISIBLE_DEVICES (line {vis.line} sets it to {value or 'nothing'}, "
            "which hides every GPU) or set it to GPUs this machine has (nvidia-smi -L)."
        )
    if not vis or not all(e.isdigit() for e in value.split(",")):
        return ""
    return (
        f"Set CUDA_VISIBLE_DEVICES (line {vis.line}: {value}) to GPUs this machine has "
        "(nvidia-smi -L lists their indexes), or remove that setting."
    )


def _visible_devices_words(value: str) -> str:
    """What a CUDA_VISIBLE_DEVICES value does (CUDA programming guide, environment variables)."""
    value = value.strip("'\"")
    if value in ("", "-1") or value.startswith("-"):
        return "it hides every GPU."
    entries = value.split(",")
    if all(e.isdigit() for e in entries):
        top = max(int(e) for e in entries)
        return (
            f"only GPU {value} of the machine {'is' if len(entries) == 1 else 'are'} visible, "
            f"renumbered from 0; on a machine without a GPU {top} the process sees no GPU "
            "at all."
        )
    if all(e.isdigit() or e.startswith(("GPU-", "MIG-")) for e in entries):
        return "only these GPUs are visible, renumbered from 0."
    return "an entry that is not an index or a GPU-/MIG- UUID hides itself and every GPU after it."


def _wheel_facts(entry: Entry, facts: dict[str, str], ctx: Context) -> list[str]:
    out: list[str] = []
    python = ctx.versions.get("python")
    wheel = facts.get("wheel", "")
    m = re.search(r"-(?P<py>(?:cp|py)\d+)-(?P<abi>[\w.]+)-(?P<plat>[\w.]+)\.whl$", wheel)
    if m:
        py, plat = m["py"], m["plat"]
        need = f"{py[2]}.{py[3:]}" if py.startswith("cp") and len(py) > 3 else None
        parts = [f"it is built for {py}"]
        if need:
            parts[0] += f" (CPython {need})"
        if plat != "any":
            parts.append(f"platform {plat}")
        sentence = "The wheel's tags: " + ", ".join(parts) + "."
        if python:
            have = ".".join(python.value.split(".")[:2])
            if need and have != need:
                sentence += (
                    f" The log shows Python {python.value} (line {python.line}: "
                    f"{python.evidence}): a {py} wheel cannot install there."
                )
        if ctx.platform and ctx.platform.value in ("windows", "macos") and "linux" in plat:
            where = PLATFORM_NAMES[ctx.platform.value]
            sentence += f" It is a Linux wheel, and the log comes from {where}."
        if ctx.platform and ctx.platform.value != "windows" and plat.startswith("win"):
            sentence += " It is a Windows wheel."
        out.append(sentence)
    elif python and entry.id.startswith("pip."):
        out.append(f"The log shows Python {python.value} (line {python.line}: {python.evidence}).")
    machine = ctx.versions.get("machine")
    if machine and machine.value in ("i386", "i486", "i586", "i686", "32-bit", "32 bit", "armv7l"):
        out.append(
            f"The log shows a 32-bit system or Python ({machine.value}, line {machine.line}): "
            "TensorFlow and PyTorch publish 64-bit wheels only."
        )
    requirement = facts.get("requirement", "")
    if requirement.lower().startswith(("tensorflow", "tensorflow-gpu")):
        out.extend(_tensorflow_release(requirement, ctx))
    return out


def _tensorflow_release(requirement: str, ctx: Context) -> list[str]:
    name = re.split(r"[<>=!~\[;]", requirement, maxsplit=1)[0].lower()
    out = []
    if name == "tensorflow-gpu":
        out.append(
            "tensorflow-gpu is no longer published (its last releases are empty "
            "placeholders): install tensorflow."
        )
    python = ctx.versions.get("python")
    if python and name.startswith("tensorflow"):
        from gpusetup.knowledge import KnowledgeError, tensorflow_builds

        try:
            builds = [b for b in tensorflow_builds() if b.supports_python(python.value)]
        except (KnowledgeError, ValueError):
            builds = []
        if builds:
            out.append(
                f"TensorFlow releases with wheels for Python {python.value}: "
                f"{builds[-1].version}-{builds[0].version}."
            )
        else:
            out.append(
                f"No TensorFlow 2.10+ release ships wheels for Python {python.value} "
                "(see checks/data/tensorflow.toml)."
            )
    return out


def combined(family: str, facts: dict[str, str], related: list[dict[str, str]]) -> tuple[str, str]:
    """What the lines related to a root cause add (evidence combined across lines), as
    (diagnosis sentence, fix to put first): the releases pip saw, for a wheel that pip could
    not find, and the Python they show."""
    if family != "wheel" or "value" in facts:
        return "", ""
    offered = next((r["value"] for r in related if "value" in r), None)
    if offered is None:
        return "", ""
    said = versions_offered(offered, facts.get("requirement", ""))
    python = python_of_listing(offered, facts.get("requirement", ""))
    if python is None:
        return said, ""
    return f"{said} {python[0]}", python[1]


def _release_key(version: str) -> tuple[int, ...]:
    """2.2.0rc3 -> (2, 2, 0): a pre-release counts as its release."""
    m = re.match(r"(\d+(?:\.\d+)*)", version.strip())
    return tuple(int(p) for p in m.group(1).split(".")) if m else ()


def python_of_listing(listing: str, requirement: str) -> tuple[str, str] | None:
    """(diagnosis, fix) for pip's listing of tensorflow releases: the Python it was run with
    (the listing starts at that Python's first release, facts.toml
    [tensorflow_python_wheels]) and, for a pinned release outside it, the Pythons that
    release has wheels for."""
    name, _, pinned = requirement.partition("==")
    if name.strip().lower() != "tensorflow":
        return None
    versions = [v for v in re.split(r"[,\s]+", listing) if _release_key(v)]
    table = catalogue().facts.get("tensorflow_python_wheels", {})
    rows = {py: row for py, row in table.items() if isinstance(row, dict)}
    if not versions or not rows:
        return None
    start = _release_key(versions[0])[:2]
    here = [py for py, row in rows.items() if _release_key(row["oldest"])[:2] == start]
    if len(here) != 1:
        return None
    python = here[0]
    said = (
        f"That listing starts at {versions[0]}: TensorFlow {rows[python]['oldest']} is the "
        f"first release with wheels for Python {python} (Linux x86_64, PyPI), so pip ran on "
        f"Python {python}."
    )
    wanted = _release_key(pinned)
    if not wanted:
        return said, ""
    fits = [
        py
        for py, row in rows.items()
        if _release_key(row["oldest"]) <= wanted
        and (not row["newest"] or wanted <= _release_key(row["newest"]))
    ]
    if not fits or python in fits:
        return said, ""
    newest = max(fits, key=_release_key)
    said += f" TensorFlow {pinned.strip()} has wheels for Python {', '.join(fits)} only."
    fix = (
        f"Run it on Python {newest} (the newest with a TensorFlow {pinned.strip()} wheel), e.g. "
        f"conda create -n tf python={newest} or python{newest} -m venv, or require a release "
        f"Python {python} has ({versions[0]} to {versions[-1]} here)."
    )
    return said, fix


def versions_offered(listing: str, requirement: str = "") -> str:
    """pip's "(from versions: ...)" in words: how many releases it saw, the oldest and the
    newest (pip lists them oldest first)."""
    versions = [v.strip() for v in re.split(r"[,\s]+", listing) if v.strip()]
    if not versions or versions == ["none"]:
        return "pip saw no release at all for this Python and platform (from versions: none)."
    wanted = f" {requirement} is not among them." if requirement else ""
    if len(versions) == 1:
        return f"The only release pip saw for this Python and platform is {versions[0]}.{wanted}"
    return (
        f"pip saw {len(versions)} releases for this Python and platform, {versions[0]} to "
        f"{versions[-1]} (the newest it can install here is {versions[-1]}).{wanted}"
    )


def inferred(ctx: Context, framework: str | None, platform: str | None) -> str:
    """A sentence saying what was inferred about the log's origin, and from what."""
    bits = []
    if platform and ctx.platform and ctx.platform.value == platform:
        bits.append(
            f"{PLATFORM_NAMES.get(platform, platform)} "
            f"(line {ctx.platform.line}: {ctx.platform.evidence})"
        )
    if ctx.conda:
        bits.append(f"a conda environment (line {ctx.conda.line})")
    if framework:
        name = FRAMEWORK_NAMES.get(framework, framework)
        version = ctx.versions.get({"pytorch": "torch"}.get(framework, framework))
        bits.append(
            f"{name} {version.value} (line {version.line}: {version.evidence})" if version else name
        )
    return ("Inferred from the log: " + "; ".join(bits) + ".") if bits else ""


_LIBRARY_FAMILIES = {
    "library-missing",
    "cudnn-missing",
    "cudnn-version",
    "driver-missing",
    "stub-library",
    "library-symlink",
}


def context_sentence(family: str, facts: dict[str, str], ctx: Context, said: str) -> str:
    """What else the log shows that bears on this root cause: the GPU, the CUDA and cuDNN
    releases it names, the library path."""
    out = []
    if ctx.gpus and family not in ("wheel", "healthy"):
        g = ctx.gpus[0]
        if g.name and g.name not in said:
            bits = (
                [g.name]
                + ([f"compute capability {g.cc}"] if g.cc else [])
                + ([g.bus_id] if g.bus_id else [])
            )
            out.append(f"GPU in the log: {', '.join(bits)} (line {g.line}).")
    for key, label in (("cuda", "CUDA"), ("cudnn", "cuDNN")):
        clue = ctx.versions.get(key)
        if (
            clue
            and clue.evidence not in said
            and f"{label} is {clue.value} (line {clue.line})" not in said
            and family != "wheel"
        ):
            out.append(f"The log names {label} {clue.value} (line {clue.line}: {clue.evidence}).")
    vision = ctx.versions.get("torchvision")
    if family == "wheel" and vision and "torchvision" in said and vision.value not in said:
        # torch's own release is in the inferred sentence: the pair to compare
        out.append(f"The log shows torchvision {vision.value} (line {vision.line}).")
    if family == "glibc-abi" and (libc := _system_glibc(ctx)):
        out.append(libc)
    path = ctx.versions.get("library_path")
    if path and family in _LIBRARY_FAMILIES and path.value not in said:
        out.append(f"Library path in the log: {path.value} (line {path.line}).")
    return " ".join(out)


def _system_glibc(ctx: Context) -> str:
    """The system's glibc the log shows, or the one of the RHEL/CentOS release its kernel
    names (facts.toml [rhel_glibc]); "" where it shows neither."""
    libc = ctx.versions.get("glibc")
    if libc:
        return f"The log shows glibc {libc.value} (line {libc.line}: {libc.evidence})."
    rhel = ctx.versions.get("rhel")
    shipped = catalogue().facts.get("rhel_glibc", {}).get(rhel.value) if rhel else None
    if rhel and shipped:
        return (
            f"The log's kernel is RHEL/CentOS {rhel.value}'s (line {rhel.line}: {rhel.evidence}), "
            f"whose glibc is {shipped}."
        )
    return ""


_SM_NUMBER = re.compile(r"(?:sm|compute)_?\s?(\d{2,3})|^(\d{1,2})\.(\d)")


def architecture_support(facts: dict[str, str], ctx: Context) -> tuple[str, str] | None:
    """What the CUDA releases say of the architecture a build refused (nvcc's sm_86, PyTorch's
    8.9): the first toolkit that compiles for it, or the last one that still did (facts.toml
    [nvcc_first_cuda], [nvcc_last_cuda]), as (diagnosis sentence, fix sentence)."""
    number = _arch_number(facts)
    if number is None:
        return None
    cc = f"{number[:-1]}.{number[-1]}"
    tables: dict[str, Any] = catalogue().facts
    first = tables.get("nvcc_first_cuda", {}).get(number)
    last = tables.get("nvcc_last_cuda", {}).get(number)
    toolkit = ctx.toolkit or ctx.versions.get("cuda")
    in_log = f" The log's CUDA is {toolkit.value} (line {toolkit.line})." if toolkit else ""
    if toolkit is None and ctx.build_cuda is not None:
        # no toolkit named: the framework's own CUDA is the one its compilers came with
        # (collect_env's "CUDA used to build PyTorch", a +cu116 wheel)
        build = ctx.build_cuda
        in_log = (
            f" The framework build's CUDA is {build.value} (line {build.line}: {build.evidence})."
        )
    arch_list = f'TORCH_CUDA_ARCH_LIST="{cc}"'
    if last and toolkit and _release(toolkit.value) > _release(last):
        return (
            f"sm_{number} (compute capability {cc}) was dropped after CUDA {last}.{in_log}",
            f"Build with CUDA {last} or older for this GPU, or leave sm_{number} out of the "
            f"architecture list ({arch_list} only where the GPU has it).",
        )
    if first:
        return (
            f"sm_{number} (compute capability {cc}) needs CUDA {first} or newer.{in_log}",
            f"Install CUDA {first} or newer (and put its bin first on PATH, CUDA_HOME at it), "
            f"or build for what the toolkit knows: {arch_list} set to the GPU's capability "
            "or lower (PyTorch extensions), CMAKE_CUDA_ARCHITECTURES, the -gencode flags.",
        )
    if last:
        return (
            f"sm_{number} (compute capability {cc}) is supported up to CUDA {last}.{in_log}",
            f"Build with CUDA {last} or older for this GPU, or leave sm_{number} out of the "
            "architecture list.",
        )
    if not names_no_architecture(facts):
        return None
    return (
        f"compute_{number} is no NVIDIA GPU architecture: the build's architecture list is "
        "wrong (a detection script that read another number, such as the CUDA version, as "
        "the architecture, or a typo), whatever the toolkit.",
        "Set the architecture list by hand to the GPU's compute capability (nvidia-smi "
        "--query-gpu=compute_cap --format=csv; CMAKE_CUDA_ARCHITECTURES=75, "
        "-gencode arch=compute_75,code=sm_75, CUDA_ARCH_BIN=7.5 for OpenCV and Caffe, "
        'TORCH_CUDA_ARCH_LIST="7.5") and configure again from an empty build directory.',
    )


def names_no_architecture(facts: dict[str, str]) -> bool:
    """Whether the architecture a build refused is a number below the newest one that no
    table knows (compute_92 from "CUDA 9.2"): then the build's list is wrong, not the
    toolkit, and that sentence replaces the entry's."""
    number = _arch_number(facts)
    tables: dict[str, Any] = catalogue().facts
    known = {
        int(k)
        for name in ("nvcc_first_cuda", "nvcc_last_cuda", "nvcc_arch_undated")
        for k in tables.get(name, {})
        if k.isdigit()
    }
    return bool(number and known and int(number) not in known and int(number) < max(known))


def _arch_number(facts: dict[str, str]) -> str | None:
    shown = facts.get("sm") or facts.get("cc") or ""
    m = _SM_NUMBER.search(shown.strip())
    return (m.group(1) or f"{m.group(2)}{m.group(3)}") if m else None


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:2])
