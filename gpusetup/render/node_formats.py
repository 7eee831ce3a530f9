"""Formats for node monitors: the Kubernetes node-problem-detector custom plugin contract
and the Prometheus node_exporter textfile collector.

node-problem-detector runs a plugin and reads its exit code (0 OK, 1 NonOK, 2 Unknown) and
one line of output as the condition's message. The textfile collector reads ``*.prom``
files in the Prometheus text exposition format; they must be replaced atomically.
"""

from __future__ import annotations

from gpusetup.findings import BUG_EVIDENCE, Report, Status
from gpusetup.render.text import printable

NPD_OK, NPD_NONOK, NPD_UNKNOWN = 0, 1, 2
NPD_MAX_MESSAGE = 200
#: the worst problem's id and title keep at least this much of the line
NPD_MIN_HEAD = 100


def npd_line(report: Report, strict: bool) -> tuple[int, str]:
    """The plugin's exit code and its one line: the worst problem first (a failure before a
    warning a strict profile promotes), then the other check ids, as many as fit whole."""
    if report.bugs:
        # a crashed check is gpusetup's fault, not the node's: never NonOK for it
        first = report.bugs[0]
        text = _one_line(f"Unknown: gpusetup bug in {first.id}: {first.evidence[BUG_EVIDENCE]}")
        return NPD_UNKNOWN, _cut(text, NPD_MAX_MESSAGE)
    bad = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
    problems = [f for f in report.findings if f.status in bad]
    if not problems:
        passed = sum(1 for f in report.findings if f.status is Status.PASS)
        return NPD_OK, _one_line(f"OK: {passed} checks passed (gpusetup profile {report.profile})")
    # stable sort: failures first, each group in the order the checks ran
    problems.sort(key=lambda f: f.status is not Status.FAIL)
    first = problems[0]
    head = _one_line(f"NonOK: {first.id}: {first.title}")
    others = list(dict.fromkeys(f.id for f in problems[1:] if f.id != first.id))
    extra = len(problems) - 1
    if not extra:
        return NPD_NONOK, _cut(head, NPD_MAX_MESSAGE)
    # the longest list of whole ids that fits beside the head (cut at a word to no less
    # than NPD_MIN_HEAD characters), then how many were left out
    for shown in range(len(others), -1, -1):
        listed = ", ".join(others[:shown])
        rest = len(others) - shown
        tail = f"; {rest} other check(s)" if rest else ""
        suffix = f" (+{extra} more: {listed}{tail})" if listed else f" (+{extra} more)"
        room = NPD_MAX_MESSAGE - len(suffix)
        if shown == 0 or len(head) <= room or room >= NPD_MIN_HEAD:
            return NPD_NONOK, _cut(head, room) + suffix
    raise AssertionError("unreachable: the loop returns at shown == 0")


def one_line_message(text: str, width: int) -> str:
    """Any message as npd's one line: escaped, whitespace folded, cut at a word."""
    return _cut(_one_line(text), width)


def _one_line(text: str) -> str:
    """npd reads one line: no line breaks or control characters inside it."""
    return printable(" ".join(text.split()))


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, cut at a word with "..." when too long."""
    if len(text) <= width:
        return text
    cut = text[: max(width - 3, 0)]
    if " " in cut[20:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "..."


def prometheus_text(report: Report, now: float) -> str:
    """The textfile collector's metrics, made with ``prometheus_client`` (its registry and
    exposition writer, so label escaping and the format are the library's): every finding
    per check, status, GPU and subject; the count per status; each GPU NVML reports; the
    smoke latency per device; when the node was last validated. The caller writes the text
    through gpusetup's one output writer (atomic replace, as the collector needs)."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    registry = CollectorRegistry()
    status = Gauge(
        "gpusetup_check_status",
        "Findings of each check, labelled with their status.",
        ["check", "status", "gpu", "subject"],
        registry=registry,
    )
    # one sample per label set (a check can report twice without a subject)
    for f in report.findings:
        gpu = f.subject.split(" ", 1)[1] if f.subject and f.subject.startswith("GPU ") else ""
        status.labels(f.id, f.status.value, gpu, f.subject or "").inc()
    checks = Gauge(
        "gpusetup_checks", "Number of findings per status.", ["status"], registry=registry
    )
    for name, count in report.summary.items():
        checks.labels(name).set(count)
    info = Gauge(
        "gpusetup_gpu_info",
        "A GPU NVML reports (value 1).",
        ["gpu", "name", "uuid", "pci_bus_id", "compute_capability", "driver"],
        registry=registry,
    )
    nvml = report.facts.nvml
    for g in nvml.gpus if nvml else []:
        info.labels(
            str(g.index),
            g.name or "",
            g.uuid or "",
            g.pci_bus_id_normalised or "",
            g.cc_text or "",
            nvml.driver_version or "",
        ).set(1)
    latencies = [
        f
        for f in report.findings
        if f.id == "smoke.inference" and f.subject and "latency_ms" in f.evidence
    ]
    if latencies:
        latency = Gauge(
            "gpusetup_smoke_latency_ms",
            "Warm latency of the smoke model per batch.",
            ["device"],
            registry=registry,
        )
        for f in latencies:
            latency.labels(f.subject).set(f.evidence["latency_ms"])
    Gauge(
        "gpusetup_last_run_timestamp_seconds",
        "When gpusetup last validated this node.",
        registry=registry,
    ).set(now)
    return generate_latest(registry).decode("utf-8")
