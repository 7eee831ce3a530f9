"""nvidia-smi's outputs read from text: the default table (every header generation: 331-era
``Driver Version`` only, 4xx/5xx ``Driver Version / CUDA Version``, Windows ``TCC/WDDM``,
R610 ``KMD Version / CUDA UMD Version``, the MIG devices section), ``-L`` with MIG lines,
``-q``/``-a`` and ``--query-gpu=... --format=csv[,noheader][,nounits]`` in any column order,
and the error lines nvidia-smi prints instead (GPU lost, Unknown Error, NVML mismatch).

The formats are nvidia-smi's own (``man nvidia-smi``, ``nvidia-smi --help-query-gpu``);
names the table truncates with ``...`` stay truncated.
"""

from __future__ import annotations

import re
from dataclasses import replace

from gpusetup.parse import busid
from gpusetup.parse._text import Line, command_of, prepare
from gpusetup.parse.model import (
    ASSUMED,
    CUT,
    ELIDED,
    PARTIAL,
    REDACTED,
    UNREADABLE,
    Clocks,
    GpuRecord,
    MigDevice,
    Reading,
    ReadingBuilder,
)

TABLE = "nvidia-smi-table"
LIST = "nvidia-smi-L"
QUERY = "nvidia-smi-q"
CSV = "nvidia-smi-csv"

_BUS = busid.BUS_ID_TEXT
_UUID = re.compile(
    r"^GPU-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_MIG_UUID = re.compile(r"^MIG-(?:GPU-)?[0-9a-fA-F-]{8,}(?:/\d{1,12}/\d{1,12})?$")
#: A count or index as printed: ASCII digits, few enough to be a real value.
_COUNT = re.compile(r"[0-9]{1,12}")
_VERSION = r"\d{1,12}\.\d{1,12}(?:\.\d{1,12})?"


def _uuid(text: str | None) -> str | None:
    return text if text and _UUID.match(text) else None


def _redacted_name(name: str) -> bool:
    """``XXXXXXXXX``: the poster masked the name."""
    return bool(re.fullmatch(r"[Xx*#?]{3,}", name.replace(" ", "")))


# --- errors nvidia-smi prints in place of (or inside) its output ----------------------------

_LOST = re.compile(
    r"Unable to determine the device handle for (?:GPU|gpu)\s*(?P<bus>" + _BUS + r")\s*:\s*"
    r"(?P<why>.*)$"
)
_NO_DEVICES = re.compile(r"^\s*No devices were found\s*$")
_NVML_FAILED = re.compile(r"Failed to initialize NVML:\s*(?P<why>.*)$")
_NVML_LIBRARY = re.compile(r"NVML library version:\s*(?P<version>" + _VERSION + r")")
_NO_DRIVER = re.compile(
    r"NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver"
)


def read_errors(lines: list[Line], out: ReadingBuilder) -> None:
    """The error lines of nvidia-smi (shared by every nvidia-smi form and by proc-version)."""
    lost_buses = {g.bus_id for g in out.gpus}
    for position, line in enumerate(lines):
        text = line.text
        lost = _LOST.search(text)
        if lost:
            why = lost["why"]
            # a console wraps the message at 80 columns: join the next line to read the reason
            if position + 1 < len(lines) and not why.rstrip().endswith(("GPU", ".")):
                why = why + " " + lines[position + 1].text.strip()
            bus = busid.normalise(lost["bus"])
            if bus and bus not in lost_buses:
                lost_buses.add(bus)
                out.gpus.append(GpuRecord(line=line.number, bus_id=bus))
            if "lost" in why.lower():
                out.problem("gpu-lost", f"GPU {bus} is lost: {_sentence(why)}", line.number)
            elif "unknown error" in why.lower():
                out.problem("gpu-unknown-error", f"GPU {bus}: Unknown Error", line.number)
            else:
                out.problem("gpu-unknown-error", f"GPU {bus}: {_sentence(why)}", line.number)
            continue
        failed = _NVML_FAILED.search(text)
        if failed:
            why = failed["why"].strip()
            out.set_extra("nvml_error", why, line.number)
            if "mismatch" in why.lower():
                out.problem(
                    "driver-library-mismatch",
                    "NVML reports a driver/library version mismatch",
                    line.number,
                )
            continue
        library = _NVML_LIBRARY.search(text)
        if library:
            out.set_extra("nvml_library_version", library["version"], line.number)
            continue
        if _NO_DEVICES.match(text):
            # NVML answers and counts no GPU (nvidia-smi's words for a count of 0)
            out.set("gpu_count", 0, line.number)
            continue
        if _NO_DRIVER.search(text):
            out.set_extra(
                "nvml_error", "nvidia-smi could not communicate with the driver", line.number
            )


def _sentence(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".")


# --- the default table -------------------------------------------------------------------------

_HEADER = re.compile(
    r"NVIDIA-SMI\s+(?P<smi>[\w.]+)\s+(?P<label>Driver|KMD)\s+Version:\s*(?P<driver>"
    + _VERSION
    + r"|ERR!|N/A)(?:\s+CUDA(?: UMD)?\s+Version:\s*(?P<cuda>"
    + _VERSION
    + r"|ERR!|N/A|Not Found))?"
)
_BUS_CELL = re.compile(_BUS)
_PERSISTENCE = ("On", "Off", "TCC", "WDDM", "N/A", "ERR!")
_DISPLAY = ("On", "Off", "N/A", "ERR!")
_ROW2 = re.compile(
    r"^\s*\|[^|]*\|\s*(?:(?P<used>\d{1,12})\s*MiB\s*/\s*(?P<total>\d{1,12})\s*MiB|(?P<err>ERR!|N/A))\s*\|"
)
_ROW3_MIG = re.compile(r"^\s*\|\s*\|\s*\|\s*(?P<mig>Enabled|Disabled|N/A)\*?\s*\|\s*$")
_MIG_SECTION = re.compile(r"^\s*\|\s*MIG devices:")
_MIG_ROW = re.compile(
    r"^\s*\|\s*(?P<gpu>\d{1,12})\s+(?P<gi>\d{1,12})\s+(?P<ci>\d{1,12})\s+(?P<dev>\d{1,12})\s*\|\s*"
    r"(?P<used>\d{1,12})\s*MiB\s*/\s*(?P<total>\d{1,12})\s*MiB\s*\|"
)
_BORDER = re.compile(r"^\s*[|+](?=[-=+|]*[-=])[-=+|]*[|+]\s*$")
_SEPARATOR = re.compile(r"^\s*\|=+[=+|]*\|\s*$")
_PROCESSES = re.compile(r"^\s*\|\s*(?:Compute )?[Pp]rocesses:")


def read_table(text: str, *, first_line: int = 1) -> Reading:
    return read_table_lines(prepare(text, first_line))


def read_table_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(TABLE)
    read_errors(lines, out)
    gpu_rows: list[int] = []  # positions in out.gpus of table rows
    last_gpu: GpuRecord | None = None
    row_state = 0  # 1: after GPU row 1; 2: after row 2
    in_mig = False
    in_processes = False
    processes_closed = False
    processes_header_done = False  # the |====| line under the processes column titles
    gpu_section_closed = False
    saw_table = False
    for line in lines:
        text = line.text
        header = _HEADER.search(text)
        if header:
            saw_table = True
            out.set("driver_version", _version(header["driver"]), line.number)
            out.set_extra("smi_version", header["smi"], line.number)
            if header["label"] == "KMD":
                out.set_extra("header", "KMD Version / CUDA UMD Version", line.number)
            cuda = header["cuda"]
            if cuda == "ERR!":
                out.problem("cuda-version-err", "the header's CUDA Version reads ERR!", line.number)
            elif cuda in ("N/A", "Not Found"):
                out.problem(
                    "cuda-version-na", f"the header's CUDA Version reads {cuda}", line.number
                )
            else:
                out.set("cuda_version", cuda, line.number)
            continue
        if _MIG_SECTION.search(text):
            in_mig, in_processes, saw_table = True, False, True
            continue
        if _PROCESSES.search(text):
            in_processes, in_mig, saw_table = True, False, True
            if gpu_rows:
                gpu_section_closed = True
            continue
        if in_processes:
            if _SEPARATOR.match(text):
                processes_header_done = True
            elif processes_header_done and text.lstrip().startswith("+") and _BORDER.match(text):
                processes_closed = True
            continue
        if in_mig:
            row = _MIG_ROW.match(text)
            if row:
                out.mig_devices.append(
                    MigDevice(
                        line=line.number,
                        gpu=int(row["gpu"]),
                        index=int(row["dev"]),
                        gi=int(row["gi"]),
                        ci=int(row["ci"]),
                        memory_mib=int(row["total"]),
                    )
                )
            continue
        row1 = _row1(text)
        if row1:
            saw_table = True
            last_gpu = _gpu_row(row1, line, out)
            out.gpus.append(last_gpu)
            gpu_rows.append(len(out.gpus) - 1)
            row_state = 1
            continue
        if last_gpu is not None and row_state == 1:
            row2 = _ROW2.match(text)
            if row2:
                if row2["total"]:
                    last_gpu = replace(last_gpu, memory_mib=int(row2["total"]))
                    out.gpus[gpu_rows[-1]] = last_gpu
                row_state = 2
                continue
        if last_gpu is not None and row_state == 2:
            row3 = _ROW3_MIG.match(text)
            if row3:
                mig = {"Enabled": True, "Disabled": False}.get(row3["mig"])
                last_gpu = replace(last_gpu, mig=mig)
                out.gpus[gpu_rows[-1]] = last_gpu
                row_state = 3
                continue
        if _BORDER.match(text):
            row_state = 0
            continue
        if gpu_rows and not text.strip():
            gpu_section_closed = True
    if saw_table and not processes_closed:
        where = "" if not gpu_rows else f" (after GPU {out.gpus[gpu_rows[-1]].index})"
        if not gpu_rows and not out.mig_devices:
            out.note(CUT, "the table ends before its first GPU row")
        elif gpu_rows and not gpu_section_closed:
            out.note(CUT, f"the table ends inside its GPU list{where}: more GPUs may follow")
        else:
            out.note(CUT, "the table ends before its processes section closes")
    return out.build()


def _version(text: str | None) -> str | None:
    return text if text and re.fullmatch(_VERSION, text) else None


def _row1(text: str) -> dict[str, str] | None:
    """A GPU's first table row, ``|   0  NAME   On  | 00000000:3B:00.0 Off |   0 |``, read
    cell by cell with string operations: a pattern over the whole row backtracks badly on
    a long line of blanks."""
    cells = text.strip().split("|")
    if len(cells) < 4 or cells[0]:
        return None
    head = cells[1].split(None, 1)
    if len(head) != 2 or not _COUNT.fullmatch(head[0]):
        return None
    rest = head[1].rsplit(None, 1)
    name, pm = (rest[0], rest[1]) if len(rest) == 2 else ("", rest[0])
    if pm not in _PERSISTENCE:
        return None
    bus_cell = cells[2].split()
    if not bus_cell or not (bus_cell[0] == "ERR!" or _BUS_CELL.fullmatch(bus_cell[0])):
        return None
    if len(bus_cell) > 2 or (len(bus_cell) == 2 and bus_cell[1] not in _DISPLAY):
        return None
    return {"idx": head[0], "name": name, "pm": pm, "bus": bus_cell[0], "ecc": cells[3].strip()}


def _gpu_row(row: dict[str, str], line: Line, out: ReadingBuilder) -> GpuRecord:
    name: str | None = row["name"].strip() or None
    if name and _redacted_name(name):
        out.note(REDACTED, f"GPU {row['idx']}'s name is masked", line.number)
        name = None
    if name == "ERR!":
        name = None
    pm = row["pm"]
    bus = busid.normalise(row["bus"]) if row["bus"] != "ERR!" else None
    if row["bus"] == "ERR!" or row["name"].strip() == "ERR!":
        out.problem("gpu-err", f"nvidia-smi shows ERR! for GPU {row['idx']}", line.number)
    ecc_text = row["ecc"].strip()
    ecc_mode = None
    if _COUNT.fullmatch(ecc_text):
        ecc_mode = True
        if int(ecc_text) > 0:
            out.problem(
                "ecc-errors",
                f"GPU {row['idx']} ({bus}): {ecc_text} volatile uncorrectable ECC errors",
                line.number,
            )
    elif ecc_text in ("Off", "On"):
        ecc_mode = ecc_text == "On"
    return GpuRecord(
        line=line.number,
        index=int(row["idx"]),
        name=name,
        bus_id=bus,
        persistence_mode={"On": True, "Off": False}.get(pm),
        driver_model=pm if pm in ("TCC", "WDDM") else None,
        ecc_mode=ecc_mode,
        ecc_uncorrectable=int(ecc_text) if _COUNT.fullmatch(ecc_text) else None,
        # the table's column is "Volatile Uncorr. ECC"
        ecc_volatile_uncorrectable=int(ecc_text) if _COUNT.fullmatch(ecc_text) else None,
    )


# --- nvidia-smi -L -----------------------------------------------------------------------------

_LIST_GPU = re.compile(r"^\s*GPU\s+(?P<idx>\d{1,12}):(?P<rest>.*)$")
_LIST_MIG = re.compile(
    r"^\s*MIG\s+(?P<profile>\S+)\s+Device\s+(?P<dev>\d{1,12}):\s*\(UUID:\s*(?P<uuid>[^)\s]*)\s*\)\s*$"
)


def read_list(text: str, *, first_line: int = 1) -> Reading:
    return read_list_lines(prepare(text, first_line))


def read_list_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(LIST)
    read_errors(lines, out)
    parent: int | None = None
    content = [line for line in lines if line.text.strip()]
    last_number = content[-1].number if content else None
    for line in lines:
        gpu = _LIST_GPU.match(line.text)
        named = gpu["rest"].rstrip().rpartition("(UUID:") if gpu else None
        if gpu and named and named[1] and named[2].endswith(")"):
            uuid = named[2][:-1].strip()
            if not _uuid(uuid):
                out.note(REDACTED, f"GPU {gpu['idx']}'s UUID is masked or unreadable", line.number)
            out.gpus.append(
                GpuRecord(
                    line.number,
                    index=int(gpu["idx"]),
                    name=named[0].strip() or None,  # type: ignore[index]
                    uuid=_uuid(uuid),
                )
            )
            parent = len(out.gpus) - 1
            continue
        mig = _LIST_MIG.match(line.text)
        if mig and parent is not None:
            owner = out.gpus[parent]
            out.gpus[parent] = replace(owner, mig=True)
            uuid = mig["uuid"] if _MIG_UUID.match(mig["uuid"]) else None
            out.mig_devices.append(
                MigDevice(
                    line.number,
                    gpu=owner.index,
                    index=int(mig["dev"]),
                    name=mig["profile"],
                    uuid=uuid,
                )
            )
            continue
        if line.number == last_number and (gpu or line.text.lstrip().startswith("MIG")):
            out.note(CUT, "the last line is cut off", line.number)
    return out.build()


# --- nvidia-smi -q / -a ------------------------------------------------------------------------

_LOG_HEADER = re.compile(r"=+\s*NVSMI LOG\s*=+")
_Q_GPU = re.compile(r"^\s*GPU\s+(?P<bus>" + _BUS + r")\s*$")
#: every key of -q starts with a letter: a line a library printed into the output
#: (``[HAMI-core Msg(...)]: Initializing``) is no key of it
_Q_KEY = re.compile(r"^(?P<indent>[ \t]*)(?P<key>[A-Za-z][^:]*):(?P<value>.*)$")
_Q_SECTION = re.compile(r"^(?P<indent>[ \t]*)(?P<key>[A-Za-z][\w .()/+\t-]*)$")
_GLOBAL_KEYS = {
    "Timestamp",
    "Driver Version",
    "CUDA Version",
    "Attached GPUs",
    "vGPU Driver Capability",
}
_YES_NO = {"Yes": True, "No": False, "Enabled": True, "Disabled": False}


class _QueryGpu:
    """The fields of one -q GPU block while it is read."""

    def __init__(self, line: int, bus: str | None) -> None:
        self.line = line
        self.bus = bus
        self.values: dict[tuple[str, ...], tuple[str, int]] = {}
        self.processes = False

    def build(self, out: ReadingBuilder) -> GpuRecord:
        def value(*path: str) -> str | None:
            entry = self.values.get(tuple(part.lower() for part in path))
            if entry is None or entry[0] in ("N/A", "", "[N/A]", "Not Available"):
                return None
            return entry[0]

        def flag(*path: str) -> bool | None:
            text = value(*path)
            return _YES_NO.get(text) if text else None

        def number(*path: str) -> int | None:
            text = value(*path)
            match = re.match(r"^(\d{1,12})", text) if text else None
            return int(match[1]) if match else None

        bus = self.bus or busid.normalise(value("PCI", "Bus Id") or "")
        label = bus or "in the excerpt"
        uncorrectable = [
            int(text)
            for path, (text, _) in self.values.items()
            if path[0] == "ecc errors"
            and any("uncorrectable" in part or "double bit" in part for part in path)
            and _COUNT.fullmatch(text)
        ]
        volatile = [
            (path, int(text))
            for path, (text, _) in self.values.items()
            if path[:2] == ("ecc errors", "volatile")
            and any("uncorrectable" in part or "double bit" in part for part in path)
            and _COUNT.fullmatch(text)
        ]
        # a Total line sums the locations above it: count it alone where it is printed
        totals = [n for path, n in volatile if path[-1] == "total"]
        volatile_count = sum(totals) if totals else sum(n for _, n in volatile)
        retired_counts = [
            number("Retired Pages", kind) for kind in ("Single Bit ECC", "Double Bit ECC")
        ]
        known_retired = [n for n in retired_counts if n is not None]
        remapped_uncorrectable = number("Remapped Rows", "Uncorrectable Error")
        worst = max([*uncorrectable, remapped_uncorrectable or 0], default=0)
        if worst > 0:
            out.problem("ecc-errors", f"GPU {label}: {worst} uncorrectable ECC errors", self.line)
        retired = flag("Retired Pages", "Pending Page Blacklist")
        if retired is None:
            retired = flag("Retired Pages", "Pending Page Retirement")
        if retired is None:
            retired = flag("Retired Pages", "Pending")
        uses_remapping = any(p[0] == "remapped rows" and len(p) > 1 for p in self.values)
        if (
            retired is None
            and uses_remapping
            and ("retired pages", "pending page blacklist") in self.values
        ):
            # a GPU that remaps rows prints N/A for page retirement: nothing can be pending
            retired = False
        remap_pending = flag("Remapped Rows", "Pending")
        remap_failed = flag("Remapped Rows", "Remapping Failure Occurred")
        if retired:
            out.problem(
                "retired-pages-pending", f"GPU {label}: retired pages wait for a reset", self.line
            )
        if remap_pending:
            out.problem("remap-pending", f"GPU {label}: row remapping waits for a reset", self.line)
        if remap_failed:
            out.problem("remap-failed", f"GPU {label}: row remapping failed", self.line)
        clocks = Clocks(
            graphics=number("Clocks", "Graphics"),
            sm=number("Clocks", "SM"),
            memory=number("Clocks", "Memory"),
            video=number("Clocks", "Video"),
            max_graphics=number("Max Clocks", "Graphics"),
            max_sm=number("Max Clocks", "SM"),
            max_memory=number("Max Clocks", "Memory"),
            max_video=number("Max Clocks", "Video"),
        )
        model = value("Driver Model", "Current")
        return GpuRecord(
            line=self.line,
            name=value("Product Name"),
            bus_id=bus,
            uuid=_uuid(value("GPU UUID")),
            memory_mib=number("FB Memory Usage", "Total"),
            mig=flag("MIG Mode", "Current"),
            mig_pending=flag("MIG Mode", "Pending"),
            minor_number=number("Minor Number"),
            serial=value("Serial Number"),
            persistence_mode=flag("Persistence Mode"),
            driver_model=model if model in ("WDDM", "TCC") else None,
            ecc_mode=flag("ECC Mode", "Current"),
            ecc_uncorrectable=max(uncorrectable) if uncorrectable else None,
            ecc_volatile_uncorrectable=volatile_count if volatile else None,
            retired_pages=sum(known_retired) if known_retired else None,
            retired_pages_pending=retired,
            remapped_correctable=number("Remapped Rows", "Correctable Error"),
            remapped_uncorrectable=remapped_uncorrectable,
            remapped_rows_pending=remap_pending,
            remap_failure=remap_failed,
            clocks=clocks if clocks != Clocks() else None,
        )


def read_query(text: str, *, first_line: int = 1) -> Reading:
    return read_query_lines(prepare(text, first_line))


def read_query_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(QUERY)
    read_errors(lines, out)
    gpus: list[_QueryGpu] = []
    current: _QueryGpu | None = None
    stack: list[tuple[int, str]] = []  # (indent, section) above the current line
    selected = False  # -i, -d or a grep: the output is a selection, not the whole log
    for line in lines:
        text = line.text.expandtabs(8)
        if not text.strip():
            continue
        command = command_of(line.text)
        if command is not None:
            if re.search(r"\s(?:-i|--id|-d|--display)[\s=]|\|", command):
                selected = True
            continue
        if _LOG_HEADER.search(text):
            continue
        if text.strip() in ("[...]", "...", "[…]", "…"):
            out.note(ELIDED, "the poster left part of the output out", line.number)
            continue
        gpu = _Q_GPU.match(text)
        if gpu:
            current = _QueryGpu(line.number, busid.normalise(gpu["bus"]))
            gpus.append(current)
            stack = []
            continue
        key = _Q_KEY.match(text)
        section = None if key else _Q_SECTION.match(text)
        match = key or section
        if not match:
            out.note(UNREADABLE, f"line {line.number} is not a key : value line", line.number)
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        name = match["key"].strip()
        path = tuple(s for _, s in stack) + (name,)
        if section:
            stack.append((indent, name))
        if current is None and path[0] in _GLOBAL_KEYS:
            if key and len(path) == 1:
                _query_global(name, key["value"], line, out)
            continue
        lowered = tuple(p.lower() for p in path)
        if current is None or (key and lowered in current.values and current.bus is None):
            # an excerpt without its "GPU 0000:..." line (a grep, a quoted section)
            current = _QueryGpu(line.number, None)
            gpus.append(current)
        if lowered[0] == "processes":
            current.processes = True
        if key:
            current.values.setdefault(lowered, (key["value"].strip(), line.number))
    for gpu in gpus:
        out.gpus.append(gpu.build(out))
    count = out.facts.get("gpu_count")
    if gpus and not gpus[-1].processes and not selected:
        out.note(CUT, "the last GPU block ends before its Processes section")
    if count is not None and len(gpus) < count:
        out.note(PARTIAL, f"Attached GPUs says {count}; {len(gpus)} shown")
    return out.build()


def _query_global(name: str, value: str, line: Line, out: ReadingBuilder) -> None:
    value = value.strip()
    if name == "Driver Version":
        out.set("driver_version", _version(value), line.number)
    elif name == "CUDA Version":
        if value == "ERR!":
            out.problem("cuda-version-err", "CUDA Version reads ERR!", line.number)
        elif value in ("N/A", "Not Found"):
            out.problem("cuda-version-na", f"CUDA Version reads {value}", line.number)
        else:
            out.set("cuda_version", _version(value), line.number)
    elif name == "Attached GPUs" and _COUNT.fullmatch(value):
        out.set("gpu_count", int(value), line.number)
    elif name == "Timestamp":
        out.set_extra("timestamp", value, line.number)


# --- --query-gpu=... --format=csv --------------------------------------------------------------

#: nvidia-smi --help-query-gpu: the names a query may use, as the CSV header prints them.
_ALIASES = {
    "gpu_name": "name",
    "gpu_bus_id": "pci.bus_id",
    "gpu_uuid": "uuid",
    "gpu_serial": "serial",
    "clocks.gr": "clocks.current.graphics",
    "clocks.sm": "clocks.current.sm",
    "clocks.mem": "clocks.current.memory",
    "clocks.video": "clocks.current.video",
    "clocks.max.gr": "clocks.max.graphics",
    "clocks.max.mem": "clocks.max.memory",
}
_COLUMN = re.compile(r"^(?P<name>[a-z_][\w.]*)(?:\s*\[(?P<unit>[^\]]+)\])?$")
_KNOWN_COLUMNS = {
    "index",
    "name",
    "uuid",
    "serial",
    "pci.bus_id",
    "pci.bus",
    "pci.domain",
    "pci.device",
    "pci.device_id",
    "pci.sub_device_id",
    "driver_version",
    "compute_cap",
    "memory.total",
    "memory.used",
    "memory.free",
    "memory.reserved",
    "persistence_mode",
    "mig.mode.current",
    "mig.mode.pending",
    "ecc.mode.current",
    "ecc.mode.pending",
    "ecc.errors.uncorrected.volatile.total",
    "ecc.errors.uncorrected.aggregate.total",
    "retired_pages.pending",
    "remapped_rows.pending",
    "remapped_rows.failure",
    "remapped_rows.uncorrectable",
    "driver_model.current",
    "count",
    "vbios_version",
    "pstate",
    "temperature.gpu",
    "utilization.gpu",
    "utilization.memory",
    "power.draw",
    "fan.speed",
}
_NOT_A_VALUE = re.compile(
    r"^\[?(?:N/A|Not Supported|Unknown Error|GPU is lost|Insufficient Permissions)\]?$"
)


def read_csv(text: str, *, first_line: int = 1, columns: list[str] | None = None) -> Reading:
    """``columns``: the query's columns when the caller knows them (a noheader capture)."""
    return read_csv_lines(prepare(text, first_line), columns=columns)


def _column_name(field: str) -> str | None:
    match = _COLUMN.match(field.strip())
    if not match:
        return None
    name = _ALIASES.get(match["name"], match["name"])
    return name


def header_columns(text: str) -> list[str] | None:
    """The columns of a CSV header line (``name, pci.bus_id, memory.total [MiB]``)."""
    fields = [f.strip() for f in text.split(",")]
    if len(fields) < 1 or not all(fields):
        return None
    names = [_column_name(f) for f in fields]
    if any(n is None for n in names):
        return None
    if not any(n in _KNOWN_COLUMNS or "." in n for n in names if n):  # type: ignore[operator]
        return None
    if len(names) == 1 and names[0] not in _KNOWN_COLUMNS:
        return None
    return [n for n in names if n]


def query_columns(command: str) -> tuple[list[str] | None, set[str]]:
    """The columns and format options a ``--query-gpu`` command line asks for."""
    query = re.search(r"--query-gpu[= ]\s*['\"]?(?P<cols>[\w.,]+)", command)
    fmt = re.search(r"--format[= ]\s*['\"]?(?P<fmt>[\w,]+)", command)
    columns = [_ALIASES.get(c, c) for c in query["cols"].split(",") if c] if query else None
    options = set(fmt["fmt"].split(",")) if fmt else set()
    return columns, options


def read_csv_lines(lines: list[Line], *, columns: list[str] | None = None) -> Reading:
    out = ReadingBuilder(CSV)
    read_errors(lines, out)
    source = "given"
    rows: list[tuple[Line, list[str]]] = []
    for line in lines:
        if not line.text.strip():
            continue
        command = command_of(line.text)
        if command is not None:
            if "--query-gpu" in command and columns is None:
                asked, _ = query_columns(command)
                if asked:
                    columns, source = asked, "command"
            continue
        header = header_columns(line.text)
        if header is not None and ("," in line.text or header[0] in _KNOWN_COLUMNS):
            columns, source = header, "header"
            rows = []  # a header starts the table (a second capture starts again)
            continue
        if "," in line.text or rows or columns:
            rows.append((line, [f.strip() for f in line.text.split(",")]))
    if columns is None and rows:
        columns = _infer_columns([fields for _, fields in rows])
        out.note(
            ASSUMED,
            "no header and no --query-gpu command: columns assumed from the values: "
            + ", ".join(columns),
        )
    elif source == "command":
        out.note(
            ASSUMED,
            "no header: columns taken from the --query-gpu command: " + ", ".join(columns or []),
        )
    if not columns:
        return out.build()
    if "index" not in columns:
        out.note(
            ASSUMED, "no index column: the rows are in nvidia-smi's order, but no index is read"
        )
    last = rows[-1][0].number if rows else None
    for line, fields in rows:
        if len(fields) > len(columns) and "name" in columns:
            # a name with a comma in it: give the surplus to the name column
            at = columns.index("name")
            surplus = len(fields) - len(columns)
            fields = (
                fields[:at]
                + [", ".join(fields[at : at + surplus + 1])]
                + fields[at + surplus + 1 :]
            )
        if len(fields) != len(columns):
            # the last row of a cut paste is short; any other is not a row of this table
            kind = CUT if line.number == last and len(fields) < len(columns) else UNREADABLE
            out.note(
                kind,
                f"line {line.number} has {len(fields)} values for {len(columns)} columns",
                line.number,
            )
            continue
        out.gpus.append(_csv_gpu(dict(zip(columns, fields, strict=False)), line, out))
    return out.build()


def _infer_columns(rows: list[list[str]]) -> list[str]:
    """Columns from values alone: a UUID, a bus id, ``N MiB``, a driver version, a compute
    capability, a 0..n-1 index, one text column as the name; the rest ``unknown``."""
    width = max(len(r) for r in rows)
    columns: list[str] = []
    taken: set[str] = set()
    for i in range(width):
        values = [r[i] for r in rows if i < len(r) and not _NOT_A_VALUE.match(r[i])]
        guess = "unknown"
        if values and all(_uuid(v) for v in values):
            guess = "uuid"
        elif values and all(busid.normalise(v) and ":" in v and "." in v for v in values):
            guess = "pci.bus_id"
        elif values and all(re.fullmatch(r"\d{1,12} MiB", v) for v in values):
            guess = "memory.total"
        elif values and all(re.fullmatch(r"\d{3}\.\d{1,12}(?:\.\d{1,12})?", v) for v in values):
            guess = "driver_version"
        elif values and all(re.fullmatch(r"\d{1,2}\.\d", v) for v in values):
            guess = "compute_cap"
        elif (
            values
            and all(_COUNT.fullmatch(v) for v in values)
            and sorted(int(v) for v in values) == list(range(len(values)))
        ):
            guess = "index"
        elif values and all(re.search(r"[A-Za-z]{2}", v) for v in values):
            guess = "name"
        columns.append(guess if guess not in taken else "unknown")
        taken.add(guess)
    return columns


def _csv_gpu(row: dict[str, str], line: Line, out: ReadingBuilder) -> GpuRecord:
    def value(column: str) -> str | None:
        text = row.get(column)
        if text is None:
            return None
        if _NOT_A_VALUE.match(text):
            problem = text.strip("[]")
            if problem == "GPU is lost":
                out.problem(
                    "gpu-lost", f"line {line.number}: nvidia-smi reads [GPU is lost]", line.number
                )
            elif problem == "Unknown Error":
                out.problem(
                    "gpu-unknown-error",
                    f"line {line.number}: nvidia-smi reads [Unknown Error]",
                    line.number,
                )
            return None
        return text

    def number(column: str) -> int | None:
        text = value(column)
        match = re.match(r"^(\d{1,12})(?:\s*MiB)?$", text) if text else None
        return int(match[1]) if match else None

    def flag(column: str) -> bool | None:
        text = value(column)
        return _YES_NO.get(text) if text else None

    bus = value("pci.bus_id")
    cc = value("compute_cap")
    model = value("driver_model.current")
    if value("driver_version"):
        out.set("driver_version", _version(value("driver_version")), line.number)
    uncorrectable = [
        n
        for n in (
            number("ecc.errors.uncorrected.volatile.total"),
            number("ecc.errors.uncorrected.aggregate.total"),
        )
        if n
    ]
    gpu = GpuRecord(
        line=line.number,
        index=number("index"),
        name=value("name"),
        bus_id=busid.normalise(bus) if bus else None,
        uuid=_uuid(value("uuid")),
        compute_capability=cc if cc and re.fullmatch(r"\d{1,12}\.\d{1,12}", cc) else None,
        memory_mib=number("memory.total"),
        mig=flag("mig.mode.current"),
        mig_pending=flag("mig.mode.pending"),
        serial=value("serial"),
        persistence_mode=flag("persistence_mode"),
        driver_model=model if model in ("WDDM", "TCC") else None,
        ecc_mode=flag("ecc.mode.current"),
        ecc_uncorrectable=max(uncorrectable) if uncorrectable else None,
        ecc_volatile_uncorrectable=number("ecc.errors.uncorrected.volatile.total"),
        retired_pages_pending=flag("retired_pages.pending"),
        remapped_rows_pending=flag("remapped_rows.pending"),
        remap_failure=flag("remapped_rows.failure"),
    )
    label = gpu.index if gpu.index is not None else gpu.bus_id or f"on line {line.number}"
    if uncorrectable:
        out.problem(
            "ecc-errors", f"GPU {label}: {max(uncorrectable)} uncorrectable ECC errors", line.number
        )
    if gpu.retired_pages_pending:
        out.problem(
            "retired-pages-pending", f"GPU {label}: retired pages wait for a reset", line.number
        )
    if gpu.remapped_rows_pending:
        out.problem("remap-pending", f"GPU {label}: row remapping waits for a reset", line.number)
    if gpu.remap_failure:
        out.problem("remap-failed", f"GPU {label}: row remapping failed", line.number)
    return gpu
