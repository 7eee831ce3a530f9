"""CI node validation: profiles, JUnit XML, node-problem-detector, Prometheus textfile,
redaction, fleet merge, and the scheduler examples run as far as this machine allows."""

from __future__ import annotations

import json
import os
import random
import re
import shlex
import stat
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ROOT, base_env, build_library, load_machine

EXAMPLES = ROOT / "examples"


def test_ci_node_on_this_machine_fails_with_valid_junit(cli, tmp_path):
    junit = tmp_path / "r.xml"
    run = cli("validate", "--profile", "ci-node", "--junit", str(junit), "--no-smoke")
    assert run.returncode == 1
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) > 10
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    skipped = {c.get("name") for c in cases if c.find("skipped") is not None}
    assert "gpu.present" in failed
    assert int(suite.get("failures")) == len(failed) and int(suite.get("skipped")) == len(skipped)
    failure = next(c for c in cases if c.get("name") == "gpu.present").find("failure")
    assert failure.get("message") == "This machine has no NVIDIA GPU" and "Fix:" in failure.text


def test_npd_format_is_one_line_and_the_plugin_exit_codes(
    cli, tmp_path, cuda12_tree, gpu_tensorflow
):
    run = cli("validate", "--profile", "ci-node", "--format", "npd", "--no-smoke")
    assert run.returncode == 1
    assert run.stdout.count("\n") == 1 and run.stdout.startswith("NonOK: gpu.present: ")
    ok = cli(
        "validate",
        "--profile",
        "default",
        "--format",
        "npd",
        "--no-smoke",
        machine_file="h100",
        extra_lib_dirs=(cuda12_tree,),
        PYTHONPATH=gpu_tensorflow,
    )
    assert ok.returncode == 0 and ok.stdout.startswith("OK: ")
    bad = tmp_path / "bad.toml"
    bad.write_text("[gpu]\nexpected_count = 'eight'\n")
    unknown = cli("validate", "--profile", str(bad), "--format", "npd")
    assert unknown.returncode == 2 and unknown.stdout.startswith("Unknown: ")
    assert "gpu.expected_count" in unknown.stdout


def test_prometheus_textfile_parses_and_is_written_atomically(cli, tmp_path):
    parser = pytest.importorskip("prometheus_client.parser")
    out = tmp_path / "gpusetup.prom"
    run = cli(
        "validate",
        "--profile",
        "default",
        "--format",
        "prometheus",
        "-o",
        str(out),
        "--no-smoke",
        machine_file="mixed8",
    )
    assert run.returncode == 1 and run.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["gpusetup.prom"]  # no temporary left
    families = {f.name: f for f in parser.text_string_to_metric_families(out.read_text())}
    statuses = families["gpusetup_check_status"].samples
    k80 = [s for s in statuses if s.labels["check"] == "gpu.compute-capability"]
    assert [(s.labels["gpu"], s.labels["status"], s.value) for s in k80] == [("0", "fail", 1.0)]
    gpus = families["gpusetup_gpu_info"].samples
    assert sorted(s.labels["uuid"] for s in gpus) == sorted(
        g["uuid"] for g in load_machine("mixed8")["gpus"]
    )
    counts = {s.labels["status"]: s.value for s in families["gpusetup_checks"].samples}
    assert counts["fail"] >= 3


def test_h100_profile_demands_count_model_driver_and_framework(cli, tmp_path):
    report = tmp_path / "r.json"
    run = cli(
        "validate",
        "--profile",
        "h100-node",
        "--json",
        str(report),
        "--no-smoke",
        machine_file="mixed8",
    )
    assert run.returncode == 1
    findings = {f["id"]: f for f in json.loads(report.read_text())["findings"]}
    assert findings["node.gpu-count"]["status"] == "pass"  # eight, as expected
    assert findings["node.gpu-model"]["status"] == "fail"
    assert "8 GPU(s) do not match 'H100'" in findings["node.gpu-model"]["title"]
    assert findings["driver.minimum"]["title"] == "Driver 470.256.02 is older than 570.26"
    assert findings["framework.installed"]["status"] == "fail"
    nccl = [
        f
        for f in json.loads(report.read_text())["findings"]
        if f["id"] == "libs.required" and f["subject"] == "libnccl.so.2"
    ]
    assert nccl and nccl[0]["status"] == "fail"


def test_redact_removes_hostnames_uuids_and_home_paths(cli, tmp_path):
    report = tmp_path / "r.json"
    home = tmp_path / "home" / "alice"
    build_library(home / "miniconda3/lib", "libcudart.so.12")  # a copy gpusetup reports
    cli(
        "validate",
        "--profile",
        "default",
        "--json",
        str(report),
        "--redact",
        "--no-smoke",
        machine_file="mixed8",
        HOME=str(home),
        CONDA_PREFIX=str(home / "miniconda3"),
    )
    text = report.read_text()
    data = json.loads(text)
    assert not re.search(r"GPU-[0-9a-f]{8}-", text)
    host = os.uname().nodename
    assert not re.search(rf"(?<![\w.-]){re.escape(host)}(?![\w.-])", text), host
    assert str(home) not in text and "~/miniconda3" in text
    assert data["facts"]["host"]["hostname"] == "<host>"
    uuids = [g["uuid"] for g in data["facts"]["nvml"]["gpus"]]
    assert uuids == [f"GPU-redacted-{i}" for i in range(1, 9)]  # distinct, consistent
    assert [g["uuid"] for g in data["facts"]["cuda"]["devices"]][0] in uuids


def _report(template: dict, host: str, failing: set[str]) -> dict:
    report = json.loads(json.dumps(template))
    report["facts"]["host"]["hostname"] = host
    for f in report["findings"]:
        f["status"] = "fail" if f["id"] in failing else "pass"
    return report


def test_fleet_merge_of_2000_reports_is_correct(cli, tmp_path):
    template = cli("doctor", "--json", "--no-smoke", machine_file="mixed8").json()
    ids = sorted({f["id"] for f in template["findings"]})
    per_id = {i: sum(1 for f in template["findings"] if f["id"] == i) for i in ids}
    rng = random.Random(7)
    expected_failures: dict[str, set[str]] = {i: set() for i in ids}
    reports = tmp_path / "reports"
    reports.mkdir()
    for n in range(2000):
        host = f"gpu{n:04d}"
        failing = {i for i in ids if rng.random() < 0.02}
        for i in failing:
            expected_failures[i].add(host)
        (reports / f"{host}.json").write_text(json.dumps(_report(template, host, failing)))
    (reports / "corrupt.json").write_text('{"schema": "gpusetup.report/1", "findi')
    (reports / "foreign.json").write_text('{"hello": "world"}')
    files = sorted(str(p) for p in reports.iterdir())
    run = cli("fleet", "merge", *files, "--json", timeout=120)
    assert run.returncode == 1
    summary = run.json()
    assert summary["nodes"] == 2000
    assert set(summary["skipped"]) == {str(reports / "corrupt.json"), str(reports / "foreign.json")}
    assert "warning: skipped" in run.stderr
    for i in ids:
        assert set(summary["failures"].get(i, [])) == expected_failures[i]
        assert summary["checks"][i].get("fail", 0) == len(expected_failures[i]) * per_id[i]
    assert summary["gpu_models"]["Tesla K80"] == 2000
    assert summary["drivers"] == {"470.256.02": 2000}


def run_example(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(EXAMPLES / script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def _fake_bin(tmp_path: Path) -> tuple[Path, Path]:
    """A bin dir with `gpusetup` (this checkout), a recording `scontrol` and `srun`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "scontrol.log"
    scripts = {
        "gpusetup": f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m gpusetup "$@"\n',
        "scontrol": f'#!/bin/sh\nprintf "%s\\n" "$*" >> {shlex.quote(str(log))}\n',
        # one task on this node: run the command srun was given
        "srun": '#!/bin/sh\nfor last; do :; done\nshift $(($# - 1))\nexec bash -c "$1"\n',
    }
    for name, text in scripts.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    return bin_dir, log


def test_slurm_healthcheck_drains_a_failing_node_with_the_check_ids(tmp_path):
    bin_dir, log = _fake_bin(tmp_path)
    env = base_env(PATH=f"{bin_dir}:{os.environ['PATH']}", SLURMD_NODENAME="gpu0042")
    run = run_example("slurm/healthcheck.sh", env, tmp_path)
    assert run.returncode == 1, run.stderr
    (call,) = log.read_text().splitlines()
    assert call.startswith("update nodename=gpu0042 state=drain reason=gpusetup: gpu.present")


def test_slurm_batch_script_validates_and_merges(tmp_path):
    bin_dir, _ = _fake_bin(tmp_path)
    env = base_env(
        PATH=f"{bin_dir}:{os.environ['PATH']}", SLURM_JOB_ID="77", REPORTS=str(tmp_path / "reports")
    )
    run = run_example("slurm/validate-nodes.sbatch", env, tmp_path)
    assert "1 node(s), 1 failing" in run.stdout, run.stderr
    assert "FAIL gpu.present on 1 node(s)" in run.stdout


def test_kubernetes_and_npd_examples_use_real_options(cli, tmp_path):
    config = json.loads((EXAMPLES / "kubernetes/node-problem-detector.json").read_text())
    args = config["rules"][0]["args"]
    run = cli(*args)
    assert run.returncode == 1 and run.stdout.startswith("NonOK: ")
    daemonset = (EXAMPLES / "kubernetes/daemonset.yaml").read_text()
    line = re.search(r"gpusetup (validate [^\n]*)\\\n\s*([^\n]*)", daemonset)
    argv = shlex.split(
        f"{line.group(1)} {line.group(2)}".replace("$(NODE_NAME)", "node1")
        .replace("/reports/", f"{tmp_path}/")
        .replace("/textfile/", f"{tmp_path}/")
    )
    run = cli(*argv, "--no-smoke")
    assert run.returncode == 1
    assert (tmp_path / "node1.json").exists() and (tmp_path / "gpusetup.prom").exists()
    workflow = (EXAMPLES / "github/gpu-node.yml").read_text()
    step = re.search(r"\.venv/bin/gpusetup (validate .*)", workflow).group(1)
    run = cli(
        *shlex.split(
            step.replace("gpusetup-", f"{tmp_path}/gh-").replace(
                "gpusetup.json", f"{tmp_path}/gh.json"
            )
        ),
        "--no-smoke",
    )
    assert run.returncode == 1 and (tmp_path / "gh-junit.xml").exists()
    assert stat.S_IMODE((tmp_path / "gh-junit.xml").stat().st_mode) == 0o644
