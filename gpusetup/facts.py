"""Facts: what the probes saw on a machine, as typed data that round-trips through JSON.

Each section is either its data or, in ``Facts.failures``, the reason it could not be
collected. Facts recorded on one machine can be diagnosed on another (``doctor --from``).
Facts read from pasted command output (``--from nvidia-smi.txt``) say so in ``Facts.text``:
the file and lines each came from, and what the text shows at all (the rest is unknown).
"""

from __future__ import annotations

import enum
import re
from dataclasses import field
from typing import Any, Literal

from gpusetup.serde import SchemaError, from_jsonable, record, to_jsonable

FACTS_SCHEMA = "gpusetup.facts/1"

#: Environment variables that debuggers and profilers read; on a node meant for real work
#: they slow or alter every CUDA program (the list DCGM's deployment check uses).
RISKY_CUDA_VARIABLES = (
    "NSIGHT_CUDA_DEBUGGER",
    "CUDA_INJECTION32_PATH",
    "CUDA_INJECTION64_PATH",
    "CUDA_AUTO_BOOST",
    "CUDA_ENABLE_COREDUMP_ON_EXCEPTION",
    "CUDA_COREDUMP_FILE",
    "CUDA_DEVICE_WAITS_ON_EXCEPTION",
    "CUDA_PROFILE",
    "COMPUTE_PROFILE",
    "OPENCL_PROFILE",
)


@record
class ProbeFailure:
    """Why a section of facts is missing: the probe raised, or ran past its deadline."""

    kind: Literal["error", "timeout"]
    message: str


@record
class HostFacts:
    hostname: str
    kernel_release: str
    os_name: str
    machine: str
    python_version: str
    python_executable: str
    glibc_version: str | None
    uid: int


@record
class PciDevice:
    address: str  # sysfs name, e.g. 0000:3b:00.0
    vendor_id: str  # 0x10de
    device_id: str  # 0x2330
    class_code: str  # 0x030200
    driver: str | None  # bound kernel driver: nvidia, nouveau, vfio-pci, or None
    #: the pci.ids name lspci printed ("GeForce RTX 5090"); sysfs has none
    name: str | None = None

    @property
    def is_gpu(self) -> bool:
        """Display controllers (VGA 0x0300, 3D 0x0302); audio/USB functions are not GPUs."""
        return self.class_code.lower().startswith(("0x0300", "0x0302"))


@record
class PciFacts:
    sysfs_present: bool
    nvidia_devices: list[PciDevice] = field(default_factory=list)

    @property
    def gpus(self) -> list[PciDevice]:
        return [d for d in self.nvidia_devices if d.is_gpu]


@record
class DeviceNode:
    path: str
    readable: bool
    writable: bool


@record
class KernelFacts:
    driver_version: str | None  # from /proc/driver/nvidia/version
    driver_version_line: str | None
    modules: list[str]  # loaded modules among KERNEL_MODULES
    device_nodes: list[DeviceNode]  # /dev/nvidiaN (per-GPU nodes only)
    control_nodes: list[DeviceNode]  # /dev/nvidiactl, /dev/nvidia-uvm
    kernel_module: Literal["proprietary", "open", "l4t"] | None = None  # l4t: a Jetson
    #: a Jetson's L4T release (35.3.1), which its version file shows instead of a driver
    l4t_release: str | None = None


@record
class NvmlError:
    """An NVML error as the binding raised it: class name, numeric code, message."""

    error_class: str
    code: int | None
    message: str


@record
class RemappedRows:
    """NVML's remapped rows (None: a count the source does not show, as text may not)."""

    corrected: int | None
    uncorrected: int | None
    pending: bool | None
    failure: bool | None


@record
class NvmlMigDevice:
    """A MIG device (a compute instance in its GPU instance), as nvidia-smi -L lists it."""

    uuid: str | None
    gpu_instance_id: int | None = None
    compute_instance_id: int | None = None


@record
class NvmlGpu:
    index: int
    name: str | None = None
    uuid: str | None = None
    pci_bus_id: str | None = None  # as NVML gives it: 00000000:3B:00.0
    pci_device_id: str | None = None  # 0x233010DE
    compute_capability: tuple[int, int] | None = None
    memory_total_mib: int | None = None
    minor_number: int | None = None
    persistence_mode: bool | None = None
    mig_current: bool | None = None
    mig_pending: bool | None = None
    retired_pages_pending: bool | None = None
    retired_pages: int | None = None
    remapped_rows: RemappedRows | None = None
    ecc_volatile_uncorrected: int | None = None
    inforom_valid: bool | None = None
    #: queries this GPU answered with NotSupported (a value, not an error)
    not_supported: list[str] = field(default_factory=list)
    #: queries whose entry point this driver's libnvidia-ml lacks (FunctionNotFound: an
    #: older driver; a value, not an error)
    not_in_driver: list[str] = field(default_factory=list)
    #: query name -> the error it raised (other than NotSupported)
    errors: dict[str, NvmlError] = field(default_factory=dict)
    #: the MIG devices of a GPU in MIG mode; None: not enumerated (MIG off, or facts
    #: recorded before gpusetup listed them)
    mig_devices: list[NvmlMigDevice] | None = None

    @property
    def pci_bus_id_normalised(self) -> str | None:
        return normalise_bus_id(self.pci_bus_id) if self.pci_bus_id else None

    @property
    def cc_text(self) -> str | None:
        cc = self.compute_capability
        return f"{cc[0]}.{cc[1]}" if cc else None

    @property
    def lost(self) -> bool:
        """The driver answered "GPU is lost" (Xid 79: fallen off the bus) to some query."""
        return any(e.error_class.endswith("GpuIsLost") for e in self.errors.values())

    def why_unanswered(self, query: str) -> str | None:
        """Why ``query`` gave no value, in words; None when it answered."""
        if query in self.not_in_driver:
            return "not in this driver's NVML"
        if query in self.not_supported:
            return "not supported by this GPU"
        if query in self.errors:
            return f"error: {self.errors[query].message}"
        return None


@record
class NvmlFacts:
    binding_path: str | None  # the pynvml module that was used
    library_path: str | None  # the libnvidia-ml that the binding loaded
    init_error: NvmlError | None
    driver_version: str | None = None
    cuda_driver_version: int | None = None  # 13000 = 13.0
    nvml_version: str | None = None
    device_count: int | None = None
    gpus: list[NvmlGpu] = field(default_factory=list)
    #: the call that ran past the deadline, e.g. "nvmlDeviceGetUUID on GPU 1"
    hung_call: str | None = None
    timeout_s: float | None = None
    #: why the driver's CUDA version is unknown although NVML answered (nvidia-smi's
    #: "CUDA Version: ERR!", "N/A", "Not Found": libcuda did not answer it)
    cuda_driver_version_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.init_error is None and self.hung_call is None

    @property
    def cuda_driver_version_text(self) -> str | None:
        v = self.cuda_driver_version
        return f"{v // 1000}.{(v % 1000) // 10}" if v else None


@record
class EnvFacts:
    cuda_visible_devices: str | None
    cuda_device_order: str | None
    ld_library_path: str | None
    risky_variables: dict[str, str]


class ElfClass(enum.IntEnum):
    """EI_CLASS of the ELF identification bytes."""

    ELF32 = 1
    ELF64 = 2


@record
class ElfInfo:
    """What the dynamic loader reads from a shared object (System V gABI, "Dynamic
    Section"): class, machine, SONAME, DT_NEEDED, DT_RPATH and DT_RUNPATH."""

    elf_class: Literal[32, 64] | None = None
    machine: str | None = None  # EM_X86_64
    soname: str | None = None
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    #: why the file could not be read as a shared object (None: it could)
    error: str | None = None


@record
class ConfDirectory:
    """A directory the linker cache configuration names (ld.so.conf and its includes)."""

    path: str  # as written (absolute, inside the system root)
    source: str  # the file and line that configures it
    exists: bool
    world_writable: bool
    owner_uid: int | None


def _glob_component(name: str, pattern: str) -> bool:
    """One path component against one pattern component, as glob(3) matches them: ``*``
    never crosses a ``/``, and a leading dot is matched only by a pattern that has one."""
    import fnmatch

    if name.startswith(".") and not pattern.startswith("."):
        return False
    return fnmatch.fnmatchcase(name, pattern)


@record
class LdConf:
    """/etc/ld.so.conf with its includes, as ldconfig(8) reads it."""

    directories: list[ConfDirectory] = field(default_factory=list)
    #: include loops, missing includes, lines that are not directories
    problems: list[str] = field(default_factory=list)
    #: the absolute patterns of every ``include`` line read, in order
    includes: list[str] = field(default_factory=list)

    def includes_file(self, path: str) -> bool:
        """Whether ldconfig would read the configuration file ``path`` (once it exists).
        ldconfig expands an include with glob(3): each component on its own."""
        parts = [p for p in path.split("/") if p]
        for pattern in self.includes:
            wanted = [p for p in pattern.split("/") if p]
            if len(wanted) == len(parts) and all(
                _glob_component(name, want) for name, want in zip(parts, wanted, strict=True)
            ):
                return True
        return False


@record
class CacheEntry:
    """One line of ``ldconfig -p``: a soname, its ABI flags and the file."""

    soname: str
    flags: str  # "libc6,x86-64"
    path: str


@record
class LibraryFile:
    """A file the library search looked at (only existing paths and dangling links)."""

    path: str
    realpath: str
    is_symlink: bool
    dangling: bool
    readable: bool  # by this user
    elf: ElfInfo | None  # None for a dangling link

    @property
    def version(self) -> str | None:
        """libcudart.so.12.5.82 -> 12.5.82 (from the name the symlink chain ends at)."""
        name = self.realpath.rsplit("/", 1)[-1]
        return name.split(".so.", 1)[1] if ".so." in name else None


@record
class Requirement:
    soname: str
    component: str  # cudart, cublas, ..., cudnn, driver
    needed_by: str
    pip_package: str | None = None  # the pip distribution that provides it


@record
class LinkingObject:
    """An object whose DT_RPATH/DT_RUNPATH shape a dlopen it makes ($ORIGIN expanded)."""

    path: str
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)


@record
class TensorFlowInstall:
    distribution: str | None  # tensorflow, tensorflow-cpu, ...
    version: str | None
    location: str
    is_cuda_build: bool | None
    cuda_version: str | None
    cudnn_version: str | None
    compute_capabilities: list[str] = field(default_factory=list)
    #: the object that calls dlopen for the CUDA libraries (its RPATH/RUNPATH apply)
    caller: str | None = None


@record
class LibraryCopy:
    """A file providing some version of a library, wherever it was found."""

    path: str
    soname: str | None
    where: str  # "pip nvidia-cudnn-cu12 9.3.0.75", "/usr/local/cuda-13.0", "ld.so.cache", ...
    on_path: bool  # the loader would look there (search path or cache)


@record
class CudnnHeader:
    path: str
    version: str | None


@record
class LoaderResult:
    """What the real dynamic loader did with ``dlopen(soname)`` (LD_DEBUG=libs)."""

    soname: str
    ok: bool
    path: str | None
    error: str | None
    tried: list[str] = field(default_factory=list)


@record
class LibraryFacts:
    target: str  # what the requirements come from, in words
    #: the TensorFlow installed here, read from its files (not the one run: that is
    #: Facts.tensorflow; nor the release judged against: diagnose's Context.target)
    tensorflow: TensorFlowInstall | None
    requirements: list[Requirement]
    interpreter: LinkingObject  # the Python executable
    interpreter_class: int
    interpreter_machine: str
    caller: LinkingObject | None  # TensorFlow's object that dlopens, when installed
    ld_library_path: list[str]
    system_dirs: list[str]
    cache_file: str
    cache: list[CacheEntry]
    cache_error: str | None
    ld_so_conf: LdConf
    #: path -> what is there, for every candidate the search looked at that exists
    files: dict[str, LibraryFile] = field(default_factory=dict)
    #: library stem (libcudnn.so) -> every copy found, on the search path or off it
    copies: dict[str, list[LibraryCopy]] = field(default_factory=dict)
    #: directory -> files in it whose names the linker cache lacks (stale cache)
    uncached: dict[str, list[str]] = field(default_factory=dict)
    cudnn_headers: list[CudnnHeader] = field(default_factory=list)
    #: "ptxas" / "libdevice" -> where XLA's JIT tools were found (PATH, CUDA, pip)
    toolchain: dict[str, list[str]] = field(default_factory=dict)
    #: ptxas path -> its CUDA release (13.0.88): version.json, nvcc dist-info or --version
    toolchain_versions: dict[str, str] = field(default_factory=dict)
    #: directories on LD_LIBRARY_PATH or in ld.so.conf that anyone may write to
    world_writable_dirs: list[str] = field(default_factory=list)
    #: None unless the real loader was asked (``gpusetup libs``)
    loader: list[LoaderResult] | None = None
    #: what ldconfig warned while it built the cache ("X is not a symbolic link")
    ldconfig_warnings: list[str] = field(default_factory=list)


@record
class CudaError:
    code: int
    name: str


@record
class CudaDevice:
    """A device as the CUDA driver API numbers it (the numbering TensorFlow gets)."""

    ordinal: int
    name: str | None = None
    pci_bus_id: str | None = None
    uuid: str | None = None
    compute_capability: tuple[int, int] | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def is_mig(self) -> bool:
        return bool(self.uuid and self.uuid.startswith("MIG-"))


@record
class CudaFacts:
    library_path: str | None
    load_error: str | None  # libcuda.so.1 could not be loaded
    init_error: CudaError | None
    driver_version: int | None = None  # 12040 = 12.4
    devices: list[CudaDevice] = field(default_factory=list)
    hung_call: str | None = None
    timeout_s: float | None = None
    #: the variables the numbering was made under
    visible_devices: str | None = None
    device_order: str | None = None

    @property
    def ok(self) -> bool:
        return self.load_error is None and self.init_error is None and self.hung_call is None


@record
class TfGpu:
    """A GPU TensorFlow created a device for (its log's "Created device" line)."""

    tf_index: int  # /GPU:k
    cuda_ordinal: int
    name: str
    pci_bus_id: str
    compute_capability: str | None
    memory_mb: int | None = None


@record
class TfIgnoredGpu:
    """A GPU TensorFlow ignored ("Ignoring visible gpu device"), with the minimum it named."""

    cuda_ordinal: int
    name: str
    pci_bus_id: str
    compute_capability: str
    minimum: str


@record
class TfDlopenFailure:
    """A library TensorFlow could not load ("Could not load dynamic library")."""

    library: str
    error: str


@record
class TensorFlowRuntime:
    """TensorFlow run for real (``map``, ``smoke``): what it registered and what it logged."""

    installed: bool
    version: str | None = None
    is_cuda_build: bool | None = None
    cuda_version: str | None = None
    cudnn_version: str | None = None
    physical_gpus: int = 0
    gpus: list[TfGpu] = field(default_factory=list)
    ignored: list[TfIgnoredGpu] = field(default_factory=list)
    dlopen_failures: list[TfDlopenFailure] = field(default_factory=list)
    cannot_dlopen: bool = False
    error: str | None = None


#: What pasted text can show, section by section (``TextEvidence.shown``); a check that
#: needs one the text does not show is skipped, saying so.
SHOWN_TOPICS = {
    "gpus": "whether there is a GPU (nvidia-smi, lspci, deviceQuery, a TensorFlow log)",
    "nvml": "what the driver answers (nvidia-smi or its error)",
    "nvml.gpus": "the driver's GPU list (nvidia-smi, nvidia-smi -L, -q or --query-gpu)",
    "nvml.library": "which libnvidia-ml loads (the probe sees it; text does not)",
    "gpu.compute_capability": "each GPU's compute capability (deviceQuery, a TensorFlow log, "
    "--query-gpu=compute_cap)",
    "gpu.health": "memory health counters (nvidia-smi -q: ECC, retired pages, remapped rows)",
    "gpu.persistence": "persistence mode (the nvidia-smi table or -q)",
    "gpu.mig": "MIG mode (nvidia-smi -q or --query-gpu=mig.mode.current)",
    "pci.driver": "the kernel driver bound to each GPU (lspci -nnk)",
    "device_nodes": "the /dev/nvidiaN nodes and their permissions",
    "env": "the environment variables",
    "cuda": "CUDA's own device list (deviceQuery, p2pBandwidthLatencyTest, a TensorFlow log)",
    "libs.links": "library files and links (ls -l of the library directory, ldconfig -v)",
    "libs.cudnn": "cuDNN's files or headers (ldconfig -p, ls -l, cudnn_version.h)",
    "libs.search_path": "the loader's cache (ldconfig -p or ldconfig -v)",
    "libs.search": "the loader's search for TensorFlow's libraries (the probe)",
    "libs.tensorflow": "the installed TensorFlow (the probe)",
    "libs.toolchain": "where XLA finds ptxas and libdevice (the probe)",
}


@record
class TextSource:
    """One command output found in a pasted file, and the lines it spans."""

    path: str  # the file as given (--from)
    kind: str  # nvidia-smi-table, deviceQuery, ... (gpusetup.parse.KINDS)
    first_line: int
    last_line: int

    @property
    def where(self) -> str:
        return f"{self.path}:{self.first_line}-{self.last_line} ({self.kind})"


@record
class TextEvidence:
    """Facts read from pasted command output, not probed: where each came from, and what
    the text shows at all (a section or field it does not show is unknown, not empty)."""

    sources: list[TextSource] = field(default_factory=list)
    #: keys of SHOWN_TOPICS that some output shows
    shown: list[str] = field(default_factory=list)
    #: fact ("nvml.driver_version", "nvml.gpus[0]", "kernel.driver_version") -> the file
    #: and line it was read from ("paste.txt:4 (nvidia-smi-table)")
    lines: dict[str, str] = field(default_factory=dict)
    #: two outputs that disagree on one fact (the first value is kept, the rest named)
    conflicts: list[str] = field(default_factory=list)
    #: what a reader said about its output (cut, columns assumed, rows left out)
    notes: list[str] = field(default_factory=list)


@record
class Facts:
    schema: str
    collected_at: str
    host: HostFacts | None = None
    pci: PciFacts | None = None
    kernel: KernelFacts | None = None
    nvml: NvmlFacts | None = None
    env: EnvFacts | None = None
    #: the libraries (JSON key "libs", kept: the schema is API)
    libs: LibraryFacts | None = None
    #: the CUDA driver API's devices (the compatibility table is diagnose's cuda_table)
    cuda: CudaFacts | None = None
    #: TensorFlow run for real (map, smoke); what is installed is libs.tensorflow
    tensorflow: TensorFlowRuntime | None = None
    failures: dict[str, ProbeFailure] = field(default_factory=dict)
    #: None: probed (or recorded from a probe); else read from pasted text, and from where
    text: TextEvidence | None = None

    def shows(self, topic: str) -> bool:
        """Whether these facts can tell ``topic`` (a key of SHOWN_TOPICS): probed facts
        always can; facts read from text only where some output showed it."""
        return self.text is None or topic in self.text.shown

    def to_json(self) -> dict[str, Any]:
        return to_jsonable(self)

    @classmethod
    def from_json(cls, data: Any, where: str = "$") -> Facts:
        if not isinstance(data, dict):
            raise SchemaError(f"{where}: expected a JSON object")
        if data.get("schema") != FACTS_SCHEMA:
            raise SchemaError(
                f"{where}.schema: expected {FACTS_SCHEMA!r}, got {data.get('schema')!r}"
            )
        facts = from_jsonable(cls, data, where)
        check_facts(facts, where)
        return facts


SmokeStatus = Literal["pass", "fail", "timeout", "not-run"]


@record
class SmokeDevice:
    """One device of a smoke run: what ran, how fast, and how far from the CPU's output."""

    device: str  # "CPU:0", "GPU:1", "cuda:0"
    name: str | None = None
    compute_capability: str | None = None
    pci_bus_id: str | None = None
    status: SmokeStatus = "not-run"
    latency_ms: float | None = None
    throughput: float | None = None  # images per second
    max_abs_diff: float | None = None
    error: str | None = None
    error_kind: str | None = None  # out-of-memory, illegal-address, cudnn, mismatch, ...


@record
class SmokeRun:
    """A smoke inference run: the framework, and each device in the order it ran."""

    backend: str
    available: bool
    framework: str | None = None
    unavailable_reason: str | None = None
    devices: list[SmokeDevice] = field(default_factory=list)
    error: str | None = None  # the child failed before any device ran
    stderr_tail: str = ""
    #: libraries the framework said it could not load ("Could not load dynamic library")
    dlopen_failures: list[str] = field(default_factory=list)

    @property
    def gpus(self) -> list[SmokeDevice]:
        return [d for d in self.devices if not d.device.upper().startswith("CPU")]


#: a PCI address as NVML, sysfs, CUDA and TensorFlow print it: [domain:]bus:device.function
_BUS_ID = re.compile(r"(?:[0-9a-fA-F]{1,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]")


def check_facts(facts: Facts, where: str = "$") -> None:
    """What the types cannot say: identifiers have their form. Raises SchemaError."""

    def bus_id(value: str | None, where: str) -> None:
        if value is not None and not _BUS_ID.fullmatch(value.strip()):
            raise SchemaError(f"{where}: {value!r} is not a PCI bus id (such as 0000:3b:00.0)")

    if facts.host is not None:
        from packaging.version import InvalidVersion, Version

        try:
            Version(facts.host.python_version)
        except InvalidVersion:
            raise SchemaError(
                f"{where}.host.python_version: {facts.host.python_version!r} is not a "
                "Python version"
            ) from None
    for i, dev in enumerate(facts.pci.nvidia_devices if facts.pci else []):
        bus_id(dev.address, f"{where}.pci.nvidia_devices[{i}].address")
    for i, gpu in enumerate(facts.nvml.gpus if facts.nvml else []):
        bus_id(gpu.pci_bus_id, f"{where}.nvml.gpus[{i}].pci_bus_id")
    for i, cdev in enumerate(facts.cuda.devices if facts.cuda else []):
        bus_id(cdev.pci_bus_id, f"{where}.cuda.devices[{i}].pci_bus_id")
    tf = facts.tensorflow
    for name, items in (("gpus", tf.gpus if tf else []), ("ignored", tf.ignored if tf else [])):
        for i, item in enumerate(items):
            bus_id(item.pci_bus_id, f"{where}.tensorflow.{name}[{i}].pci_bus_id")


def normalise_bus_id(bus_id: str) -> str:
    """PCI bus id in the form TensorFlow and sysfs print: 4-digit domain, lower case.

    NVML gives ``00000000:3B:00.0``; TensorFlow ``0000:3b:00.0``. GPUs are joined on this
    form (or on UUID), never on an index.
    """
    text = bus_id.strip().lower()
    if not _BUS_ID.fullmatch(text):
        return text  # not a bus id: it joins nothing, and is shown as it was given
    domain, sep, rest = text.partition(":")
    if rest.count(":") == 0:  # no domain given: bus:device.function
        return f"0000:{text}"
    return f"{int(domain, 16):04x}:{rest}"
