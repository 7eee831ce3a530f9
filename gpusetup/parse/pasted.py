"""Pasted command output as Facts: what nvidia-smi, deviceQuery, the p2p samples, a
TensorFlow log, lspci, the driver's version file, ldconfig, ``ls -l`` and cuDNN's header
show, put in the sections the probes fill, with the file and line each fact came from
(``Facts.text``). What no output shows stays unknown: the section is left out, or
``TextEvidence.shown`` does not name it, and the checks that need it say so.

All the outputs given together are taken as one machine's: where two disagree on one fact
(two driver versions, two GPUs at one index) the first is kept and the disagreement is
recorded in ``TextEvidence.conflicts``, never merged silently.

Pure: readings in, Facts out (``gpusetup.parse.detect`` makes the readings).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import field, replace

from gpusetup.facts import (
    FACTS_SCHEMA,
    CacheEntry,
    CudaDevice,
    CudaError,
    CudaFacts,
    CudnnHeader,
    Facts,
    KernelFacts,
    LdConf,
    LibraryCopy,
    LibraryFacts,
    LibraryFile,
    LinkingObject,
    NvmlError,
    NvmlFacts,
    NvmlGpu,
    NvmlMigDevice,
    PciDevice,
    PciFacts,
    RemappedRows,
    TensorFlowRuntime,
    TextEvidence,
    TextSource,
    TfDlopenFailure,
    TfGpu,
    TfIgnoredGpu,
)
from gpusetup.libs import sonames
from gpusetup.parse import (
    cudnn_header,
    ldconfig,
    ls_listing,
    lspci,
    proc_version,
    tf_log,
    torch_devices,
)
from gpusetup.parse.detect import Block, Paste
from gpusetup.parse.model import CONTEXT, GpuRecord, Library, Reading, compatible, merged
from gpusetup.parse.numbering import SMI_KINDS, numbered_by
from gpusetup.serde import record

_LIBRARY_KINDS = (ldconfig.KIND_P, ldconfig.KIND_V, ls_listing.KIND, torch_devices.KIND)
#: NVML's error classes (pynvml's names, with their codes) by what nvidia-smi prints.
_NVML_ERRORS = (
    ("mismatch", "NVMLError_LibRmVersionMismatch", 18),
    ("couldn't communicate", "NVMLError_DriverNotLoaded", 9),
    ("driver not loaded", "NVMLError_DriverNotLoaded", 9),
    ("permission", "NVMLError_NoPermission", 4),
    ("not found", "NVMLError_LibraryNotFound", 12),
)
_VISIBLE = re.compile(r"CUDA_VISIBLE_DEVICES=(?P<value>\S*)")
#: ldconfig -p flags of the 64-bit libraries TensorFlow loads (32-bit ones never matter)
_WIDE = re.compile(r"x86-64|AArch64|64bit|ppc64|IA-64|s390x|RISC-V", re.IGNORECASE)


@record
class PastedInput:
    """One file of pasted text: its name as given, its text and what detect found in it."""

    path: str
    text: str
    paste: Paste


@record
class _Found:
    """A block with where it came from."""

    path: str
    block: Block
    lines: tuple[str, ...] = field(default=(), repr=False)  # the whole file, for line text

    @property
    def reading(self) -> Reading:
        return self.block.reading

    @property
    def kind(self) -> str:
        return self.block.kind

    def at(self, line: int | None) -> str:
        where = f"{self.path}:{line}" if line else f"{self.path}:{self.block.first_line}"
        return f"{where} ({self.kind})"

    def source(self) -> TextSource:
        return TextSource(self.path, self.kind, self.block.first_line, self.block.last_line)

    @property
    def smi_order(self) -> bool:
        return numbered_by(self.reading) == "nvidia-smi"

    @property
    def cuda_order(self) -> bool:
        return numbered_by(self.reading) == "cuda"


class _Builder:
    """Collects the sections while the blocks are read, with where each fact came from."""

    def __init__(self) -> None:
        self.lines: dict[str, str] = {}
        self.conflicts: list[str] = []
        self.notes: list[str] = []
        self.shown: set[str] = set()
        self._values: dict[str, tuple[object, str]] = {}

    def one(self, fact: str, value: object, where: str) -> object:
        """``fact`` is ``value`` (read at ``where``); a different second value is a
        conflict, recorded, and the first is kept. Returns the value kept."""
        if value is None:
            return self._values.get(fact, (None, ""))[0]
        if fact not in self._values:
            self._values[fact] = (value, where)
            self.lines[fact] = where
            return value
        kept, first = self._values[fact]
        if kept != value:
            self.conflict(f"{fact}: {kept} ({first}) but {value} ({where}); {kept} is used")
        return kept

    def conflict(self, text: str) -> None:
        if text not in self.conflicts:
            self.conflicts.append(text)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def facts_from_pastes(inputs: Sequence[PastedInput], collected_at: str) -> Facts:
    """The Facts the outputs in ``inputs`` show, taken as one machine's."""
    found = [
        _Found(item.path, block, tuple(item.text.replace("\r\n", "\n").split("\n")))
        for item in inputs
        for block in item.paste.blocks
    ]
    out = _Builder()
    for item in found:
        for note in item.reading.notes:
            out.note(f"{item.at(note.line)}: {note.text}")
    nvml = _nvml(found, out)
    cuda = _cuda(found, out)
    if nvml is not None and cuda is not None:
        nvml = _with_cuda_capabilities(nvml, cuda, out)
    kernel = _kernel(found, out)
    pci = _pci(found, out)
    tensorflow = _tensorflow(found, out)
    libs = _libraries(found, out)
    _shown(out, nvml, cuda, kernel, pci, tensorflow)
    _library_topics(out, libs, {item.kind for item in found})
    evidence = TextEvidence(
        sources=[item.source() for item in found],
        shown=sorted(out.shown),
        lines=out.lines,
        conflicts=out.conflicts,
        notes=out.notes,
    )
    return Facts(
        schema=FACTS_SCHEMA,
        collected_at=collected_at,
        pci=pci,
        kernel=kernel,
        nvml=nvml,
        libs=libs,
        cuda=cuda,
        tensorflow=tensorflow,
        text=evidence,
    )


# --- the driver: nvidia-smi ------------------------------------------------------------------


def _cuda_number(text: str | None) -> int | None:
    """``12.2`` -> 12020, the form NVML and the driver API give."""
    match = re.fullmatch(r"(\d{1,4})\.(\d{1,2})(?:\.\d{1,4})?", text or "")
    return int(match[1]) * 1000 + int(match[2]) * 10 if match else None


def _nvml_error(why: str) -> NvmlError:
    lowered = why.lower()
    for needle, error_class, code in _NVML_ERRORS:
        if needle in lowered:
            return NvmlError(error_class, code, why)
    return NvmlError("NVMLError_Unknown", 999, why)


def _identity(gpu_row: GpuRecord) -> tuple[object, ...]:
    return (gpu_row.bus_id, gpu_row.uuid, gpu_row.index)


def _same_gpu(a: GpuRecord, b: GpuRecord) -> bool:
    """Two records of one GPU: some identity shared, none contradicting."""
    shared = any(x is not None and x == y for x, y in zip(_identity(a), _identity(b), strict=True))
    return shared and compatible(replace(a, name=None), replace(b, name=None))


def _nvml(found: list[_Found], out: _Builder) -> NvmlFacts | None:
    smi = [f for f in found if f.smi_order]
    errors = [f for f in found if f.reading.fact("nvml_error")]
    if not smi and not errors:
        return None
    records: list[tuple[GpuRecord, _Found, list[str]]] = []  # gpu_row, first block, lines
    lost: dict[int, NvmlError] = {}  # id(gpu_row) -> the error nvidia-smi printed for it
    driver = cuda = cuda_error = None
    count: int | None = None
    for item in smi:
        reading = item.reading
        if item.kind in SMI_KINDS:
            driver = out.one(
                "nvml.driver_version",
                reading.driver_version,
                item.at(reading.line_of("driver_version")),
            )
            cuda = out.one(
                "nvml.cuda_driver_version",
                reading.cuda_version,
                item.at(reading.line_of("cuda_version")),
            )
        elif reading.driver_version:  # collect_env's "Nvidia driver version"
            driver = out.one(
                "nvml.driver_version",
                reading.driver_version,
                item.at(reading.line_of("driver_version")),
            )
        for problem in reading.problems:
            if problem.id in ("cuda-version-err", "cuda-version-na"):
                cuda_error = cuda_error or f"nvidia-smi: {problem.detail} ({item.at(problem.line)})"
        if reading.gpu_count is not None:
            count = max(count or 0, reading.gpu_count)
        for position, gpu_row in enumerate(reading.gpus):
            gpu_row = _indexed(gpu_row, position, reading, item, out)
            problem = next(
                (
                    p
                    for p in reading.problems
                    if p.line == gpu_row.line
                    and p.id in ("gpu-lost", "gpu-unknown-error", "gpu-err")
                ),
                None,
            )
            match = next((r for r in records if _same_gpu(r[0], gpu_row)), None)
            if match is None:
                clash = next(
                    (r for r in records if r[0].index is not None and r[0].index == gpu_row.index),
                    None,
                )
                if clash is not None:
                    out.conflict(
                        f"nvidia-smi GPU {gpu_row.index}: {_label(clash[0])} "
                        f"({clash[1].at(clash[0].line)}) but {_label(gpu_row)} "
                        f"({item.at(gpu_row.line)}); the first is used"
                    )
                    continue
                records.append((gpu_row, item, [item.at(gpu_row.line)]))
                target = gpu_row
            else:
                position_in = records.index(match)
                target = merged(match[0], gpu_row)
                for name in ("name", "memory_mib", "compute_capability"):
                    old, new = getattr(match[0], name), getattr(gpu_row, name)
                    if old is not None and new is not None and old != new and name != "name":
                        out.conflict(
                            f"GPU {_label(match[0])} {name}: {old} ({match[1].at(match[0].line)})"
                            f" but {new} ({item.at(gpu_row.line)}); {old} is used"
                        )
                records[position_in] = (target, match[1], match[2] + [item.at(gpu_row.line)])
                if id(match[0]) in lost:
                    lost[id(target)] = lost.pop(id(match[0]))
            if problem is not None:
                what = {"gpu-lost": "GpuIsLost", "gpu-err": "Unknown"}.get(problem.id, "Unknown")
                lost[id(target)] = NvmlError(
                    f"NVMLError_{what}", 15 if what == "GpuIsLost" else 999, problem.detail
                )
    init_error = None
    library_version = None
    for item in errors:
        why = item.reading.fact("nvml_error") or ""
        error = _nvml_error(why)
        if init_error is None:
            init_error = error
            out.lines["nvml.init_error"] = item.at(item.reading.line_of("nvml_error"))
        library_version = out.one(
            "nvml.nvml_version",
            item.reading.fact("nvml_library_version"),
            item.at(item.reading.line_of("nvml_library_version")),
        )
    ordered = sorted(records, key=lambda r: (r[0].index is None, r[0].index or 0))
    gpus = []
    for position, (gpu_row, _, where) in enumerate(ordered):
        gpus.append(_nvml_gpu(gpu_row, lost.get(id(gpu_row))))
        out.lines[f"nvml.gpus[{position}]"] = "; ".join(dict.fromkeys(where))
    migs = [m for f in smi for m in f.reading.mig_devices]
    if migs:
        gpus = [
            replace(
                g,
                mig_devices=[NvmlMigDevice(m.uuid, m.gi, m.ci) for m in migs if m.gpu == g.index]
                or g.mig_devices,
            )
            for g in gpus
        ]
    if init_error is not None and gpus:
        # nvidia-smi failed in one output and listed GPUs in another: not one moment
        out.conflict(
            f"NVML fails in one output ({out.lines['nvml.init_error']}: {init_error.message}) "
            "and lists GPUs in another; the GPUs are kept"
        )
    return NvmlFacts(
        binding_path=None,
        library_path=None,
        init_error=init_error,
        driver_version=driver if isinstance(driver, str) else None,
        cuda_driver_version=_cuda_number(cuda if isinstance(cuda, str) else None),
        nvml_version=library_version if isinstance(library_version, str) else None,
        device_count=count if count is not None else (len(gpus) if init_error is None else None),
        gpus=gpus,
        cuda_driver_version_error=cuda_error if cuda is None else None,
    )


def _label(gpu_row: GpuRecord) -> str:
    return gpu_row.bus_id or gpu_row.uuid or gpu_row.name or f"on line {gpu_row.line}"


def _indexed(
    gpu_row: GpuRecord, position: int, reading: Reading, item: _Found, out: _Builder
) -> GpuRecord:
    """A gpu_row with its nvidia-smi index: the one shown, else the first index no other
    GPU of its listing has, in listing order (-q, a csv without index and nvidia-smi's
    error lines list GPUs in index order without printing it)."""
    if gpu_row.index is not None:
        return gpu_row
    taken = {g.index for g in reading.gpus if g.index is not None}
    free = [i for i in range(len(reading.gpus) + len(taken)) if i not in taken]
    unnumbered = [g for g in reading.gpus if g.index is None]
    index = free[unnumbered.index(gpu_row)] if gpu_row in unnumbered else position
    out.note(
        f"{item.at(gpu_row.line)}: GPU {_label(gpu_row)} shows no index; taken as {index}, "
        "its place in nvidia-smi's order"
    )
    return replace(gpu_row, index=index)


def _cc(text: str | None) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d{1,3})\.(\d{1,3})", text or "")
    return (int(match[1]), int(match[2])) if match else None


def _nvml_gpu(gpu_row: GpuRecord, error: NvmlError | None) -> NvmlGpu:
    rows = None
    if gpu_row.remapped_rows_pending is not None or gpu_row.remap_failure is not None:
        rows = RemappedRows(
            gpu_row.remapped_correctable,
            gpu_row.remapped_uncorrectable,
            gpu_row.remapped_rows_pending,
            gpu_row.remap_failure,
        )
    return NvmlGpu(
        index=gpu_row.index if gpu_row.index is not None else 0,
        name=gpu_row.name,
        uuid=gpu_row.uuid,
        pci_bus_id=gpu_row.bus_id,
        compute_capability=_cc(gpu_row.compute_capability),
        memory_total_mib=gpu_row.memory_mib,
        minor_number=gpu_row.minor_number,
        persistence_mode=gpu_row.persistence_mode,
        mig_current=gpu_row.mig,
        mig_pending=gpu_row.mig_pending,
        retired_pages_pending=gpu_row.retired_pages_pending,
        retired_pages=gpu_row.retired_pages,
        remapped_rows=rows,
        ecc_volatile_uncorrected=gpu_row.ecc_volatile_uncorrectable,
        errors={"nvmlDeviceGetHandleByIndex": error} if error else {},
    )


# --- CUDA's own numbering: deviceQuery, p2p, TensorFlow, PyTorch ------------------------------


def _cuda(found: list[_Found], out: _Builder) -> CudaFacts | None:
    listings = [f for f in found if f.cuda_order and (f.reading.gpus or _cuda_failure(f))]
    if not listings:
        return None
    # an unrestricted listing numbers every GPU; one under CUDA_VISIBLE_DEVICES only some
    listings.sort(key=lambda f: _visible(f) is not None)
    first = listings[0]
    visible = _visible(first)
    devices: dict[int, tuple[CudaDevice, str]] = {}
    init_error = None
    driver = None
    for item in listings:
        reading = item.reading
        if _visible(item) != visible:
            out.note(
                f"{item.at(None)}: numbered under CUDA_VISIBLE_DEVICES={_visible(item)}, "
                "not merged with the other CUDA listing"
            )
            continue
        if item.kind == "deviceQuery":
            driver = out.one(
                "cuda.driver_version",
                reading.cuda_version,
                item.at(reading.line_of("cuda_version")),
            )
        failure = _cuda_failure(item)
        if failure is not None and init_error is None:
            init_error = failure
            out.lines["cuda.init_error"] = item.at(
                next(p.line for p in reading.problems if p.id == "cuda-init-failed")
            )
        for gpu_row in reading.gpus:
            if gpu_row.index is None or gpu_row.ignored and gpu_row.bus_id is None:
                continue
            device = CudaDevice(
                ordinal=gpu_row.index,
                name=gpu_row.name,
                pci_bus_id=gpu_row.bus_id,
                uuid=gpu_row.uuid,
                compute_capability=_cc(gpu_row.compute_capability),
            )
            where = item.at(gpu_row.line)
            if gpu_row.index not in devices:
                devices[gpu_row.index] = (device, where)
                continue
            kept, first_where = devices[gpu_row.index]
            if kept.pci_bus_id and device.pci_bus_id and kept.pci_bus_id != device.pci_bus_id:
                out.conflict(
                    f"CUDA device {gpu_row.index}: {kept.pci_bus_id} ({first_where}) but "
                    f"{device.pci_bus_id} ({where}); the first is used"
                )
                continue
            devices[gpu_row.index] = (
                CudaDevice(
                    kept.ordinal,
                    kept.name or device.name,
                    kept.pci_bus_id or device.pci_bus_id,
                    kept.uuid or device.uuid,
                    kept.compute_capability or device.compute_capability,
                ),
                first_where,
            )
    ordered = [devices[k] for k in sorted(devices)]
    for position, (_, where) in enumerate(ordered):
        out.lines[f"cuda.devices[{position}]"] = where
    return CudaFacts(
        library_path=None,
        load_error=None,
        init_error=init_error if not ordered else None,
        driver_version=_cuda_number(driver if isinstance(driver, str) else None),
        devices=[d for d, _ in ordered],
        visible_devices=visible,
    )


def _visible(item: _Found) -> str | None:
    for note in item.reading.notes:
        match = _VISIBLE.search(note.text) if note.kind == CONTEXT else None
        if match:
            return match["value"]
    return None


def _cuda_failure(item: _Found) -> CudaError | None:
    problem = next((p for p in item.reading.problems if p.id == "cuda-init-failed"), None)
    if problem is None:
        return None
    code = re.search(r"returned (\d{1,6})", problem.detail)
    return CudaError(int(code[1]) if code else 100, f"deviceQuery: {problem.detail}")


def _with_cuda_capabilities(nvml: NvmlFacts, cuda: CudaFacts, out: _Builder) -> NvmlFacts:
    """nvidia-smi's GPUs with the compute capability a CUDA listing of the same machine
    shows for them (joined by bus id, else UUID; never by index)."""
    gpus = []
    for position, gpu in enumerate(nvml.gpus):
        device = next(
            (
                d
                for d in cuda.devices
                if d.compute_capability
                and (
                    (gpu.pci_bus_id and d.pci_bus_id == gpu.pci_bus_id)
                    or (gpu.uuid and d.uuid == gpu.uuid)
                )
            ),
            None,
        )
        if device is None or gpu.compute_capability is not None:
            gpus.append(gpu)
            continue
        gpus.append(replace(gpu, compute_capability=device.compute_capability))
        ordinal = cuda.devices.index(device)
        out.lines[f"nvml.gpus[{position}].compute_capability"] = out.lines.get(
            f"cuda.devices[{ordinal}]", ""
        )
    return replace(nvml, gpus=gpus)


# --- the kernel module, the PCI bus, TensorFlow -----------------------------------------------


def _kernel(found: list[_Found], out: _Builder) -> KernelFacts | None:
    versions = [
        f
        for f in found
        if f.kind == proc_version.KIND and (f.reading.driver_version or f.reading.l4t_release)
    ]
    if not versions:
        return None
    driver = module = release = line_text = None
    for item in versions:
        reading = item.reading
        line = reading.line_of("driver_version")
        driver = out.one("kernel.driver_version", reading.driver_version, item.at(line))
        module = out.one("kernel.kernel_module", reading.kernel_module, item.at(line))
        release = out.one("kernel.l4t_release", reading.l4t_release, item.at(line))
        if line_text is None and line and line <= len(item.lines):
            line_text = item.lines[line - 1].strip()
    return KernelFacts(
        driver_version=driver if isinstance(driver, str) else None,
        driver_version_line=line_text,
        modules=[],
        device_nodes=[],
        control_nodes=[],
        kernel_module=module if module in ("proprietary", "open", "l4t") else None,  # type: ignore[arg-type]
        l4t_release=release if isinstance(release, str) else None,
    )


def _pci(found: list[_Found], out: _Builder) -> PciFacts | None:
    listings = [f for f in found if f.kind == lspci.KIND and f.reading.gpus]
    if not listings:
        return None
    devices: dict[str, PciDevice] = {}
    for item in listings:
        for gpu_row in item.reading.gpus:
            if gpu_row.bus_id is None or gpu_row.bus_id in devices:
                continue
            device_id = gpu_row.pci_id.split(":", 1)[1] if gpu_row.pci_id else None
            out.lines[f"pci.nvidia_devices[{len(devices)}]"] = item.at(gpu_row.line)
            devices[gpu_row.bus_id] = PciDevice(
                address=gpu_row.bus_id,
                vendor_id="0x10de",
                device_id=f"0x{device_id}" if device_id else "",
                class_code=f"0x{gpu_row.pci_class or '0300'}",
                driver=gpu_row.kernel_driver,
                name=gpu_row.name,
            )
    return PciFacts(sysfs_present=True, nvidia_devices=list(devices.values()))


def _tensorflow(found: list[_Found], out: _Builder) -> TensorFlowRuntime | None:
    logs = [f for f in found if f.kind in (tf_log.KIND, "tf-device-lib")]
    if not logs:
        return None
    gpus: dict[int, TfGpu] = {}
    ignored: dict[int, TfIgnoredGpu] = {}
    failures: list[TfDlopenFailure] = []
    cannot = False
    physical: set[int] = set()
    for item in logs:
        reading = item.reading
        cannot = cannot or "tf-dlopen-failed" in reading.problem_ids
        for library in reading.libraries:
            if library.status and library.status != "opened":
                failures.append(TfDlopenFailure(library.name, library.status))
        for gpu_row in reading.gpus:
            if gpu_row.index is not None:
                physical.add(gpu_row.index)
            if gpu_row.index is None or not gpu_row.bus_id:
                continue
            if gpu_row.tf_device is not None and gpu_row.tf_device not in gpus:
                out.lines[f"tensorflow.gpus[{len(gpus)}]"] = item.at(gpu_row.line)
                gpus[gpu_row.tf_device] = TfGpu(
                    gpu_row.tf_device,
                    gpu_row.index,
                    gpu_row.name or "",
                    gpu_row.bus_id,
                    gpu_row.compute_capability,
                    gpu_row.tf_memory_mb,
                )
            if gpu_row.ignored and gpu_row.index not in ignored:
                out.lines[f"tensorflow.ignored[{len(ignored)}]"] = item.at(gpu_row.line)
                ignored[gpu_row.index] = TfIgnoredGpu(
                    gpu_row.index,
                    gpu_row.name or "",
                    gpu_row.bus_id,
                    gpu_row.compute_capability or "",
                    gpu_row.minimum_cc or "",
                )
    if not (gpus or ignored or failures or cannot or physical):
        return None
    return TensorFlowRuntime(
        installed=True,
        is_cuda_build=True if (gpus or ignored or physical) else None,
        physical_gpus=len(physical),
        gpus=[gpus[k] for k in sorted(gpus)],
        ignored=[ignored[k] for k in sorted(ignored)],
        dlopen_failures=failures,
        cannot_dlopen=cannot,
    )


# --- libraries: ldconfig, ls -l, cuDNN's header ----------------------------------------------


def _library_path(library: Library) -> str:
    if library.path:
        return library.path
    return f"{library.directory}/{library.name}" if library.directory else library.name


def _libraries(found: list[_Found], out: _Builder) -> LibraryFacts | None:
    listings = [f for f in found if f.kind in _LIBRARY_KINDS and f.reading.libraries]
    headers = [f for f in found if f.kind == cudnn_header.KIND and f.reading.cudnn_version]
    warnings = [f for f in found if f.reading.warnings]
    if not listings and not headers and not warnings:
        return None
    cache: list[CacheEntry] = []
    files: dict[str, LibraryFile] = {}
    copies: dict[str, list[LibraryCopy]] = {}
    link_warnings: list[str] = []
    for item in found:
        for warning in item.reading.warnings:
            out.lines[f"libs.ldconfig_warnings[{len(link_warnings)}]"] = item.at(warning.line)
            link_warnings.append(warning.text)
    for item in listings:
        entries = list(item.reading.libraries)
        if item.kind == ldconfig.KIND_P:
            wide = [e for e in entries if e.arch and _WIDE.search(e.arch)]
            for entry in entries:
                cache.append(CacheEntry(entry.name, entry.arch or "", entry.path or entry.name))
            entries = wide or entries
        if item.kind == ls_listing.KIND:
            for library in entries:
                path = _library_path(library)
                chain = ls_listing.resolve(entries, library.name)
                end = chain[-1]
                if "/" not in end and library.directory:
                    end = f"{library.directory}/{end}"
                files[path] = LibraryFile(
                    path=path,
                    realpath=end if "/" in end or len(chain) > 1 else path,
                    is_symlink=bool(library.symlink),
                    dangling=False,
                    readable=True,
                    elf=None,
                )
                out.lines[f"libs.files[{path}]"] = item.at(library.line)
        for library in entries:
            stem = library.name.split(".so", 1)[0] + ".so"
            if stem not in ("libcudnn.so", "libcuda.so") or library.status is not None:
                continue
            # ldconfig -v prints "soname -> file": the file's name carries the version
            path = _library_path(library)
            if library.target and item.kind == ldconfig.KIND_V:
                target = sonames.basename(library.target)
                path = f"{library.directory}/{target}" if library.directory else target
            copies.setdefault(stem, []).append(
                LibraryCopy(
                    path=path,
                    soname=library.name,
                    where=item.at(library.line),
                    on_path=item.kind in (ldconfig.KIND_P, ldconfig.KIND_V),
                )
            )
    cudnn_headers = []
    for item in headers:
        reading = item.reading
        out.lines[f"libs.cudnn_headers[{len(cudnn_headers)}]"] = item.at(
            reading.line_of("cudnn_version")
        )
        cudnn_headers.append(CudnnHeader(_header_path(item), reading.cudnn_version))
    return LibraryFacts(
        target="the libraries the pasted text lists",
        tensorflow=None,
        requirements=[],
        interpreter=LinkingObject(path=""),
        interpreter_class=0,
        interpreter_machine="",
        caller=None,
        ld_library_path=[],
        system_dirs=[],
        cache_file="/etc/ld.so.cache" if cache else "",
        cache=cache,
        cache_error=None if cache else "the linker cache is not shown in the pasted text",
        ld_so_conf=LdConf(),
        files=files,
        copies=copies,
        cudnn_headers=cudnn_headers,
        ldconfig_warnings=link_warnings,
    )


def _header_path(item: _Found) -> str:
    """The header a ``cat``/``grep`` command before the block names, else its kind."""
    for line in item.lines[max(item.block.first_line - 1, 0) : item.block.last_line]:
        match = re.search(r"(\S*cudnn(?:_version)?(?:_v\d)?\.h)\b", line)
        if match:
            return match[1]
    return f"cuDNN header ({item.at(None)})"


# --- what the text shows ------------------------------------------------------------------------


def _shown(
    out: _Builder,
    nvml: NvmlFacts | None,
    cuda: CudaFacts | None,
    kernel: KernelFacts | None,
    pci: PciFacts | None,
    tensorflow: TensorFlowRuntime | None,
) -> None:
    shown = out.shown
    gpus = nvml.gpus if nvml else []
    if nvml is not None:
        shown.add("nvml")
    if gpus:
        shown.add("nvml.gpus")
    if (
        gpus
        or (pci and pci.gpus)
        or (cuda and cuda.devices)
        or (tensorflow and (tensorflow.gpus or tensorflow.ignored))
        or (kernel and kernel.kernel_module == "l4t")
    ):
        shown.add("gpus")
    if cuda is not None:
        shown.add("cuda")
    if (gpus and all(g.compute_capability for g in gpus)) or (
        not gpus and cuda and cuda.devices and all(d.compute_capability for d in cuda.devices)
    ):
        shown.add("gpu.compute_capability")
    if tensorflow and tensorflow.ignored:
        shown.add("gpu.compute_capability")
    if any(
        value is not None
        for g in gpus
        for value in (
            g.retired_pages_pending,
            g.retired_pages,
            g.remapped_rows,
            g.ecc_volatile_uncorrected,
        )
    ):
        shown.add("gpu.health")
    if gpus and all(g.persistence_mode is not None for g in gpus):
        shown.add("gpu.persistence")
    if any(g.mig_current is not None for g in gpus):
        shown.add("gpu.mig")
    if pci and pci.gpus and all(d.driver for d in pci.gpus):
        shown.add("pci.driver")


def _library_topics(out: _Builder, libs: LibraryFacts | None, kinds: set[str]) -> None:
    if libs is None:
        return
    if ls_listing.KIND in kinds or libs.ldconfig_warnings:
        out.shown.add("libs.links")
    if ldconfig.KIND_P in kinds or ldconfig.KIND_V in kinds:
        out.shown.add("libs.search_path")
    if libs.copies.get("libcudnn.so") or libs.cudnn_headers:
        out.shown.add("libs.cudnn")
