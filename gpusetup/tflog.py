"""TensorFlow's log lines about GPUs and libraries, parsed (the formats printed by
tensorflow/core/common_runtime/gpu/gpu_device.cc and xla/tsl's dso_loader.cc).

TensorFlow describes a GPU as ``device: 0, name: NVIDIA H100 80GB HBM3, pci bus id:
0000:3b:00.0, compute capability: 9.0``; ``device: N`` is the CUDA ordinal, and the bus id
has a 4-digit domain in lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DESCRIPTION = (
    r"device: (?P<ordinal>\d+), name: (?P<name>.+?), pci bus id: (?P<bus>[0-9A-Fa-f:.]+)"
    r"(?:, compute capability: (?P<cc>\d+\.\d+))?"
)
_CREATED = re.compile(
    r"Created device .*?/device:GPU:(?P<tf>\d+) with (?P<mb>\d+) MB memory:?"
    r"\s*-> " + _DESCRIPTION
)
_IGNORING = re.compile(
    r"Ignoring visible gpu device \(" + _DESCRIPTION + r"\) with [Cc]uda "
    r"compute capability (?P<have>\d+\.\d+)\. The minimum required [Cc]uda "
    r"capability is (?P<need>\d+\.\d+)"
)
_DLOPEN = re.compile(r"Could not load dynamic library '(?P<lib>[^']+)'; dlerror: (?P<err>.*)")


@dataclass(frozen=True)
class TfGpu:
    tf_index: int  # /GPU:k
    cuda_ordinal: int
    name: str
    pci_bus_id: str
    compute_capability: str | None
    memory_mb: int | None = None


@dataclass(frozen=True)
class TfIgnoredGpu:
    cuda_ordinal: int
    name: str
    pci_bus_id: str
    compute_capability: str
    minimum: str


@dataclass(frozen=True)
class TfDlopenFailure:
    library: str
    error: str


def parse_created(line: str) -> TfGpu | None:
    m = _CREATED.search(line)
    if not m:
        return None
    return TfGpu(
        int(m["tf"]), int(m["ordinal"]), m["name"].strip(), m["bus"].lower(), m["cc"], int(m["mb"])
    )


def parse_ignored(line: str) -> TfIgnoredGpu | None:
    m = _IGNORING.search(line)
    if not m:
        return None
    return TfIgnoredGpu(
        int(m["ordinal"]), m["name"].strip(), m["bus"].lower(), m["have"], m["need"]
    )


def parse_dlopen_failure(line: str) -> TfDlopenFailure | None:
    m = _DLOPEN.search(line)
    return TfDlopenFailure(m["lib"], m["err"].strip()) if m else None


def cannot_dlopen(line: str) -> bool:
    return "Cannot dlopen some GPU libraries" in line
