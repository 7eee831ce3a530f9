"""Machine-readable views: the versioned report and the GPU list."""

from __future__ import annotations

import json
from typing import Any

from gpusetup.facts import Facts
from gpusetup.findings import Report
from gpusetup.serde import to_jsonable

GPUS_SCHEMA = "gpusetup.gpus/1"


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def report_json(report: Report) -> str:
    return dumps(report.to_json())


def gpus_json(facts: Facts) -> str:
    from gpusetup.devices.map import nvml_faults

    nvml = facts.nvml
    gpus = []
    for g in nvml.gpus if nvml else []:
        row = to_jsonable(g)
        row["pci_bus_id_normalised"] = g.pci_bus_id_normalised
        row["lost"] = g.lost
        gpus.append(row)
    return dumps(
        {
            "schema": GPUS_SCHEMA,
            "driver_version": nvml.driver_version if nvml else None,
            "cuda_driver_version": nvml.cuda_driver_version_text if nvml else None,
            "nvml_error": to_jsonable(nvml.init_error) if nvml and nvml.init_error else None,
            "nvml_hung_call": nvml.hung_call if nvml else None,
            "faults": nvml_faults(facts),
            "gpus": gpus,
            "pci": [to_jsonable(d) for d in (facts.pci.gpus if facts.pci else [])],
        }
    )
