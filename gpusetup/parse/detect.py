"""Recognise command outputs in a paste by their content and split it into blocks.

A paste is what people put in an issue: prose, shell prompts, several outputs one after
another, markdown fences and ``> `` quotes, CRLF, an output cut off at the end. Each line
is classified by the patterns of the kinds it can belong to (strong: only that output
prints it; weak: it fits that output too); a block runs while its lines fit its kind and
ends at a prompt, at a strong line of another kind, or after a few lines that fit nothing.
Each block is then read by its kind's reader, with line numbers of the whole paste.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from gpusetup.parse import (
    busid,
    cudnn_header,
    device_lib,
    device_query,
    ldconfig,
    ls_listing,
    lspci,
    nvcc,
    nvidia_smi,
    p2p,
    proc_version,
    tf_log,
    torch_devices,
)
from gpusetup.parse._text import Line, command_of, is_blank, is_elision, prepare
from gpusetup.parse.model import ELIDED, Note, Reading, with_long_lines
from gpusetup.serde import record

#: Every kind a block can have, and the reader of each.
READERS: dict[str, Callable[[list[Line]], Reading]] = {
    nvidia_smi.TABLE: nvidia_smi.read_table_lines,
    nvidia_smi.LIST: nvidia_smi.read_list_lines,
    nvidia_smi.QUERY: nvidia_smi.read_query_lines,
    nvidia_smi.CSV: nvidia_smi.read_csv_lines,
    device_query.KIND: device_query.read_lines,
    p2p.KIND: p2p.read_lines,
    tf_log.KIND: tf_log.read_lines,
    device_lib.KIND: device_lib.read_lines,
    torch_devices.KIND: torch_devices.read_lines,
    lspci.KIND: lspci.read_lines,
    proc_version.KIND: proc_version.read_lines,
    nvcc.KIND: nvcc.read_lines,
    cudnn_header.KIND: cudnn_header.read_lines,
    ldconfig.KIND_P: ldconfig.read_lines,
    ldconfig.KIND_V: ldconfig.read_lines,
    ls_listing.KIND: ls_listing.read_lines,
}
KINDS = tuple(READERS)

STRONG, WEAK = 2, 1
#: Lines that fit nothing, in a row, after which a block ends: a log carries a program's
#: own prints between its lines; any other output ends at the first line that is not its.
MAX_STRAY = 3
_STRAY_ALLOWED = {"tf-log": MAX_STRAY, "torch-devices": 1}
#: Lines a library of the driver stack prints into an output, which do not end it: a vGPU
#: shim's ``[HAMI-core Msg(571:...:libvgpu.c:836)]: Initializing.....`` inside nvidia-smi -q
#: (prose between two outputs still does)
_FOREIGN = {"nvidia-smi-q": re.compile(r"^\[[\w.-]{1,40}[ (][^\]]{0,200}\]:? ")}
#: Prompt lines before a block that travel with it (the command tells a reader about
#: columns, selections, CUDA_VISIBLE_DEVICES).
MAX_PROMPTS = 3


@record
class Block:
    kind: str
    first_line: int
    last_line: int
    reading: Reading


@record
class Paste:
    blocks: tuple[Block, ...]

    @property
    def kinds(self) -> list[str]:
        return [block.kind for block in self.blocks]


# --- what each line can be -----------------------------------------------------------------


def _rx(*patterns: str) -> re.Pattern[str]:
    """One pattern matching any of ``patterns`` (the readers' own, group names dropped)."""
    return re.compile("|".join("(?:" + re.sub(r"\(\?P<\w+>", "(?:", p) + ")" for p in patterns))


_LOG_PREFIX = (
    r"^\s*(?:\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d{1,12})?:?\s+)?"
    r"[IWEF](?:\d{4}\s+[\d:.]+\s+\d{1,20})?\s+"
    r"[\w./\\:-]+\.(?:cc|cpp|h|py):\d{1,12}\]"
)
_STRONG: dict[str, re.Pattern[str]] = {
    nvidia_smi.TABLE: _rx(
        r"NVIDIA-SMI\s+[\w.]+\s+(?:Driver|KMD)\s+Version:",
        r"^\s*\|\s*GPU\s+Name\b",
        r"^\s*\|\s*\d{1,12}\s.*\|\s*(?:[0-9A-Fa-f]{4,8}:)[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]\s",
        r"^\s*\|\s*MIG devices:",
        r"^\s*\|\s*GPU instances:",
        r"Unable to determine the device handle for (?:GPU|gpu)",
        r"NVIDIA-SMI has failed because it couldn't communicate",
        r"Failed to initialize NVML",
        r"^\s*NVML library version:",
        r"^\s*No devices were found\s*$",
    ),
    nvidia_smi.LIST: _rx(
        r"^\s*GPU\s+\d{1,12}:.*\(UUID:\s*GPU-",
        r"^\s*MIG\s+\S+\s+Device\s+\d{1,12}:\s*\(UUID:",
    ),
    nvidia_smi.QUERY: _rx(
        r"=+\s*NVSMI LOG\s*=+",
        r"^\s*Attached GPUs\s+:",
        r"^\s*GPU\s+" + nvidia_smi._BUS + r"\s*$",
        r"^\s+(?:Product Name|Product Brand|Persistence Mode|GPU UUID|Minor Number|VBIOS Version|"
        r"Pending Page Blacklist|Pending Page Retirement|Correctable Error|Uncorrectable Error|"
        r"Remapping Failure Occurred|(?:SRAM|DRAM) (?:Correctable|Uncorrectable)|Single Bit ECC|"
        r"Double Bit ECC|Display Mode|Accounting Mode)\s+:",
        r"^\s+(?:Remapped Rows|Retired [Pp]ages|ECC Errors|FB Memory Usage|MIG Mode|"
        r"Clocks Event Reasons|Clocks Throttle Reasons|Inforom Version)\s*$",
    ),
    device_query.KIND: _rx(
        r"deviceQuery(?:\.exe)? Starting",
        r"CUDA Device Query \(Runtime API\)",
        device_query._DETECTED.pattern,
        device_query._DEVICE.pattern,
        device_query._VERSIONS.pattern,
        device_query._CC.pattern,
        device_query._PCI.pattern,
        device_query._SUMMARY.pattern,
        r"cudaGetDeviceCount returned \d{1,12}",
    ),
    p2p.KIND: _rx(
        r"\[P2P \(Peer-to-Peer\) GPU Bandwidth Latency Test\]",
        p2p._DEVICE.pattern,
        p2p._PEER_MATRIX.pattern,
        r"simpleP2P\] - Starting",
        p2p._COUNT.pattern,
        p2p._OLD_GPU.pattern,
        r"Peer access from ",
        r"^\s*Checking GPU\(s\) for support of peer to peer memory access",
        r"^\s*P2P Connectivity Matrix",
        r"Bandwidth Matrix \(GB/s\)|Latency Matrix \(us\)",
    ),
    tf_log.KIND: _rx(
        tf_log._FOUND.pattern,
        r"Creat(?:ed|ing) (?:TensorFlow )?device",
        tf_log._IGNORING_START.pattern,
        r"Adding visible gpu devices?:",
        tf_log._DLOPEN_OK.pattern,
        r"Could not load dynamic library",
        tf_log._CANNOT_DLOPEN.pattern,
        _LOG_PREFIX + r".*",
        r"^\s*name:\s*(?!\")\S.*\smajor:\s*\d{1,12}\s+minor:\s*\d{1,12}",
        r"^\s*pciBusID:\s*\S+\s+name:.*computeCapability:",
        r"tensorflow/(?:core|stream_executor|compiler|tsl)/\S{1,300}?\.cc:\d{1,12}\]",
    ),
    device_lib.KIND: _rx(
        r"physical_device_desc:",
        r"name:\s*\"/device:",
        r"device_type:\s*\"(?:GPU|CPU|XLA_GPU|XLA_CPU)\"",
        r"['\"]device: \d{1,12}, name: .{1,200}?, pci bus id: ",
    ),
    torch_devices.KIND: _rx(
        r"^\s*PyTorch version:",
        r"^\s*GPU models and configuration:",
        r"^\s*Is CUDA available:",
        r"^\s*CUDA used to build PyTorch:",
        r"_CudaDeviceProperties\(name=",
    ),
    lspci.KIND: lspci._DEVICE,
    proc_version.KIND: _rx(r"NVRM version:", r"NVRM: loading NVIDIA UNIX"),
    nvcc.KIND: _rx(nvcc._HEADER.pattern, nvcc._RELEASE.pattern),
    cudnn_header.KIND: _rx(r"#\s*define\s+CUDNN_(?:MAJOR|MINOR|PATCHLEVEL|VERSION)\b"),
    ldconfig.KIND_P: _rx(ldconfig.CACHE_LINE.pattern, ldconfig._CACHE_COUNT.pattern),
    ldconfig.KIND_V: _rx(
        r"^\s*\S*ldconfig(?:\.real)?: ",
        r"^\s+[\w.+-]{1,200}?\.so[\w.+-]{0,100} -> \S+(?:\s+\([^)]*\))?\s*$",
        r"^[\w.+-]{1,200}?\.so\.\d[\w.+-]{0,100} -> [\w.+-]{1,200}?\.so[\w.+-]{0,100}\s*$",
    ),
    ls_listing.KIND: _rx(r"^\s*[-lbcdps][rwxsStT-]{9}[.+@]?\s+\d{1,12}\s+\S+\s+\S+\s+\S+\s+\S+"),
}
_WEAK: dict[str, re.Pattern[str]] = {
    nvidia_smi.TABLE: _rx(
        r"^\s*[|+]",
        r"^\s*\w{3}\s+\w{3}\s+\d{1,2}\s+\d\d:\d\d:\d\d\s+\d{4}\s*$",
        r"^\s*the system to recover this GPU",
    ),
    nvidia_smi.LIST: _rx(r"^\s*GPU\s+\d{1,12}:\s*\S"),
    nvidia_smi.QUERY: _rx(
        r"^\s+\S[^:]*\s:",
        r"^\s+[A-Za-z][\w .()/+\t-]*$",
        r"^\s*\[(?:\.\.\.|…)\]\s*$",
        r"^\s*(?:Timestamp|Driver Version|CUDA Version)\s+:",
        r"^\s*vGPU Driver Capability",
    ),
    device_query.KIND: _rx(
        r"^\s+\S",
        r"^\s*Result = (?:PASS|FAIL)",
        r"^\s*-> ",
        r"Peer access from",
    ),
    p2p.KIND: _rx(
        r"^\s*D\\D",
        r"^\s*\d{1,12}(?:\s+[-\d.]+)+\s*$",
        r"Matrix|NOTE|lesser Bandwidth|Checking for multiple GPUs|peer access|Allocating buffers|"
        r"Creating event handles|cudaMemcpyPeer|Preparing host buffer|Run kernel on GPU|"
        r"Copy data back|Shutting down|Test (?:passed|failed)|CPU\s+\d|^\s*GPU\s+\d|"
        r"Verifying|Enabling",
    ),
    tf_log.KIND: _rx(
        r"^\s*(?:name|major|pciBusID|Total memory|Free memory|totalMemory|coreClock)\b",
        r"^\s*\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,9}: [IWEF] ",
        r"^\s*\d{1,12}\]\s",
        r"^\s*(?:DMA|\d{1,12}):\s+[YN\d ]+$",
        r"minimum required [Cc]uda capability",
    ),
    device_lib.KIND: _rx(
        r"^\s*(?:\[|,\s*)?name:",
        r"^\s*(?:device_type|memory_limit|incarnation|bus_id|device_id|type|strength|numa_node):",
        r"^\s*(?:locality|links|link)\s*\{",
        r"^\s*[{}\]]\s*$",
        r"^\s*\d{1,12}\s*$",
        r"^\s*\[?'device: ",
    ),
    torch_devices.KIND: _rx(
        r"^\s*GPU \d{1,12}:\s*\S",
        r"^\s*/\S+/lib\S*\.so",
        r"^[A-Za-z][\w ./()-]*:\s",
        r"^\s*\[(?:pip3?|conda)\]\s",
        r"^\s*Versions of relevant libraries:",
    ),
    lspci.KIND: _rx(r"^\s+\S", r"^\s*--\s*$"),
    proc_version.KIND: _rx(r"^\s*GCC version:"),
    nvcc.KIND: _rx(
        r"^\s*Copyright \(c\) \d{4}-\d{4} NVIDIA Corporation", r"^\s*Built on ", r"^\s*Build cuda_"
    ),
    cudnn_header.KIND: _rx(
        r"^\s*#\s*(?:if|ifndef|ifdef|define|endif|include|else|elif|pragma|undef)\b",
        r"^\s*(?:/\*|\*|//)",
        r"\*/\s*$",
    ),
    ldconfig.KIND_P: _rx(r"^\s*Cache generated by:"),
    ldconfig.KIND_V: _rx(r"^/[^:\s][^:]*:(?:\s+\(from [^)]*\))?\s*$"),
    ls_listing.KIND: _rx(r"^\s*total\s+\d{1,12}\s*$", r"^/[^:]*:\s*$"),
}
#: When a line is strong for several kinds, the first of these wins.
_PRIORITY = (
    nvidia_smi.QUERY,
    nvidia_smi.TABLE,
    nvidia_smi.LIST,
    device_query.KIND,
    p2p.KIND,
    device_lib.KIND,
    torch_devices.KIND,
    tf_log.KIND,
    proc_version.KIND,
    nvcc.KIND,
    cudnn_header.KIND,
    ldconfig.KIND_P,
    ldconfig.KIND_V,
    ls_listing.KIND,
    lspci.KIND,
)
#: Kinds that start anew at one of these lines (a second table is a second block).
_STARTS = {
    nvidia_smi.TABLE: re.compile(r"NVIDIA-SMI\s+[\w.]+\s+(?:Driver|KMD)\s+Version:"),
    nvidia_smi.QUERY: re.compile(r"=+\s*NVSMI LOG\s*=+"),
    device_query.KIND: re.compile(r"deviceQuery(?:\.exe)? Starting"),
    p2p.KIND: re.compile(r"\[P2P \(Peer-to-Peer\)|simpleP2P\] - Starting"),
    proc_version.KIND: re.compile(r"NVRM version:"),
    nvcc.KIND: nvcc._HEADER,
}
#: Lines strong for another kind that this kind prints as well (deviceQuery ends with the
#: same "Peer access from" lines as simpleP2P).
_ALSO_PRINTS = {device_query.KIND: {p2p.KIND}}
#: Kinds whose neighbouring blocks of the same kind are one output (a log with a
#: program's prints between its lines; two get_device_name one-liners).
_JOINABLE = {tf_log.KIND, torch_devices.KIND}


def _csv_strength(text: str) -> int:
    if "," not in text:
        return 0
    header = nvidia_smi.header_columns(text)
    if header and len(header) > 1:
        return STRONG
    fields = [f.strip() for f in text.split(",")]
    if any(nvidia_smi._uuid(f) for f in fields) or any(
        busid.normalise(f) and f.count(":") >= 2 for f in fields
    ):
        return STRONG
    if any(re.fullmatch(r"\d{1,12} MiB", f) for f in fields) and any(
        re.search(r"NVIDIA|GeForce|Tesla|Quadro|TITAN|RTX|GTX", f) for f in fields
    ):
        return STRONG
    return WEAK


def classify(text: str) -> dict[str, int]:
    """The kinds a line can belong to, with how surely (STRONG or WEAK)."""
    kinds: dict[str, int] = {}
    for kind, pattern in _STRONG.items():
        if pattern.search(text):
            kinds[kind] = STRONG
    for kind, pattern in _WEAK.items():
        if kind not in kinds and pattern.search(text):
            kinds[kind] = WEAK
    csv = _csv_strength(text)
    if csv:
        kinds[nvidia_smi.CSV] = csv
    return kinds


def _strength(kind: str, text: str) -> int:
    """How surely a line belongs to one kind (classify, for that kind alone)."""
    if kind == nvidia_smi.CSV:
        return _csv_strength(text)
    if _STRONG[kind].search(text):
        return STRONG
    return WEAK if _WEAK[kind].search(text) else 0


#: Per kind, one pattern for every other kind's strong lines.
_OTHERS_STRONG = {
    kind: _rx(*(p.pattern for other, p in _STRONG.items() if other != kind)) for kind in _STRONG
}
_OTHERS_STRONG[nvidia_smi.CSV] = _rx(*(p.pattern for p in _STRONG.values()))


def _claimed_elsewhere(kind: str, text: str) -> bool:
    """Whether a line is strong for some other kind (it may end the open block)."""
    if _OTHERS_STRONG[kind].search(text):
        return True
    return kind != nvidia_smi.CSV and "," in text and _csv_strength(text) == STRONG


def command_kind(command: str) -> str | None:
    """The kind of output a command prints, as far as the command line tells."""
    words = command.lower()
    if "nvidia-smi" in words:
        if "--query-gpu" in words:
            return nvidia_smi.CSV
        if re.search(r"\s(?:-l|--list-gpus)\b", words):
            return nvidia_smi.LIST
        if re.search(r"\s(?:-q|-a|--query)\b", words):
            return nvidia_smi.QUERY
        return nvidia_smi.TABLE
    for word, kind in (
        ("devicequery", device_query.KIND),
        ("p2pbandwidthlatencytest", p2p.KIND),
        ("simplep2p", p2p.KIND),
        ("nvcc", nvcc.KIND),
        ("lspci", lspci.KIND),
        ("/proc/driver/nvidia/version", proc_version.KIND),
        ("collect_env", torch_devices.KIND),
        ("get_device_name", torch_devices.KIND),
        ("get_device_properties", torch_devices.KIND),
        ("list_local_devices", device_lib.KIND),
        ("device_lib", device_lib.KIND),
        ("physical_device_desc", device_lib.KIND),
        ("cudnn", cudnn_header.KIND),
    ):
        if word in words:
            if word == "cudnn" and not re.search(r"cudnn(?:_version)?\.h|CUDNN_MAJOR", command):
                continue
            return kind
    if re.search(r"\bldconfig\b.*\s-p\b", words):
        return ldconfig.KIND_P
    if re.search(r"\bldconfig\b", words):
        return ldconfig.KIND_V
    if re.match(r"^(?:sudo\s+)?l[sl]\b", words):
        return ls_listing.KIND
    return None


# --- splitting -------------------------------------------------------------------------------


@dataclass
class _Open:
    kind: str
    lines: list[Line]
    content: int  # lines that fit the kind (not prompts, not blanks)
    started: bool = False  # a line that starts this kind's output was seen


def _prompts_before(lines: list[Line], start: int, floor: int) -> int:
    """The first of the prompt lines (and blanks) just before ``start``, not below ``floor``."""
    position = start
    prompts = 0
    while position - 1 >= floor and prompts < MAX_PROMPTS:
        before = lines[position - 1]
        if is_blank(before):
            position -= 1
            continue
        if command_of(before.text) is None:
            break
        prompts += 1
        position -= 1
    while position < start and is_blank(lines[position]):
        position += 1
    return position


def split(text: str) -> list[tuple[str, list[Line]]]:
    """The blocks of a paste: (kind, lines), lines numbered as in the paste."""
    lines = prepare(text)
    blocks: list[tuple[str, list[Line], int]] = []  # kind, lines, content count
    current: _Open | None = None
    stray: list[Line] = []  # lines since the last that fit the current block
    stray_count = 0
    hint: str | None = None
    hint_at = -1
    floor = 0  # lines below this belong to an earlier block

    def close() -> None:
        nonlocal current, stray, stray_count
        if current is not None and current.content:
            blocks.append((current.kind, current.lines, current.content))
        current, stray, stray_count = None, [], 0

    for position, line in enumerate(lines):
        text = line.text
        if is_blank(line) or is_elision(line):
            # a poster's "..." for left-out lines belongs to the output around it
            if current is not None:
                stray.append(line)
            continue
        command = command_of(text)
        if command is not None:
            close()
            floor = position
            hint, hint_at = command_kind(command), position
            continue
        kinds: dict[str, int] = {}
        strong: list[str] = []
        # the common case first: a line of the open block's kind that no other kind claims
        own = _strength(current.kind, text) if current is not None else 0
        fits = own == STRONG or (own == WEAK and not _claimed_elsewhere(current.kind, text))  # type: ignore[union-attr]
        if not fits:
            kinds = classify(text)
            strong = [k for k in _PRIORITY + (nvidia_smi.CSV,) if kinds.get(k) == STRONG]
            fits = current is not None and current.kind in kinds
            if fits and kinds[current.kind] == WEAK and strong:  # type: ignore[union-attr]
                # a line only another output prints ends this one, unless this one prints it
                fits = bool(_ALSO_PRINTS.get(current.kind, set()) & set(strong))  # type: ignore[union-attr]
        if fits and current is not None:
            restart = _STARTS.get(current.kind)
            starts = restart is not None and restart.search(text) is not None
            if starts and current.started:
                close()
                floor = position
                kinds = classify(text)
                strong = [k for k in _PRIORITY + (nvidia_smi.CSV,) if kinds.get(k) == STRONG]
            else:
                current.lines.extend(stray)
                current.lines.append(line)
                current.content += 1
                current.started = current.started or starts
                stray, stray_count = [], 0
                continue
        if strong and (current is None or current.kind not in strong):
            kind = hint if hint in strong else strong[0]
            close()
            start = _prompts_before(lines, position, floor)
            start = _backfill(lines, start, position, kind, floor)
            restart = _STARTS.get(kind)
            current = _Open(kind, list(lines[start:position]) + [line], 1)
            current.started = restart is not None and restart.search(text) is not None
            floor = position
            continue
        if current is None and kinds:
            if hint in kinds and hint_at >= floor:
                start = _prompts_before(lines, position, floor)
                current = _Open(hint, list(lines[start:position]) + [line], 1)
                floor = position
            continue
        if (
            current is None
            and hint == torch_devices.KIND
            and hint_at == _last_content(lines, position)
        ):
            # the answer of a get_device_name(N) one-liner is free text
            start = _prompts_before(lines, position, floor)
            current = _Open(hint, list(lines[start:position]) + [line], 1)
            floor = position
            continue
        if current is not None:
            stray.append(line)
            foreign = _FOREIGN.get(current.kind)
            if foreign is not None and foreign.match(text):
                continue
            stray_count += 1
            if stray_count > _STRAY_ALLOWED.get(current.kind, 0):
                # the block ended at its last fitting line: what came after is free again
                first_stray = next(s for s in stray if not is_blank(s))
                close()
                floor = position - (line.number - first_stray.number)
    close()
    return _joined(blocks)


def _last_content(lines: list[Line], position: int) -> int:
    for back in range(position - 1, -1, -1):
        if not is_blank(lines[back]):
            return back
    return -1


def _backfill(lines: list[Line], start: int, position: int, kind: str, floor: int) -> int:
    """Lines just before a block's first strong line that fit its kind (a table's timestamp,
    a header's comment, a log's first lines) join it."""
    weak = _WEAK.get(kind)
    strong = _STRONG.get(kind)
    first = start
    back = start - 1
    while back >= floor and back >= 0:
        text = lines[back].text
        if is_elision(lines[back]):
            back -= 1
            continue
        if (
            is_blank(lines[back])
            or (weak and weak.search(text))
            or (strong and strong.search(text))
        ):
            if not is_blank(lines[back]):
                first = back
            back -= 1
            continue
        break
    if first < start:
        return _prompts_before(lines, first, floor)
    return start


def _joined(blocks: list[tuple[str, list[Line], int]]) -> list[tuple[str, list[Line]]]:
    """Neighbouring blocks that are one output: the same joinable kind, or nvidia-smi's NVML
    error lines beside the version file they are judged with."""
    out: list[tuple[str, list[Line]]] = []
    for kind, lines, _ in blocks:
        if out:
            last_kind, last_lines = out[-1]
            gap = lines[0].number - last_lines[-1].number - 1
            if kind == last_kind and kind in _JOINABLE and gap <= MAX_STRAY:
                last_lines.extend(lines)  # in place: a long log of many pieces stays linear
                continue
            pair = {kind, last_kind}
            if (
                (last_kind, kind) == (lspci.KIND, proc_version.KIND)
                and gap == 0
                and _unprompted(last_lines)
                and _unprompted(lines)
                and sum(not is_blank(line) for line in last_lines) <= MAX_STRAY
            ):
                # a system-information tool's GPU line printed right above the version
                # file's line, with no command between: one output (hyprctl systeminfo)
                out[-1] = (proc_version.KIND, last_lines + lines)
                continue
            if pair == {nvidia_smi.TABLE, proc_version.KIND} and gap <= MAX_STRAY:
                table = last_lines if last_kind == nvidia_smi.TABLE else lines
                if all(_nvml_error_only(line) for line in table):
                    out[-1] = (proc_version.KIND, last_lines + lines)
                    continue
        out.append((kind, lines))
    return out


def _unprompted(lines: list[Line]) -> bool:
    return all(command_of(line.text) is None for line in lines)


def _nvml_error_only(line: Line) -> bool:
    text = line.text
    return (
        is_blank(line)
        or command_of(text) is not None
        or bool(re.search(r"Failed to initialize NVML|NVML library version:", text))
    )


def read_block(kind: str, lines: list[Line]) -> Reading:
    """``lines`` read by ``kind``'s reader, with notes for the lines too long to read whole
    and for the lines where the poster left part of the output out."""
    reading = with_long_lines(READERS[kind](lines), [ln.number for ln in lines if ln.long])
    elided = [ln.number for ln in lines if is_elision(ln)]
    if not elided:
        return reading
    shown = ", ".join(str(n) for n in elided[:5]) + (" ..." if len(elided) > 5 else "")
    note = Note(ELIDED, f"line(s) {shown}: the poster left part of the output out", elided[0])
    return replace(reading, notes=reading.notes + (note,))


def detect(text: str) -> Paste:
    """Every output in a paste, recognised by content and read by its kind's reader."""
    blocks = []
    for kind, lines in split(text):
        reading = read_block(kind, lines)
        if reading.kind != kind and kind in (ldconfig.KIND_P, ldconfig.KIND_V):
            kind = reading.kind
        blocks.append(Block(kind, lines[0].number, lines[-1].number, reading))
    return Paste(tuple(blocks))


def detect_kind(text: str) -> str | None:
    """The kind of the output with the most content in ``text`` (None: none recognised)."""
    best = None
    for kind, lines in split(text):
        size = sum(1 for line in lines if not is_blank(line))
        if best is None or size > best[1]:
            best = (kind, size)
    return best[0] if best else None
