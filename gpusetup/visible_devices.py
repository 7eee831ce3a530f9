"""``CUDA_VISIBLE_DEVICES`` as CUDA reads it.

Entries are comma-separated: a device ordinal (in CUDA's order), ``GPU-<uuid>`` (a unique
prefix is enough) or ``MIG-<uuid>``. An empty value hides every GPU. The first entry that
matches no device hides itself and every entry after it. (CUDA C Programming Guide,
"CUDA Environment Variables".)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Visibility:
    #: positions in ``device_uuids`` that stay visible, in the order CUDA numbers them
    visible: list[int] = field(default_factory=list)
    #: MIG instances named (not matched here: they live inside a MIG-enabled GPU)
    mig_entries: list[str] = field(default_factory=list)
    invalid_entry: str | None = None
    invalid_reason: str | None = None
    #: valid-looking entries after the invalid one, which CUDA ignores as well
    ignored: list[str] = field(default_factory=list)


def resolve_visible_devices(value: str, device_uuids: Sequence[str | None]) -> Visibility:
    """Apply ``value`` to devices listed in CUDA's order (``device_uuids[i]`` = ordinal i)."""
    entries = [e.strip() for e in value.split(",")] if value.strip() else []
    visible: list[int] = []
    migs: list[str] = []
    for pos, entry in enumerate(entries):
        reason = None
        if entry.upper().startswith("MIG-"):
            migs.append(entry)
            continue
        if entry.upper().startswith("GPU-"):
            matches = [
                i for i, u in enumerate(device_uuids) if u and u.lower().startswith(entry.lower())
            ]
            if len(matches) == 1:
                chosen = matches[0]
            else:
                reason = "matches no GPU" if not matches else f"matches {len(matches)} GPUs"
        else:
            try:
                chosen = int(entry, 10)
            except ValueError:
                reason = "is neither an ordinal, GPU-<uuid> nor MIG-<uuid>"
            else:
                if not 0 <= chosen < len(device_uuids):
                    reason = f"is not an ordinal of the {len(device_uuids)} GPU(s)"
        if reason is None and chosen in visible:
            reason = "names a GPU already listed"
        if reason is not None:
            return Visibility(visible, migs, entry, reason, entries[pos + 1 :])
        visible.append(chosen)
    return Visibility(visible, migs)
