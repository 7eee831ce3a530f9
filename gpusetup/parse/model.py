"""What every text reader returns: a Reading of GPUs, MIG devices, libraries and versions,
each with the line of the pasted text it came from, plus notes and problems.

A field the text does not show stays None: the readers never guess.
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from gpusetup.serde import record

#: Note kinds.
CUT = "cut"  # the text ends (or a record ends) before the output does
ASSUMED = "assumed-columns"  # CSV columns taken from the command line or from the values
UNREADABLE = "unreadable"  # a line that looks like the format but could not be read
REDACTED = "redacted"  # a value the poster masked (XXXX, xxxxxxxx-yyyy-...)
ELIDED = "elided"  # a "[...]" line: the poster left part of the output out
LONG_LINE = "long-line"  # a line longer than the readers look at
PARTIAL = "partial"  # fewer records than the output says exist (Attached GPUs: 8, one shown)
CONTEXT = "context"  # something around the output that changes its meaning (CUDA_VISIBLE_DEVICES)


@record
class Note:
    kind: str
    text: str
    line: int | None = None


@record
class Problem:
    """Something wrong that the text itself shows (ids: tests/data/outputs/real/README.md)."""

    id: str
    detail: str
    line: int | None = None


@record
class Clocks:
    """nvidia-smi -q ``Clocks`` and ``Max Clocks``, in MHz."""

    graphics: int | None = None
    sm: int | None = None
    memory: int | None = None
    video: int | None = None
    max_graphics: int | None = None
    max_sm: int | None = None
    max_memory: int | None = None
    max_video: int | None = None


@record
class GpuRecord:
    """One GPU as one listing shows it. ``index`` is the tool's own number: the nvidia-smi
    index, the CUDA ordinal (deviceQuery, p2p, TensorFlow's ``device: N``) or PyTorch's."""

    line: int
    index: int | None = None
    name: str | None = None
    bus_id: str | None = None  # normalised: 0000:3b:00.0
    uuid: str | None = None
    compute_capability: str | None = None
    memory_mib: int | None = None
    mig: bool | None = None
    mig_pending: bool | None = None
    minor_number: int | None = None
    serial: str | None = None
    persistence_mode: bool | None = None
    driver_model: str | None = None  # WDDM | TCC
    pci_id: str | None = None  # 10de:2204
    pci_class: str | None = None  # lspci: 0300 (VGA), 0302 (3D), 0380 (display)
    kernel_driver: str | None = None  # lspci -k: nvidia, nouveau, vfio-pci
    ignored: bool | None = None  # TensorFlow ignores it (compute capability too low)
    minimum_cc: str | None = None  # the minimum TensorFlow printed beside "Ignoring"
    tf_device: int | None = None  # TensorFlow's /GPU:k
    tf_memory_mb: int | None = None  # the memory TensorFlow gave /GPU:k (not the GPU's)
    ecc_mode: bool | None = None
    ecc_uncorrectable: int | None = None  # the largest uncorrectable ECC count shown
    #: uncorrectable ECC errors since the driver loaded (-q's Volatile section, its total)
    ecc_volatile_uncorrectable: int | None = None
    retired_pages: int | None = None  # pages retired (single + double bit), -q
    retired_pages_pending: bool | None = None
    remapped_correctable: int | None = None  # rows remapped for correctable errors, -q
    remapped_uncorrectable: int | None = None  # and for uncorrectable ones
    remapped_rows_pending: bool | None = None
    remap_failure: bool | None = None
    clocks: Clocks | None = None

    @property
    def name_truncated(self) -> bool:
        """nvidia-smi's table cuts long names to ``NVIDIA RTX PRO 6000 Blac...``."""
        return bool(self.name and self.name.endswith("..."))


@record
class MigDevice:
    line: int
    gpu: int | None = None  # the parent GPU's nvidia-smi index
    index: int | None = None  # the MIG device number within the GPU
    gi: int | None = None
    ci: int | None = None
    name: str | None = None  # the profile, 1g.10gb
    uuid: str | None = None
    memory_mib: int | None = None


@record
class Library:
    """A shared library as a listing names it (ldconfig, ls -l, collect_env, a TF log)."""

    line: int
    name: str  # the file or soname as listed
    path: str | None = None  # the full path, when the listing shows one
    target: str | None = None  # a symlink's target as printed
    arch: str | None = None  # ldconfig -p: libc6,x86-64
    directory: str | None = None  # ldconfig -v: the directory header above the entry
    symlink: bool | None = None  # ls -l: l in the mode; None when the listing cannot say
    status: str | None = None  # TensorFlow: "opened" or the dlerror of a failed dlopen


@record
class PeerAccess:
    line: int
    source: int
    target: int
    allowed: bool


@record
class ToolWarning:
    """A warning the tool printed (ldconfig's ``X is not a symbolic link``, ...)."""

    line: int
    text: str
    path: str | None = None


@record
class Reading:
    """What one reader read from one block of text."""

    kind: str
    gpus: tuple[GpuRecord, ...] = ()
    mig_devices: tuple[MigDevice, ...] = ()
    libraries: tuple[Library, ...] = ()
    peer_access: tuple[PeerAccess, ...] = ()
    warnings: tuple[ToolWarning, ...] = ()
    driver_version: str | None = None
    cuda_version: str | None = None  # the driver's CUDA version
    runtime_version: str | None = None  # the CUDA runtime or toolkit version
    cudnn_version: str | None = None
    kernel_module: str | None = None  # proprietary | open | l4t
    l4t_release: str | None = None
    gpu_count: int | None = None  # what the output says exists, not how many it lists
    problems: tuple[Problem, ...] = ()
    notes: tuple[Note, ...] = ()
    #: (fact, line) for the top-level facts above and those in ``extra``
    fact_lines: tuple[tuple[str, int], ...] = ()
    #: (fact, value) the kind prints beyond the common ones (smi_version, gcc_version, ...)
    extra: tuple[tuple[str, str], ...] = ()

    @property
    def cut(self) -> bool:
        return any(note.kind == CUT for note in self.notes)

    @property
    def problem_ids(self) -> list[str]:
        return sorted({problem.id for problem in self.problems})

    def line_of(self, fact: str) -> int | None:
        return next((line for name, line in self.fact_lines if name == fact), None)

    def fact(self, name: str) -> str | None:
        return next((value for key, value in self.extra if key == name), None)


class ReadingBuilder:
    """Collects a Reading while a reader walks its lines (the Reading itself is frozen)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.gpus: list[GpuRecord] = []
        self.mig_devices: list[MigDevice] = []
        self.libraries: list[Library] = []
        self.peer_access: list[PeerAccess] = []
        self.warnings: list[ToolWarning] = []
        self.facts: dict[str, Any] = {}
        self.fact_lines: dict[str, int] = {}
        self.extra: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.notes: list[Note] = []
        self._seen: set[tuple[str, str, str]] = set()  # problems and notes, once each

    def set(self, fact: str, value: Any, line: int, *, overwrite: bool = False) -> None:
        """A top-level fact (driver_version, ...); the first reading wins unless told."""
        if value is None or (fact in self.facts and not overwrite):
            return
        self.facts[fact] = value
        self.fact_lines[fact] = line

    def set_extra(self, fact: str, value: str | None, line: int) -> None:
        if value is None or fact in self.extra:
            return
        self.extra[fact] = value
        self.fact_lines.setdefault(fact, line)

    def problem(self, problem_id: str, detail: str, line: int | None) -> None:
        if ("problem", problem_id, detail) not in self._seen:
            self._seen.add(("problem", problem_id, detail))
            self.problems.append(Problem(problem_id, detail, line))

    def note(self, kind: str, text: str, line: int | None = None) -> None:
        if ("note", kind, text) not in self._seen:
            self._seen.add(("note", kind, text))
            self.notes.append(Note(kind, text, line))

    def build(self) -> Reading:
        common = {f.name for f in fields(Reading)}
        facts = {k: v for k, v in self.facts.items() if k in common}
        return Reading(
            kind=self.kind,
            gpus=tuple(self.gpus),
            mig_devices=tuple(self.mig_devices),
            libraries=tuple(self.libraries),
            peer_access=tuple(self.peer_access),
            warnings=tuple(self.warnings),
            problems=tuple(self.problems),
            notes=tuple(self.notes),
            fact_lines=tuple(self.fact_lines.items()),
            extra=tuple(self.extra.items()),
            **facts,
        )


def with_long_lines(reading: Reading, numbers: list[int]) -> Reading:
    """``reading`` with a note for the lines that were longer than the readers look at."""
    if not numbers:
        return reading
    shown = ", ".join(str(n) for n in numbers[:5]) + (" ..." if len(numbers) > 5 else "")
    note = Note(LONG_LINE, f"line(s) {shown} are longer than 64 KiB: read up to 64 KiB", numbers[0])
    return replace(reading, notes=reading.notes + (note,))


def merged(old: GpuRecord, new: GpuRecord) -> GpuRecord:
    """``old`` with the fields ``new`` knows and ``old`` does not (line stays ``old``'s)."""
    changes = {
        f.name: getattr(new, f.name)
        for f in fields(GpuRecord)
        if f.name != "line" and getattr(old, f.name) is None and getattr(new, f.name) is not None
    }
    return replace(old, **changes) if changes else old


def compatible(a: GpuRecord, b: GpuRecord) -> bool:
    """Whether two records can describe the same GPU: no identity field disagrees."""
    for name in ("index", "bus_id", "uuid", "name"):
        x, y = getattr(a, name), getattr(b, name)
        if x is not None and y is not None and x != y:
            return False
    return True
