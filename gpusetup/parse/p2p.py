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
    r"^\s*Device:\s*(?P<idx>\d+),\s*(?P<name>.+?),\s*pciBusID:\s*(?P<bus>[0-9a-fA-F]+),\s*"
    r"pciDeviceID:\s*(?P<dev>[0-9a-fA-F]+),\s*pciDomainID:\s*(?P<dom>[0-9a-fA-F]+)"
)
_OLD_GPU = re.compile(r'^\s*GPU(?P<idx>\d+)\s*=\s*"(?P<name>[^"]*)"\s*(?P<cap>IS|NOT)\s')
_COUNT = re.compile(r"CUDA-capable device count:\s*(?P<n>\d+)")
_PEER_FROM = re.compile(
    r"Peer access from (?P<a_name>.+?) \(GPU(?P<a>\d+)\) -> (?P<b_name>.+?) \(GPU(?P<b>\d+)\)"
    r"\s*:\s*(?P<ok>Yes|No)"
)
_PEER_MATRIX = re.compile(r"Device=(?P<a>\d+) (?P<ok>CAN|CANNOT) Access Peer Device=(?P<b>\d+)")
_END = re.compile(
    r"NOTE: The CUDA Samples are not meant for performance measurements|"
    r"^\s*Test (?:passed|failed)|"
    r"^\s*Two or more GPUs with Peer-to-Peer access capability are required"
)
_VISIBLE = re.compile(r"CUDA_VISIBLE_DEVICES=(?P<value>\S*)")


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
        peer = _PEER_FROM.search(text)
        if peer:
            a, b = int(peer["a"]), int(peer["b"])
            add(a, line.number, name=peer["a_name"].strip())
            add(b, line.number, name=peer["b_name"].strip())
            out.peer_access.append(PeerAccess(line.number, a, b, peer["ok"] == "Yes"))
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
