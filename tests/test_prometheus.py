"""The Prometheus textfile is written by Prometheus' own client library, and read back by
its own parser: any label value (a GPU name, a subject from a facts file) survives."""

from __future__ import annotations

import pytest

from gpusetup.facts import FACTS_SCHEMA, Facts, NvmlFacts, NvmlGpu
from gpusetup.findings import Finding, Report, Status
from gpusetup.render.node_formats import prometheus_text

parser = pytest.importorskip("prometheus_client.parser")

HOSTILE = 'a "quoted" name\\ with a backslash\nand a second line'


def report() -> Report:
    gpu = NvmlGpu(0, name=HOSTILE, uuid="GPU-1", pci_bus_id="00000000:3B:00.0")
    nvml = NvmlFacts(None, None, None, driver_version="580.95.05", device_count=1, gpus=[gpu])
    findings = [
        Finding("gpu.health", Status.FAIL, "x", subject=f"GPU 0 ({HOSTILE})"),
        Finding("gpu.health", Status.FAIL, "y", subject=f"GPU 0 ({HOSTILE})"),
        Finding("smoke.inference", Status.PASS, "z", evidence={"latency_ms": 1.5}, subject="GPU:0"),
    ]
    facts = Facts(FACTS_SCHEMA, "2026-01-01T00:00:00+00:00", nvml=nvml)
    return Report({"name": "gpusetup"}, "default", facts, findings)


def test_every_label_value_reads_back_as_it_was():
    families = {
        f.name: f for f in parser.text_string_to_metric_families(prometheus_text(report(), 1e9))
    }
    statuses = families["gpusetup_check_status"].samples
    (health,) = [s for s in statuses if s.labels["check"] == "gpu.health"]
    assert health.labels["subject"] == f"GPU 0 ({HOSTILE})"
    assert health.labels["gpu"] == f"0 ({HOSTILE})"
    assert health.value == 2.0  # two findings with one label set: one sample
    (info,) = families["gpusetup_gpu_info"].samples
    assert info.labels["name"] == HOSTILE
    (latency,) = families["gpusetup_smoke_latency_ms"].samples
    assert (latency.labels["device"], latency.value) == ("GPU:0", 1.5)
    (when,) = families["gpusetup_last_run_timestamp_seconds"].samples
    assert when.value == 1e9
    assert {s.labels["status"]: s.value for s in families["gpusetup_checks"].samples} == {
        "pass": 1.0,
        "warn": 0.0,
        "fail": 2.0,
        "skip": 0.0,
    }


def test_help_does_not_load_the_client():
    import subprocess
    import sys

    from conftest import ROOT, base_env

    code = (
        "import sys\nfrom gpusetup.cli import app\ntry:\n    app(['--help'])\n"
        "except SystemExit:\n    pass\nprint('prometheus_client' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=base_env(), cwd=ROOT
    )
    assert proc.stdout.strip().splitlines()[-1] == "False"
