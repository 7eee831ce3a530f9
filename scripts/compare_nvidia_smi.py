"""Compare `gpusetup gpus --json` with nvidia-smi's own CSV; exit 1 on any difference.

    nvidia-smi --query-gpu=index,name,pci.bus_id,uuid,compute_cap,driver_version \
        --format=csv,noheader > smi.csv
    python -m gpusetup gpus --json > gpus.json
    python scripts/compare_nvidia_smi.py smi.csv gpus.json
"""

from __future__ import annotations

import csv
import json
import sys


def main(smi_csv: str, gpus_json: str) -> int:
    with open(smi_csv, newline="") as fh:
        rows = [[c.strip() for c in row] for row in csv.reader(fh) if row]
    if rows and rows[0][0] == "index":
        rows = rows[1:]
    with open(gpus_json) as fh:
        data = json.load(fh)
    ours = data["gpus"]
    problems = []
    if len(rows) != len(ours):
        problems.append(f"nvidia-smi lists {len(rows)} GPUs, gpusetup {len(ours)}")
    for row, gpu in zip(rows, ours, strict=False):
        index, name, bus_id, uuid, cc, driver = row[:6]
        want = {
            "index": int(index),
            "name": name,
            "pci_bus_id": bus_id.upper(),
            "uuid": uuid,
            "compute_capability": [int(x) for x in cc.split(".")],
            "driver": driver,
        }
        got = {
            "index": gpu["index"],
            "name": gpu["name"],
            "pci_bus_id": gpu["pci_bus_id"].upper(),
            "uuid": gpu["uuid"],
            "compute_capability": gpu["compute_capability"],
            "driver": data["driver_version"],
        }
        for key in want:
            if want[key] != got[key]:
                problems.append(
                    f"GPU {index} {key}: nvidia-smi {want[key]!r}, gpusetup {got[key]!r}"
                )
    for line in problems:
        print("MISMATCH", line)
    print(f"compared {len(rows)} GPU(s): {'OK' if not problems else 'DIFFERENT'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
