"""The demo's one link to the rest of gpusetup: the device map, built the way `gpusetup map`
builds it, turned into the devices the demo offers (the CPU, then each nvidia-smi GPU).

Everything else in ``gpusetup.demo`` reads only the ``DemoDevice`` rows made here, so a
change in how the map is gathered touches this module alone.
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from gpusetup.serde import record

if TYPE_CHECKING:
    from gpusetup.devices.map import DeviceMap

CPU = "cpu"


@record
class DemoDevice:
    """A device the demo can offer, with its row of the device map."""

    id: str  # "cpu", "gpu:N" with N the nvidia-smi index
    name: str | None = None
    smi_index: int | None = None
    pci_bus_id: str | None = None
    uuid: str | None = None
    compute_capability: str | None = None
    cuda_ordinal: int | None = None
    tf_device: str | None = None  # "/GPU:k" as TensorFlow numbers it (or predicts it)
    #: why the chosen framework cannot use this GPU (from the map's notes); None: it can
    unusable: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def is_gpu(self) -> bool:
        return self.id != CPU


@record
class DeviceTable:
    devices: list[DemoDevice]  # the CPU first, then GPUs by nvidia-smi index
    #: "tensorflow" when TensorFlow reported its own numbering, "predicted" otherwise
    tf_source: str
    notes: list[str] = field(default_factory=list)

    def get(self, device_id: str) -> DemoDevice | None:
        return next((d for d in self.devices if d.id == device_id), None)


class DeviceChoiceError(Exception):
    """``--device`` (or the API's ``device``) names no device the demo can use."""


def probe_devices(backend: str) -> DeviceTable:
    """This machine's device map, gathered as ``gpusetup map`` gathers it: the probes, then
    TensorFlow's own numbering when a CUDA build is installed (the TensorFlow backend)."""
    from gpusetup.tasks.devices import device_map

    return device_table(device_map(with_tensorflow=backend == "tensorflow"), backend)


def device_table(dmap: DeviceMap, backend: str) -> DeviceTable:
    """The demo's devices from a ``gpusetup.devices.map.DeviceMap``: whole GPUs with an
    nvidia-smi index; MIG instances and GPUs NVML did not report go into the notes."""
    devices = [DemoDevice(CPU, name="CPU", tf_device="/CPU:0")]
    notes = list(dmap.notes)
    for row in sorted((r for r in dmap.rows if r.smi_index is not None), key=lambda r: r.smi_index):
        if row.cuda_ordinal is None:
            unusable = "; ".join(row.notes) or "CUDA does not show it"
        elif backend == "tensorflow" and row.tf_device is None:
            unusable = "; ".join(row.notes) or "TensorFlow does not use it"
        else:
            unusable = None
        devices.append(
            DemoDevice(
                f"gpu:{row.smi_index}",
                row.name,
                row.smi_index,
                row.pci_bus_id,
                row.uuid,
                row.compute_capability,
                row.cuda_ordinal,
                row.tf_device,
                unusable,
                list(row.notes),
            )
        )
    for row in dmap.rows:
        if row.smi_index is None:
            notes.append(
                f"not offered: {row.name or 'a CUDA device'} (CUDA {row.cuda_ordinal}): "
                + ("; ".join(row.notes) or "no nvidia-smi index")
            )
    return DeviceTable(devices, dmap.tf_source, notes)


def choose_device(table: DeviceTable, spec: str) -> DemoDevice:
    """The device ``--device`` names: ``auto`` (the first GPU the framework can use, else
    the CPU), ``cpu``, or ``gpu:N`` with N an nvidia-smi index."""
    text = spec.strip().lower()
    if text == "auto":
        return next((d for d in table.devices if d.is_gpu and d.unusable is None), table.devices[0])
    if text == CPU:
        return table.devices[0]
    index = text.removeprefix("gpu:")
    if not text.startswith("gpu:") or not index.isdigit():
        raise DeviceChoiceError(f"{spec!r} is not a device: use auto, cpu or gpu:N")
    device = table.get(f"gpu:{int(index)}")
    if device is None:
        known = ", ".join(d.id for d in table.devices if d.is_gpu) or "none on this machine"
        raise DeviceChoiceError(f"there is no nvidia-smi GPU {int(index)} (GPUs: {known})")
    if device.unusable:
        raise DeviceChoiceError(
            f"{device.id} ({describe(device)}) cannot be used: {device.unusable}"
        )
    return device


def describe(device: DemoDevice) -> str:
    """The device's map row in one line: name, nvidia-smi index, bus id, CUDA, TensorFlow."""
    if not device.is_gpu:
        return "CPU"
    parts = [
        device.name or "GPU",
        f"nvidia-smi {device.smi_index}",
        device.pci_bus_id or "bus id unknown",
        f"CUDA {device.cuda_ordinal}" if device.cuda_ordinal is not None else "not shown to CUDA",
        f"TensorFlow {device.tf_device}" if device.tf_device else "no TensorFlow device",
    ]
    return ", ".join(parts)
