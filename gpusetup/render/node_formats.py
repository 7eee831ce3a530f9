"""Formats for node monitors: the Kubernetes node-problem-detector custom plugin contract
and the Prometheus node_exporter textfile collector.

node-problem-detector runs a plugin and reads its exit code (0 OK, 1 NonOK, 2 Unknown) and
one line of output as the condition's message. The textfile collector reads ``*.prom``
files in the Prometheus text exposition format; they must be replaced atomically.
"""

from __future__ import annotations

from gpusetup.findings import BUG_EVIDENCE, Report, Status

NPD_OK, NPD_NONOK, NPD_UNKNOWN = 0, 1, 2
NPD_MAX_MESSAGE = 200


def npd_line(report: Report, strict: bool) -> tuple[int, str]:
    if report.bugs:
        # a crashed check is gpusetup's fault, not the node's: never NonOK for it
        first = report.bugs[0]
        return NPD_UNKNOWN, f"Unknown: gpusetup bug in {first.id}: {first.evidence[BUG_EVIDENCE]}"[
            :NPD_MAX_MESSAGE
        ]
    bad = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
    problems = [f for f in report.findings if f.status in bad]
    if not problems:
        passed = sum(1 for f in report.findings if f.status is Status.PASS)
        return NPD_OK, f"OK: {passed} checks passed (gpusetup profile {report.profile})"
    first = problems[0]
    text = f"NonOK: {first.id}: {first.title}"
    if len(problems) > 1:
        text += f" (+{len(problems) - 1} more: {', '.join(sorted({f.id for f in problems[1:]}))})"
    return NPD_NONOK, text[:NPD_MAX_MESSAGE]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def prometheus_text(report: Report, now: float) -> str:
    lines = [
        "# HELP gpusetup_check_status Findings of each check, labelled with their status.",
        "# TYPE gpusetup_check_status gauge",
    ]
    # one sample per label set (a check can report twice without a subject)
    counts: dict[str, int] = {}
    for f in report.findings:
        gpu = f.subject.split(" ", 1)[1] if f.subject and f.subject.startswith("GPU ") else ""
        key = "gpusetup_check_status" + _labels(
            check=f.id, status=f.status.value, gpu=gpu, subject=f.subject or ""
        )
        counts[key] = counts.get(key, 0) + 1
    lines += [f"{key} {count}" for key, count in counts.items()]
    lines += [
        "# HELP gpusetup_checks Number of findings per status.",
        "# TYPE gpusetup_checks gauge",
    ]
    lines += [
        f"gpusetup_checks{_labels(status=status)} {count}"
        for status, count in report.summary.items()
    ]
    nvml = report.facts.nvml
    lines += [
        "# HELP gpusetup_gpu_info A GPU NVML reports (value 1).",
        "# TYPE gpusetup_gpu_info gauge",
    ]
    for g in nvml.gpus if nvml else []:
        lines.append(
            "gpusetup_gpu_info"
            + _labels(
                gpu=str(g.index),
                name=g.name or "",
                uuid=g.uuid or "",
                pci_bus_id=g.pci_bus_id_normalised or "",
                compute_capability=g.cc_text or "",
                driver=nvml.driver_version or "",
            )
            + " 1"
        )
    latencies = [
        f
        for f in report.findings
        if f.id == "smoke.inference" and f.subject and "latency_ms" in f.evidence
    ]
    if latencies:
        lines += [
            "# HELP gpusetup_smoke_latency_ms Warm latency of the smoke model per batch.",
            "# TYPE gpusetup_smoke_latency_ms gauge",
        ]
        lines += [
            f"gpusetup_smoke_latency_ms{_labels(device=f.subject)} {f.evidence['latency_ms']}"
            for f in latencies
        ]
    lines += [
        "# HELP gpusetup_last_run_timestamp_seconds When gpusetup last validated this node.",
        "# TYPE gpusetup_last_run_timestamp_seconds gauge",
        f"gpusetup_last_run_timestamp_seconds {now:.3f}",
    ]
    return "\n".join(lines) + "\n"
