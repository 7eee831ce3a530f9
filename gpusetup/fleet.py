"""Many nodes' reports in one view: which nodes fail which checks, counts per check id, GPU
models and driver versions across the fleet. Corrupt or foreign files are skipped, each
with the reason."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from gpusetup.findings import REPORT_SCHEMA


@dataclass(frozen=True)
class FleetSummary:
    nodes: int
    failing_nodes: list[str] = field(default_factory=list)
    #: check id -> status -> number of findings
    checks: dict[str, dict[str, int]] = field(default_factory=dict)
    #: check id -> nodes where it failed
    failures: dict[str, list[str]] = field(default_factory=dict)
    gpu_models: dict[str, int] = field(default_factory=dict)
    drivers: dict[str, int] = field(default_factory=dict)
    #: file -> why it was skipped
    skipped: dict[str, str] = field(default_factory=dict)


def _node_name(report: dict, path: Path) -> str:
    host = ((report.get("facts") or {}).get("host") or {}).get("hostname")
    return host if host and host != "<host>" else path.stem


def merge(paths: list[Path]) -> FleetSummary:
    checks: dict[str, Counter] = defaultdict(Counter)
    failures: dict[str, list[str]] = defaultdict(list)
    models: Counter = Counter()
    drivers: Counter = Counter()
    failing: list[str] = []
    skipped: dict[str, str] = {}
    nodes = 0
    for path in paths:
        try:
            report = json.loads(path.read_bytes())
        except OSError as exc:
            skipped[str(path)] = f"cannot read: {exc.strerror or exc}"
            continue
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            skipped[str(path)] = f"not JSON: {exc}"
            continue
        if not isinstance(report, dict) or report.get("schema") != REPORT_SCHEMA:
            skipped[str(path)] = f"not a {REPORT_SCHEMA} report"
            continue
        findings = report.get("findings")
        if not isinstance(findings, list):
            skipped[str(path)] = "no findings list"
            continue
        nodes += 1
        node = _node_name(report, path)
        node_failed = False
        for f in findings:
            if not isinstance(f, dict):
                continue
            check_id, status = str(f.get("id")), str(f.get("status"))
            checks[check_id][status] += 1
            if status == "fail":
                node_failed = True
                if not failures[check_id] or failures[check_id][-1] != node:
                    failures[check_id].append(node)
        if node_failed:
            failing.append(node)
        nvml = (report.get("facts") or {}).get("nvml") or {}
        for gpu in nvml.get("gpus") or []:
            if isinstance(gpu, dict) and gpu.get("name"):
                models[gpu["name"]] += 1
        if nvml.get("driver_version"):
            drivers[nvml["driver_version"]] += 1
    return FleetSummary(
        nodes=nodes,
        failing_nodes=sorted(failing),
        checks={k: dict(sorted(v.items())) for k, v in sorted(checks.items())},
        failures={k: sorted(v) for k, v in sorted(failures.items())},
        gpu_models=dict(models.most_common()),
        drivers=dict(drivers.most_common()),
        skipped=skipped,
    )
