"""Compare `gpusetup gpus --json` with nvidia-smi's own CSV; exit 1 on any difference.

    nvidia-smi --query-gpu=index,name,pci.bus_id,uuid,compute_cap,driver_version \
        --format=csv > smi.csv
    python -m gpusetup gpus --json > gpus.json
    python scripts/compare_nvidia_smi.py smi.csv gpus.json

The CSV may have its columns in any order and any subset of these (read with
gpusetup.parse's CSV reader: the header names them; without a header the columns are
taken from the values, and the script says so). GPUs are paired by nvidia-smi index, else
by bus id, else by UUID. Exit 2 when a file cannot be read or holds no GPU row.
"""

from __future__ import annotations

import json
import sys

from gpusetup.parse import busid
from gpusetup.parse.nvidia_smi import read_csv

#: Neither file is ever large: a bound keeps a wrong argument (a device, a huge log) cheap.
MAX_BYTES = 16 * 1024 * 1024


def _read(path: str) -> str:
    with open(path, "rb") as fh:
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"larger than {MAX_BYTES} bytes")
    return data.decode("utf-8", errors="replace")


def _ours_for(gpu, ours: list[dict], position: int) -> dict | None:  # noqa: ANN001
    if gpu.index is not None:
        return next((g for g in ours if g.get("index") == gpu.index), None)
    if gpu.bus_id is not None:
        return next(
            (g for g in ours if busid.normalise(g.get("pci_bus_id") or "") == gpu.bus_id), None
        )
    if gpu.uuid is not None:
        return next((g for g in ours if g.get("uuid") == gpu.uuid), None)
    return ours[position] if position < len(ours) else None


def compare(csv_text: str, data: dict) -> tuple[list[str], list[str], int]:
    """(differences, notes, GPUs compared)."""
    reading = read_csv(csv_text)
    ours = [g for g in data.get("gpus", []) if isinstance(g, dict)]
    notes = [note.text for note in reading.notes]
    problems = []
    if len(reading.gpus) != len(ours):
        problems.append(f"nvidia-smi lists {len(reading.gpus)} GPUs, gpusetup {len(ours)}")
    for position, gpu in enumerate(reading.gpus):
        label = gpu.index if gpu.index is not None else gpu.bus_id or gpu.uuid or position
        mine = _ours_for(gpu, ours, position)
        if mine is None:
            problems.append(f"GPU {label}: nvidia-smi lists it, gpusetup does not")
            continue
        cc = mine.get("compute_capability")
        pairs = {
            "index": (gpu.index, mine.get("index")),
            "name": (gpu.name, mine.get("name")),
            "pci_bus_id": (gpu.bus_id, busid.normalise(mine.get("pci_bus_id") or "")),
            "uuid": (gpu.uuid, mine.get("uuid")),
            "compute_capability": (
                gpu.compute_capability,
                ".".join(str(x) for x in cc) if isinstance(cc, list) else cc,
            ),
        }
        for key, (want, got) in pairs.items():
            if want is not None and want != got:
                problems.append(f"GPU {label} {key}: nvidia-smi {want!r}, gpusetup {got!r}")
    driver = data.get("driver_version")
    if reading.driver_version is not None and reading.driver_version != driver:
        problems.append(f"driver: nvidia-smi {reading.driver_version!r}, gpusetup {driver!r}")
    return problems, notes, len(reading.gpus)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: compare_nvidia_smi.py SMI.csv GPUS.json", file=sys.stderr)
        return 2
    smi_csv, gpus_json = argv
    try:
        csv_text = _read(smi_csv)
    except (OSError, ValueError) as exc:
        print(f"compare_nvidia_smi: cannot read {smi_csv}: {exc}", file=sys.stderr)
        return 2
    try:
        data = json.loads(_read(gpus_json))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        print(f"compare_nvidia_smi: cannot read {gpus_json}: {exc}", file=sys.stderr)
        return 2
    problems, notes, count = compare(csv_text, data)
    if not count:
        print(f"compare_nvidia_smi: {smi_csv} holds no nvidia-smi CSV row", file=sys.stderr)
        return 2
    for note in notes:
        print("NOTE", note)
    for line in problems:
        print("MISMATCH", line)
    print(f"compared {count} GPU(s): {'OK' if not problems else 'DIFFERENT'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
