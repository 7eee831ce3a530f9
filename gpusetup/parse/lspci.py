"""``lspci`` lines for NVIDIA display controllers read from text (``lspci``, ``-nn``,
``-D``, ``-k``, ``-v``): bus id, the pci.ids marketing name in brackets, the
``[10de:xxxx]`` id with -nn, and ``Kernel driver in use`` with -k/-v.

lspci without -D prints no domain: it is 0000. Audio, USB and serial functions of a GPU
board (``05:00.1 Audio device``) are not GPUs.
"""

from __future__ import annotations

import re
from dataclasses import replace

from gpusetup.parse import busid
from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import CUT, GpuRecord, Reading, ReadingBuilder

KIND = "lspci"

_DEVICE = re.compile(
    r"^(?P<bus>(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\s+"
    r"(?P<class>[^:\[]+)(?:\[(?P<class_id>[0-9a-fA-F]{4})\])?:(?P<rest>.*)$"
)
_GPU_CLASSES = ("vga compatible controller", "3d controller", "display controller")
_GPU_CLASS_IDS = ("0300", "0302", "0380")
_CLASS_IDS = dict(zip(_GPU_CLASSES, _GPU_CLASS_IDS, strict=True))
_PCI_ID = re.compile(r"\[(?P<id>10de:[0-9a-fA-F]{4})\]")
_DRIVER = re.compile(r"^\s+Kernel driver in use:\s*(?P<driver>\S+)")
_DETAIL = re.compile(r"^\s+(?:Flags|Memory at|I/O ports|Capabilities|Expansion ROM):")
_KERNEL = re.compile(r"^\s+Kernel (?:driver in use|modules):")


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def _name(rest: str) -> str | None:
    """``NVIDIA Corporation GA102 [GeForce RTX 3090] [10de:2204] (rev a1)`` -> the bracket
    after the chip name; None when lspci knows no marketing name (``Device 2204``)."""
    rest = re.sub(r"\(rev [0-9a-fA-F]+\).*$", "", rest)
    rest = _PCI_ID.sub("", rest).strip()
    names = re.findall(r"\[([^\]]+)\]", rest)
    return names[-1].strip() if names else None


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    current: int | None = None  # position of the last GPU in out.gpus
    verbose = False  # lspci -v: each device's block ends with its kernel driver lines
    last_device_done = True
    for line in lines:
        if _DETAIL.match(line.text):
            verbose = True
            last_device_done = False
        elif _KERNEL.match(line.text) or not line.text.strip():
            last_device_done = True
        device = _DEVICE.match(line.text)
        if device:
            current = None
            kind = device["class"].strip().lower()
            rest = device["rest"]
            is_gpu = kind in _GPU_CLASSES or device["class_id"] in _GPU_CLASS_IDS
            if not is_gpu or not re.match(r"\s*NVIDIA", rest, re.IGNORECASE):
                continue
            pci_id = _PCI_ID.search(rest)
            out.gpus.append(
                GpuRecord(
                    line.number,
                    name=_name(rest),
                    bus_id=busid.normalise(device["bus"]),
                    pci_id=pci_id["id"].lower() if pci_id else None,
                    pci_class=device["class_id"] or _CLASS_IDS.get(kind),
                )
            )
            current = len(out.gpus) - 1
            continue
        driver = _DRIVER.match(line.text)
        if driver and current is not None:
            out.gpus[current] = replace(out.gpus[current], kernel_driver=driver["driver"])
    if verbose and not last_device_done:
        out.note(CUT, "the last device's lspci -v block ends before its kernel driver lines")
    return out.build()
