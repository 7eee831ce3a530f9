"""Which nvidia-smi GPU is which CUDA device and which TensorFlow device.

nvidia-smi numbers GPUs in the driver's order (in practice ascending PCI bus id); CUDA
numbers the devices it is shown FASTEST_FIRST unless CUDA_DEVICE_ORDER=PCI_BUS_ID, after
CUDA_VISIBLE_DEVICES has hidden and reordered them; TensorFlow numbers /GPU:k among the
CUDA devices it accepts, skipping those below its minimum compute capability. The join is
on PCI bus id (normalised) and UUID, never on an index.
"""

from __future__ import annotations

from dataclasses import field
from typing import Literal

from gpusetup.facts import Facts, normalise_bus_id
from gpusetup.knowledge import XID_LOG_COMMAND, parse_cc
from gpusetup.serde import record


@record
class MapRow:
    smi_index: int | None
    uuid: str | None
    pci_bus_id: str | None  # 0000:3b:00.0
    name: str | None
    compute_capability: str | None
    cuda_ordinal: int | None  # None: CUDA does not show it
    tf_device: str | None  # "/GPU:0"; None: TensorFlow does not use it
    #: why a GPU has no CUDA ordinal or TensorFlow device, MIG, ...
    notes: list[str] = field(default_factory=list)
    smoke: str | None = None
    #: the driver answered "GPU is lost" for it: no TensorFlow device is predicted
    lost: bool = False
    #: a MIG instance: the nvidia-smi index of the GPU it lives in
    mig_of: int | None = None


@record
class DeviceMap:
    rows: list[MapRow]
    #: "tensorflow" when TensorFlow ran and reported its devices; "predicted" otherwise
    tf_source: Literal["tensorflow", "predicted"]
    tf_minimum: str | None
    orders_differ: bool
    notes: list[str] = field(default_factory=list)
    #: what makes the map incomplete or wrong: a driver that stopped answering, a lost GPU
    faults: list[str] = field(default_factory=list)
    #: where the CUDA ordinals come from: this machine's CUDA ("probed"), a pasted CUDA
    #: listing ("listed"), or CUDA's order predicted from a pasted nvidia-smi ("predicted")
    cuda_source: Literal["probed", "listed", "predicted"] = "probed"
    #: nvidia-smi index -> the line that makes it the framework's device 0, where a pasted
    #: listing shows no UUID to select it by (its PCI position or its listed CUDA ordinal)
    select_lines: dict[int, str] = field(default_factory=dict)

    @property
    def trustworthy(self) -> bool:
        """No rows, a driver that stopped answering, a lost GPU: not to be trusted."""
        return bool(self.rows) and not self.faults


XID_HINT = f"check the kernel log: {XID_LOG_COMMAND}"


def nvml_faults(facts: Facts) -> list[str]:
    """What the driver failed to tell: a call that hung, a probe that died, lost GPUs."""
    nvml = facts.nvml
    faults = []
    if nvml is None and "nvml" in facts.failures:
        faults.append(f"The NVML probe failed: {facts.failures['nvml'].message}")
    if nvml is not None and nvml.hung_call:
        faults.append(
            f"The NVIDIA driver stopped answering: NVML call {nvml.hung_call} did not return "
            f"within {nvml.timeout_s:g} s; {XID_HINT}"
        )
    for gpu in nvml.gpus if nvml else []:
        if gpu.lost:
            calls = ", ".join(c for c, e in gpu.errors.items() if e.error_class.endswith("Lost"))
            faults.append(
                f"nvidia-smi GPU {gpu.index} ({gpu.pci_bus_id_normalised or 'bus id unknown'}) "
                f"is lost to the driver ({calls}: GPU is lost); it needs a reboot; {XID_HINT}"
            )
    return faults


def _cc_text(cc: tuple[int, int] | None) -> str | None:
    return f"{cc[0]}.{cc[1]}" if cc else None


def build_map(facts: Facts, tf_minimum: str | None) -> DeviceMap:
    """The map of ``facts``: every NVML GPU (and MIG instance) joined with its CUDA device
    and its TensorFlow device, by bus id; ``tf_minimum``: TensorFlow's minimum compute
    capability, for the devices it would ignore when it did not run."""
    nvml = facts.nvml.gpus if facts.nvml else []
    cuda = facts.cuda
    cuda_devices = cuda.devices if cuda and cuda.ok else []
    runtime = facts.tensorflow
    tf_ran = bool(runtime and runtime.installed and runtime.error is None and runtime.is_cuda_build)
    notes: list[str] = []

    by_bus: dict[str, list] = {}
    for dev in cuda_devices:
        if dev.pci_bus_id:
            by_bus.setdefault(normalise_bus_id(dev.pci_bus_id), []).append(dev)
    tf_by_ordinal = {g.cuda_ordinal: g for g in runtime.gpus} if tf_ran and runtime else {}
    ignored_by_ordinal = {g.cuda_ordinal: g for g in runtime.ignored} if tf_ran and runtime else {}

    lost_buses = {g.pci_bus_id_normalised for g in nvml if g.lost and g.pci_bus_id}
    predicted: dict[int, str] = {}
    if not tf_ran:
        k = 0
        for dev in sorted(cuda_devices, key=lambda d: d.ordinal):
            cc = dev.compute_capability
            if tf_minimum and cc and tuple(cc) < parse_cc(tf_minimum):
                continue
            if dev.pci_bus_id and normalise_bus_id(dev.pci_bus_id) in lost_buses:
                continue  # a lost GPU gets no TensorFlow device
            predicted[dev.ordinal] = f"/GPU:{k}"
            k += 1

    def tf_for(
        ordinal: int, row_notes: list[str], cc: str | None, lost: bool = False
    ) -> str | None:
        if tf_ran:
            if ordinal in tf_by_ordinal:
                return f"/GPU:{tf_by_ordinal[ordinal].tf_index}"
            if ordinal in ignored_by_ordinal:
                skip = ignored_by_ordinal[ordinal]
                row_notes.append(
                    f"TensorFlow ignores it: compute capability "
                    f"{skip.compute_capability} < {skip.minimum}"
                )
            else:
                row_notes.append("TensorFlow did not register it")
            return None
        if ordinal in predicted:
            return predicted[ordinal]
        if lost:
            row_notes.append("lost to the driver: TensorFlow cannot use it (see gpu.nvml-query)")
        else:
            row_notes.append(f"TensorFlow would ignore it: compute capability {cc} < {tf_minimum}")
        return None

    rows: list[MapRow] = []
    seen_ordinals: set[int] = set()
    for gpu in nvml:
        bus = gpu.pci_bus_id_normalised
        matches = by_bus.get(bus or "", [])
        whole = [d for d in matches if not d.is_mig]
        migs = [d for d in matches if d.is_mig]
        row_notes: list[str] = []
        ordinal = whole[0].ordinal if whole else None
        tf_device = None
        if ordinal is not None:
            seen_ordinals.add(ordinal)
            tf_device = tf_for(ordinal, row_notes, gpu.cc_text, gpu.lost)
        elif migs:
            row_notes.append(f"shown to CUDA as {len(migs)} MIG instance(s) below")
        elif cuda is not None and cuda.ok:
            row_notes.append(
                "hidden by CUDA_VISIBLE_DEVICES"
                if cuda.visible_devices is not None
                else "CUDA does not show it"
            )
        if gpu.lost and ordinal is None:
            row_notes.append("lost to the driver (see gpu.nvml-query)")
        rows.append(
            MapRow(
                gpu.index,
                gpu.uuid,
                bus,
                gpu.name,
                gpu.cc_text,
                ordinal,
                tf_device,
                row_notes,
                lost=gpu.lost,
            )
        )
        for mig in migs:
            seen_ordinals.add(mig.ordinal)
            mig_notes = [f"MIG instance of nvidia-smi GPU {gpu.index}"]
            rows.append(
                MapRow(
                    None,
                    mig.uuid,
                    bus,
                    mig.name,
                    _cc_text(mig.compute_capability),
                    mig.ordinal,
                    tf_for(mig.ordinal, mig_notes, gpu.cc_text, gpu.lost),
                    mig_notes,
                    lost=gpu.lost,
                    mig_of=gpu.index,
                )
            )
    for dev in cuda_devices:  # CUDA devices NVML did not report (NVML not working)
        if dev.ordinal not in seen_ordinals:
            row_notes = ["not reported by NVML"]
            rows.append(
                MapRow(
                    None,
                    dev.uuid,
                    normalise_bus_id(dev.pci_bus_id or ""),
                    dev.name,
                    _cc_text(dev.compute_capability),
                    dev.ordinal,
                    tf_for(dev.ordinal, row_notes, _cc_text(dev.compute_capability)),
                    row_notes,
                )
            )

    orders_differ = cuda_order_differs(rows)
    if orders_differ:
        notes.append(differing_order_note(cuda.device_order if cuda else None))
    if cuda is not None and not cuda.ok:
        why = cuda.load_error or (cuda.init_error.name if cuda.init_error else cuda.hung_call)
        notes.append(f"CUDA shows no devices: {why}")
    if runtime is not None and runtime.dlopen_failures:
        notes.append(
            "TensorFlow could not load: "
            + "; ".join(f"{f.library} ({f.error})" for f in runtime.dlopen_failures)
            + " (gpusetup libs)"
        )
    if runtime is not None and runtime.installed and not tf_ran:
        notes.append(
            "TensorFlow device numbers are predicted: "
            + (runtime.error or "the installed TensorFlow is not a CUDA build")
        )
    return DeviceMap(
        rows,
        "tensorflow" if tf_ran else "predicted",
        tf_minimum,
        orders_differ,
        notes,
        nvml_faults(facts),
    )


@record
class UsableGpus:
    """How many GPUs the framework should use here, and why the others are left out."""

    count: int
    #: "GPU 0 (Tesla K80): TensorFlow would ignore it: compute capability 3.7 < 6.0"
    left_out: list[str] = field(default_factory=list)


def _row_label(row: MapRow) -> str:
    where = f"GPU {row.smi_index}" if row.smi_index is not None else f"CUDA {row.cuda_ordinal}"
    return where + (f" ({row.name})" if row.name else "")


def usable_gpus(facts: Facts, tf_minimum: str | None) -> UsableGpus:
    """The GPUs (and MIG instances) the framework should register under this environment:
    shown by CUDA (CUDA_VISIBLE_DEVICES applied), not below ``tf_minimum``, not lost.
    Where CUDA itself fails, what it should have shown: the NVML GPUs that qualify, less
    those CUDA_VISIBLE_DEVICES hides."""
    cuda = facts.cuda
    if cuda is not None and cuda.ok:
        dmap = build_map(facts, tf_minimum)
        parents = {r.mig_of for r in dmap.rows if r.mig_of is not None}
        left = [
            f"{_row_label(r)}: {'; '.join(r.notes) or 'not shown to the framework'}"
            for r in dmap.rows
            if not r.tf_device and not (r.mig_of is None and r.smi_index in parents)
        ]
        return UsableGpus(sum(1 for r in dmap.rows if r.tf_device), left)
    gpus = facts.nvml.gpus if facts.nvml and facts.nvml.ok else []
    if not gpus:
        return UsableGpus(0)
    visible = set(range(len(gpus)))
    if cuda is not None and cuda.visible_devices is not None:
        from gpusetup.devices.visibility import mig_inventory, resolve_visible_devices

        visible = set(
            resolve_visible_devices(
                cuda.visible_devices,
                [g.uuid for g in gpus],
                mig_inventory(gpus),
                facts.nvml.driver_version if facts.nvml else None,
            ).visible
        )
    count, left = 0, []
    for pos, gpu in enumerate(gpus):
        label = f"GPU {gpu.index}" + (f" ({gpu.name})" if gpu.name else "")
        cc = gpu.compute_capability
        if gpu.lost:
            left.append(f"{label}: lost to the driver")
        elif pos not in visible:
            left.append(f"{label}: hidden by CUDA_VISIBLE_DEVICES")
        elif tf_minimum and cc and tuple(cc) < parse_cc(tf_minimum):
            left.append(f"{label}: compute capability {gpu.cc_text} < {tf_minimum}")
        else:
            count += 1
    if cuda is not None and count:
        why = cuda.load_error or (cuda.init_error.name if cuda.init_error else cuda.hung_call)
        left.append(f"CUDA itself shows no device: {why} (see cuda.init)")
    return UsableGpus(count, left)


class SelectionError(Exception):
    pass


def select_line(device_map: DeviceMap, smi_index: int) -> str:
    """The environment line that makes nvidia-smi GPU ``smi_index`` TensorFlow's /GPU:0."""
    row = next((r for r in device_map.rows if r.smi_index == smi_index), None)
    if row is None:
        known = ", ".join(str(r.smi_index) for r in device_map.rows if r.smi_index is not None)
        raise SelectionError(f"there is no nvidia-smi GPU {smi_index} (GPUs: {known or 'none'})")
    if (
        row.compute_capability
        and device_map.tf_minimum
        and (parse_cc(row.compute_capability) < parse_cc(device_map.tf_minimum))
    ):
        raise SelectionError(
            f"GPU {smi_index} ({row.name}) has compute capability {row.compute_capability}; "
            f"TensorFlow needs {device_map.tf_minimum} and will ignore it whatever the "
            "environment says"
        )
    if row.lost:
        raise SelectionError(
            f"GPU {smi_index} is lost to the driver: no job can use it until a reboot"
        )
    if not row.uuid and smi_index in device_map.select_lines:
        return device_map.select_lines[smi_index]
    if not row.uuid:
        raise SelectionError(f"GPU {smi_index} has no UUID to select it by")
    return f"export CUDA_VISIBLE_DEVICES={row.uuid}"


def with_smoke(device_map: DeviceMap, devices: list) -> DeviceMap:
    """Fill the smoke column from a smoke run: TensorFlow's GPU:k is the row's /GPU:k,
    PyTorch's cuda:k its CUDA ordinal k (PyTorch numbers devices as CUDA does)."""
    from dataclasses import replace

    results = {}
    for dev in devices:
        if dev.device.startswith("GPU:"):
            results[("tf", "/" + dev.device)] = dev
        elif dev.device.startswith("cuda:"):
            results[("cuda", int(dev.device.split(":", 1)[1]))] = dev
    rows = []
    for row in device_map.rows:
        dev = results.get(("tf", row.tf_device)) or results.get(("cuda", row.cuda_ordinal))
        if dev is None:
            rows.append(row)
            continue
        text = (
            f"pass {dev.latency_ms:.2f} ms"
            if dev.status == "pass"
            else f"{dev.status}: {dev.error_kind or 'error'}"
        )
        rows.append(replace(row, smoke=text))
    return replace(device_map, rows=rows)


def cuda_order_differs(rows: list[MapRow]) -> bool:
    """Whether CUDA's ordinals put the GPUs in another order than nvidia-smi's indexes."""
    in_cuda_order = [
        r.smi_index
        for r in sorted(rows, key=lambda r: (r.cuda_ordinal is None, r.cuda_ordinal or 0))
        if r.cuda_ordinal is not None and r.smi_index is not None
    ]
    return in_cuda_order != sorted(in_cuda_order)


def differing_order_note(device_order: str | None) -> str:
    """What to do when ``cuda_order_differs`` (``device_order``: CUDA_DEVICE_ORDER's value)."""
    return (
        "CUDA numbers these GPUs differently from nvidia-smi (CUDA_DEVICE_ORDER is "
        f"{device_order or 'unset: FASTEST_FIRST'}). Export "
        "CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA ordinals follow nvidia-smi's, or "
        "select GPUs by UUID (gpusetup map --select N)."
    )
