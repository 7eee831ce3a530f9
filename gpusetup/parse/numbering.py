"""Whose numbers a GPU listing prints: nvidia-smi's (the driver's order) or CUDA's (the
ordinals TensorFlow's /GPU:k and CUDA_VISIBLE_DEVICES indices follow)."""

from __future__ import annotations

from typing import Literal

from gpusetup.parse import device_lib, device_query, nvidia_smi, p2p, tf_log, torch_devices
from gpusetup.parse.model import CONTEXT, Reading

#: Readings that list GPUs in nvidia-smi's (the driver's) order.
SMI_KINDS = (nvidia_smi.TABLE, nvidia_smi.LIST, nvidia_smi.QUERY, nvidia_smi.CSV)
#: Readings whose numbers are CUDA ordinals (but a collect_env GPU list is nvidia-smi's).
CUDA_ORDER_KINDS = (device_query.KIND, p2p.KIND, tf_log.KIND, device_lib.KIND, torch_devices.KIND)


def numbered_by(reading: Reading) -> Literal["nvidia-smi", "cuda"] | None:
    """Whose numbering ``reading``'s GPU indices are (None: a listing without one)."""
    if reading.kind in SMI_KINDS:
        return "nvidia-smi"
    if reading.kind == torch_devices.KIND and any(
        note.kind == CONTEXT and "nvidia-smi" in note.text for note in reading.notes
    ):
        return "nvidia-smi"  # torch.utils.collect_env prints nvidia-smi -L without UUIDs
    if reading.kind in CUDA_ORDER_KINDS:
        return "cuda"
    return None
