"""Many nodes' reports in one view: which nodes fail which checks, counts per check id, GPU
models and driver versions across the fleet.

Each file is read with the same bounded, typed loader as ``doctor --from``; a file that is
not a whole, well-typed report is skipped with the reason. One node counts once: a file
named twice is read once, and of several reports from one hostname the newest
(``collected_at``; on a tie, the one named last) is used, the others skipped with the
reason. A report whose hostname was redacted counts as the node its file is named after.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from dataclasses import field
from datetime import datetime, timezone
from pathlib import Path

from gpusetup.findings import REPORT_SCHEMA, Report, Status
from gpusetup.probe.recorded import FactsFileError, load_document
from gpusetup.serde import SchemaError, record


@record
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


@record
class _NodeReport:
    node: str
    path: str
    order: int
    report: Report

    @property
    def recency(self) -> tuple[datetime, int]:
        try:
            when = datetime.fromisoformat(self.report.facts.collected_at)
        except ValueError:
            when = datetime.min
        if when.tzinfo is not None:  # aware and naive times compare alike, as UTC
            when = when.astimezone(timezone.utc).replace(tzinfo=None)
        return when, self.order


def _node_name(report: Report, path: Path) -> str:
    host = report.facts.host.hostname if report.facts.host else ""
    return host if host and host != "<host>" else path.stem


def read_reports(paths: list[Path]) -> tuple[list[_NodeReport], dict[str, str]]:
    """One report per node, and why each other file was skipped."""
    skipped: dict[str, str] = {}
    seen_files: dict[tuple[int, int], str] = {}
    by_node: dict[str, _NodeReport] = {}
    for order, path in enumerate(paths):
        shown = str(path)
        try:
            data = load_document(path, "a report", allow_stdin=False)
        except FactsFileError as exc:
            skipped[shown] = str(exc)
            continue
        try:
            identity = os.stat(path)
            key = (identity.st_dev, identity.st_ino)
        except OSError:  # gone since it was read: it was read, so it counts
            key = (-1, order)
        if key in seen_files:
            skipped[shown] = f"the same file as {seen_files[key]} (read once)"
            continue
        seen_files[key] = shown
        try:
            report = Report.from_json(data)
        except SchemaError as exc:
            skipped[shown] = f"not a {REPORT_SCHEMA} report: {exc}"
            continue
        entry = _NodeReport(_node_name(report, path), shown, order, report)
        earlier = by_node.get(entry.node)
        if earlier is None:
            by_node[entry.node] = entry
            continue
        newer, older = (entry, earlier) if entry.recency > earlier.recency else (earlier, entry)
        by_node[entry.node] = newer
        skipped[older.path] = (
            f"an older report of node {entry.node} than {newer.path} (one report per node)"
        )
    return sorted(by_node.values(), key=lambda e: e.order), skipped


def merge(paths: list[Path]) -> FleetSummary:
    entries, skipped = read_reports(paths)
    checks: dict[str, Counter] = defaultdict(Counter)
    failures: dict[str, set[str]] = defaultdict(set)
    models: Counter = Counter()
    drivers: Counter = Counter()
    failing: set[str] = set()
    for entry in entries:
        for f in entry.report.findings:
            checks[f.id][f.status.value] += 1
            if f.status is Status.FAIL:
                failing.add(entry.node)
                failures[f.id].add(entry.node)
        nvml = entry.report.facts.nvml
        if nvml is None:
            continue
        for gpu in nvml.gpus:
            if gpu.name:
                models[gpu.name] += 1
        if nvml.driver_version:
            drivers[nvml.driver_version] += 1
    return FleetSummary(
        nodes=len(entries),
        failing_nodes=sorted(failing),
        checks={k: dict(sorted(v.items())) for k, v in sorted(checks.items())},
        failures={k: sorted(v) for k, v in sorted(failures.items())},
        gpu_models=dict(models.most_common()),
        drivers=dict(drivers.most_common()),
        skipped=skipped,
    )
