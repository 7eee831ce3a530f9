"""TensorFlow's log lines about GPUs and libraries read from text, every era: the
``Found device N with properties:`` blocks of 0.x-2.x (name/major/minor/pciBusID lines in
three layouts), ``Creating TensorFlow device (/gpu:0) -> (device: 0, ...)`` (1.0),
``Created TensorFlow device (... GPU:k with N MB memory) -> physical GPU (device: N, ...)``
(1.x-2.x), ``Created device ... -> device: N, ...`` (2.7+), ``Ignoring (visible) gpu device
(...) with Cuda compute capability X. The minimum required Cuda capability is Y.`` and the
dso_loader lines (``Successfully opened`` / ``Could not load dynamic library``).

The formats are those printed by tensorflow/core/common_runtime/gpu/gpu_device.cc (and
gpu_init.cc in 0.x) and xla/tsl's dso_loader.cc. ``device: N`` is the CUDA ordinal; a
record's ``index`` is that ordinal and ``tf_device`` the /GPU:k TensorFlow gave it.
Windows consoles wrap lines at 80 columns: a description cut across lines is joined.
"""

from __future__ import annotations

import re
from dataclasses import replace

from gpusetup.parse import busid
from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import GpuRecord, Library, Reading, ReadingBuilder, compatible, merged

KIND = "tf-log"

#: The device description of gpu_device.cc: "device: 0, name: X, pci bus id: B[, compute
#: capability: C]".
DESCRIPTION = (
    r"device: (?P<ordinal>\d{1,12}), name: (?P<name>.{1,200}?), pci bus id: "
    r"(?P<bus>[0-9A-Fa-f:.]{1,20}?)"
    r"(?:, compute capability: (?P<cc>\d{1,12}\.\d{1,12}))?(?=\)|\"|'|,|\s*$)"
)
_CREATED = re.compile(
    r"Created (?:TensorFlow )?device \(?(?:/job:[^/]+/replica:\d{1,12}/task:\d{1,12})?"
    r"/device:GPU:(?P<tf>\d{1,12}) "
    r"with (?P<mb>\d{1,12}) MB memory\)?:?\s*-> (?:physical GPU \()?" + DESCRIPTION
)
_CREATING = re.compile(r"Creating TensorFlow device \(/gpu:(?P<tf>\d{1,12})\) -> \(" + DESCRIPTION)
_IGNORING = re.compile(
    r"Ignoring (?:visible )?gpu device \(" + DESCRIPTION + r"\) with [Cc]uda compute capability "
    r"(?P<have>\d{1,12}\.\d{1,12})\. The minimum required [Cc]uda capability is "
    r"(?P<need>\d{1,12}\.\d{1,12})"
)
_IGNORING_START = re.compile(r"Ignoring (?:visible )?gpu device \(")
_FOUND = re.compile(r"Found device (?P<ordinal>\d{1,12}) with properties:?")
# the property lines below "Found device": 0.x, 1.x and 2.1+ layouts
# (the name and the rest are split with string operations: lazy patterns over a long line
# of blanks backtrack quadratically)
_NAME_LINE = re.compile(r"^\s*name:\s*(?!\")(?P<rest>\S.*)$")
_MAJOR_MINOR = re.compile(r"^\s*major:\s*(?P<major>\d{1,12})\s+minor:\s*(?P<minor>\d{1,12})")
_PCI_LINE = re.compile(r"^\s*pciBusID:?\s*(?P<bus>" + busid.BUS_ID_TEXT + r")(?P<rest>(?:\s.*)?)$")
_CC_VALUE = re.compile(r"\s*(\d{1,12}\.\d{1,12})")


def _name_line(text: str) -> tuple[str, str | None, str | None] | None:
    """``name: GeForce GTX 1070 major: 6 minor: 1 memoryClockRate...`` -> name, major, minor."""
    match = _NAME_LINE.match(text)
    if not match:
        return None
    name, found, tail = match["rest"].partition(" major:")
    pair = _MAJOR_MINOR.match("major:" + tail) if found else None
    return name.strip(), pair["major"] if pair else None, pair["minor"] if pair else None


def _pci_line(text: str) -> tuple[str, str | None, str | None] | None:
    """``pciBusID: 0000:01:00.0 name: Tesla T4 computeCapability: 7.5`` -> bus, name, cc."""
    match = _PCI_LINE.match(text)
    if not match:
        return None
    rest = match["rest"]
    before, found, after = rest.rpartition("computeCapability:")
    cc = _CC_VALUE.match(after) if found else None
    if found and cc and "name:" in before:
        return match["bus"], before.split("name:", 1)[1].strip(), cc[1]
    return match["bus"], None, None


_DLOPEN_OK = re.compile(r"Successfully opened (?:dynamic|CUDA) library (?P<lib>\S+)")
_DLOPEN_FAILED = re.compile(
    r"Could not load dynamic library '(?P<lib>[^']+)'; dlerror: (?P<err>.*)"
)
_CANNOT_DLOPEN = re.compile(r"Cannot dlopen some GPU libraries")
#: how many following lines a property block or a wrapped line may take
_LOOKAHEAD = 4


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


class _Gpus:
    """GPU records merged by CUDA ordinal and bus id: one GPU found, created and ignored
    across several lines (or sessions) is one record; another process's different GPU with
    the same ordinal is another. Lookups go through dicts, so a long log stays linear."""

    def __init__(self) -> None:
        self.records: list[GpuRecord] = []
        self._by_pair: dict[tuple[int, str], int] = {}
        self._by_index: dict[int, int] = {}  # the first record of each ordinal
        self._by_bus: dict[str, int] = {}  # the first record of each bus id

    def _remember(self, position: int) -> None:
        record = self.records[position]
        if record.index is not None and record.bus_id is not None:
            self._by_pair.setdefault((record.index, record.bus_id), position)
        if record.index is not None:
            self._by_index.setdefault(record.index, position)
        if record.bus_id is not None:
            self._by_bus.setdefault(record.bus_id, position)

    def _find(self, record: GpuRecord) -> int | None:
        candidates = []
        if record.index is not None and record.bus_id is not None:
            candidates.append(self._by_pair.get((record.index, record.bus_id)))
        if record.index is not None:
            at = self._by_index.get(record.index)
            if at is not None and (record.bus_id is None or self.records[at].bus_id is None):
                candidates.append(at)
        if record.bus_id is not None:
            at = self._by_bus.get(record.bus_id)
            if at is not None and (record.index is None or self.records[at].index is None):
                candidates.append(at)
        matching = [
            at for at in candidates if at is not None and compatible(self.records[at], record)
        ]
        return min(matching) if matching else None

    def add(self, record: GpuRecord) -> None:
        position = self._find(record)
        if position is None:
            self.records.append(record)
            self._remember(len(self.records) - 1)
            return
        old = self.records[position]
        new = merged(old, record)
        if old.index is None and record.index is not None:
            new = replace(new, index=record.index)
        self.records[position] = new
        self._remember(position)


def _description(match: re.Match[str], line: int, **extra: object) -> GpuRecord:
    return GpuRecord(
        line=line,
        index=int(match["ordinal"]),
        name=match["name"].strip(),
        bus_id=busid.normalise(match["bus"]),
        compute_capability=match["cc"],
        **extra,  # type: ignore[arg-type]
    )


def _joined(lines: list[Line], position: int) -> str:
    """A line with the next few joined without a separator, as a console wrapped them."""
    parts = [lines[position].text]
    for later in lines[position + 1 : position + 1 + _LOOKAHEAD]:
        if later.text.strip():
            parts.append(later.text)
    return "".join(parts)


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    gpus = _Gpus()
    position = 0
    while position < len(lines):
        line = lines[position]
        text = line.text
        position += 1
        created = _CREATED.search(text) or _CREATING.search(text)
        if created:
            memory = int(created["mb"]) if "mb" in created.groupdict() else None
            gpus.add(
                _description(
                    created, line.number, tf_device=int(created["tf"]), tf_memory_mb=memory
                )
            )
            continue
        ignoring = _IGNORING.search(text)
        if ignoring is None and _IGNORING_START.search(text):
            ignoring = _IGNORING.search(_joined(lines, position - 1))
        if ignoring:
            record = _description(ignoring, line.number, ignored=True, minimum_cc=ignoring["need"])
            # the capability TensorFlow judged ("with Cuda compute capability X")
            record = replace(record, compute_capability=ignoring["have"])
            gpus.add(record)
            out.problem(
                "cc-too-low",
                f"TensorFlow ignores GPU {record.index} ({record.name}, {record.bus_id}): compute "
                f"capability {ignoring['have']} is below its minimum {ignoring['need']}",
                line.number,
            )
            continue
        found = _FOUND.search(text)
        if found or _NAME_LINE.match(text) or _PCI_LINE.match(text):
            start = position - 1 if not found else position
            record, used = _properties(lines, start, line.number)
            if found:
                record = replace(record, index=int(found["ordinal"]))
            if record.index is not None or record.name or record.bus_id:
                gpus.add(record)
            position = max(position, start + used)
            continue
        failed = _DLOPEN_FAILED.search(text)
        if failed:
            out.libraries.append(Library(line.number, failed["lib"], status=failed["err"].strip()))
            continue
        opened = _DLOPEN_OK.search(text)
        if opened:
            out.libraries.append(Library(line.number, opened["lib"], status="opened"))
            continue
        if _CANNOT_DLOPEN.search(text):
            out.problem(
                "tf-dlopen-failed",
                "TensorFlow could not load some GPU libraries and skips registering GPU devices",
                line.number,
            )
    out.gpus.extend(gpus.records)
    return out.build()


def _properties(lines: list[Line], start: int, number: int) -> tuple[GpuRecord, int]:
    """The property lines from ``start``: name, major/minor, pciBusID in one of the layouts.
    Returns the record and how many lines it used."""
    name = bus = cc = None
    major = minor = None
    used = 0
    for later in lines[start : start + _LOOKAHEAD]:
        text = later.text
        name_line = _name_line(text)
        pci_line = _pci_line(text)
        pair = _MAJOR_MINOR.match(text)
        if name_line and name is None:
            name = name_line[0]
            if name_line[1]:
                major, minor = name_line[1], name_line[2]
        elif pci_line and bus is None:
            bus = busid.normalise(pci_line[0])
            if pci_line[1]:
                name, cc = pci_line[1], pci_line[2]
        elif pair and major is None:
            major, minor = pair["major"], pair["minor"]
        elif used and not re.match(r"^\s*(?:Total memory|Free memory|totalMemory|coreClock)", text):
            break
        used += 1
    if cc is None and major is not None:
        cc = f"{major}.{minor}"
    return GpuRecord(
        number, name=name.strip() if name else None, bus_id=bus, compute_capability=cc
    ), used
