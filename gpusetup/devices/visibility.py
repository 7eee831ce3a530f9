"""``CUDA_VISIBLE_DEVICES`` as CUDA reads it.

Entries are comma-separated: a device ordinal (in CUDA's order), ``GPU-<uuid>`` (a unique
prefix is enough) or a MIG device. An empty value hides every GPU. The first entry that
matches no device hides itself and every entry after it. (CUDA C Programming Guide,
"CUDA Environment Variables".)

MIG devices have two spellings, by driver (NVIDIA Multi-Instance GPU User Guide, "CUDA
Device Enumeration", https://docs.nvidia.com/datacenter/tesla/mig-user-guide/): "With
drivers >= R470 (470.42.01+), each MIG device is assigned a GPU UUID starting with
MIG-<UUID>"; with drivers before R470 (R450, R460) a MIG device is named by its GPU and
instances, ``MIG-<GPU-UUID>/<GPU instance ID>/<compute instance ID>``. Each form is only
understood by its drivers; under the other, the entry matches nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import field

from gpusetup.facts import NvmlGpu, NvmlMigDevice
from gpusetup.knowledge import driver_at_least
from gpusetup.serde import record

#: the first driver that names MIG devices MIG-<UUID>
MIG_UUID_DRIVER = "470.42.01"
_LEGACY_MIG = re.compile(r"^MIG-(GPU-[^/]+)/(\d+)/(\d+)$", re.IGNORECASE)


@record
class Visibility:
    #: positions in ``device_uuids`` that stay visible, in the order CUDA numbers them
    visible: list[int] = field(default_factory=list)
    #: MIG devices named: their MIG-<UUID> when matched, else the entry as written
    mig_entries: list[str] = field(default_factory=list)
    invalid_entry: str | None = None
    invalid_reason: str | None = None
    #: valid-looking entries after the invalid one, which CUDA ignores as well
    ignored: list[str] = field(default_factory=list)


def _mig_match(
    entry: str,
    device_uuids: Sequence[str | None],
    migs: Mapping[str, Sequence[NvmlMigDevice]],
    driver_version: str | None,
) -> tuple[str | None, str | None]:
    """(the MIG device's UUID, None) or (None, why the entry matches nothing)."""
    new_names = driver_version is None or driver_at_least(driver_version, MIG_UUID_DRIVER)
    old_names = driver_version is None or not new_names
    legacy = _LEGACY_MIG.match(entry)
    if legacy and not old_names:
        return None, (
            "is the MIG-GPU-<uuid>/<GPU instance>/<compute instance> form of drivers before "
            f"R470; driver {driver_version} names MIG devices MIG-<uuid> (nvidia-smi -L)"
        )
    if not legacy and not new_names:
        return None, (
            f"is the MIG-<uuid> form of drivers from R470; driver {driver_version} names MIG "
            "devices MIG-GPU-<uuid>/<GPU instance>/<compute instance>"
        )
    if legacy:
        prefix, gi, ci = legacy.group(1).lower(), int(legacy.group(2)), int(legacy.group(3))
        found = [
            d
            for uuid in device_uuids
            if uuid and uuid.lower().startswith(prefix)
            for d in migs.get(uuid, ())
            if (d.gpu_instance_id, d.compute_instance_id) == (gi, ci)
        ]
    else:
        found = [
            d
            for devices in migs.values()
            for d in devices
            if d.uuid and d.uuid.lower().startswith(entry.lower())
        ]
    if len(found) == 1:
        return found[0].uuid, None
    return None, "matches no MIG device" if not found else f"matches {len(found)} MIG devices"


def mig_inventory(gpus: Sequence[NvmlGpu]) -> dict[str, list[NvmlMigDevice]] | None:
    """GPU UUID -> its MIG devices; None when a GPU in MIG mode was not enumerated (MIG
    entries then cannot be judged)."""
    inventory = {}
    for gpu in gpus:
        if gpu.mig_current and gpu.mig_devices is None:
            return None
        if gpu.uuid and gpu.mig_devices:
            inventory[gpu.uuid] = gpu.mig_devices
    return inventory


def resolve_visible_devices(
    value: str,
    device_uuids: Sequence[str | None],
    migs: Mapping[str, Sequence[NvmlMigDevice]] | None = None,
    driver_version: str | None = None,
) -> Visibility:
    """Apply ``value`` to devices listed in CUDA's order (``device_uuids[i]`` = ordinal i).

    ``migs`` maps a GPU's UUID to its MIG devices; without it MIG entries are taken as
    written (not judged). ``driver_version`` decides which MIG spelling is understood
    (unknown: either).
    """
    entries = [e.strip() for e in value.split(",")] if value.strip() else []
    visible: list[int] = []
    mig_entries: list[str] = []
    for pos, entry in enumerate(entries):
        reason = None
        if entry.upper().startswith("MIG-"):
            if migs is None:
                mig_entries.append(entry)
                continue
            mig_uuid, reason = _mig_match(entry, device_uuids, migs, driver_version)
            if mig_uuid is not None and mig_uuid in mig_entries:
                reason = "names a MIG device already listed"
            if reason is None and mig_uuid is not None:
                mig_entries.append(mig_uuid)
                continue
        elif entry.upper().startswith("GPU-"):
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
                reason = "is neither an ordinal, GPU-<uuid> nor a MIG device"
            else:
                if not 0 <= chosen < len(device_uuids):
                    reason = f"is not an ordinal of the {len(device_uuids)} GPU(s)"
        if reason is None and chosen in visible:
            reason = "names a GPU already listed"
        if reason is not None:
            return Visibility(visible, mig_entries, entry, reason, entries[pos + 1 :])
        visible.append(chosen)
    return Visibility(visible, mig_entries)
