"""PCI bus ids as each tool prints them, normalised to one form: a 4-digit lower-case
domain (wider only when the domain itself is, as Hyper-V gives Azure VMs), bus, device and
function: ``0000:3b:00.0``.

nvidia-smi and NVML print ``00000000:3B:00.0``; TensorFlow and sysfs ``0000:3b:00.0``;
lspci without -D ``3b:00.0``; deviceQuery decimal domain / bus / device numbers; the p2p
samples hex numbers without leading zeros. GPUs are joined on this form or on UUID, never
on an index.
"""

from __future__ import annotations

import re

_FULL = re.compile(
    r"^(?:(?P<domain>[0-9a-f]{1,8}):)?(?P<bus>[0-9a-f]{1,2}):(?P<device>[0-9a-f]{1,2})"
    r"(?:\.(?P<function>[0-7]))?$"
)
#: A bus id inside a line of text, in any of the printed forms with a colon.
BUS_ID_TEXT = r"(?:[0-9A-Fa-f]{4,8}:)?[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7]"


def from_parts(domain: int, bus: int, device: int, function: int = 0) -> str | None:
    """A bus id from numbers (deviceQuery's decimal, p2p's hex, already converted)."""
    # (a PCI device number has 5 bits; two hex digits are accepted as facts.normalise_bus_id
    # accepts them, so both give one answer for every printed id)
    if not (0 <= domain <= 0xFFFFFFFF and 0 <= bus <= 0xFF and 0 <= device <= 0xFF):
        return None
    if not 0 <= function <= 7:
        return None
    return f"{domain:04x}:{bus:02x}:{device:02x}.{function}"


def normalise(text: str) -> str | None:
    """``00000000:3B:00.0``, ``0000:3b:00.0``, ``3b:00.0``, ``GPU0000:07:00.0`` ->
    ``0000:3b:00.0``; None when ``text`` is not a bus id. Agrees with
    ``gpusetup.facts.normalise_bus_id`` on every bus id that accepts."""
    value = text.strip().lower()
    if value.startswith("gpu"):
        value = value[3:].strip()
    match = _FULL.match(value)
    if not match:
        return None
    return from_parts(
        int(match["domain"] or "0", 16),
        int(match["bus"], 16),
        int(match["device"], 16),
        int(match["function"] or "0"),
    )


def same_gpu(a: str | None, b: str | None) -> bool:
    """Whether two bus ids (any printed form) name the same PCI function."""
    if a is None or b is None:
        return False
    na, nb = normalise(a), normalise(b)
    return na is not None and na == nb
