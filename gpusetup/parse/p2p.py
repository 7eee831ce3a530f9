"""The CUDA samples' ``p2pBandwidthLatencyTest`` and ``simpleP2P`` outputs read from text.

Both number devices as CUDA does (the CUDA ordinal). p2pBandwidthLatencyTest prints
``Device: 0, NAME, pciBusID: 1b, pciDeviceID: 0, pciDomainID:0`` (hex without leading
zeros); old simpleP2P ``> GPU0 = "      Tesla K80" IS  capable of Peer-to-Peer (P2P)``
(names right-aligned in 15 columns); current simpleP2P only names devices inside
``> Peer access from NAME (GPU0) -> NAME (GPU1) : Yes``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from gpusetup.parse import busid
from gpusetup.parse._text import Line, command_of, prepare
from gpusetup.parse.model import CONTEXT, CUT, GpuRecord, PeerAccess, Reading, ReadingBuilder

KIND = "p2p"

_DEVICE = re.compile(
    r"^\s*Device:\s*(?P<idx>\d{1,12}),\s{0,8}(?P<name>.{1,200}?),\s{0,8}pciBusID:\s*(?P<bus>[0-9a-fA-F]+),\s*"
    r"pciDeviceID:\s*(?P<dev>[0-9a-fA-F]+),\s*pciDomainID:\s*(?P<dom>[0-9a-fA-F]+)"
)
_OLD_GPU = re.compile(r'^\s*GPU(?P<idx>\d{1,12})\s*=\s*"(?P<name>[^"]*)"\s*(?P<cap>IS|NOT)\s')
_COUNT = re.compile(r"CUDA-capable device count:\s*(?P<n>\d{1,12})")
_PEER_TAIL = re.compile(r"(\d{1,12})\)\s{0,8}:\s{0,8}(Yes|No)\b")
_PEER_MATRIX = re.compile(
    r"Device=(?P<a>\d{1,12}) (?P<ok>CAN|CANNOT) Access Peer Device=(?P<b>\d{1,12})"
)
_END = re.compile(
    r"NOTE: The CUDA Samples are not meant for performance measurements|"
    r"^\s*Test (?:passed|failed)|"
    r"^\s*Two or more GPUs with Peer-to-Peer access capability are required"
)
_VISIBLE = re.compile(r"CUDA_VISIBLE_DEVICES=(?P<value>\S*)")


def peer_line(text: str) -> tuple[str, int, str, int, bool] | None:
    """``> Peer access from A (GPU0) -> B (GPU1) : Yes`` (simpleP2P, deviceQuery) ->
    ("A", 0, "B", 1, True); split with string operations, names may hold parentheses."""
    at = text.find("Peer access from ")
    if at < 0:
        return None
    left, arrow, right = text[at + len("Peer access from ") :].partition(") -> ")
    a_name, sep_a, a = left.rpartition(" (GPU")
    b_name, sep_b, tail = right.rpartition(" (GPU")
    end = _PEER_TAIL.match(tail)
    if not (arrow and sep_a and sep_b and re.fullmatch("[0-9]{1,12}", a) and end):
        return None
    return a_name.strip(), int(a), b_name.strip(), int(end[1]), end[2] == "Yes"


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    ended = False
    by_index: dict[int, int] = {}

    def add(index: int, line: int, **fields: object) -> None:
        if index in by_index:
            gpu = out.gpus[by_index[index]]
            known = {k: v for k, v in fields.items() if getattr(gpu, k) is None}
            if known:
                out.gpus[by_index[index]] = replace(gpu, **known)  # type: ignore[arg-type]
            return
        by_index[index] = len(out.gpus)
        out.gpus.append(GpuRecord(line, index=index, **fields))  # type: ignore[arg-type]

    for line in lines:
        text = line.text
        command = command_of(text)
        if command is not None:
            visible = _VISIBLE.search(command)
            if visible:
                out.note(
                    CONTEXT,
                    f"CUDA_VISIBLE_DEVICES={visible['value']} was set: the devices are numbered "
                    "among those it shows",
                    line.number,
                )
            continue
        device = _DEVICE.match(text)
        if device:
            bus = busid.from_parts(
                int(device["dom"], 16), int(device["bus"], 16), int(device["dev"], 16)
            )
            add(int(device["idx"]), line.number, name=device["name"].strip(), bus_id=bus)
            continue
        old = _OLD_GPU.match(text)
        if old:
            add(int(old["idx"]), line.number, name=old["name"].strip() or None)
            continue
        count = _COUNT.search(text)
        if count:
            out.set("gpu_count", int(count["n"]), line.number)
            continue
        peer = peer_line(text)
        if peer:
            a_name, a, b_name, b, allowed = peer
            add(a, line.number, name=a_name)
            add(b, line.number, name=b_name)
            out.peer_access.append(PeerAccess(line.number, a, b, allowed))
            continue
        matrix = _PEER_MATRIX.search(text)
        if matrix:
            out.peer_access.append(
                PeerAccess(line.number, int(matrix["a"]), int(matrix["b"]), matrix["ok"] == "CAN")
            )
            continue
        if _END.search(text):
            ended = True
    if not ended:
        out.note(CUT, "the output ends before the test's last line")
    return out.build()
