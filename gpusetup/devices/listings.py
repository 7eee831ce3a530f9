"""Which nvidia-smi GPU is which CUDA device, from pasted listings: the join of an
nvidia-smi reading with a CUDA-order reading (deviceQuery, p2p, a TensorFlow log or device
list), CUDA's default FASTEST_FIRST order predicted from nvidia-smi alone, and the
environment line that makes a chosen nvidia-smi GPU the framework's device 0.

The rules are those of ``gpusetup.devices.map`` (the live-machine join), whose DeviceMap
this returns: GPUs are joined on the normalised PCI bus id, then on UUID when both
listings print one, never on an index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from gpusetup.devices.map import (
    DeviceMap,
    MapRow,
    SelectionError,
    cuda_order_differs,
    differing_order_note,
    select_line,
)
from gpusetup.knowledge import parse_cc
from gpusetup.parse.model import CONTEXT, CUT, ELIDED, PARTIAL, GpuRecord, Reading, merged
from gpusetup.parse.numbering import numbered_by
from gpusetup.serde import record

CONFIRM = (
    "deviceQuery, p2pBandwidthLatencyTest or TensorFlow's log ('Found device N' or 'Created "
    "TensorFlow device' lines) print the CUDA order with bus ids; with "
    "CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA follows nvidia-smi's order instead"
)


def _is_mig(gpu: GpuRecord) -> bool:
    return bool(
        (gpu.uuid and gpu.uuid.startswith("MIG-"))
        or (gpu.name and re.search(r"\bMIG \d{1,12}g\.\d{1,12}gb", gpu.name))
    )


def _complete(reading: Reading) -> bool:
    """Whether a listing shows every GPU: not cut inside its GPU list, no fewer than it says,
    no rows left out by the poster."""
    if reading.gpu_count is not None and len(reading.gpus) < reading.gpu_count:
        return False
    return not any(
        note.kind in (PARTIAL, ELIDED) or (note.kind == CUT and "GPU list" in note.text)
        for note in reading.notes
    )


def join(smi: Reading, cuda: Reading, tf_minimum: str | None = None) -> DeviceMap:
    """The device map of two listings taken on one machine."""
    cuda_gpus = list(cuda.gpus)
    tf_listed = cuda.kind in ("tf-log", "tf-device-lib") and any(
        g.tf_device is not None or g.ignored for g in cuda_gpus
    )
    notes: list[str] = []
    predicted: dict[int, str] = {}
    if not tf_listed:
        k = 0
        for gpu in sorted((g for g in cuda_gpus if g.index is not None), key=lambda g: g.index):
            if _below(gpu.compute_capability, tf_minimum):
                continue
            predicted[gpu.index] = f"/GPU:{k}"  # type: ignore[index]
            k += 1

    def tf_for(gpu: GpuRecord, row_notes: list[str]) -> str | None:
        if tf_listed:
            if gpu.tf_device is not None:
                return f"/GPU:{gpu.tf_device}"
            if gpu.ignored:
                row_notes.append(
                    f"TensorFlow ignores it: compute capability {gpu.compute_capability} "
                    f"< {gpu.minimum_cc}"
                )
            else:
                row_notes.append("the TensorFlow listing does not give its /GPU number")
            return None
        if gpu.index in predicted:
            return predicted[gpu.index]
        row_notes.append(
            f"TensorFlow would ignore it: compute capability {gpu.compute_capability} "
            f"< {tf_minimum}"
        )
        return None

    rows: list[MapRow] = []
    used: set[int] = set()
    for gpu in smi.gpus:
        matches, by = _matches(gpu, cuda_gpus)
        whole = [d for d in matches if not _is_mig(d)]
        migs = [d for d in matches if _is_mig(d)]
        row_notes: list[str] = [f"joined by {by}"] if matches else []
        device = whole[0] if whole else None
        tf_device = None
        if device is not None:
            used.add(id(device))
            tf_device = tf_for(device, row_notes)
        elif migs:
            row_notes.append(f"shown to CUDA as {len(migs)} MIG instance(s) below")
        elif gpu.bus_id is None and gpu.uuid is None:
            row_notes.append("the nvidia-smi listing gives no bus id or UUID to join it by")
        elif not _complete(cuda):
            row_notes.append("not in the CUDA listing, which is cut: it may be further on")
        else:
            row_notes.append("the CUDA listing does not show it")
        cc = (device.compute_capability if device else None) or gpu.compute_capability
        rows.append(
            MapRow(
                gpu.index,
                gpu.uuid or (device.uuid if device else None),
                gpu.bus_id or (device.bus_id if device else None),
                gpu.name or (device.name if device else None),
                cc,
                device.index if device else None,
                tf_device,
                row_notes,
            )
        )
        for mig in migs:
            used.add(id(mig))
            mig_notes = [f"MIG instance of nvidia-smi GPU {gpu.index}"]
            rows.append(
                MapRow(
                    None,
                    mig.uuid,
                    mig.bus_id,
                    mig.name,
                    mig.compute_capability,
                    mig.index,
                    tf_for(mig, mig_notes),
                    mig_notes,
                )
            )
    for device in cuda_gpus:
        if id(device) not in used:
            row_notes = ["not in the nvidia-smi listing"]
            if not _complete(smi):
                row_notes.append("(the nvidia-smi listing is cut)")
            rows.append(
                MapRow(
                    None,
                    device.uuid,
                    device.bus_id,
                    device.name,
                    device.compute_capability,
                    device.index,
                    tf_for(device, row_notes),
                    row_notes,
                )
            )
    orders_differ = cuda_order_differs(rows)
    if orders_differ:
        notes.append(differing_order_note(None))  # a paste shows no environment
    return DeviceMap(
        rows, "tensorflow" if tf_listed else "predicted", tf_minimum, orders_differ, notes
    )


def _matches(gpu: GpuRecord, devices: list[GpuRecord]) -> tuple[list[GpuRecord], str]:
    if gpu.bus_id is not None:
        by_bus = [d for d in devices if d.bus_id == gpu.bus_id]
        if by_bus:
            agree = [d for d in by_bus if d.uuid is None or gpu.uuid is None or d.uuid == gpu.uuid]
            return agree, "bus id"
    if gpu.uuid is not None:
        by_uuid = [d for d in devices if d.uuid is not None and d.uuid == gpu.uuid]
        if by_uuid:
            return by_uuid, "UUID"
    return [], ""


def mapping(device_map: DeviceMap) -> dict[int, int]:
    """nvidia-smi index -> CUDA ordinal, for the GPUs both listings show."""
    return {
        row.smi_index: row.cuda_ordinal
        for row in device_map.rows
        if row.smi_index is not None and row.cuda_ordinal is not None
    }


# --- CUDA's default order, predicted from nvidia-smi alone ----------------------------------

#: FP32 cores per multiprocessor by compute capability (the CUDA samples' _ConvertSMVer2Cores).
_CORES_PER_SM = {
    (1, 0): 8, (1, 1): 8, (1, 2): 8, (1, 3): 8, (2, 0): 32, (2, 1): 48,
    (3, 0): 192, (3, 2): 192, (3, 5): 192, (3, 7): 192, (5, 0): 128, (5, 2): 128, (5, 3): 128,
    (6, 0): 64, (6, 1): 128, (6, 2): 128, (7, 0): 64, (7, 2): 64, (7, 5): 64, (8, 0): 64,
    (8, 6): 128, (8, 7): 128, (8, 9): 128, (9, 0): 128, (10, 0): 128, (12, 0): 128,
}  # fmt: skip
#: (compute capability, multiprocessors) of GPUs by the name nvidia-smi prints (NVIDIA's
#: specifications; deviceQuery prints both). A model missing here leaves a mixed machine's
#: order unpredicted rather than guessed.
_MODELS: dict[str, tuple[str, int]] = {
    "GeForce 8400 GS": ("1.1", 1),
    "GeForce GTX 460": ("2.1", 7),
    "NVS 315": ("2.1", 1),
    "GeForce GTX 680": ("3.0", 8),
    "GeForce GTX 690": ("3.0", 8),
    "GeForce GTX 780": ("3.5", 12),
    "GeForce GTX 780 Ti": ("3.5", 15),
    "GeForce GTX TITAN": ("3.5", 14),
    "Tesla K20c": ("3.5", 13),
    "Tesla K40c": ("3.5", 15),
    "Tesla K40m": ("3.5", 15),
    "Tesla K80": ("3.7", 13),
    "GeForce 840M": ("5.0", 3),
    "Tesla M40 24GB": ("5.2", 24),
    "GeForce GTX 1050 Ti": ("6.1", 6),
    "GeForce GTX 1060 6GB": ("6.1", 10),
    "GeForce GTX 1070": ("6.1", 15),
    "GeForce GTX 1080": ("6.1", 20),
    "GeForce GTX 1080 Ti": ("6.1", 28),
    "TITAN X (Pascal)": ("6.1", 28),
    "Quadro P1000": ("6.1", 5),
    "Tesla P4": ("6.1", 20),
    "Tesla P100-PCIE-16GB": ("6.0", 56),
    "Tesla V100-SXM2-16GB": ("7.0", 80),
    "Tesla V100-SXM2-32GB": ("7.0", 80),
    "GeForce GTX 1660 SUPER": ("7.5", 22),
    "GeForce RTX 2080 Ti": ("7.5", 68),
    "TITAN RTX": ("7.5", 72),
    "Tesla T4": ("7.5", 40),
    "GeForce RTX 3060": ("8.6", 28),
    "GeForce RTX 3090": ("8.6", 82),
    "RTX A5000": ("8.6", 64),
    "RTX A6000": ("8.6", 84),
    "A40": ("8.6", 84),
    "A10G": ("8.6", 80),
    "A100-SXM4-80GB": ("8.0", 108),
    "A100-SXM4-40GB": ("8.0", 108),
    "A100 80GB PCIe": ("8.0", 108),
    "A800-SXM4-80GB": ("8.0", 108),
    "GeForce RTX 4090": ("8.9", 128),
    "L4": ("8.9", 58),
    "L40S": ("8.9", 142),
    "RTX 2000 Ada Generation": ("8.9", 22),
    "H100 80GB HBM3": ("9.0", 132),
    "B200": ("10.0", 148),
    "GeForce RTX 5070": ("12.0", 48),
    "GeForce RTX 5070 Ti": ("12.0", 70),
    "GeForce RTX 5090": ("12.0", 170),
}
#: Two models whose estimated speeds differ by less than this factor may come in either
#: order: NVIDIA documents FASTEST_FIRST only as "a simple heuristic".
CLOSE = 1.5
_ESTIMATE = "estimated speed: multiprocessors x cores per multiprocessor"


@record
class OrderPrediction:
    #: nvidia-smi indices in the predicted CUDA order (CUDA ordinal k is order[k]); None
    #: when the listing does not allow a prediction
    order: tuple[int, ...] | None
    certain: bool
    reasons: tuple[str, ...]
    confirm_with: str = CONFIRM


def _model(name: str | None) -> tuple[str, int] | None:
    if not name or name.endswith("..."):
        return None
    bare = re.sub(r"^NVIDIA\s+", "", name.strip())
    return _MODELS.get(bare)


def _speed(model: tuple[str, int]) -> int:
    major, minor = parse_cc(model[0])
    return _CORES_PER_SM.get((major, minor), 64) * model[1]


def predict_cuda_order(smi: Reading) -> OrderPrediction:
    """CUDA's default order (FASTEST_FIRST) for the GPUs of an nvidia-smi listing: a
    faster device first, equal ones in PCI bus order."""
    gpus = [g for g in smi.gpus if g.index is not None]
    if not gpus:
        return OrderPrediction(None, False, ("the listing numbers no GPU",))
    if not _complete(smi) or len(gpus) < len(smi.gpus):
        return OrderPrediction(
            None,
            False,
            ("the listing is cut: the GPUs after it are not known, and they take part",),
        )
    reasons: list[str] = []
    if all(g.bus_id for g in gpus):
        bus_order = sorted(gpus, key=lambda g: g.bus_id or "")
    else:
        bus_order = sorted(gpus, key=lambda g: g.index or 0)
        reasons.append("no bus ids: nvidia-smi's index order stands in for the PCI order")
    names = {g.name for g in gpus}
    if len(names) == 1 and None not in names:
        reasons.append("one model only: CUDA keeps PCI bus order")
        order = tuple(g.index for g in bus_order)  # type: ignore[misc]
        return OrderPrediction(order, True, tuple(reasons))
    unknown = sorted({g.name or f"GPU {g.index}" for g in gpus if _model(g.name) is None})
    if unknown:
        reasons.append("no speed known for " + ", ".join(unknown))
        return OrderPrediction(None, False, tuple(reasons))
    speeds = {g.index: _speed(_model(g.name)) for g in gpus}  # type: ignore[arg-type]
    ranked = sorted(bus_order, key=lambda g: -speeds[g.index])
    certain = True
    for a, b in zip(ranked, ranked[1:], strict=False):
        if a.name != b.name and speeds[a.index] < CLOSE * speeds[b.index]:
            certain = False
            reasons.append(
                f"{a.name} and {b.name} are close in speed: CUDA may order them either way"
            )
    reasons.append(_ESTIMATE)
    return OrderPrediction(tuple(g.index for g in ranked), certain, tuple(reasons))  # type: ignore[misc]


# --- the line that makes a GPU device 0 -----------------------------------------------------


def visible_devices_line(
    smi: Reading, smi_index: int, cuda: Reading | None = None, tf_minimum: str | None = None
) -> str:
    """The environment line that makes nvidia-smi GPU ``smi_index`` the framework's device 0.

    With a UUID: ``gpusetup.devices.map.select_line``'s answer (``CUDA_VISIBLE_DEVICES=GPU-...``).
    Without one (a table, a csv without uuid): ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` with the
    GPU's position in PCI bus order, when the listing shows every GPU and its bus id.
    Raises ``SelectionError`` when neither is known.
    """
    device_map = join(smi, cuda, tf_minimum) if cuda is not None else _smi_only_map(smi, tf_minimum)
    try:
        return select_line(device_map, smi_index)
    except SelectionError:
        row = next((r for r in device_map.rows if r.smi_index == smi_index), None)
        # select_line refuses a missing GPU and a too-low compute capability before a
        # missing UUID: only the last has another answer here
        if row is None or row.uuid or _below(row.compute_capability, tf_minimum):
            raise
    gpus = [g for g in smi.gpus if g.index is not None]
    if _complete(smi) and gpus and all(g.bus_id for g in gpus):
        # PCI bus order is stable whatever CUDA's speed heuristic does
        position = sorted(g.bus_id or "" for g in gpus).index(row.pci_bus_id or "")
        return f"export CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES={position}"
    if cuda is not None and row.cuda_ordinal is not None and _unrestricted(cuda):
        # the CUDA listing's ordinal, in the order it was numbered with
        return f"export CUDA_DEVICE_ORDER=FASTEST_FIRST CUDA_VISIBLE_DEVICES={row.cuda_ordinal}"
    raise SelectionError(
        f"GPU {smi_index} has no UUID in this listing, and neither its position in PCI bus "
        "order (the listing is cut or prints no bus ids) nor its CUDA ordinal is known: "
        "paste nvidia-smi -L"
    )


def _unrestricted(cuda: Reading) -> bool:
    """Whether a CUDA listing was taken with every GPU visible (no CUDA_VISIBLE_DEVICES)."""
    return not any(note.kind == CONTEXT for note in cuda.notes)


def _below(cc: str | None, minimum: str | None) -> bool:
    return bool(cc and minimum and parse_cc(cc) < parse_cc(minimum))


def _smi_only_map(smi: Reading, tf_minimum: str | None) -> DeviceMap:
    rows = [
        MapRow(g.index, g.uuid, g.bus_id, g.name, g.compute_capability, None, None, [])
        for g in smi.gpus
    ]
    return DeviceMap(rows, "predicted", tf_minimum, False, [])


# --- the map of a whole paste ---------------------------------------------------------------


def _same_gpu(a: GpuRecord, b: GpuRecord) -> bool:
    """Two nvidia-smi records of one GPU: the same index, bus id or UUID, none differing."""
    pairs = ((a.index, b.index), (a.bus_id, b.bus_id), (a.uuid, b.uuid))
    shared = any(x is not None and x == y for x, y in pairs)
    return shared and all(x is None or y is None or x == y for x, y in pairs)


def merged_listing(readings: Sequence[Reading]) -> Reading | None:
    """nvidia-smi's GPUs as several of its outputs of one machine show them (a table with
    bus ids and -L with UUIDs make one listing with both); complete when one of them is."""
    if not readings:
        return None
    if len(readings) == 1:
        return readings[0]
    gpus: list[GpuRecord] = []
    for reading in readings:
        for gpu in reading.gpus:
            at = next((i for i, seen in enumerate(gpus) if _same_gpu(seen, gpu)), None)
            if at is None:
                gpus.append(gpu)
            else:
                gpus[at] = merged(gpus[at], gpu)
    whole = next((r for r in readings if _complete(r)), None)
    notes = tuple(
        note
        for r in readings
        for note in r.notes
        if whole is None or note.kind not in (PARTIAL, ELIDED, CUT)
    )
    counts = [r.gpu_count for r in readings if r.gpu_count is not None]
    gpus.sort(key=lambda g: (g.index is None, g.index or 0))
    return replace(
        readings[0], gpus=tuple(gpus), notes=notes, gpu_count=max(counts) if counts else None
    )


def _cuda_listing(readings: Sequence[Reading]) -> Reading | None:
    """The CUDA-order listing to join: one taken with every GPU visible where there is one,
    then the one that lists the most GPUs."""
    listed = [r for r in readings if r.gpus]
    if not listed:
        return None
    return max(listed, key=lambda r: (_unrestricted(r), len(r.gpus)))


def _predicted_map(smi: Reading, tf_minimum: str | None) -> DeviceMap:
    """nvidia-smi's GPUs with the CUDA ordinals FASTEST_FIRST would give them."""
    prediction = predict_cuda_order(smi)
    ordinal = {index: k for k, index in enumerate(prediction.order or ())}
    usable = [i for i in prediction.order or () if not _below(_cc_of(smi, i), tf_minimum)]
    rows = []
    for gpu in smi.gpus:
        row_notes: list[str] = []
        k = ordinal.get(gpu.index) if gpu.index is not None else None
        tf_device = None
        if k is not None and gpu.index in usable:
            tf_device = f"/GPU:{usable.index(gpu.index)}"
        elif k is not None:
            row_notes.append(
                f"TensorFlow would ignore it: compute capability {_cc_of(smi, gpu.index)} "
                f"< {tf_minimum}"
            )
        rows.append(
            MapRow(gpu.index, gpu.uuid, gpu.bus_id, gpu.name, gpu.compute_capability, k,
                   tf_device, row_notes)
        )  # fmt: skip
    if prediction.order is None:
        head = "CUDA's order cannot be predicted from this nvidia-smi output"
    elif prediction.certain:
        head = "CUDA ordinals predicted (no CUDA listing pasted; FASTEST_FIRST)"
    else:
        head = "CUDA ordinals predicted, uncertain (no CUDA listing pasted; FASTEST_FIRST)"
    notes = [f"{head}: {'; '.join(prediction.reasons)}. To confirm: {prediction.confirm_with}."]
    in_cuda_order = list(prediction.order or ())
    differ = in_cuda_order != sorted(in_cuda_order)
    if differ:
        notes.append(
            "CUDA would number these GPUs differently from nvidia-smi. Export "
            "CUDA_DEVICE_ORDER=PCI_BUS_ID so CUDA ordinals follow nvidia-smi's, or select "
            "GPUs by UUID."
        )
    return DeviceMap(rows, "predicted", tf_minimum, differ, notes, cuda_source="predicted")


def _cc_of(smi: Reading, index: int | None) -> str | None:
    gpu = next((g for g in smi.gpus if g.index == index), None)
    cc = gpu.compute_capability if gpu else None
    if cc is None and gpu is not None and (model := _model(gpu.name)):
        cc = model[0]
    return cc


def paste_map(readings: Sequence[Reading], tf_minimum: str | None = None) -> DeviceMap:
    """The device map the listings of one paste give: nvidia-smi's GPUs joined with a CUDA
    listing (``join``), or with the order CUDA would give them (predicted, with how sure
    and which listing confirms it); with the line that makes each GPU device 0."""
    smi = merged_listing([r for r in readings if numbered_by(r) == "nvidia-smi"])
    cuda = _cuda_listing([r for r in readings if numbered_by(r) == "cuda"])
    if smi is None and cuda is None:
        return DeviceMap([], "predicted", tf_minimum, False, ["no GPU listing in the text"])
    if cuda is None:
        device_map = _predicted_map(smi, tf_minimum)  # type: ignore[arg-type]
    else:
        device_map = replace(
            join(smi or Reading(kind="nvidia-smi-L"), cuda, tf_minimum), cuda_source="listed"
        )
        if smi is None:
            device_map = replace(
                device_map,
                notes=[
                    *device_map.notes,
                    f"No nvidia-smi output pasted: nvidia-smi's numbers are unknown. {SMI_CONFIRM}",
                ],
            )
    lines = {}
    for gpu in smi.gpus if smi else ():
        if gpu.index is None or gpu.uuid:
            continue
        try:
            lines[gpu.index] = visible_devices_line(smi, gpu.index, cuda, tf_minimum)  # type: ignore[arg-type]
        except SelectionError:
            continue
    return replace(device_map, select_lines=lines)


SMI_CONFIRM = "nvidia-smi (its table, -L or --query-gpu=index,pci.bus_id,uuid) gives them"


# --- "which number does my config need?" answered from a paste ------------------------------

#: "GPU 4, 5, 6", "GPUs 4 and 5", "gpu #2": the nvidia-smi numbers a question names
_ASKED = re.compile(
    r"\bGPUs?\s*#?(?P<list>\d{1,3}(?:\s*(?:,|/|&|\band\b|\bor\b)\s*#?\d{1,3}){0,15})\b",
    re.IGNORECASE,
)


def asked_gpus(prose: Sequence[str]) -> tuple[int, ...]:
    """The GPU numbers the lines of prose around the outputs name, in the order named."""
    found: list[int] = []
    for text in prose:
        for match in _ASKED.finditer(text):
            for number in re.findall(r"\d{1,3}", match["list"]):
                if int(number) not in found:
                    found.append(int(number))
    return tuple(found)


@record
class GpuNumbering:
    """What a paste's listings say about GPU numbers: the device map, the nvidia-smi GPUs
    the text asks about, and how to address them."""

    device_map: DeviceMap
    asked: tuple[int, ...]
    #: the answer in sentences: each asked GPU's CUDA ordinal, what to set, what to check
    answer: tuple[str, ...]
    #: the environment line that makes the asked GPUs (else every GPU) devices 0, 1, ...
    line: str | None


def _rows_by_smi(device_map: DeviceMap) -> dict[int, MapRow]:
    return {r.smi_index: r for r in device_map.rows if r.smi_index is not None}


def _select_many(
    smi: Reading, indices: Sequence[int], device_map: DeviceMap, cuda: Reading | None
) -> tuple[str | None, str]:
    """The line that shows CUDA exactly these nvidia-smi GPUs, in this order, and how it
    picks them (by UUID, by PCI bus position, by a pasted listing's CUDA ordinals)."""
    gpus = {g.index: g for g in smi.gpus if g.index is not None}
    chosen = [gpus[i] for i in indices]
    uuids = [g.uuid for g in chosen]
    if all(uuids) and len(set(uuids)) == len(uuids):
        return f"export CUDA_VISIBLE_DEVICES={','.join(uuids)}", "by UUID"  # type: ignore[arg-type]
    if not _complete(smi):
        rows = _rows_by_smi(device_map)
        ordinals = [rows[i].cuda_ordinal for i in indices if i in rows]
        listed = device_map.cuda_source == "listed" and cuda is not None and _unrestricted(cuda)
        if listed and len(ordinals) == len(indices) and None not in ordinals:
            value = ",".join(str(k) for k in ordinals)
            return (
                f"export CUDA_DEVICE_ORDER=FASTEST_FIRST CUDA_VISIBLE_DEVICES={value}",
                "by the CUDA ordinals the pasted listing shows",
            )
        return None, ""
    if all(g.bus_id for g in gpus.values()):
        order = sorted(g.bus_id or "" for g in gpus.values())
        positions = [order.index(g.bus_id or "") for g in chosen]
        how = "by PCI bus position"
    else:
        positions = [sorted(gpus).index(i) for i in indices]
        how = "by PCI bus position; nvidia-smi's numbers follow the bus"
    value = ",".join(str(p) for p in positions)
    return f"export CUDA_DEVICE_ORDER=PCI_BUS_ID CUDA_VISIBLE_DEVICES={value}", how


def numbering(readings: Sequence[Reading], prose: Sequence[str] = (),
              tf_minimum: str | None = None) -> GpuNumbering | None:  # fmt: skip
    """The GPU numbering a paste shows (None: no nvidia-smi listing in it): the map of its
    listings, and for the GPUs its prose names (else every GPU) their CUDA ordinals, listed
    or predicted with its caveat, and the line that makes them devices 0, 1, ..."""
    smi = merged_listing([r for r in readings if numbered_by(r) == "nvidia-smi"])
    if smi is None or not any(g.index is not None for g in smi.gpus):
        return None
    device_map = paste_map(readings, tf_minimum)
    rows = _rows_by_smi(device_map)
    asked = asked_gpus(prose)
    wanted = [i for i in asked if i in rows] or sorted(rows)
    answer: list[str] = []
    missing = [i for i in asked if i not in rows]
    if missing:
        known = ", ".join(str(i) for i in sorted(rows))
        answer.append(
            f"nvidia-smi shows no GPU {', '.join(str(i) for i in missing)} here (it lists "
            f"{known}{'; the listing is cut' if not _complete(smi) else ''})."
        )
    listed = device_map.cuda_source == "listed"
    for index in wanted:
        row = rows[index]
        label = f"nvidia-smi GPU {index}" + (f" ({row.name})" if row.name else "")
        if row.cuda_ordinal is None:
            answer.append(f"{label}: its CUDA ordinal is not known from this text.")
            continue
        how = "as the pasted CUDA listing numbers it" if listed else "predicted"
        tf = f", TensorFlow {row.tf_device}" if row.tf_device else ""
        answer.append(f"{label} is CUDA device {row.cuda_ordinal}{tf} ({how}).")
    if not listed:
        prediction = predict_cuda_order(smi)
        if prediction.order is None or not prediction.certain:
            answer.append(
                "No CUDA listing was pasted, and CUDA's order cannot be predicted for sure "
                f"here ({'; '.join(r for r in prediction.reasons if r != _ESTIMATE)}); to "
                f"confirm: {prediction.confirm_with}."
            )
    cuda = _cuda_listing([r for r in readings if numbered_by(r) == "cuda"])
    line, how = _select_many(smi, wanted, device_map, cuda)
    if line:
        answer.append(
            f"To run on them: {line} ({how}); the framework then numbers them "
            + ", ".join(f"{k}" for k in range(len(wanted)))
            + " in that order (/GPU:0 ... in TensorFlow, cuda:0 ... in PyTorch): use those "
            "numbers in the config."
        )
    else:
        answer.append(
            "No line can pick them from this text (no UUIDs, and the listing is cut): paste "
            "the full nvidia-smi -L."
        )
    return GpuNumbering(device_map, tuple(asked), tuple(answer), line)
