"""The device map as a task: which nvidia-smi GPU is which CUDA device and TensorFlow
/GPU:k (TensorFlow run in a child when a CUDA build is installed, else predicted), with
the smoke result per GPU on request; and the GPU list."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from gpusetup.devices.map import DeviceMap, nvml_faults
from gpusetup.facts import Facts
from gpusetup.knowledge import Profile
from gpusetup.serde import record
from gpusetup.tasks.smoke import SmokeEvents
from gpusetup.tasks.source import ProbeOptions, start_facts

if TYPE_CHECKING:
    from gpusetup.tasks.source import FactsSource


def device_map(
    facts: FactsSource = None,
    *,
    environ: Mapping[str, str] | None = None,
    profile: Profile | str = "default",
    smoke_backend: str | None = None,
    on_smoke_event: SmokeEvents | None = None,
    with_tensorflow: bool = True,
) -> DeviceMap:
    """The map ``gpusetup map --json`` prints. ``facts``: probed here (None), given, or
    read from a file (see ``tasks.source``); on probed facts TensorFlow itself is asked
    for its numbering when a CUDA build is installed (``with_tensorflow``), under
    ``environ``. ``smoke_backend`` also runs the smoke inference and fills its column."""
    import os

    from gpusetup.devices.map import build_map, usable_gpus, with_smoke
    from gpusetup.diagnose import tensorflow_minimum
    from gpusetup.tasks.doctor import profile_named
    from gpusetup.tasks.smoke import check_backend

    if smoke_backend is not None:
        check_backend(smoke_backend)
    env = dict(os.environ if environ is None else environ)
    pending = start_facts(facts, ProbeOptions(environ=env))
    found = pending.result()
    installed = found.libs.tensorflow if found.libs else None
    # only a CUDA build of TensorFlow has GPUs to report; for others the map predicts
    if pending.probed and with_tensorflow and installed is not None and installed.is_cuda_build:
        from gpusetup.probe.tfruntime import probe_tensorflow

        found = replace(found, tensorflow=probe_tensorflow(env))
    minimum = tensorflow_minimum(found, profile_named(profile))
    if pending.pasted:
        from gpusetup.devices.listings import paste_map

        # pasted listings: joined as printed (bus id, then UUID), cut or elided ones said
        # so, CUDA's order predicted where no CUDA listing was pasted
        readings = [block.reading for item in pending.pasted for block in item.paste.blocks]
        dmap = replace(paste_map(readings, minimum), faults=nvml_faults(found))
    else:
        dmap = build_map(found, minimum)
    if smoke_backend is not None:
        from gpusetup.tasks.smoke import smoke

        expect = usable_gpus(found, dmap.tf_minimum)
        dmap = with_smoke(dmap, smoke(smoke_backend, 120.0, expect, on_smoke_event).run.devices)
    return dmap


def select(dmap: DeviceMap, smi_index: int) -> str:
    """The line that makes nvidia-smi GPU ``smi_index`` TensorFlow's /GPU:0 (by UUID).
    Raises SelectionError for a GPU that does not exist or TensorFlow would ignore."""
    from gpusetup.devices.map import select_line

    return select_line(dmap, smi_index)


@record
class GpuList:
    facts: Facts
    #: what the driver failed to tell (a call that hung, lost GPUs)
    faults: list[str]

    @property
    def found(self) -> bool:
        """An NVIDIA GPU was seen (by NVML or on the PCI bus) and the driver answered."""
        facts = self.facts
        seen = (facts.nvml and facts.nvml.gpus) or (facts.pci and facts.pci.gpus)
        return bool(seen) and not self.faults


def gpus(facts: FactsSource = None) -> GpuList:
    """The GPUs ``gpusetup gpus`` lists: NVML's, else the PCI bus's."""
    found = start_facts(facts).result()
    return GpuList(found, nvml_faults(found))
