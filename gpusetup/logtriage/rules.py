"""From the messages a log holds to its root causes: which message is the cause, which are
its symptoms and which are benign, the evidence other lines add, and for each root cause a
diagnosis and a fix for the platform and framework the log comes from.

The rules, in order:

1. Benign lines (start-up notices, optional TensorRT) are never root causes.
2. A load failure is read through the loader error it quotes: one that names another
   library than the one asked for is that other library's failure (the missing dependency
   decides the family); one that says something else (a symbol or symbol version missing,
   the wrong ELF class, the toolkit's stub) is that error's family.
3. A symptom is explained by a cause that lists it, or by any cause of its family, or (for
   the generic consequences: a backend that did not start, a GPU not registered) by any
   cause at all. Causes come first, in the order the log printed them; a symptom that no
   cause explains stands as a root cause after them, the more specific first.
4. What the log says about its origin can change the verdict: TensorFlow 2.11+ on native
   Windows has no GPU build, so "no GPU" there is a CPU-only build; a program that finds no
   kernel driver inside a container means the container got no GPU.
5. A library of the wrong word size that the log then loads from another directory was a
   candidate the search skipped: the error about the other copy decides.
"""

from __future__ import annotations

import re
from dataclasses import field, replace
from functools import cache, partial
from typing import TYPE_CHECKING

from gpusetup.logtriage import explain
from gpusetup.logtriage.catalogue import Entry, catalogue
from gpusetup.logtriage.context import COMPOSE_PREFIX, Context, Gpu, gpu_numbering, infer
from gpusetup.logtriage.scan import Match, Scan, readings
from gpusetup.serde import record

if TYPE_CHECKING:  # read on demand: most logs hold no GPU listing
    from gpusetup.devices.listings import GpuNumbering

#: symptoms that any cause in the same log explains: consequences that name no reason
_ANY_CAUSE = {
    # JAX prints the exception its CUDA plugin raised after this line: a cause read there
    # (a CUDA library missing) is why, else the plugin and jaxlib of two releases
    "jax.plugin-initialize-failed",
    "tf.gpu.cannot-dlopen",
    "tf.cudart-stub.no-cuda-drivers",
    "tf.cuinit.failed",
    "tf.dnn.not-found",
    "xla.dnn.init-failed",
    "tf.conv.algorithm-failed",
    "tf.user.no-gpu",
    "jax.backend-init-failed",
    "jax.cuda-backend-failed",
    "jax.backend-failed-to-initialize",
    "jax.no-gpu-found",
    "cuda.err.not-initialized",
    "cuda.err.shared-object-init",
    "nvml.init-failed",
    "nvidia-container-cli.init-error",
    "torch.no-cuda-gpus",
    "torch.cuda-init-failed",
    "nccl.unhandled-system-error",
    "cudnn.invalid-handle-symbol",
    "cudnn8.please-make-sure",
    "nvidia-smi.no-devices",
    "nvrm.no-devices-probed",
    "nvrm.no-devices-initialized",
    "runc.hook-failed",
    "ggml.cuda-init-failed",
    "ollama.cuda-init-failure",
    "ollama.no-compatible-gpus",
    "ollama.old-cuda-driver",
    "ollama.driver-too-old-or-missing",
    "ollama.nvml-init.failure",
    "vllm.failed-to-infer-device-type",
    "onnxruntime.create-provider-failed",
    "sdwebui.torch-cannot-use-gpu",
    # the checks users paste (a device list, is_available()): any cause printed beside
    # them is the reason
    "tf.user.list-devices-empty",
    "tf.user.cpu-device-only",
    "torch.user.cuda-not-available",
    "yolo.select-device-no-cuda",
    "ultralytics.checks-cuda-none",
    "invokeai.device-type-cpu",
    "jax.user.cpu-devices-only",
    "app.training-on-0-gpus",
    # consequences whose own line names no reason: a cause beside them is it
    "nvidia-container-cli.driver-service-signalled",
    "ggml.cuda-compute-forward-failed",
    "tf.cuda-diagnostics.kernel-matches-dso",
    "nccl.nvls-setup-failed",
}
#: symptoms about optional libraries: the problem only where the log shows them used (the
#: lines of _OPTIONAL_USED) and nothing else is wrong
_OPTIONAL = {"tf.dso.dlopen-failed.tensorrt"}
#: lines that show a program using an optional library: TF-TRT needs TensorRT (its stub
#: aborting for a TensorRT symbol is that use)
_OPTIONAL_USED = {"tf.tftrt.in-use", "tf.tensorrt-stub-symbol-not-found"}
#: causes that another cause in the same log explains: TensorFlow's CUDA diagnostics say
#: why cuInit failed, so the error cuInit returned is their consequence
_CAUSE_EXPLAINS = {
    # PyTorch's own word for the GPU outside the build's architectures names the GPU and
    # the list; the "no kernel image" a kernel then raises is its consequence
    "torch.sm-not-compatible": {"cuda.err.no-kernel-image"},
    # the driver's JIT refusing PTX (error 222, cuLinkAddData's "unsupported toolchain")
    # prints ptxas's own words in its error log: "Unsupported .version 7.2; current version
    # is '7.1'" there is the driver's PTX ISA, not a toolkit's ptxas
    "cuda.err.unsupported-ptx": {"ptxas.unsupported-ptx-version"},
    # the kernel's word for why nvidia.ko is not loaded (another driver holds the GPU, a
    # key the firmware rejects, a module built for another kernel or not at all): the
    # installer's load failure, nvidia-smi's "couldn't communicate" and TensorFlow's "kernel
    # driver does not appear to be running" are its consequences
    **{
        why: {
            "nvidia-installer.load-failed",
            "nvidia-installer.module-load-failed.named",
            "nvidia-installer.module-load-error",
            "nvidia-smi.couldnt-communicate",
            "tf.cuda-diagnostics.kernel-driver-not-running",
        }
        - {why}
        for why in (
            "nvrm.already-bound",
            "nvrm.probe-not-called",
            "modprobe.secure-boot",
            "modprobe.module-not-found",
            "modprobe.insert-failed",
            "kmod.module-not-found-by-name",
            # insmod's own words for the refusal (the installer's "Kernel module load error")
            "nvidia-installer.module-load-error",
            "kernel.unknown-symbol",
            "dkms.build-failed",
            "dkms.make-error",
            "dkms.kernel-hook-build-failed",
            "kernel.modpost-gpl-only-symbol",
            "kernel.gcc-version-check",
        )
    },
    # the compiler's (or linker's) error in the NVIDIA module's sources says why make's
    # "*** [...] Error N" lines of that build failed, whichever of them parallel make printed
    # first
    **{
        why: {
            "dkms.make-error",
            "kernel-module.kbuild-nvidia-object-failed",
            "kernel-module.open-build-failed",
        }
        for why in (
            "kernel-module.nvidia-source-compile-error",
            "kernel-module.object-format-not-recognized",
        )
    },
    # bitsandbytes before 0.43 on Windows: loading its Linux CUDA binary through a
    # WindowsPath is what failed; its search of Linux paths before it is the same release
    "bitsandbytes.windows-before-043": {"bitsandbytes.windows-search-paths"},
    # TensorFlow's self-check message names the DLL its traceback line only points at
    "tf.self-check.dll-not-found.cudnn": {"tf.self-check-traceback.cudnn"},
    "tf.self-check.dll-not-found": {"tf.self-check-traceback.cudart"},
    # cuBLAS refusing a bfloat16 call says why PyTorch's cuBLAS call failed
    "cublas.bfloat16-not-supported": {"torch.cublas-error"},
    # pip's causes after its "Cannot install ... conflicting dependencies" name the pins
    "pip.conflict-caused-by": {"pip.cannot-install-conflicting"},
    # nvidia-smi that cannot reach the kernel module says why CUDA finds no device beside it
    "nvidia-smi.couldnt-communicate": {"cuda.err.no-device"},
    # a program that compiles its kernels at run time has none to load when NVRTC failed
    **{
        nvrtc: {"cuda.code.no-code-for-gpu"}
        for nvrtc in ("nvrtc.builtins-load-failed", "nvrtc.builtins-open-failed")
    },
    # vLLM's own minimum is the reason; the bfloat16 check before it is the same old GPU
    "vllm.cc-below-minimum": {"vllm.bfloat16-needs-cc80"},
    # Chainer appends CuPy's import error to its own: a CuPy too new for Chainer 7 is why
    "chainer.cupy-too-new": {"chainer.cuda-environment-not-set-up"},
    # CuPy prints NVRTC's options after its error: a Fermi -arch is why NVRTC refused them
    "cupy.nvrtc-pre-kepler-arch": {"nvrtc.invalid-arch"},
    # ptxas's own refusal names why XLA's ptxas failed; CTranslate2's cuBLAS status is read
    "ptxas.future-architecture": {"xla.ptxas.failed"},
    "ctranslate2.cublas-not-supported": {"cublas.status.other"},
    # libcuda's own "no NVIDIA devices found" is why CUDA then fails without a reason
    "libcuda.no-nvidia-devices-found": {"cuda.err.unknown"},
    # conda's solver lists why it is unsatisfiable after its header: a __cuda requirement
    # the driver does not meet is that reason
    **{
        cuda: {"conda.unsatisfiable"}
        for cuda in (
            "conda.cuda-requirement-unmet",
            "conda.cuda-constraint-conflict",
            "conda.nothing-provides-cuda",
        )
    },
    **{
        diagnostics: {
            "cuda.err.insufficient-driver",
            "cuda.err.no-device",
            "cuda.err.unknown",
            "tf.cuinit.unknown-error-303",
        }
        for diagnostics in (
            "tf.cuda-diagnostics.kernel-driver-not-running",
            "tf.cuda-diagnostics.no-dev-nvidia0",
        )
    },
    **{
        mismatch: {
            "cuda.err.no-device",
            "cuda.err.unknown",
            "cuda.err.system-driver-mismatch",
            "tf.cuinit.unknown-error-303",
            # a libcuda newer than the kernel module tries forward compatibility (804)
            "cuda.err.compat-not-supported",
        }
        for mismatch in (
            "tf.cuda-diagnostics.version-mismatch",
            "tf.cuda-diagnostics.reported-versions-differ",
        )
    },
    # NVML's or the kernel's word for the same half-upgraded driver: the libcuda of the new
    # driver on the old kernel module answers 803/804 and a program then finds no CUDA
    # platform, whichever of these lines the log shows first
    **{
        mismatch: {
            "cuda.err.system-driver-mismatch",
            "cuda.err.compat-not-supported",
            "hashcat.no-compute-platform",
            # before CUDA 11 the runtime found "no CUDA-capable device" (or an unknown
            # error) on a half-upgraded driver
            "cuda.err.no-device",
            "cuda.err.unknown",
        }
        for mismatch in ("nvml.version-mismatch", "nvrm.api-mismatch", "nvrm.api-mismatch-client")
    },
    # the toolkit's stub libcuda.so shown loaded (an ldd/loader line naming it, its directory
    # on LD_LIBRARY_PATH): the stubs before CUDA 11.1 answer every call with error 35, so
    # "driver version is insufficient" beside that evidence is the stub, not an old driver
    **{
        stub: {"cuda.err.insufficient-driver"}
        for stub in ("loader.stub-libcuda-path", "loader.stubs-on-library-path")
    },
    # before CUDA 11 the runtime answers 35 ("driver version is insufficient") when there is
    # no driver at all: beside evidence of none, 35 is that missing driver
    **{
        missing: {"cuda.err.insufficient-driver"}
        for missing in (
            "shell.no-nvidia-smi",
            "shell.proc-driver-nvidia-missing",
            "torch.no-driver",
        )
    },
    # a GPU in an error state is "busy or unavailable" to CUDA until it is reset
    **{
        fault: {"cuda.err.devices-unavailable"}
        for fault in ("nvrm.reset-required", "nvrm.xid", "nvrm.fallen-off-bus")
    },
}
#: on one line, a message of the first family explains one of the second (the more
#: specific reading of the same line)
_SAME_LINE_PRECEDENCE = (
    ("stub-library", "glibc-abi"),
    ("stub-library", "driver-missing"),
    ("stub-library", "driver-too-old"),
)
#: the prefix glog/absl put before TensorFlow's and XLA's messages, left out of quotes
_GLOG = re.compile(
    r"^(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?:?\s+)?[IWEF](?:\d{4}\s+[\d:.]+\s+\d+)?\s+"
    r"[\w./\\:-]+\.(?:cc|cpp|h|py):\d+\]\s*"
)
#: lines after a message read for what it leaves out (the CUDA call that failed)
_FOLLOWING = 5
#: families whose root causes are read together (several libraries that failed to load)
_LOADING = {"library-missing", "cudnn-missing", "driver-missing"}
_KIN = {family: _LOADING for family in _LOADING}
_LIB = re.compile(r"(?P<name>(?:lib[\w.+-]*?\.so(?:\.[\w]+)*|[\w.+-]+\.dll))\b")


@record
class Item:
    """One message of the log, judged."""

    id: str
    family: str
    role: str  # cause | symptom | benign
    root_cause: bool
    line: int
    count: int
    text: str
    facts: dict[str, str] = field(hash=False)
    diagnosis: str = ""
    fix: str = ""
    platform: str | None = None
    framework: str | None = None
    source: dict[str, str] = field(default_factory=dict, hash=False)
    explained_by: tuple[str, ...] = ()


@record
class Triage:
    lines: int
    items: tuple[Item, ...]
    context: Context
    more_matches: int = 0
    #: the GPU numbering the paste's nvidia-smi (and CUDA) listings show, with the answer
    #: to "which number does my config need?" (None: no nvidia-smi listing in the log)
    numbering: GpuNumbering | None = None

    @property
    def root_causes(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.root_cause)


def judge(scan: Scan) -> Triage:
    """The root causes, symptoms and benign lines of a scanned log."""
    matches = [_reinterpret(m) for m in _alone(scan.matches, scan.lines)]
    allowed = tuple(sorted({f for m, _ in matches for f in m.entry.frameworks}))
    ctx = infer(scan.context, allowed) if matches else Context()
    matches = [_in_context(m, family, ctx) for m, family in matches]
    matches = _cc_beyond_runtime(matches)
    matches = _jit_beyond_build(matches)
    matches = _below_archs(matches, ctx)
    if any(fam == "container" and m.entry.role == "cause" for m, fam in matches):
        # access denied where another line shows a container's GPU access failing ("Failed
        # to initialize NVML: Unknown Error"): the container's
        matches = [
            (m, "container" if m.entry.id in _CONTAINER_ACCESS else fam) for m, fam in matches
        ]
    matched = {m.entry.id for m, _ in matches}
    # a warning the program's own self-check shows to be harmless in this run
    matches = [
        (m, "healthy" if matched.intersection(m.entry.benign_beside) else fam) for m, fam in matches
    ]
    near = {line.number: line.text for line in scan.context}
    matches = [(_host_compiler(m, near), fam) for m, fam in matches]
    matches = [(m, "healthy" if _trace_found(m, near) else fam) for m, fam in matches]
    item = partial(_item, near=near)
    live = [(m, fam) for m, fam in matches if m.entry.role != "benign" and fam != "healthy"]
    used = any(m.entry.id in _OPTIONAL_USED for m, _ in matches)
    if not used or any(m.entry.id not in _OPTIONAL | _OPTIONAL_USED for m, _ in live):
        optional = [(m, fam) for m, fam in live if m.entry.id in _OPTIONAL]
        live = [(m, fam) for m, fam in live if m.entry.id not in _OPTIONAL]
    else:
        optional = []
    causes = [(m, fam) for m, fam in live if _role(m) == "cause"]
    causes = _drop_same_line_readings(causes)
    present = {m.entry.id for m, _ in causes}
    demoted = {
        m.entry.id: tuple(sorted(c for c in present if m.entry.id in _CAUSE_EXPLAINS.get(c, ())))
        for m, _ in causes
    }
    for m, _ in causes:
        if not demoted[m.entry.id] and (by := _skipped_copy(m, live) or _abi_behind(m, causes)):
            demoted[m.entry.id] = by
    items: list[Item] = []
    for m, fam in causes:
        if demoted[m.entry.id]:
            items.append(item(m, fam, ctx, root=False, explained_by=demoted[m.entry.id]))
    causes = [(m, fam) for m, fam in causes if not demoted[m.entry.id]]
    cause_ids = {m.entry.id for m, _ in causes}
    # in log order; on one line the specific entry before the generic, then the catalogue's
    # order, so which one leads never depends on how the prefilter grouped their needles
    order = _entry_order()
    for m, fam in sorted(
        causes, key=lambda x: (x[0].line, x[0].entry.generic, order[x[0].entry.id])
    ):
        items.append(item(m, fam, ctx, root=True))
    symptoms = [(m, fam) for m, fam in live if _role(m) == "symptom"]
    standing: list[Item] = []
    for m, fam in symptoms:
        by = sorted(
            {
                c.entry.id
                for c, cfam in causes
                if c.entry.id in m.entry.explained_by
                or cfam == fam
                or m.entry.id in _ANY_CAUSE
                or m.entry.id in _CAUSE_EXPLAINS.get(c.entry.id, ())
            }
        )
        if by:
            items.append(item(m, fam, ctx, root=False, explained_by=tuple(by)))
        else:
            standing.append(item(m, fam, ctx, root=True))
    # unexplained symptoms: the specific before the generic, then in log order, then the
    # catalogue's order (two symptoms of one line never lead by the prefilter's grouping)
    standing.sort(
        key=lambda i: (catalogue().by_id[i.id].generic, i.id in _ANY_CAUSE, i.line, order[i.id])
    )
    if standing and not cause_ids:
        # the first standing symptom is the reading of the log; the others are its symptoms
        head = standing[0]
        rest = [
            replace(s, root_cause=False, explained_by=(head.id,))
            for s in standing[1:]
            if s.family == head.family or s.id in _ANY_CAUSE
        ]
        alone = [s for s in standing[1:] if not (s.family == head.family or s.id in _ANY_CAUSE)]
        standing = [head, *alone, *rest]
    roots = [i for i in items if i.root_cause] + [s for s in standing if s.root_cause]
    others = [i for i in items if not i.root_cause] + [s for s in standing if not s.root_cause]
    roots = [_with_related(root, roots, others) for root in roots]
    blamed = {i.family for i in roots}
    benign = [
        item(m, fam, ctx, root=False)
        for m, fam in matches
        if (m.entry.role == "benign" or fam == "healthy")
        and not blamed.intersection(_SETTING_BLAMED.get(m.entry.id, ()))
    ]
    benign += [replace(item(m, fam, ctx, root=False), role="benign") for m, fam in optional]

    def placed(i: Item) -> tuple[int, int]:
        return (i.line, order[i.id])

    return Triage(
        scan.lines,
        tuple(roots + sorted(others, key=placed) + sorted(benign, key=placed)),
        ctx,
        scan.more_matches,
        gpu_numbering(scan.context),
    )


#: entries that read the CUDA_VISIBLE_DEVICES setting itself (their fix is about it)
_SETS_VISIBLE = {"env.cuda-visible-devices.hides-all", "env.cuda-visible-devices.alone"}
#: a setting read as harmless unless a root cause of these families is that very setting
#: (CUDA_VISIBLE_DEVICES=1 on a one-GPU machine is not "not the problem")
_SETTING_BLAMED = {"env.cuda-visible-devices": ("visibility",)}

#: lines that name a GPU found and its compute capability: healthy unless the log's CUDA
#: runtime predates the GPU's architecture, or the GPU is older than every prebuilt
#: TensorFlow and the log creates no device on it
_FOUND_CC = "tf.device.found-cc"
_CC_FOUND = frozenset({_FOUND_CC, "tf.device.found-major-minor"})
#: TensorFlow created a device: the GPU it found runs (a build made for it); 0.x-1.4 said
#: "Creating TensorFlow device"
_DEVICE_CREATED = "tf.benign.device-created"
_DEVICE_CREATING = "tf.benign.device-creating"
#: a CUDA library TensorFlow opened whose name carries its CUDA release (libcudart.so.10.1,
#: libcublas.so.10.0, cudart64_101.dll, cusolver64_100.dll); from CUDA 11 the names carry the
#: major only (libcudart.so.11.0 and cudart64_110.dll for every 11.x, libcublas.so.11)
_CUDART = re.compile(
    r"lib(?:cudart|cublas|cufft|curand|cusolver|cusparse)\.so\.(\d+)\.(\d+)|"
    r"(?:cudart|cublas|cufft|curand|cusolver|cusparse)64_(\d{2})(\d)\.dll"
)


def _cc_beyond_runtime(matches: list[tuple[Match, str]]) -> list[tuple[Match, str]]:
    """A GPU found whose architecture needs a newer CUDA than the runtime the log loads (an
    RTX 3090, 8.6, beside libcudart.so.10.1): that build has no kernels for it."""
    if not any(m.entry.id in _CC_FOUND or m.entry.id == _DEVICE_CREATED for m, _ in matches):
        return matches
    # every occurrence: the runtime is rarely the first library a log opens (libcuda.so.1 is)
    loaded = next(
        (
            (hit, o.line, o.text)
            for m, _ in matches
            if m.entry.id == "tf.dso.opened"
            for o in (m, *m.others)
            if (hit := _CUDART.search(o.facts.get("soname") or o.facts.get("library") or ""))
        ),
        None,
    )
    created = any(m.entry.id in (_DEVICE_CREATED, _DEVICE_CREATING) for m, _ in matches)
    found = any(m.entry.id in _CC_FOUND for m, _ in matches)
    out = []
    for m, fam in matches:
        if m.entry.id == _DEVICE_CREATED and not found and loaded is not None:
            # a paste that starts after the "Found device" lines: the device created names
            # the GPU, read as the GPU found where the build's CUDA predates it
            if support := _runtime_too_old(m.facts.get("cc", ""), loaded):
                newer = catalogue().by_id[_FOUND_CC]
                m = replace(m, entry=newer, facts={**m.facts, "support": support})
                fam = newer.family
        elif m.entry.id in _CC_FOUND:
            cc = m.facts.get("cc") or "{cc_major}.{cc_minor}".format_map(m.facts)
            facts = {**m.facts, "cc": cc}
            if support := _runtime_too_old(cc, loaded):
                facts["support"] = support
                if m.entry.id != _FOUND_CC:
                    # the fix of a GPU newer than the build, whichever line format found it
                    newer = catalogue().by_id[_FOUND_CC]
                    facts["environment_fix"] = explain.fill(newer.fixes["generic"], facts)
            elif not created and (below := _below_prebuilt(cc)):
                facts["support"] = below
            else:
                fam = "healthy"
            m = replace(m, facts=facts)
        out.append((m, fam))
    return out


#: TensorFlow's start-up notice that its wheel has no kernels for the GPU's capability
_PTX_JIT = "tf.benign.ptx-jit"
#: failures of kernels compiled for (or loaded on) a GPU: after that notice, the build's
#: missing architecture; CUDA_ERROR_INVALID_HANDLE is what TensorFlow's kernel lookups
#: return when the JIT-compiled module holds no function for this GPU
_KERNEL_LOAD = frozenset(
    {
        "cuda.err.invalid-ptx",
        "cuda.err.no-kernel-image",
        "cuda.code.no-code-for-gpu",
        "llvm.nvptx.ptx-version-below-target",
    }
)
_INVALID_HANDLE = re.compile(
    r"CUDA_ERROR_INVALID_HANDLE|cudaErrorInvalidResourceHandle|invalid resource handle"
)


def _jit_beyond_build(matches: list[tuple[Match, str]]) -> list[tuple[Match, str]]:
    """TensorFlow's "not built with CUDA kernel binaries compatible with compute capability
    12.0" and, after it, a kernel that does not compile or load (an RTX 50xx under a wheel
    without sm_120): the build predates the GPU, not a fault of the GPU or the toolkit. Only
    where nothing else in the log is a cause."""
    jit = next((m for m, _ in matches if m.entry.id == _PTX_JIT), None)
    if jit is None:
        return matches

    def loads(m: Match) -> bool:
        if m.line <= jit.line:
            return False
        if m.entry.id == "cuda.code.program":
            return bool(_INVALID_HANDLE.search(m.facts.get("error", "")))
        return m.entry.id in _KERNEL_LOAD

    live = [
        m
        for m, fam in matches
        if m.entry.role != "benign" and fam != "healthy" and not loads(m)
        and _role(m) == "cause"
    ]
    if live:
        return matches
    cc = jit.facts.get("cc", "")
    fix = (
        f"Use a TensorFlow build that includes compute capability {cc}: a newer release or "
        "nightly built for it, NVIDIA's NGC TensorFlow container, or a source build with "
        f"TF_CUDA_COMPUTE_CAPABILITIES={cc} (CUDA 12.8 or newer for 12.x); until then run on "
        "a GPU the wheel has kernels for."
    )
    out = []
    for m, fam in matches:
        if loads(m):
            what = m.facts.get("error") or m.text.strip()[:160]
            why = (
                f"TensorFlow was built without kernels for this GPU's compute capability {cc} "
                f"(line {jit.line}: it compiles them from PTX at start-up), and the kernels "
                f"for it then failed ({what}, line {m.line}): this TensorFlow build predates "
                "the GPU's architecture; the GPU and its driver are not at fault."
            )
            m, fam = _judged(m, "compute-capability", why, fix)
        out.append((m, fam))
    return out


#: ggml's "CUDA : ARCHS = 600,610,..." (the architectures its CUDA code was built for)
_GGML_ARCHS = "ggml.archs-below-device"
#: ggml's abort where its build holds no architecture at or below the GPU's
_GGML_NO_ARCH = "ggml.no-arch-at-or-below"


def _below_archs(matches: list[tuple[Match, str]], ctx: Context) -> list[tuple[Match, str]]:
    """ggml's list of the architectures its CUDA code was built for, beside a device the log
    lists below the oldest of them (a Tesla M60, 5.2, beside ARCHS = 600,...): device code
    runs on its own architecture or a newer one, so the build has none for that GPU. The
    line is healthy otherwise (a device the list covers, or no device line)."""
    out = []
    for m, fam in matches:
        if m.entry.id == _GGML_NO_ARCH and (arch := m.facts.get("arch", "")).isdigit():
            m = replace(m, facts={**m.facts, **_no_arch_words(int(arch), ctx)})
        elif m.entry.id == _GGML_ARCHS:
            archs = [int(a) for a in m.facts.get("compiled", "").split(",") if a.isdigit()]
            low = min(archs, default=0)
            gpu = next((g for g in ctx.gpus if g.cc and _cc_number(g.cc) * 10 < low), None)
            if gpu is None or not gpu.cc:
                fam = "healthy"
            else:
                oldest = f"{low // 100}.{low // 10 % 10}"
                why = (
                    f"{gpu.name or 'The GPU'} (line {gpu.line}) has compute capability "
                    f"{gpu.cc}, below the oldest architecture in the list of line {m.line} "
                    f"({oldest}): device code runs on its own architecture or a newer one, so "
                    "this build has no kernels for the GPU and its work fails ('no kernel "
                    "image is available for execution on the device') or stays on the CPU."
                )
                words = _archs_words(gpu, why, f" or a GPU of compute capability {oldest} or newer")
                m = replace(m, facts={**m.facts, **words})
        out.append((m, fam))
    return out


def _no_arch_words(arch: int, ctx: Context) -> dict[str, str]:
    """ggml's "not compiled with any CUDA arch <= N" beside the device it found: the GPU's
    own architecture missing from the build, or (N below the GPU's capability) llama.cpp's
    check for special devices of late August 2025, which asked any GPU for code at or
    below 7.5."""
    gpus = [g for g in ctx.gpus if g.cc]
    own = next((g for g in gpus if _cc_number(g.cc or "") * 10 == arch), None)
    if own is not None:
        why = (
            f"{own.name or 'The GPU'} (line {own.line}) has compute capability {own.cc}: the "
            "build was made without it and without any older architecture, so it has no "
            "kernels for the GPU."
        )
        return _archs_words(own, why)
    if gpus and all(_cc_number(g.cc or "") * 10 > arch for g in gpus):
        gpu = gpus[0]
        name = gpu.name or "The GPU"
        return {
            "support": (
                f"{name} (line {gpu.line}) has compute capability {gpu.cc}, above {arch}: "
                f"the abort asks for code at or below {arch} that this GPU does not need. "
                "llama.cpp builds of late August 2025 (commit 4c37636, 'Add a warning for "
                "special devices') abort so whenever the build holds no architecture at or "
                "below 7.5; PR 15587 ('CUDA: return -1 for nonexistent compiled arch') fixed it."
            ),
            "environment_fix": (
                "Update llama.cpp (or the program that bundles it) to a build with PR 15587, "
                "or add an architecture at or below 7.5 to the build (cmake -B build "
                f'-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="75;{_cc_number(gpu.cc or "")}").'
            ),
        }
    return {}


def _cc_number(cc: str) -> int:
    """Compute capability "5.2" as 52 (as nvcc's architectures number it)."""
    major, _, minor = cc.partition(".")
    return int(major) * 10 + int(minor or 0)


def _archs_words(gpu: Gpu, why: str, instead: str = "") -> dict[str, str]:
    """The facts of a ggml build without ``gpu``'s architecture: ``why`` (the rule's
    sentence) and the fix that builds for it (``instead``: the other way out, a newer GPU)."""
    cc = gpu.cc or ""
    sm = cc.replace(".", "")
    last = catalogue().facts.get("nvcc_last_cuda", {}).get(sm)
    toolkit = (
        f" with CUDA {last} or older (the last toolkit that compiles for compute capability {cc})"
        if last
        else ""
    )
    return {
        "gpu": gpu.name or "The GPU",
        "cc": cc,
        "support": why,
        "environment_fix": (
            f"Use a build that holds code for compute capability {cc}: build from source with "
            f"cmake -B build -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES={sm}{toolkit}, or "
            f"install a release whose CUDA build lists {sm}0 (Ollama's own installer ships a "
            f"CUDA 12 runner for older GPUs where a distribution's package may not); otherwise "
            f"run on the CPU{instead}."
        ),
    }


def _below_prebuilt(cc: str) -> str:
    """The sentence saying compute capability ``cc`` is older than every prebuilt TensorFlow
    runs on, or ""."""
    from gpusetup.knowledge import parse_cc

    oldest = catalogue().facts.get("tensorflow_prebuilt_min_cc", {}).get("cc", "")
    try:
        if parse_cc(cc) >= parse_cc(oldest):
            return ""
    except ValueError:
        return ""
    return (
        f"Compute capability {cc} is older than every prebuilt TensorFlow runs on (the "
        f"published binaries start at {oldest}; from 2.15 at 5.0, from 2.17 at 6.0): "
        "TensorFlow ignores the GPU ('Ignoring visible gpu device') and runs on the CPU, "
        "and the log creates no TensorFlow device on it."
    )


def _runtime_too_old(cc: str, loaded: tuple[re.Match[str], int, str] | None) -> str:
    """The sentence saying the loaded runtime predates compute capability ``cc``, or ""."""
    if loaded is None or not re.fullmatch(r"\d+\.\d", cc):
        return ""
    first = catalogue().facts.get("nvcc_first_cuda", {}).get(cc.replace(".", ""))
    if not first:
        return ""
    hit, line, text = loaded
    major, minor = (int(hit.group(1) or hit.group(3)), int(hit.group(2) or hit.group(4)))
    need = tuple(int(p) for p in first.split(".")[:2])
    # libcudart.so.11.0 serves every 11.x: only an older major is known to be too old
    runtime = (major, minor) if major < 11 else (major, 99)
    if runtime >= need:
        return ""
    return (
        f'The log loads {hit.group(0)} (line {line}: "{text}"), CUDA {major}.{minor}, but compute '
        f"capability {cc} needs CUDA {first} or newer: this build of the framework has no "
        "kernels for the GPU, so its work fails with 'no kernel image is available for "
        "execution on the device' (or runs no GPU op at all)."
    )


#: a container's own error for a driver tool it lacks: read with the log's start of it
_GPULESS_START = frozenset({"docker.exec-nvidia-smi-not-found"})
#: TensorFlow's "Failed to load the native TensorFlow runtime" cut before the library
_NATIVE_RUNTIME_CUT = frozenset({"tf.pywrap.import-error-cut"})


def _native_runtime_words(ctx: Context) -> str:
    """What the log shows beside a cut native-runtime failure: the CUDA libraries it lists
    (another release than the wheel's, often) and the Python."""
    words = []
    if ctx.listed_libraries:
        cuda = ctx.versions.get("cuda")
        release = f" (CUDA {cuda.value}, line {cuda.line})" if cuda else ""
        shown = ", ".join(ctx.listed_libraries[:4])
        words.append(
            f"The log lists only {shown}{release}: a CUDA of another release than the wheel "
            "was built with does not provide the soname it loads."
        )
    python = ctx.versions.get("python")
    if python:
        words.append(f"Python {python.value} (line {python.line}).")
    return " ".join(words)


#: CMake's compiler checks, which quote the failing nvcc command some lines below
_CMAKE_CUDA_CHECK = frozenset({"cmake.cuda-compiler-test-failed"})
_CCBIN = re.compile(
    r"-ccbin[= ]\s*(?P<path>\S*?(?:g\+\+|gcc|clang\+\+|clang|cl\.exe)"
    r"(?:-(?P<version>\d+(?:\.\d+)?))?)(?=[\s\"']|$)"
)
#: how far below CMake's message its quoted build output goes
_CMAKE_QUOTE_LINES = 30


def _host_compiler(m: Match, near: dict[int, str]) -> Match:
    """CMake's CUDA compiler check with the host compiler its quoted nvcc command names
    (-ccbin=/usr/bin/g++-10): the one to check against the CUDA release's limit."""
    if m.entry.id not in _CMAKE_CUDA_CHECK:
        return m
    for number in range(m.line + 1, m.line + 1 + _CMAKE_QUOTE_LINES):
        hit = _CCBIN.search(near.get(number, ""))
        if hit:
            version = f" (version {hit['version']})" if hit["version"] else ""
            support = (
                f"CMake's quoted nvcc command (line {number}) runs the host compiler "
                f"{hit['path']}{version} ({hit.group(0)}): check it against this CUDA's "
                "host compiler limit (crt/host_config.h) first."
            )
            return replace(m, facts={**m.facts, "path": hit["path"], "support": support})
    return m


def _alone(matches: tuple[Match, ...], lines: int) -> tuple[Match, ...]:
    """Benign notices that are the paste's whole subject (every match is one of them and
    they make up half its lines or more) read as the entry that says so (its ``alone_of``):
    the allocator's "not a failure" repeated is a GPU out of memory, a CUDA_VISIBLE_DEVICES
    setting asks how the GPUs it selects are numbered. Beside anything else they stay
    benign: a normal start-up with one such warning is healthy."""
    instead = {e.alone_of: e for e in catalogue().entries if e.alone_of}
    if not matches or any(m.entry.id not in instead for m in matches):
        return matches
    if 2 * sum(m.count for m in matches) < lines:
        return matches
    if all(_PRINTED_VARIABLE.match(m.text) for m in matches):
        # NAME=value alone on its lines is how env and printenv print a variable: the
        # paste lists what each process was given (Slurm's per-task GPUs), it sets nothing
        return matches
    return tuple(replace(m, entry=instead[m.entry.id]) for m in matches)


#: a variable as env/printenv print it, alone on its line (no export, no command after it)
_PRINTED_VARIABLE = re.compile(r"^\s*[A-Z][A-Z0-9_]*=[^\s\"';]*\s*$")


_LIBRARY_PATH = re.compile(r"(?:[A-Za-z]:)?[\w.+\\/-]*[/\\](lib[\w.+-]*\.so[\w.]*|[\w.+-]+\.dll)\b")


def _skipped_copy(m: Match, causes: list[tuple[Match, str]]) -> tuple[str, ...]:
    """Rule 5: the causes that name, at another path, the library a wrong-ELF-class error
    is about (the search skipped the copy of the other word size and went on)."""
    if m.entry.id != "loader.wrong-elf-class":
        return ()
    mine = {(g.group(1), g.group(0)) for g in _LIBRARY_PATH.finditer(m.text)}
    if not mine:
        return ()
    names = {name for name, _ in mine}
    paths = {path for _, path in mine}
    return tuple(
        sorted(
            {
                other.entry.id
                for other, _ in causes
                if other is not m
                and other.entry.id != m.entry.id
                and any(
                    g.group(1) in names and g.group(0) not in paths
                    for g in _LIBRARY_PATH.finditer(other.text)
                )
            }
        )
    )


def _abi_behind(m: Match, causes: list[tuple[Match, str]]) -> tuple[str, ...]:
    """The glibc/ABI causes that name the library a load failure is about: the loader's
    reason for it ("could not load library …/libcudnn_cnn.so" and "version `GLIBC_2.27' not
    found (required by …/libcudnn_cnn.so)")."""
    if m.entry.family not in ("library-missing", "cudnn-missing", "cudnn-version"):
        return ()
    names = {g.group(1) for g in _LIBRARY_PATH.finditer(m.text)}
    if not names:
        return ()
    return tuple(
        sorted(
            {
                other.entry.id
                for other, fam in causes
                if other is not m
                and fam == "glibc-abi"
                and other.entry.id != "loader.wrong-elf-class"  # a copy skipped: rule 5
                and any(g.group(1) in names for g in _LIBRARY_PATH.finditer(other.text))
            }
        )
    )


def _with_related(root: Item, roots: list[Item], others: list[Item]) -> Item:
    """The root cause with the lines that belong to it: the other causes of its family and
    the symptoms it explains (evidence combined across lines)."""
    kin = _KIN.get(root.family, {root.family})
    related = [r for r in roots if r is not root and r.family in kin and r.line != root.line]
    related += [o for o in others if root.id in o.explained_by]
    if not related:
        return root
    shown = "; ".join(
        f'line {r.line}: "{_quote(catalogue().by_id[r.id], r.text, 120)}"'
        for r in sorted(related, key=lambda r: r.line)[:4]
    )
    diagnosis = root.diagnosis
    combined, fix = explain.combined(root.family, root.facts, [r.facts for r in related])
    if combined:
        # what the other lines add belongs to the sentence, before the quoted line
        marker = f' Log line {root.line}: "'
        at = diagnosis.find(marker)
        diagnosis = (
            f"{diagnosis[:at]} {combined}{diagnosis[at:]}" if at >= 0 else f"{diagnosis} {combined}"
        )
    return replace(
        root,
        diagnosis=f"{diagnosis} Related: {shown}.",
        fix=f"{fix} {root.fix}".strip() if fix else root.fix,
    )


def _role(m: Match) -> str:
    return m.entry.role


def _inner_cause(m: Match) -> tuple[Entry, dict[str, str]] | None:
    """The cause the catalogue reads in the loader error a load failure quotes, when it is
    not a missing file (a symbol, a symbol version, the ELF class, the stub library)."""
    err = m.facts.get("dlerror")
    if not err or m.entry.role != "cause":
        return None
    found = readings(err)
    if not found or found[0][0].family in _LOADING:
        return None
    return found[0]


def _dependency(m: Match) -> str | None:
    """The library a loader error blames when it is not the one asked for."""
    err = m.facts.get("dlerror")
    asked = m.facts.get("soname") or m.facts.get("dll") or m.facts.get("path") or ""
    if not err or _inner_cause(m) is not None:
        return None
    found = _LIB.search(err.split(":", 1)[0]) or _LIB.search(err)
    if not found:
        return None
    blamed = found["name"]
    base = lambda n: n.rsplit("/", 1)[-1].rsplit("\\", 1)[-1].split(".so")[0].split(".dll")[0]  # noqa: E731
    if not asked or base(blamed) == base(asked):
        return None
    return blamed


def _family_of_library(name: str) -> str:
    low = name.lower()
    if low == "libcuda.so":
        return "library-symlink"  # the development name only: loader.unversioned-libcuda-missing
    if "cudnn" in low or low.startswith("zlibwapi"):
        # zlibwapi.dll: cuDNN 8's own dependency on Windows (the families table)
        return "cudnn-missing"
    if low.startswith(("libcuda.so", "nvcuda", "libnvidia-ml")):
        return "driver-missing"
    return "library-missing"


def _gpu_support(facts: dict[str, str]) -> tuple[str, str, str] | None:
    """NVRM's "GPU ... is not supported by the NVIDIA X driver release", judged by the
    architecture of its PCI id (checks/data/architectures.toml): (family, why, fix) for a
    GPU newer than the driver, older than its branch, or one the branch does drive."""
    from gpusetup.knowledge import architecture_table, driver_at_least, driver_branch, first_driver

    pci, driver = facts.get("pci_id", ""), facts.get("driver", "")
    arch = architecture_table().for_pci_device("0x" + pci.rsplit(":", 1)[-1]) if pci else None
    if arch is None or not driver:
        return None
    gpu = f"{pci} is a {arch.name} GPU"
    first = first_driver(arch)
    if first is not None and not driver_at_least(driver, first[1]):
        modules = " with the open kernel modules (nvidia-open)" if arch.open_kernel_modules else ""
        return (
            "driver-too-old",
            f"{gpu}: drivers for {arch.name} start at {first[1]} (CUDA {first[0]}); "
            f"{driver} predates it.",
            f"Install a driver of branch R{driver_branch(first[1])} or newer{modules}, then "
            "reboot (or reload the nvidia modules).",
        )
    last = arch.last_driver_branch
    branch = driver_branch(driver)
    if last is not None and branch is not None and branch > last:
        return (
            "kernel-module",
            f"{gpu}: R{last} is the last driver branch for {arch.name}; {driver} is newer.",
            f"Install the R{last} legacy driver (the newest {last}.xx release), or move to a "
            "newer GPU.",
        )
    return (
        "kernel-module",
        f"{gpu}, an architecture the R{branch} branch drives, but this release does not list "
        "this device: a vGPU or passthrough device (it needs NVIDIA's vGPU guest driver), a "
        "board only a later release of the branch lists, or a GeForce/workstation GPU the "
        "early open kernel modules did not take.",
        "Look the PCI ID up in 'Appendix A - Supported NVIDIA GPU Products' of the release's "
        "README and install a release that lists it; for a vGPU, the NVIDIA vGPU guest driver "
        "that matches the host's vGPU release.",
    )


def _in_english(m: Match) -> Match:
    """glibc's messages printed in another language (the loader's "cannot open shared object
    file", ldconfig's "is not a symbolic link"), read as the catalogue reads the English
    message (the driver's, cuDNN's, a development link's or any library's entry), on the
    same line."""
    if m.entry.id == _TRANSLATED_LDCONFIG:
        # ldconfig's needle is its own name: the message is rebuilt from the path it names
        text = f"ldconfig: {m.facts.get('path', '')} is not a symbolic link"
    elif m.entry.id == _TRANSLATED:
        text = m.text
        for phrase in m.entry.needles:
            text = text.replace(phrase, "cannot open shared object file")
    else:
        return m
    found = readings(text)
    if not found:
        return m
    entry, facts = found[0]
    return replace(m, entry=entry, facts={**m.facts, **facts})


@cache
def _entry_order() -> dict[str, int]:
    """Each entry's place in the catalogue (its files in name order, entries in file order)."""
    return {e.id: i for i, e in enumerate(catalogue().entries)}


#: glibc's loader message in the languages glibc translates it into (triage32.toml)
_TRANSLATED = "loader.shared-object-missing.translated"
#: ldconfig's "is not a symbolic link" in those languages (triage35.toml)
_TRANSLATED_LDCONFIG = "ldconfig.not-symlink.translated"


def _reinterpret(m: Match) -> tuple[Match, str]:
    """Rule 2: the family of a match, read from what it captured."""
    m = _in_english(m)
    family = m.entry.family
    if m.entry.id == "nvrm.unsupported-gpu":
        judged = _gpu_support(m.facts)
        if judged is not None:
            return replace(m, facts={**m.facts, "support": judged[1]}), judged[0]
    inner = _inner_cause(m)
    if inner is not None:
        entry, facts = inner
        return replace(m, facts={**facts, **m.facts}), entry.family
    if m.entry.id == _WINERROR_127 and "cudnn" in m.facts.get("path", "").lower():
        # a cuDNN DLL whose imports another cuDNN release's DLL lacks: cuDNN releases mixed
        return m, "cudnn-version"
    if m.entry.id in _SONAME_FAMILY and (soname := m.facts.get("soname") or m.facts.get("dll")):
        # the loader's own trace names the library: its family is the library's
        return m, _family_of_library(soname)
    dep = _dependency(m)
    if dep and m.entry.role == "cause":
        return replace(m, facts={**m.facts, "dependency": dep}), _family_of_library(dep)
    return m, family


#: Windows' error 127 (a DLL without a function another imports)
_WINERROR_127 = "windows.winerror-127"
#: lines that name a library searched for and not found, family by the library
_LOADER_TRACE = "ld.debug.trying-file"
_SONAME_FAMILY = {
    _LOADER_TRACE,
    # cuDNN 8 on Windows names the DLL it needs (zlibwapi.dll, cublasLt64_11.dll)
    "cudnn.could-not-locate",
    "loader.file-too-short",
    "windows.dll-missing-dialog",
    "tf.self-check-script.dll",
}
#: ONNX Runtime's CUDA provider failing to load (its dependencies, Windows error 126)
_ORT_PROVIDER_LOAD = {"onnxruntime.loadlibrary-failed", "onnxruntime.load-library-error-126"}
#: ONNX Runtime's "Failed to create CUDAExecutionProvider" (its provider did not load)
_ORT_PROVIDER_FAILED = {"onnxruntime.create-provider-failed"}


def _ort_cudnn(ctx: Context) -> tuple[str, str] | None:
    """(why, fix) for an ONNX Runtime release built with cuDNN 8 (its GPU packages up to
    1.18; 1.19+ are built with cuDNN 9) where the log shows cuDNN 9 installed: "ONNX Runtime
    built with cuDNN 8.x is not compatible with cuDNN 9.x, and vice versa" (the CUDA
    execution provider's requirements, onnxruntime.ai)."""
    ort = ctx.versions.get("onnxruntime")
    nine = next((c for c in ctx.cudnn_installed if c.value == "9"), None)
    if ort is None or nine is None:
        return None
    if _cuda_release(ort.value) >= (1, 19):
        return None
    why = (
        f"ONNX Runtime {ort.value} (line {ort.line}) is built with cuDNN 8 (its GPU packages "
        f"up to 1.18; from 1.19 with cuDNN 9), and the log shows cuDNN 9 (line {nine.line}: "
        f"{nine.evidence}): a cuDNN 8 build does not load cuDNN 9's libraries."
    )
    fix = (
        "Install cuDNN 8.9 for your CUDA and put its bin folder on PATH (lib on "
        "LD_LIBRARY_PATH), or upgrade to onnxruntime-gpu 1.19 or newer (CUDA 12, cuDNN 9)."
    )
    return why, fix


def _ort_cuda(ctx: Context) -> tuple[str, str] | None:
    """(why, fix) for an onnxruntime-gpu from PyPI built for another CUDA major than the
    log shows installed: PyPI's GPU packages are built for CUDA 11.8 up to 1.18 and for CUDA
    12 from 1.19 (the CUDA execution provider's requirements, onnxruntime.ai; the builds for
    the other major come from ONNX Runtime's own feed, which the log then names)."""
    ort = ctx.versions.get("onnxruntime")
    installed = next(iter(ctx.cuda_installed), None)
    if ort is None or installed is None or ctx.ort_feed is not None:
        return None
    table = catalogue().facts.get("onnxruntime_gpu_pypi", {})
    since = _cuda_release(str(table.get("cuda12_from", "")))
    if since == (0, 0):
        return None
    built = "12" if _cuda_release(ort.value) >= since else "11"
    have = installed.value.split(".")[0]
    if have == built or have not in ("11", "12"):
        return None
    why = (
        f"onnxruntime-gpu {ort.value} (line {ort.line}) from PyPI is built for CUDA {built} "
        f"(PyPI's GPU packages: CUDA 11.8 and cuDNN 8 up to 1.18, CUDA 12 and cuDNN 9 from "
        f"1.19), and the log shows CUDA {installed.value} (line {installed.line}: "
        f"{installed.evidence}): its CUDA provider does not load CUDA {have}'s libraries."
    )
    if have == "12":
        fix = (
            'pip uninstall -y onnxruntime-gpu, then pip install "onnxruntime-gpu>=1.19" (built '
            "for CUDA 12 and cuDNN 9; with cuDNN 8 use 1.18 from ONNX Runtime's CUDA 12 feed); "
            'check with python -c "import onnxruntime as o; print(o.get_available_providers())".'
        )
    else:
        fix = (
            "Install onnxruntime-gpu 1.18 or older (built for CUDA 11.8 and cuDNN 8), or the "
            "CUDA 11 build of your release from ONNX Runtime's CUDA 11 feed, or move the "
            "machine to CUDA 12 with cuDNN 9."
        )
    return why, fix


def _tf_version(ctx: Context) -> tuple[int, int] | None:
    clue = ctx.versions.get("tensorflow")
    if not clue:
        return None
    parts = clue.value.split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None


def _in_context(m: Match, family: str, ctx: Context) -> tuple[Match, str]:
    """Rule 4: TensorFlow 2.11+ on native Windows (or a build the log shows no GPU for); a
    container's nvidia-smi that cannot reach the driver (the container got no GPU)."""
    inside = ctx.platform is not None and ctx.platform.value in ("container", "kubernetes")
    if (
        m.entry.id in _CLI_NVML_SYMBOL
        and "function not found" in m.facts.get("reason", "")
        and (old := _driver_below(ctx, _TOOLKIT_MIN_DRIVER))
    ):
        # libnvidia-container calls NVML functions older drivers lack: the toolkit needs
        # 418.81.07 or newer
        return replace(m, facts={**m.facts, "host_driver": old}), "driver-too-old"
    if (m.entry.id in _NO_KERNEL_DRIVER or m.entry.id in _CONTAINER_ACCESS) and inside:
        return m, "container"
    if _gpuless_here(ctx, m.line) and (
        family == "driver-missing" or m.entry.id in _NO_KERNEL_DRIVER | _NO_DEVICE | _NO_GPU_SEEN
    ):
        # a container started without asking for a GPU has no driver, device or libcuda
        # in it: every "no driver" line inside is that container's
        return m, "container"
    if (
        m.entry.id == "cuda.err.insufficient-driver"
        and inside
        and ctx.driver is not None
        and _driver_serves_cuda12(ctx)
    ):
        # a CUDA 12 runtime runs on any driver from 525.60.13 (minor-version compatibility);
        # the runtime answers 35 when it finds no libcuda at all: the host's driver is new
        # enough, the container was not given it
        shown = f"{ctx.driver.value} (line {ctx.driver.line}: {ctx.driver.evidence})"
        return replace(m, facts={**m.facts, "host_driver": shown}), "container"
    if m.entry.id in _NO_DRIVER_LIBRARY and inside:
        # libcuda.so.1 is the host driver's, mounted into a container by the NVIDIA runtime
        # at start (nvidia-docker, --gpus): inside one it is missing when the container was
        # started (or built) without it, whatever the host's kernel module shows
        return m, "container"
    if family in _L4T_MOUNTED and ctx.l4t_image is not None and _host_mounted(m.facts):
        # an L4T image has no CUDA of its own on JetPack 4 and 5: the NVIDIA runtime mounts
        # the host's CUDA, cuDNN and TensorRT (its CSV lists), so one missing there means the
        # container was not started with --runtime nvidia
        return m, "container"
    if m.entry.id in _NO_DEVICE and ctx.other_user is not None and _jetson(ctx):
        # a Jetson's GPU nodes (/dev/nvhost-*, /dev/nvmap) belong to the video group: a user
        # outside it sees no CUDA device at all
        return m, "permission"
    if m.entry.id in _NO_DEVICE and _old_gpu(ctx) is not None:
        # CUDA lists no device it cannot drive: a GPU the CUDA release dropped
        return m, "compute-capability"
    if (
        m.entry.id in _NO_DEVICE
        and (pci := ctx.lspci_gpu) is not None
        and ctx.driver is None
        and ctx.kernel_module is None
        and "visible_devices" not in ctx.versions
        and not inside
        and not (ctx.platform is not None and ctx.platform.value in ("wsl", "colab"))
    ):
        # lspci shows the GPU on the bus and nothing shows a driver: CUDA finds no device
        # because no NVIDIA driver is loaded for it
        why = (
            f"The GPU is on the PCI bus (line {pci.line}: {pci.evidence}) but CUDA finds no "
            "device, and nothing in the log shows an NVIDIA driver: no NVIDIA driver is "
            "loaded for it (not installed, or installed and not loaded until a reboot)."
        )
        fix = (
            "Install the NVIDIA driver for this GPU and the CUDA in use (the distribution's "
            "driver package, or NVIDIA's), reboot so its kernel module loads, and check that "
            "nvidia-smi lists the GPU before running the program again."
        )
        return _judged(m, "driver-missing", why, fix)
    if m.entry.id in _WSL_NO_MODULE and ctx.platform and ctx.platform.value == "wsl":
        # WSL2 has no NVIDIA kernel module to fail: nvidia-smi reaches the Windows driver
        # through /usr/lib/wsl/lib, so "couldn't communicate" there is that driver missing
        reading = (
            "nvidia-smi cannot reach the NVIDIA driver, and under WSL2 there is no Linux "
            "kernel module to blame: nvidia-smi and libcuda come from the Windows driver "
            "through /usr/lib/wsl/lib, so the Windows driver is missing, too old or not passed "
            "to WSL (a Windows or WSL build without GPU support), or a Linux driver installed "
            "inside WSL shadows /usr/lib/wsl/lib."
        )
        return replace(m, facts={**m.facts, "reading": reading}), "driver-missing"
    if (
        m.entry.id in _BNB_NO_LIBCUDA
        and ctx.platform is not None
        and ctx.platform.value == "windows"
    ):
        # bitsandbytes before 0.43 ships only Linux binaries: on native Windows its setup
        # never finds the Linux libcuda.so it looks for and loads its CPU-only library
        reading = (
            "bitsandbytes found no CUDA on native Windows: releases before 0.43 ship only "
            "Linux binaries, so their setup looks for the Linux libcuda.so and libcudart.so, "
            "never finds them on Windows (the driver there is nvcuda.dll), and falls back to "
            "the CPU-only library (libbitsandbytes_cpu.so); the driver is not what is missing."
        )
        # the fix of the same release's Windows search paths (checks/data/messages)
        fix = catalogue().by_id["bitsandbytes.windows-search-paths"].fixes["generic"]
        return _judged(m, "cpu-only-build", reading, fix)
    if m.entry.id in _NO_DEVICE and ctx.platform and ctx.platform.value in ("wsl", "colab"):
        # WSL2 and hosted notebooks have no CUDA_VISIBLE_DEVICES of their own to blame: WSL's
        # GPU comes through the Windows driver (a Linux driver inside WSL, an old Windows
        # build or driver), a Colab/Kaggle runtime without an accelerator has no driver
        return m, "driver-missing"
    if family in ("cudnn-missing", "library-missing") and (versioned := _versioned_copy(m, ctx)):
        # only the development name (libX.so, libX.dylib) is missing while the log lists the
        # library's versioned file: the link between them is what is missing
        return replace(m, facts={**m.facts, "versioned": versioned}), "library-symlink"
    if m.entry.id in _BUILD_REQUIREMENT and (judged := _build_requirement(m, ctx)):
        return m, judged
    if family == "library-missing" and explain.cuda_major_words(m.facts, ctx):
        # the build links another CUDA major than the one the log shows installed: the
        # package installed is the build for another CUDA than the machine's
        return m, "wheel"
    if m.entry.id in _NVIDIA_SMI_NO_DEVICE and ctx.other_user is not None:
        # nvidia-smi finds no device only as another user: the device nodes it may not open
        return m, "permission"
    if family == "cudnn-missing" and _other_cudnn(m, ctx):
        # the log shows another cuDNN major installed: the version is wrong, not cuDNN absent
        return m, "cudnn-version"
    if m.entry.id == "ollama.nvml.fixed-paths-last-tried" and ctx.platform:
        wsl = ctx.platform.value == "wsl" and ctx.platform.line != m.line
        if wsl and "/usr/lib/wsl/" in m.facts.get("path", ""):
            # under WSL (shown by another line than the path this one tried) its last path
            # is the right one: WSL's own library is missing
            return m, "driver-missing"
    if m.entry.id in _NO_SMI_HERE and (node := ctx.device_node) is not None:
        # the device nodes are there and nvidia-smi is not: the kernel driver runs (on the
        # host) and this environment got the devices without the driver's user-space files
        why = (
            f"The GPU's device nodes are here (line {node.line}: {node.evidence}) but "
            "nvidia-smi is not: the kernel driver runs (on the host), and this environment "
            "was given the devices without the driver's user-space files, as a container "
            "started with /dev/nvidia* passed by hand (--device, or a provider's gpus "
            "option under Podman) is, instead of through the NVIDIA runtime or CDI, which "
            "also mount nvidia-smi and libcuda."
        )
        fix = (
            "Start the container through the NVIDIA Container Toolkit: docker run --gpus all "
            "(Docker), or with CDI (sudo nvidia-ctk cdi generate --output=/etc/cdi/nvidia.yaml;"
            " podman run --device nvidia.com/gpu=all); keep NVIDIA_DRIVER_CAPABILITIES with "
            "utility (for nvidia-smi) and compute. On the host itself reinstall the driver's "
            "user-space package (nvidia-utils)."
        )
        return _judged(m, "container", why, fix)
    if m.entry.id in _NO_SMI_HERE and inside:
        # nvidia-smi comes from the host's driver, mounted into a container only when it
        # asks for the GPU: a CUDA image has none of its own
        return m, "container"
    if m.entry.id in _WSL_NO_MODULE and ctx.platform and ctx.platform.value == "colab":
        # a hosted notebook has no kernel module of its own to fix: nvidia-smi that cannot
        # reach a driver there is a runtime started without a GPU accelerator
        return m, "driver-missing"
    if m.entry.id in _WSL_NVML_BLOCKED and ctx.platform and ctx.platform.value == "container":
        # NVML blocked inside a container the log starts: the runtime gave it no device
        # cgroup for the GPU (no-cgroups = true with rootful Docker), not the host's policy
        return m, "container"
    if (
        m.entry.id in _WSL_NVML_BLOCKED | _WSL_DRIVER_FILES
        and ctx.platform
        and ctx.platform.value == "wsl"
    ):
        # WSL2 and GPU-PV guests reach the GPU through the Windows driver's files in
        # /usr/lib/wsl: NVML blocked there, or one of its video libraries missing, is that
        # driver (its build or release) missing or incomplete in the guest
        return m, "driver-missing"
    if m.entry.id in _WSL_SHADOWED and ctx.platform and ctx.platform.value == "wsl":
        # WSL2 has no Linux kernel module: "driver not loaded" there means a Linux driver's
        # library was found before WSL's own in /usr/lib/wsl/lib
        return m, "library-symlink"
    if (
        m.entry.id == "cuda.code.no-code-for-gpu"
        and "Triton Error [CUDA]" in m.text
        and (older := _driver_below(ctx, _CUDA12_DRIVER))
    ):
        # Triton assembles its kernels with the ptxas it bundles (CUDA 12 from Triton 2.2):
        # a driver older than CUDA 12's cannot load those cubins, whatever the GPU
        why = (
            "Triton could not load the kernel it compiled (device kernel image is invalid): "
            "Triton 2.2 and later assemble kernels with the CUDA 12 ptxas they bundle, and "
            f"the driver here, {older}, is older than {_CUDA12_DRIVER}, the first that runs "
            "CUDA 12, so it cannot load that code; the GPU itself is not the problem."
        )
        fix = (
            f"Update the NVIDIA driver to one for CUDA 12 ({_CUDA12_DRIVER} or newer; nvidia-smi's "
            "'CUDA Version' must read 12.x), or point Triton at a ptxas of the driver's CUDA "
            "(TRITON_PTXAS_PATH=/usr/local/cuda-11.8/bin/ptxas), or stay on a Triton release "
            "from before the bundled CUDA 12 ptxas."
        )
        return _judged(m, "driver-too-old", why, fix)
    if m.entry.id in _PTXAS_PTX_VERSION and _DRIVER_JIT.search(m.text):
        # "ptxas application ptx input" is the PTX a program hands to the driver at load time
        # (cuLinkAddData, cuModuleLoadData): the driver's own JIT is the ptxas that is too old
        return replace(m, facts={**m.facts, **_driver_jit_words(m.facts)}), "driver-too-old"
    if m.entry.id in _ENVIRONMENT_JUDGED and (judged := environment_cause(ctx)):
        # "CUDA is not available" beside an environment listing: its GPU, build and driver
        # say which of the usual causes it is
        family, why, fix = judged
        return replace(m, facts={**m.facts, "support": why, "environment_fix": fix}), family
    if m.entry.id in _ENVIRONMENT_JUDGED and (pypi := _windows_pypi_torch(ctx)):
        # no GPU seen where the log shows a torch of PyPI's on native Windows: a CPU build
        return replace(m, facts={**m.facts, **pypi}), "cpu-only-build"
    if m.entry.id in _ENVIRONMENT_JUDGED and _hides_gpus(ctx):
        # "CUDA is not available" where the log sets CUDA_VISIBLE_DEVICES to an index the
        # machine shows no GPU for (or to hide them all): that setting leaves no GPU
        return m, "visibility"
    if m.entry.id == "lsmod.nouveau-loaded" and ctx.nvidia_lsmod is not None:
        # the same listing shows the NVIDIA module loaded: nouveau drives another GPU
        return m, "healthy"
    if m.entry.id in _ARCH_RANGE and _same_major_above(m.facts):
        # a GPU one minor above the build's newest architecture of its major: its cubins run
        return m, "healthy"
    if m.entry.id in _NO_KERNEL_IMAGE and (older := _xla_driver_behind_toolkit(ctx)):
        # XLA compiles with the toolkit's ptxas: a driver older than that toolkit cannot
        # load what it built, and says there is no kernel image
        return replace(m, facts={**m.facts, **older}), "driver-too-old"
    if m.entry.id in _NO_KERNEL_IMAGE and (nvcc := ctx.nvcc_default_arch) is not None:
        # the user's own nvcc build without an architecture: nvcc's default is newer than
        # the GPU (a GPU at or above it would run the PTX nvcc embeds for that default)
        why = (
            f"The program was compiled by the nvcc command on line {nvcc.line} "
            f"({nvcc.evidence}) without an architecture option (-arch, -gencode), so nvcc "
            "built it for its default architecture only; the GPU has none of that code and "
            "cannot run the default's PTX either: its architecture is older than the "
            "default of this CUDA toolkit."
        )
        fix = (
            "Compile for the GPU's own architecture: nvcc -arch=sm_XY file.cu, with XY the "
            "GPU's compute capability (nvidia-smi --query-gpu=compute_cap --format=csv; a "
            "Tesla K80 is sm_37); if this toolkit no longer lists that architecture "
            "(nvcc --list-gpu-arch), use an older CUDA toolkit that does."
        )
        return _judged(m, "toolchain", why, fix)

    if m.entry.id in _NO_KERNEL_IMAGE and (arch := build_architecture_cause(ctx)):
        # no kernel image beside a listing of the GPU and the build's CUDA: which end of
        # the CUDA releases' architecture range the GPU falls off
        why, fix = arch
        return replace(m, facts={**m.facts, "support": why, "environment_fix": fix}), family
    if m.entry.id in _ORT_PROVIDER_LOAD | _ORT_PROVIDER_FAILED and (judged := _ort_cuda(ctx)):
        # PyPI's onnxruntime-gpu of this release is built for the other CUDA major
        why, fix = judged
        return replace(m, facts={**m.facts, "support": why, "environment_fix": fix}), "wheel"
    if m.entry.id in _ORT_PROVIDER_LOAD and (judged := _ort_cudnn(ctx)):
        # the CUDA provider's DLL needs the cuDNN major of its release, the log shows another
        why, fix = judged
        return replace(m, facts={**m.facts, "support": why, "environment_fix": fix}), (
            "cudnn-version"
        )
    if m.entry.id in _TF_NO_GPU:
        version = _tf_version(ctx)
        windows = ctx.platform is not None and ctx.platform.value == "windows"
        if version and version >= (2, 11) and (windows or m.entry.id != "tf.gpu.cannot-dlopen"):
            return m, "cpu-only-build"
    return m, family


#: bitsandbytes' own "libcuda.so not found" (its releases before 0.43)
_BNB_NO_LIBCUDA = {"bitsandbytes.libcuda-not-detected"}


def _judged(m: Match, family: str, reading: str, fix: str) -> tuple[Match, str]:
    """A rule's own reading of a match: its sentence and fix replace the entry's."""
    return replace(m, facts={**m.facts, "reading": reading, "environment_fix": fix}), family


_PTXAS_PTX_VERSION = {"ptxas.unsupported-ptx-version"}
#: how the driver's JIT (and its linker) names the PTX it was handed in memory
_DRIVER_JIT = re.compile(r"\bptxas application ptx input\b")


def _driver_jit_words(facts: dict[str, str]) -> dict[str, str]:
    wanted, known = facts.get("version", "?"), facts.get("found", "?")
    return {
        "reading": (
            f"The driver's PTX JIT compiler rejected the program's PTX: it reads PTX ISA up to "
            f'{known}, and this PTX is ISA {wanted} ("ptxas application ptx input" is the PTX '
            "a program hands the driver at load time: cuLinkAddData, cuModuleLoadData), so the "
            "toolkit that generated it (conda's cudatoolkit for numba, nvcc, NVVM) is newer "
            "than the driver's CUDA."
        ),
        "environment_fix": (
            f"Update the NVIDIA driver to one whose CUDA reads PTX ISA {wanted} (nvidia-smi "
            "shows the newest CUDA a driver supports), or generate older PTX: a toolkit no "
            "newer than the driver's CUDA (conda install cudatoolkit=X.Y with X.Y at most "
            "nvidia-smi's CUDA Version)."
        ),
    }


#: ONNX Runtime's "Require cuDNN N.* and CUDA M.*": the majors the build was made for
_BUILD_REQUIREMENT = {"onnxruntime.require-cudnn-cuda"}
#: nvidia-smi's "No devices were found", which NVML also prints for unreadable /dev/nvidia*
_NVIDIA_SMI_NO_DEVICE = {"nvidia-smi.no-devices"}


def _build_requirement(m: Match, ctx: Context) -> str | None:
    """A build's stated cuDNN/CUDA majors against the majors the log shows installed:
    another cuDNN major is cudnn-version, another CUDA major (and not the wanted one) the
    build for another CUDA than the machine's (wheel)."""
    cudnn, cuda = m.facts.get("wanted_cudnn"), m.facts.get("wanted_cuda")
    present = set(ctx.cudnn_present) - set(ctx.cudnn_off_path)
    if cudnn and present and cudnn not in present:
        return "cudnn-version"
    majors = {c.value.split(".")[0] for c in ctx.cuda_installed}
    if cuda and majors and cuda not in majors:
        return "wheel"
    return None


_UNVERSIONED = re.compile(r"(lib[\w+-]+)\.(so|dylib)")


def _versioned_copy(m: Match, ctx: Context) -> str | None:
    """The versioned file of the library a load failure asks for by its development name
    (libcudnn.dylib, libcublas.so), where a listing in the log shows one."""
    asked = m.facts.get("dependency") or m.facts.get("soname") or ""
    found = _UNVERSIONED.fullmatch(asked.rsplit("/", 1)[-1])
    if not found:
        return None
    stem, suffix = found.groups()
    for name in (*ctx.listed_libraries, *ctx.libraries):
        if (
            name.startswith(f"{stem}.so.")
            if suffix == "so"
            else (name.startswith(f"{stem}.") and name.endswith(".dylib"))
        ):
            return name
    return None


#: the first Linux driver of CUDA 12, which runs every CUDA 12.x runtime
_CUDA12_DRIVER = "525.60.13"
_CUDA13 = re.compile(r"(?<![\d.])13\.\d")


def _driver_serves_cuda12(ctx: Context) -> bool:
    """The log shows a driver that runs any CUDA 12 runtime, and no CUDA 13 in use."""
    from gpusetup.knowledge import driver_at_least

    if ctx.driver is None or not driver_at_least(ctx.driver.value, _CUDA12_DRIVER):
        return False
    shown = [c.value for c in ctx.cuda_installed]
    if ctx.toolkit:
        shown.append(ctx.toolkit.value)
    if (cuda := ctx.versions.get("cuda")) is not None:
        shown.append(cuda.value)
    if (torch := ctx.versions.get("torch")) is not None and "+cu13" in torch.value:
        return False
    return not any(_CUDA13.match(v) or v == "13" for v in shown)


def _jetson(ctx: Context) -> bool:
    """The log comes from a Jetson: its platform, or an L4T container image."""
    return ctx.l4t_image is not None or bool(ctx.platform and ctx.platform.value == "jetson")


def _gpuless_here(ctx: Context, line: int) -> bool:
    """A container start without a GPU explains this line: it is the only start in the log,
    or the line lies between it and the next start (which asks for a GPU)."""
    run = ctx.gpuless_run
    if run is None:
        return False
    return ctx.gpuless_lines is None or ctx.gpuless_lines[0] <= line < ctx.gpuless_lines[1]


def wanted_cudnn(facts: dict[str, str], text: str = "") -> str | None:
    """The cuDNN major a load failure asks for: its library's, else the first cuDNN name
    in the line."""
    for key in ("dependency", "soname", "dll", "path", "library"):
        name = facts.get(key, "")
        if "cudnn" in name.lower() and (major := explain.cudnn_major_of(name)):
            return major
    found = explain.CUDNN_NAME.search(text)
    return found.group(1) if found else None


def _other_cudnn(m: Match, ctx: Context) -> bool:
    """The log shows a cuDNN major installed, and not the one the failure asks for."""
    wanted = wanted_cudnn(m.facts, m.text)
    # a copy of the wanted major outside the loader's directories (another conda
    # environment, a package cache) is not what the program finds
    present = set(ctx.cudnn_present) - set(ctx.cudnn_off_path)
    return bool(wanted and present and wanted not in present)


#: CUDA's "no CUDA-capable device": read by the platform where no variable hides the GPU
_NO_DEVICE = {"cuda.err.no-device", "ollama.no-nvidia-devices", "ggml.no-cuda-devices"}
#: nvidia-smi that cannot reach the kernel module: under WSL2 there is none, the Windows
#: driver serves it
_WSL_NO_MODULE = {"nvidia-smi.couldnt-communicate"}
#: NVML's "driver not loaded": under WSL2 a Linux driver's library shadowing WSL's
_WSL_SHADOWED = {"ollama.nvml-init.driver-not-loaded"}
#: a shell that finds no nvidia-smi: inside a container, one started without the GPU
_NO_SMI_HERE = {"shell.no-nvidia-smi"}
#: NVML's "GPU access blocked by the operating system": under WSL2 the Windows driver's
_WSL_NVML_BLOCKED = {"nvml.blocked-by-os"}
#: nvidia-container-cli's NVML "function not found": a driver older than the toolkit needs
_CLI_NVML_SYMBOL = {"nvidia-container-cli.init-error"}
#: the oldest driver the NVIDIA Container Toolkit supports (its installation guide's
#: prerequisites: "NVIDIA Linux drivers version >= 418.81.07")
_TOOLKIT_MIN_DRIVER = "418.81.07"


def _driver_below(ctx: Context, floor: str) -> str:
    """The log's driver release where it is older than ``floor``, else ""."""
    from gpusetup.knowledge import driver_at_least

    if ctx.driver is None or driver_at_least(ctx.driver.value, floor):
        return ""
    return f"{ctx.driver.value} (line {ctx.driver.line}: {ctx.driver.evidence})"


#: builds that refuse a GPU architecture: the CUDA releases that know it decide the fix
_ARCH_BUILD = {
    "nvcc.unsupported-arch",
    "nvcc.arch-not-defined",
    "ptxas.gpu-name-not-defined",
    "torch.cpp-extension.unknown-arch",
    # XLA's "ptxas does not support CC 8.6": its fix is its own (a newer ptxas)
    "xla.ptxas.version",
}
#: families whose fix in a tfjs-node-gpu log is the CUDA and cuDNN its libtensorflow wants
_TFJS_FIXED = frozenset({"library-missing", "cudnn-missing", "cudnn-version"})
#: entries whose own fix says only what the architecture's toolkit fix says in full
_ARCH_FIX_ALONE = {"nvcc.arch-not-defined"}
#: TensorFlow's "no GPU" lines that TF 2.11+ on native Windows explains (no GPU build there)
_TF_NO_GPU = {
    "tf.gpu.cannot-dlopen",
    "tf.user.no-gpu",
    "tf.user.list-devices-empty",
    "tf.user.cpu-device-only",
}


#: PyTorch's own "CUDA is not available" (is_available() False, collect_env's "No"): judged by
#: the GPU, the build's CUDA and the driver an environment listing beside it shows
_ENVIRONMENT_JUDGED = {
    "torch.user.cuda-not-available",
    "yolo.select-device-no-cuda",
    "ultralytics.checks-cuda-none",
    "invokeai.device-type-cpu",
}


def _windows_pypi_torch(ctx: Context) -> dict[str, str] | None:
    """The reading of "no GPU" where the log shows a torch release without a local tag
    (2.1.0, not 2.1.0+cu121) on native Windows: PyPI's torch wheels for Windows are CPU-only
    builds, the CUDA ones come from PyTorch's own index."""
    torch = ctx.versions.get("torch")
    if ctx.platform is None or ctx.platform.value != "windows" or torch is None:
        return None
    if "+" in torch.value or not re.fullmatch(r"[12]\.\d+\.\d+", torch.value):
        return None
    return {
        "support": (
            f"The log shows torch {torch.value} (line {torch.line}: {torch.evidence}) on native "
            "Windows, without a +cuXXX tag: the torch wheels PyPI serves for Windows are "
            "CPU-only builds, so this PyTorch has no CUDA at all."
        ),
        "environment_fix": (
            "Replace it with a CUDA build from PyTorch's index: pip uninstall torch torchvision "
            "torchaudio, then pip install torch torchvision torchaudio --index-url "
            "https://download.pytorch.org/whl/cu121 (the cuXXX the driver supports: "
            "nvidia-smi's CUDA Version; see pytorch.org/get-started)."
        ),
    }


#: PyTorch's warning for a GPU outside the build's architectures, with the range it has
_ARCH_RANGE = {"torch.gpu-too-old"}


def _xla_driver_behind_toolkit(ctx: Context) -> dict[str, str] | None:
    """For JAX or TensorFlow: the toolkit the log shows (nvcc's release) newer than the CUDA
    its driver supports (nvidia-smi's CUDA Version) as the reading and fix of "no kernel
    image"; None otherwise."""
    toolkit, driver = ctx.toolkit, ctx.driver_cuda
    if ctx.framework is None or ctx.framework.value not in ("jax", "tensorflow"):
        return None
    if toolkit is None or driver is None:
        return None
    if _cuda_release(toolkit.value) <= _cuda_release(driver.value):
        return None
    return {
        "reading": (
            f"CUDA found no kernel image it can run (no kernel image is available for "
            f"execution on the device), and the log shows why: XLA compiles its kernels with "
            f"the toolkit's ptxas (CUDA {toolkit.value}, line {toolkit.line}) while the driver "
            f"supports only CUDA {driver.value} (line {driver.line}), so the driver cannot "
            "load what that ptxas built."
        ),
        "environment_fix": (
            f"Update the driver to one that supports CUDA {toolkit.value} (nvidia-smi's CUDA "
            f"Version at least {toolkit.value}), or make XLA use a ptxas no newer than CUDA "
            f"{driver.value} (a toolkit of that release first on PATH, or XLA_FLAGS="
            "--xla_gpu_cuda_data_dir pointing at it)."
        ),
    }


def _same_major_above(facts: dict[str, str]) -> bool:
    """The GPU is newer than the build's newest architecture but of the same major (12.1 beside
    12.0): CUDA runs a cubin built for X.y on any X.z with z >= y."""
    from gpusetup.knowledge import parse_cc

    try:
        cc, top = parse_cc(facts.get("cc", "")), parse_cc(facts.get("max_cc", ""))
    except ValueError:
        return False
    return cc[0] == top[0] and cc > top


#: CUDA's "no kernel image is available": judged by the GPU and the build's CUDA a listing
#: beside it shows
_NO_KERNEL_IMAGE = {"cuda.err.no-kernel-image"}
#: platforms whose driver numbers the Linux table of minimum drivers does not date
_OTHER_DRIVER_NUMBERING = {"windows", "wsl", "macos"}


def _cuda_release(text: str) -> tuple[int, int]:
    major, _, minor = text.partition(".")
    return int(major), int(minor.split(".")[0] or 0)


def _gpu_cc(ctx: Context) -> tuple[str, int, str] | None:
    """(name, line, compute capability) of the first GPU the log names, where a listing shows
    its capability or the name tables know it (facts.toml [[gpu_names]], [[legacy_gpu_names]])."""
    if not ctx.gpus or not ctx.gpus[0].name:
        return None
    gpu = ctx.gpus[0]
    facts = catalogue().facts
    rows = [*facts.get("gpu_names", []), *facts.get("legacy_gpu_names", [])]
    cc = gpu.cc or next(
        (row["cc"] for row in rows if re.search(row["pattern"], gpu.name, re.I)), None
    )
    return (gpu.name, gpu.line, cc) if cc and re.fullmatch(r"\d{1,2}\.\d", cc) else None


def _trace_found(m: Match, near: dict[int, str]) -> bool:
    """Whether the loader's trace goes on to load the library a "trying file=" line looked
    for: glibc prints "file=NAME [0];  generating link map" after the path that held it, so
    that search ended well (the lines it tried before are no failure)."""
    if m.entry.id != _LOADER_TRACE or not (soname := m.facts.get("soname")):
        return False
    found = f"file={soname} ["
    return any(n > m.line and found in t and "generating link map" in t for n, t in near.items())


def _hides_gpus(ctx: Context) -> bool:
    """Whether the log's CUDA_VISIBLE_DEVICES setting can leave the process no GPU: empty or
    negative (hides them all), or indexes that all lie past the GPUs the log lists (index 1
    or more where it lists none: a one-GPU machine has only GPU 0)."""
    vis = ctx.versions.get("visible_devices")
    if vis is None:
        return False
    value = vis.value.strip("'\"")
    if value in ("", "-1"):
        return True
    entries = value.split(",")
    if not all(e.isdigit() for e in entries):
        return False
    return min(int(e) for e in entries) >= max(1, len(ctx.gpus))


def environment_cause(ctx: Context) -> tuple[str, str, str] | None:
    """(family, diagnosis, fix) from an environment listing's facts where the framework sees
    no GPU: a GPU whose architecture the build's CUDA does not know yet (an RTX 5090 beside
    +cu121) or no longer targets (a GeForce 210 beside CUDA 10), else a driver older than the
    build's CUDA needs (CUDA 10.2 on 418.67; from CUDA 11 the major's floor, minor-version
    compatibility). None where the listing lacks the facts: nothing is guessed."""
    build = ctx.build_cuda
    if build is None:
        return None
    shown = f"CUDA {build.value} (line {build.line}: {build.evidence})"
    arch = _architecture_verdict(ctx, build.value, shown)
    if arch is not None:
        return arch
    return _driver_verdict(ctx, build.value, shown)


def build_architecture_cause(ctx: Context) -> tuple[str, str] | None:
    """(diagnosis, fix) where the build's CUDA that a listing shows does not know the GPU's
    architecture yet or no longer does (an RTX 5090 beside +cu121, a GTX 1080 Ti beside
    +cu130): what CUDA's "no kernel image is available" means in that log."""
    build = ctx.build_cuda
    if build is None:
        return None
    shown = f"CUDA {build.value} (line {build.line}: {build.evidence})"
    arch = _architecture_verdict(ctx, build.value, shown, "so its work fails to launch")
    return (arch[1], arch[2]) if arch else None


#: the oldest CUDA the framework releases people still install were built with (TensorFlow
#: 1.13 and PyTorch 1.0 on CUDA 10.0): a GPU whose last CUDA is older has no build to go to
_FRAMEWORK_CUDA = (10, 0)


def _architecture_verdict(
    ctx: Context, build: str, shown: str, outcome: str = "so CUDA reports no usable device"
) -> tuple[str, str, str] | None:
    gpu = _gpu_cc(ctx)
    if gpu is None:
        return None
    name, line, cc = gpu
    facts = catalogue().facts
    key = cc.replace(".", "")
    first = facts.get("nvcc_first_cuda", {}).get(key)
    last = facts.get("nvcc_last_cuda", {}).get(key)
    if cc.startswith("1."):
        last = facts.get("tesla_generation", {}).get("last_cuda")
    named = f"{name} (line {line}) has compute capability {cc}"
    if first and _cuda_release(build) < _cuda_release(first):
        wheel = "cu" + first.replace(".", "")
        return (
            "compute-capability",
            f"{named}, which needs CUDA {first} or newer, and this build was made with "
            f"{shown}: it has no kernels for the GPU, {outcome}.",
            f"Install a build made with CUDA {first} or newer (PyTorch: pip install torch "
            f"--index-url https://download.pytorch.org/whl/{wheel}, or newer); the driver "
            "must support that CUDA too (nvidia-smi's CUDA Version).",
        )
    if last and _cuda_release(build) > _cuda_release(last):
        no_build = f"no build made with a CUDA newer than {last} runs on compute capability {cc}"
        fix = (
            f"Use a newer GPU (or the CPU): {no_build}, and current framework releases need "
            "far newer CUDA."
            if _cuda_release(last) < _FRAMEWORK_CUDA
            else f"Install a build made with CUDA {last} or older whose architecture list "
            f"still holds sm_{key} (PyTorch: torch.cuda.get_arch_list()), or use a newer "
            f"GPU: {no_build}."
        )
        return (
            "compute-capability",
            f"{named}, an architecture CUDA {last} was the last release to support, and this "
            f"build was made with {shown}: the build cannot use the GPU at all.",
            fix,
        )
    return None


def _driver_verdict(ctx: Context, build: str, shown: str) -> tuple[str, str, str] | None:
    from gpusetup.knowledge import cuda_table, driver_at_least

    if ctx.platform is not None and ctx.platform.value in _OTHER_DRIVER_NUMBERING:
        return None
    table = cuda_table()
    major = build.split(".")[0]
    if ctx.driver is not None:
        driver = ctx.driver
        floor = table.major_floor_driver.get(major) if int(major) >= 11 else None
        row = table.min_driver_for(build)
        need = floor or (row[1] if row else None)
        if need is None or driver_at_least(explain.branch_newest(driver.value), need):
            return None
        supports = table.highest_cuda_for(explain.branch_newest(driver.value))
        rule = (
            f"every CUDA {major}.x build needs driver {need} or newer"
            if floor
            else f"CUDA {build} needs driver {need} or newer"
        )
        older = f" (it supports CUDA {supports} at most)" if supports else ""
        return (
            "driver-too-old",
            f"The driver is {driver.value} (line {driver.line}: {driver.evidence}){older}, and "
            f"this build was made with {shown}: {rule}, so CUDA reports no usable device.",
            f"Upgrade the NVIDIA driver to {need} or newer (a driver of a newer branch), then "
            "reboot; or install the framework build made for the CUDA the driver supports"
            + (f" (CUDA {supports} or older)." if supports else "."),
        )
    smi = ctx.driver_cuda
    if smi is None:
        return None
    have, want = _cuda_release(smi.value), _cuda_release(build)
    if (have[0] >= want[0]) if want[0] >= 11 else (have >= want):
        return None
    return (
        "driver-too-old",
        f"nvidia-smi says the driver supports CUDA {smi.value} at most (line {smi.line}), and "
        f"this build was made with {shown}: the driver is older than the build needs, so "
        "CUDA reports no usable device.",
        f"Upgrade the NVIDIA driver to one whose CUDA Version is {build} or newer, then reboot; "
        f"or install the framework build made for CUDA {smi.value} or older.",
    )


@record
class _OldGpu:
    name: str
    line: int
    cc: str
    architecture: str
    last_cuda: str
    last_driver_branch: int | None


def _old_gpu(ctx: Context) -> _OldGpu | None:
    """The GPU the log names when its architecture is one the log's CUDA (or, where the
    log shows none, any current CUDA) no longer supports: Fermi, Kepler; Maxwell to Volta
    only beside CUDA 13 (facts.toml [[legacy_gpu_names]], checks/data/architectures.toml)."""
    if not ctx.gpus or not ctx.gpus[0].name:
        return None
    from gpusetup.knowledge import architecture_table, parse_cc

    gpu = ctx.gpus[0]
    cc = gpu.cc or next(
        (
            row["cc"]
            for row in catalogue().facts.get("legacy_gpu_names", [])
            if re.search(row["pattern"], gpu.name, re.I)
        ),
        None,
    )
    if not cc:
        return None
    try:
        major, minor = parse_cc(cc)
    except ValueError:
        return None
    table = architecture_table()
    arch = table.for_compute_capability((major, minor)) or next(
        (
            a
            for a in table.architectures
            if any(c.startswith(f"{major}.") for c in a.compute_capabilities)
        ),
        None,
    )
    if arch is None or not arch.last_cuda_major or not arch.last_cuda:
        return None
    shown = ctx.toolkit or ctx.versions.get("cuda")
    torch = ctx.versions.get("torch")
    wheel = re.search(r"\+cu(\d{2,3})", torch.value) if torch else None
    used = int(shown.value.split(".")[0]) if shown else int(wheel.group(1)[:-1]) if wheel else None
    if used is None and arch.last_cuda_major > 11:
        return None
    if used is not None and used <= arch.last_cuda_major:
        return None
    return _OldGpu(gpu.name, gpu.line, cc, arch.name, arch.last_cuda, arch.last_driver_branch)


def _old_gpu_words(old: _OldGpu) -> tuple[str, str]:
    last = old.last_cuda.replace(".x", "")
    branch = old.last_driver_branch
    driver = f" (the last driver for it: branch R{branch})" if branch else ""
    with_driver = f", with an R{branch} driver" if branch else ""
    return (
        f"{old.name} is a {old.architecture} GPU (compute capability {old.cc}): CUDA "
        f"{old.last_cuda} is the last release that supports it{driver}, so a newer CUDA "
        "runtime or a framework built for one lists no device.",
        f"Run it with a stack built for CUDA {last} or older (a framework release built for "
        f"that CUDA{with_driver}), or use a newer GPU (or the CPU): a working nvidia-smi "
        "does not make the GPU usable by a newer CUDA.",
    )


#: "no GPU here" messages that a container started without a GPU explains
_NO_GPU_SEEN = {
    "tf.cuinit.failed",
    "tf.cuinit.unknown-error-303",
    "torch.no-cuda-gpus",
    "nvidia-smi.no-devices",
    "cuda.err.insufficient-driver",
    # the checks users paste: inside a container started without a GPU, that start
    "torch.user.cuda-not-available",
    "tf.user.no-gpu",
    "tf.user.list-devices-empty",
    "tf.user.cpu-device-only",
    "jax.user.cpu-devices-only",
    "vllm.no-platform-detected",
}
#: families of a library the NVIDIA runtime on a Jetson mounts into an L4T container
_L4T_MOUNTED = {"library-missing", "cudnn-missing"}
#: the libraries it mounts from the host's JetPack (cuda.csv, cudnn.csv, tensorrt.csv)
_L4T_HOST_LIBRARY = re.compile(
    r"^lib(?:cu(?:blas(?:Lt)?|dart|dnn\w*|fft\w*|rand|solver|sparse|pti)|nvrtc\w*|npp\w*|"
    r"nvinfer\w*|nvonnxparser|nvparsers|nvToolsExt)\.so"
)


def _host_mounted(facts: dict[str, str]) -> bool:
    """The library a load failure names is one the Jetson runtime mounts from the host."""
    name = facts.get("dependency") or facts.get("soname") or ""
    return bool(_L4T_HOST_LIBRARY.match(name.rsplit("/", 1)[-1]))


#: messages that say the driver is not there: inside a container, the container was started
#: without the GPU (the host's driver libraries are not passed in). (Error 804 inside one
#: stays the host driver's: the image's compat library stands in for a driver older than the
#: image's CUDA, and only datacenter GPUs take it.)
_NO_KERNEL_DRIVER = {
    "nvidia-smi.couldnt-communicate",
    "tf.cuda-diagnostics.kernel-driver-not-running",
    "loader.shared-object-missing.libcuda",
    # no /dev/nvidia0 inside a container: the runtime passed no GPU in
    "nvidia.device-file.missing",
    "tf.cuda-diagnostics.no-dev-nvidia0",
    "shell.proc-driver-nvidia-missing",
    # PyTorch's "Found no NVIDIA driver": inside a container, the runtime mounted none
    "torch.no-driver",
}


#: messages of access the container runtime grants: inside a container (or beside another
#: line that shows a container's GPU access failing) the runtime left it out: the GPU devices
#: in the device cgroup (or the kubelet rewrote it), the driver's video libraries
_CONTAINER_ACCESS = {
    "kernel.dev-nvidia-eperm",
    # the driver's video libraries are mounted only with the video capability
    "ffmpeg.cannot-load-codec-library",
    "dali.nvcuvid-load-failed",
    # nvidia-smi without NVML inside a container: the runtime injected no driver libraries,
    # or the container's loader cache does not list the ones it did (the host's are there)
    "nvml.library-not-found",
}
#: the driver's video libraries (NVENC/NVDEC) not loadable: under WSL2 the Windows driver
#: passes them in, or does not
_WSL_DRIVER_FILES = {"ffmpeg.cannot-load-codec-library", "dali.nvcuvid-load-failed"}
#: messages that say the driver's user-space library cannot be opened: the driver is not
#: installed, unless the log shows its kernel module loaded (inside a container: no GPU
#: passed in)
_NO_DRIVER_LIBRARY = {
    "tf.dso.couldnt-open.libcuda",
    "tf.dso.dlopen-failed.libcuda",
    "dcgm.nvml-library-not-found",
}


def _drop_same_line_readings(causes: list[tuple[Match, str]]) -> list[tuple[Match, str]]:
    """Two causes read from one line: keep the more specific family's."""
    out = []
    for m, fam in causes:
        beaten = any(
            other.line == m.line and (ofam, fam) in _SAME_LINE_PRECEDENCE
            for other, ofam in causes
            if other is not m
        )
        if not beaten:
            out.append((m, fam))
    return out


def _source(entry: Entry) -> dict[str, str]:
    if not entry.sources:
        return {"catalogue": f"checks/data/messages/{entry.file}"}
    out = {
        "upstream": "; ".join(f"{s.where}: {s.path} ({s.era})" for s in entry.sources),
        "catalogue": f"checks/data/messages/{entry.file}",
    }
    url = next((s.url for s in entry.sources if s.url), None)
    if url:
        out["url"] = url
    return out


#: the framework an entry's own prefix names (who prints the message)
_PRINTER = {
    "tf.": "tensorflow",
    "torch.": "pytorch",
    "jax.": "jax",
    "pip.": "pip",
    "paddle.": "paddle",
}


def _framework(entry: Entry, ctx: Context) -> str | None:
    """The framework the log shows (among those that print the message), else the one that
    prints it; never a guess among several. TensorFlow's messages in a tfjs-node-gpu log
    come from the libtensorflow that package downloaded."""
    found = _framework_shown(entry, ctx)
    if ctx.tfjs and found in (None, "tensorflow"):
        return "tfjs"
    return found


def _framework_shown(entry: Entry, ctx: Context) -> str | None:
    if ctx.framework and (not entry.frameworks or ctx.framework.value in entry.frameworks):
        return ctx.framework.value
    if len(entry.frameworks) == 1:
        return entry.frameworks[0]
    printer = next((f for prefix, f in _PRINTER.items() if entry.id.startswith(prefix)), None)
    if printer:
        return printer
    return ctx.framework.value if ctx.framework else None


def _quote(entry: Entry, text: str, width: int = 240) -> str:
    """The message as the log printed it: the line, or for a long line the part where the
    entry matched with a little before it, the line's end (where programs put their
    verdict) and, given room, its beginning (who prints it)."""
    flat = _GLOG.sub("", text.replace("\n", " ").strip(), count=1)
    if len(flat) <= width:
        return flat
    found = entry.regex.search(flat) or entry.regex_folded.search(flat)
    begin, end = (found.start(), found.end()) if found else (0, 0)
    lead = ""
    if begin > width // 3:
        # from a word a little before the match (the "cuda runtime error" of
        # "cuda runtime error (35)")
        cut = flat.rfind(" ", 0, begin - width // 6) + 1
        lead = flat[: width // 5].rstrip() + " … " if width >= 200 and cut else "…"
        # a long word before the match (a path) would push the match's end out of the
        # quote: start inside that word instead
        cut = max(cut, min(begin, end - (width - len(lead)) + 2))
        flat, end = flat[cut:], end - cut
    room = width - len(lead)
    if len(flat) <= room:
        return lead + flat
    if len(flat) - room <= 24 or end >= room - 20:
        return lead + flat[: room - 1].rstrip() + "…"
    keep = max(end, room * 2 // 3)
    return lead + flat[:keep].rstrip() + " … " + flat[-(room - keep - 3) :].lstrip()


def _also(entry: Entry, first: str, other: str, width: int = 120) -> str:
    """Another occurrence of a message, quoted by what differs from the first: who printed
    the same error there (a watchdog, another rank), else the occurrence itself."""
    mine, theirs = (entry.regex.search(t) or entry.regex_folded.search(t) for t in (first, other))
    if mine and theirs and mine.group(0) == theirs.group(0) and theirs.start() > 8:
        before = _GLOG.sub("", other[: theirs.start()].strip(), count=1)
        if len(before) > width - 3:
            before = before[: width - 4] + "…"
        return f"{before} … {theirs.group(0)}" if before else _quote(entry, other, width)
    return _quote(entry, other, width)


def _item(
    m: Match,
    family: str,
    ctx: Context,
    *,
    root: bool,
    explained_by: tuple[str, ...] = (),
    near: dict[int, str] | None = None,
) -> Item:
    entry = m.entry
    platform = ctx.platform.value if ctx.platform else None
    framework = _framework(entry, ctx)
    facts = dict(m.facts)
    words = [facts["reading"] if "reading" in facts else explain.fill(entry.diagnosis, facts)]
    if "environment_fix" in facts:
        # the listing's facts name the cause: the symptom's list of likely ones would mislead
        words[0] = words[0].split(". ", 1)[0].rstrip(".") + "."
    extra_family = family if family != entry.family else entry.family
    after = "\n".join((near or {}).get(n, "") for n in range(m.line + 1, m.line + 1 + _FOLLOWING))
    words.extend(explain.decoded(entry, extra_family, facts, ctx, m.text, after))
    if (
        family != entry.family
        or "support" in facts
        or (entry.id in _GPULESS_START and ctx.gpuless_run is not None)
    ):
        # a container's missing nvidia-smi: the log's own docker run without a GPU request
        words.append(_reread(entry, family, facts, ctx))
    if entry.id in _NATIVE_RUNTIME_CUT:
        words.append(_native_runtime_words(ctx))
    arch = explain.architecture_support(facts, ctx) if entry.id in _ARCH_BUILD else None
    if arch and explain.names_no_architecture(facts):
        # not a toolkit too old or too new: the entry's own reading would mislead
        words[0] = arch[0]
    elif arch:
        words.append(arch[0])
    if root:
        words.append(explain.context_sentence(family, facts, ctx, " ".join(words)))
        words.append(explain.inferred(ctx, framework, platform))
    words.append(f'Log line {m.line}: "{_quote(entry, m.text)}"')
    others = [o for o in m.others if o.text != m.text][:3]
    if others:
        words.append(
            "Also: "
            + "; ".join(f'line {o.line}: "{_also(entry, m.text, o.text)}"' for o in others)
            + "."
        )
    fix = explain.fill(
        explain.fix_template(entry, framework, platform, ctx.conda is not None), facts
    )
    if family != entry.family or "dependency" in facts or "support" in facts:
        fix = _fix_for(family, entry, facts, ctx, framework, platform) or fix
    if family in ("library-missing", "wheel") and (majors := explain.cuda_major_words(facts, ctx)):
        # a build for another CUDA: the build for this machine's CUDA, not pip's wheel advice
        fix = majors[1] if family == "wheel" else f"{majors[1]} {fix}".strip()
    if framework == "tfjs" and family in _TFJS_FIXED:
        fix = str(catalogue().facts.get("tfjs_node_gpu", {}).get("fix", fix))
    if (
        family == "visibility"
        and entry.id not in _SETS_VISIBLE
        and (setting := explain.visible_devices_fix(facts, ctx))
    ):
        fix = f"{setting} {fix}"
    if family == "container" and _compose(ctx) and "Compose" not in fix and "compose" not in fix:
        fix = f"{fix} {_COMPOSE_FIX}".strip()
    if arch and entry.id in _ARCH_FIX_ALONE:
        fix = arch[1]
    elif arch and entry.id.startswith(("nvcc.", "ptxas.")):
        # PyTorch's own list of architectures is the release's, not the toolkit's
        fix = f"{arch[1]} {fix}"
    return Item(
        id=entry.id,
        family=family,
        role=entry.role,
        root_cause=root,
        line=m.line,
        count=m.count,
        text=m.text,
        # the log's facts; the rules' own sentences are in the diagnosis and fix already
        facts={k: v for k, v in facts.items() if k not in _RULE_WORDS},
        diagnosis=" ".join(w for w in words if w),
        fix=fix,
        platform=platform,
        framework=framework,
        source=_source(entry),
        explained_by=explained_by,
    )


#: facts the rules add that are sentences of their own (said in the diagnosis or fix)
_RULE_WORDS = frozenset({"support", "reading", "environment_fix"})


def _inner_of(entry: Entry, facts: dict[str, str]) -> tuple[Entry, dict[str, str]] | None:
    """The loader error's own reading (rule 2), from the facts of the item."""
    if "dlerror" not in facts or "dependency" in facts:
        return None
    found = readings(facts["dlerror"])
    if not found or found[0][0].family in _LOADING:
        return None
    return found[0]


def _reread(entry: Entry, family: str, facts: dict[str, str], ctx: Context) -> str:
    if "reading" in facts:
        # the rule's own reading already replaced the entry's sentence
        return ""
    if "support" in facts:
        return facts["support"]
    inner = _inner_of(entry, facts)
    if inner is not None:
        other, own = inner
        return explain.fill(other.diagnosis, {**facts, **own})
    if family == "compute-capability" and entry.id in _NO_DEVICE and (old := _old_gpu(ctx)):
        return _old_gpu_words(old)[0]
    if family == "container" and ctx.gpuless_run is not None:
        run = ctx.gpuless_run
        if run.value == "no-nv-flag":
            return (
                f"The log starts an Apptainer/Singularity container without --nv (line "
                f"{run.line}: {run.evidence}): only --nv (or --nvccli) binds the host's driver "
                "libraries (libcuda.so.1, libnvidia-ml.so.1), nvidia-smi and /dev/nvidia* into "
                "it, so inside it the driver looks missing; this line is that symptom."
            )
        if run.value == "docker-build":
            return (
                f"This runs in a docker build step (line {run.line}: {run.evidence}): a "
                "build gets no GPU device and no driver library (libcuda.so.1), whatever the "
                "host has, because the NVIDIA Container Toolkit serves containers that docker "
                "run starts with --gpus, not build steps; so there the driver or the GPU looks "
                "missing; this line is that symptom."
            )
        started = (
            "sets NVIDIA_VISIBLE_DEVICES=void"
            if run.value == "void"
            else "starts the container without asking for a GPU"
        )
        if run.value == "void":
            flags = ""
        elif (other := ctx.gpuless_other) is not None:
            flags = (
                " (no --gpus, --runtime=nvidia or --device nvidia.com/gpu on it; the start that "
                f"asks for one, line {other.line}: {other.evidence}, is another container)"
            )
        else:
            flags = " (no --gpus, --runtime=nvidia or --device nvidia.com/gpu anywhere in the log)"
        return (
            f"The log {started} (line {run.line}: {run.evidence}){flags}: the NVIDIA "
            "Container Toolkit then mounts no GPU device and no driver library (libcuda.so.1, "
            "nvidia-smi) into it, so inside it the driver looks missing; this line is that "
            "symptom."
        )
    if family == "container" and "host_driver" in facts:
        return (
            f"The log shows driver {facts['host_driver']}, which runs every CUDA 12 runtime "
            "(minor-version compatibility from 525.60.13), yet inside this container CUDA "
            "calls it insufficient: CUDA's runtime answers 35 when it finds no libcuda.so.1 at "
            "all, so the container was not given the host's driver (no --gpus or NVIDIA "
            "runtime, NVIDIA_VISIBLE_DEVICES unset or wrong, no nvidia.com/gpu request)."
        )
    if family == "container" and entry.family in _L4T_MOUNTED and ctx.l4t_image is not None:
        return (
            f"The log runs an L4T container ({ctx.l4t_image.evidence}, line "
            f"{ctx.l4t_image.line}): on JetPack 4 and 5 the NVIDIA Container Runtime mounts "
            "CUDA, cuDNN and TensorRT from the Jetson into it (the CSV lists in "
            "/etc/nvidia-container-runtime/host-files-for-container.d/), so a missing one means "
            "the container was started without --runtime nvidia, or those lists or the host's "
            "JetPack libraries are missing."
        )
    if family == "library-symlink" and "versioned" in facts:
        asked = facts.get("dependency") or facts.get("soname", "")
        return (
            f"Only the development name {asked} is missing: the log lists {facts['versioned']}, "
            "the same library by its versioned name, and nothing links the one to the other "
            "(a copied or unpacked install without its symlinks)."
        )
    if family == "permission" and entry.id in _NO_DEVICE and ctx.other_user is not None:
        return (
            f"The log runs the program as another user (line {ctx.other_user.line}: "
            f"{ctx.other_user.evidence}) on a Jetson, whose GPU device nodes (/dev/nvhost-*, "
            "/dev/nvmap, /dev/nvgpu) are open only to root and the video group: a user outside "
            "that group sees no CUDA device at all."
        )
    if family == "permission" and entry.id in _NVIDIA_SMI_NO_DEVICE and ctx.other_user is not None:
        return (
            f"The log runs nvidia-smi as another user (line {ctx.other_user.line}: "
            f"{ctx.other_user.evidence}): NVML says 'No devices were found' also when the "
            "/dev/nvidia* nodes are not readable by the current user, so that user may not "
            "open the GPU (the device nodes' owner, group or mode, or a container runtime that "
            "passes them in for root only)."
        )
    if family == "cpu-only-build":
        version = ctx.versions.get("tensorflow")
        shown = f"TensorFlow {version.value}" if version else "This TensorFlow"
        return (
            f"{shown} has no GPU support here: from 2.11 TensorFlow publishes no CUDA build for "
            "native Windows (2.10 was the last), and tensorflow-cpu or a macOS build never has one."
        )
    return ""


def _fix_for(
    family: str,
    entry: Entry,
    facts: dict[str, str],
    ctx: Context,
    framework: str | None,
    platform: str | None,
) -> str:
    """The fix of a family the rules moved a message to (rules 2 and 4)."""
    if "environment_fix" in facts:
        return facts["environment_fix"]
    if "support" in facts:
        judged = _gpu_support(facts)
        if judged is not None:
            return judged[2]
    inner = _inner_of(entry, facts)
    if inner is not None:
        other, own = inner
        template = explain.fix_template(other, framework, platform, ctx.conda is not None)
        return explain.fill(template, {**facts, **own})
    if family == "compute-capability" and entry.id in _NO_DEVICE and (old := _old_gpu(ctx)):
        return _old_gpu_words(old)[1]
    if family == "container" and (ctx.gpuless_run is not None or "host_driver" in facts):
        run = ctx.gpuless_run
        if run and run.value == "docker-build":
            return _BUILD_FIX
        return _APPTAINER_FIX if run and run.value == "no-nv-flag" else _GPULESS_FIX
    if family == "container" and entry.family in _L4T_MOUNTED and ctx.l4t_image is not None:
        return _L4T_FIX
    dep = facts.get("dependency", "")
    if family == "library-symlink" and "versioned" in facts:
        asked = (facts.get("dependency") or facts.get("soname", "")).rsplit("/", 1)[-1]
        return (
            f"Create the link in the directory that holds it: ln -s {facts['versioned']} "
            f"{asked} (ldconfig makes only the soname links, never this one), or install the "
            "development package that ships it (libcudnn*-dev, cuda-libraries-dev-*)."
        )
    if family == "cudnn-version" and entry.family == "cudnn-missing":
        return explain.cudnn_major_fix(facts, ctx, framework, platform)
    if family == "permission" and entry.id in _NO_DEVICE and ctx.other_user is not None:
        return (
            "Add the user to the video group (usermod -aG video USER on the Jetson; in a "
            "container useradd -G video, or docker run --group-add video, and on JetPack 6 "
            "the render group too), then log in again; root sees the GPU either way."
        )
    if family == "permission" and entry.id in _NVIDIA_SMI_NO_DEVICE and ctx.other_user is not None:
        return (
            "ls -l /dev/nvidia* as that user: make the nodes readable and writable for it (the "
            "driver's NVreg_DeviceFileMode/NVreg_DeviceFileGID, a udev rule or the group that "
            "owns them); in an LXD/LXC container pass the GPU with the user's uid/gid or mode "
            "(lxc config device set CONTAINER gpu uid=1000 gid=1000 mode=0666); root sees the GPU "
            "either way."
        )
    if family == "cpu-only-build":
        # the fix the catalogue gives TensorFlow's own "no GPU" (the same build problem)
        other = catalogue().by_id["tf.user.no-gpu"]
        return explain.fix_template(other, framework, platform, ctx.conda is not None)
    if dep:
        shown = _DEPENDENCY_ENTRY.get(family)
        fix = ""
        if shown in catalogue().by_id:
            other = catalogue().by_id[shown]
            template = explain.fix_template(other, framework, platform, ctx.conda is not None)
            fix = explain.fill(template, {**facts, "soname": dep})
        pip = _pip_package(dep.rsplit("/", 1)[-1]) if family == "library-missing" else None
        if pip:
            fix = f"{fix} It ships in the pip package {pip}.".strip()
        return fix
    return ""


#: a GPU for a docker compose service (Compose's GPU support: device reservations)
_COMPOSE_FIX = (
    "Under docker compose give the service the GPU in docker-compose.yml: deploy: resources: "
    "reservations: devices: [{driver: nvidia, count: all, capabilities: [gpu, compute, "
    "utility]}] (or runtime: nvidia with NVIDIA_VISIBLE_DEVICES=all and "
    "NVIDIA_DRIVER_CAPABILITIES=compute,utility in its environment), then docker compose up "
    "again."
)


def _compose(ctx: Context) -> bool:
    """Whether the log comes from docker compose (its log prefix, or a compose command)."""
    shown = ctx.platform
    return (
        shown is not None
        and shown.value == "container"
        and (bool(COMPOSE_PREFIX.match(shown.evidence)) or "compose" in shown.evidence)
    )


_BUILD_FIX = (
    "Keep the GPU out of the image build: give the build what it would ask the GPU as ENV in "
    'the Dockerfile (TORCH_CUDA_ARCH_LIST="7.5 8.6+PTX" with FORCE_CUDA=1 for PyTorch '
    "extensions, CMAKE_CUDA_ARCHITECTURES=86 instead of native), and move what needs the GPU "
    "(a warm-up, an engine export, tests) into the container's entrypoint or a docker run "
    '--gpus all step; the legacy builder with "default-runtime": "nvidia" in '
    "/etc/docker/daemon.json is the old way to give builds the GPU."
)
_GPULESS_FIX = (
    "Install the NVIDIA Container Toolkit on the host (nvidia-container-toolkit, then sudo "
    "nvidia-ctk runtime configure --runtime=docker and restart Docker) and start the "
    "container with the GPUs: docker run --gpus all ... (Podman: --device "
    "nvidia.com/gpu=all after nvidia-ctk cdi generate; Compose: deploy.resources."
    "reservations.devices with driver: nvidia and capabilities: [gpu]; Unraid: "
    "--runtime=nvidia in Extra Parameters and NVIDIA_VISIBLE_DEVICES set to the GPU's UUID); "
    "do not set NVIDIA_VISIBLE_DEVICES=void. Check with docker run --rm --gpus all ubuntu "
    "nvidia-smi."
)
_APPTAINER_FIX = (
    "Add --nv to the command (singularity exec --nv image.sif ..., apptainer run --nv ...; "
    "--nvccli uses nvidia-container-cli instead), or export SINGULARITY_NV=1 / APPTAINER_NV=1 "
    'for batch jobs; on the host nvidia-smi must work ("Could not find any nv files" means '
    "the host itself has no driver libraries). Check with singularity exec --nv image.sif "
    "nvidia-smi."
)
_L4T_FIX = (
    "Start the container with --runtime nvidia (docker run --runtime nvidia ..., or set "
    '"default-runtime": "nvidia" in /etc/docker/daemon.json for docker build, then restart '
    "Docker); --gpus all alone does not mount the JetPack libraries. Check that "
    "/etc/nvidia-container-runtime/host-files-for-container.d/ holds cuda.csv, cudnn.csv and "
    "tensorrt.csv (reinstall nvidia-container-toolkit and nvidia-jetpack if not), and use an "
    "image tag for the L4T release the Jetson runs (cat /etc/nv_tegra_release: R32.7.1 takes "
    "l4t-*:r32.7.1)."
)
#: the catalogue entry whose fix fits a missing dependency of each family
_DEPENDENCY_ENTRY = {
    "cudnn-missing": "loader.shared-object-missing.cudnn",
    "driver-missing": "loader.shared-object-missing.libcuda",
    "library-symlink": "loader.unversioned-libcuda-missing",
    "library-missing": "loader.shared-object-missing",
}


_PIP = {
    "libnvjitlink": "nvidia-nvjitlink-cu{major}",
    "libnvrtc": "nvidia-cuda-nvrtc-cu{major}",
    "libcublaslt": "nvidia-cublas-cu{major}",
    "libcublas": "nvidia-cublas-cu{major}",
    "libcudart": "nvidia-cuda-runtime-cu{major}",
    "libcufft": "nvidia-cufft-cu{major}",
    "libcurand": "nvidia-curand-cu{major}",
    "libcusolver": "nvidia-cusolver-cu{major}",
    "libcusparse": "nvidia-cusparse-cu{major}",
}


def _pip_package(soname: str) -> str | None:
    """The NVIDIA pip wheel that ships ``soname`` (CUDA 11/12 sonames)."""
    m = re.match(r"(lib\w+?)\.so(?:\.(\d+))?", soname)
    if not m:
        return None
    stem, number = m.group(1).lower(), m.group(2)
    template = _PIP.get(stem)
    if not template:
        return None
    major = {
        "libnvjitlink": number,
        "libnvrtc": number,
        "libcudart": number,
        "libcublas": number,
        "libcublaslt": number,
    }.get(stem)
    if not major:
        major = "12" if number in ("11", "12") and stem in ("libcufft", "libcusolver") else number
    return (
        template.format(major=major or "12")
        if major in ("11", "12", "13")
        else template.format(major="12")
    )
