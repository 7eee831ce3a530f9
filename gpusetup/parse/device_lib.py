"""TensorFlow's ``device_lib.list_local_devices()`` read from text: the printed list of
DeviceAttributes protos (``name: "/device:GPU:0"`` ... ``physical_device_desc: "device: 0,
name: ..., pci bus id: ..., compute capability: 6.1"``) or the description strings alone
(a REPL printing ``[gpu.physical_device_desc for gpu in gpus]``).

``device: N`` is the CUDA ordinal; ``/device:GPU:k`` TensorFlow's own number. The proto's
``locality { bus_id: 1 }`` is the NUMA node + 1, not a PCI bus, and is not read.
"""

from __future__ import annotations

import re

from gpusetup.parse import busid
from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import CUT, GpuRecord, Reading, ReadingBuilder
from gpusetup.parse.tf_log import DESCRIPTION

KIND = "tf-device-lib"

_DEVICE_NAME = re.compile(r'name:\s*"/device:(?P<type>[A-Z_]+):(?P<k>\d{1,12})"')
_DESC = re.compile(DESCRIPTION)


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    tf_device: int | None = None
    opened = closed = False
    for line in lines:
        text = line.text
        stripped = text.strip()
        if stripped.startswith("["):
            opened = True
        if stripped.endswith("]"):
            closed = True
        named = _DEVICE_NAME.search(text)
        if named:
            tf_device = int(named["k"]) if named["type"] == "GPU" else None
        for match in _DESC.finditer(text):
            out.gpus.append(
                GpuRecord(
                    line=line.number,
                    index=int(match["ordinal"]),
                    name=match["name"].strip(),
                    bus_id=busid.normalise(match["bus"]),
                    compute_capability=match["cc"],
                    tf_device=tf_device if "physical_device_desc" in text else None,
                )
            )
    if opened and not closed:
        out.note(CUT, "the device list ends before its closing ']'")
    return out.build()
