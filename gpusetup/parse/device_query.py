"""The CUDA samples' ``deviceQuery`` output read from text (CUDA 4 to 13 layouts).

deviceQuery numbers devices as CUDA does (``Device N``: the CUDA ordinal, FASTEST_FIRST
unless CUDA_DEVICE_ORDER says otherwise) and prints the PCI location in decimal
(``Device PCI Domain ID / Bus ID / location ID:   0 / 65 / 0``, older samples ``Device PCI
Bus ID / PCI location ID:  4 / 0``), which becomes the normalised bus id ``0000:41:00.0``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from gpusetup.parse import busid
from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import CUT, PARTIAL, GpuRecord, PeerAccess, Reading, ReadingBuilder
from gpusetup.parse.p2p import peer_line

KIND = "deviceQuery"

_DETECTED = re.compile(r"Detected (?P<n>\d{1,12}) CUDA Capable device\(s\)")
_DEVICE = re.compile(r'^\s*Device (?P<idx>\d{1,12}):\s*"(?P<name>[^"]*)"')
_VERSIONS = re.compile(
    r"CUDA Driver Version / Runtime Version\s+(?P<driver>\d{1,12}\.\d{1,12})\s*/\s*"
    r"(?P<runtime>\d{1,12}\.\d{1,12})"
)
_CC = re.compile(r"CUDA Capability Major/Minor version number:\s+(?P<cc>\d{1,12}\.\d{1,12})")
_MEMORY = re.compile(
    r"Total amount of global memory:\s+(?:(?P<mb>\d{1,12}) MBytes|(?P<bytes>\d{1,12}) bytes)"
)
_PCI = re.compile(
    r"Device PCI (?:Domain ID / Bus ID / location ID|Bus ID / PCI location ID):\s+"
    r"(?P<a>\d{1,12})\s*/\s*(?P<b>\d{1,12})(?:\s*/\s*(?P<c>\d{1,12}))?"
)
_SUMMARY = re.compile(
    r"deviceQuery, CUDA Driver = CUDART, CUDA Driver Version = (?P<driver>[\d.]+), "
    r"CUDA Runtime Version = (?P<runtime>[\d.]+), NumDevs = (?P<n>\d{1,12})"
)
_RESULT = re.compile(r"^\s*Result = (?P<result>PASS|FAIL)")
_FAILED = re.compile(r"cudaGetDeviceCount returned (?P<code>\d{1,12})")
_FAILED_WHY = re.compile(r"^\s*-> (?P<why>.+)$")
_NO_DEVICE = re.compile(
    r"There (?:is|are) no (?:available )?device\(?s?\)? (?:that )?support(?:ing|s)? CUDA"
)


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    current: int | None = None  # position in out.gpus
    result = None
    for position, line in enumerate(lines):
        text = line.text
        detected = _DETECTED.search(text)
        if detected:
            out.set("gpu_count", int(detected["n"]), line.number)
            continue
        device = _DEVICE.match(text)
        if device:
            out.gpus.append(
                GpuRecord(
                    line.number, index=int(device["idx"]), name=device["name"].strip() or None
                )
            )
            current = len(out.gpus) - 1
            continue
        versions = _VERSIONS.search(text)
        if versions:
            out.set("cuda_version", versions["driver"], line.number)
            out.set("runtime_version", versions["runtime"], line.number)
            continue
        if current is not None:
            gpu = out.gpus[current]
            cc = _CC.search(text)
            if cc:
                out.gpus[current] = replace(gpu, compute_capability=cc["cc"])
                continue
            memory = _MEMORY.search(text)
            if memory:
                mib = int(memory["mb"]) if memory["mb"] else int(memory["bytes"]) // (1024 * 1024)
                out.gpus[current] = replace(gpu, memory_mib=mib)
                continue
            pci = _PCI.search(text)
            if pci:
                if pci["c"] is not None:  # domain / bus / device
                    bus = busid.from_parts(int(pci["a"]), int(pci["b"]), int(pci["c"]))
                else:  # bus / device (CUDA 5 and older print no domain)
                    bus = busid.from_parts(0, int(pci["a"]), int(pci["b"]))
                out.gpus[current] = replace(gpu, bus_id=bus)
                continue
            if "Device has ECC support:" in text:
                enabled = text.rsplit(":", 1)[1].strip()
                ecc = {"Enabled": True, "Disabled": False}.get(enabled)
                out.gpus[current] = replace(gpu, ecc_mode=ecc)
                continue
        peer = peer_line(text)
        if peer:
            out.peer_access.append(PeerAccess(line.number, peer[1], peer[3], peer[4]))
            continue
        summary = _SUMMARY.search(text)
        if summary:
            out.set("cuda_version", _short(summary["driver"]), line.number)
            out.set("runtime_version", _short(summary["runtime"]), line.number)
            out.set("gpu_count", int(summary["n"]), line.number)
            continue
        failed = _FAILED.search(text)
        if failed:
            why = ""
            if position + 1 < len(lines):
                after = _FAILED_WHY.match(lines[position + 1].text)
                why = after["why"].strip() if after else ""
            out.problem(
                "cuda-init-failed",
                f"cudaGetDeviceCount returned {failed['code']}" + (f": {why}" if why else ""),
                line.number,
            )
            continue
        if _NO_DEVICE.search(text):
            out.problem("cuda-init-failed", "deviceQuery finds no CUDA device", line.number)
            continue
        end = _RESULT.match(text)
        if end:
            result = end["result"]
            out.set_extra("result", result, line.number)
    if result is None:
        out.note(CUT, "the output ends before deviceQuery's 'Result =' line")
    count = out.facts.get("gpu_count")
    if count is not None and len(out.gpus) < count and out.gpus:
        out.note(PARTIAL, f"deviceQuery detected {count} devices; {len(out.gpus)} shown")
    return out.build()


def _short(version: str) -> str:
    """The summary line's ``12.6`` (old samples print ``6.50`` for 6.5)."""
    major, _, minor = version.partition(".")
    if len(minor) == 2 and minor.endswith("0"):
        minor = minor[0]
    return f"{major}.{minor}" if minor else major
