"""The library surface (``import gpusetup``) gives what the CLI prints.

Each call runs in this process on facts recorded by the CLI on a simulated machine (the
simulated driver is loaded in the probes' children, with the environment handed to
``collect_facts``), and its result, rendered by the same JSON view, is compared with the
CLI's own output for the same input.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, base_env, machine
from wheelkit import serve_index

import gpusetup
from gpusetup.render import json as json_view

MACHINES = ("h100", "mixed8", "mig", "lost", "not-loaded")


@pytest.fixture(scope="module")
def recorded(fake_driver_build, tmp_path_factory):
    """name -> facts file recorded by `gpusetup collect` on that simulated machine."""
    out = tmp_path_factory.mktemp("recorded")
    paths = {}
    for name in MACHINES:
        path = out / f"{name}.json"
        env = base_env(FAKEGPU_MACHINE=str(machine(name)), LD_LIBRARY_PATH=str(fake_driver_build()))
        cli_json("collect", "-o", str(path), env=env)
        paths[name] = path
    return paths


def cli_json(*args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "gpusetup", *args],
        capture_output=True,
        text=True,
        env=env or base_env(),
        cwd=ROOT,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def test_the_surface_is_lazy_and_named():
    code = "import sys, gpusetup; print(sorted(m for m in sys.modules if m.startswith('gpusetup')))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=base_env(), cwd=ROOT
    )
    assert proc.stdout.strip() == "['gpusetup']"
    assert {"collect_facts", "load_facts", "run_doctor", "device_map"} <= set(dir(gpusetup))
    with pytest.raises(AttributeError):
        gpusetup.no_such_call  # noqa: B018


@pytest.mark.parametrize("name", MACHINES)
def test_run_doctor_is_the_report_doctor_json_prints(recorded, name):
    path = recorded[name]
    report = gpusetup.run_doctor(path)
    assert json.loads(json_view.report_json(report)) == json.loads(
        cli_json("doctor", "--json", "--from", str(path))
    )
    # the same facts given as Facts: the same findings, but the smoke skip's origin
    given = gpusetup.run_doctor(gpusetup.load_facts(path), smoke=False)
    assert given.findings == [f for f in report.findings if not f.id.startswith("smoke.")]


@pytest.mark.parametrize("profile", ["ci-node", "h100-node"])
def test_run_doctor_under_a_profile(recorded, profile):
    path = recorded["h100"]
    report = gpusetup.run_doctor(path, profile=profile)
    printed = cli_json("doctor", "--json", "--from", str(path), "--profile", profile)
    assert json.loads(json_view.report_json(report)) == json.loads(printed)


@pytest.mark.parametrize("name", MACHINES)
def test_device_map_is_the_map_json(recorded, name):
    path = recorded[name]
    dmap = gpusetup.device_map(path)
    assert json.loads(json_view.map_json(dmap)) == json.loads(
        cli_json("map", "--json", "--from", str(path))
    )


def test_collect_facts_records_what_collect_prints(fake_driver_dir):
    env = base_env(FAKEGPU_MACHINE=str(machine("mixed8")), LD_LIBRARY_PATH=str(fake_driver_dir))
    facts = gpusetup.collect_facts(environ=env).to_json()
    printed = json.loads(cli_json("collect", env=env))
    for data in (facts, printed):
        data.pop("collected_at")
    assert facts == printed


def test_triage_text_is_what_triage_json_prints(tmp_path):
    log = (ROOT / "tests/data/logs/ansi-crlf-mixed.log").read_bytes().decode("utf-8", "replace")
    path = tmp_path / "pasted.log"
    path.write_text(log, encoding="utf-8")
    report = gpusetup.triage_text(log)
    assert report.triage.items, "the log has known messages"
    assert json.loads(json_view.triage_json(report)) == json.loads(
        cli_json("triage", "--json", str(path))
    )


@pytest.mark.skipif(
    not (3, 10) <= sys.version_info[:2] <= (3, 13),
    reason="TensorFlow 2.21 ships wheels for CPython 3.10-3.13",
)
def test_plan_install_is_the_plan_install_json_prints(recorded):
    for index in serve_index():
        index.json("tensorflow", json.loads((ROOT / "tests/data/pypi/tensorflow.json").read_text()))
        here = gpusetup.plan_install("2.21", index_url=index.url)  # probes this machine
        printed = cli_json(
            "install", "tensorflow", "2.21", "--dry-run", "--json", "--index-url", index.url
        )
        assert json.loads(json_view.install_json(here, dry_run=True)) == json.loads(printed)
        # for the recorded GPU machine: the same file, with its CUDA libraries
        h100 = gpusetup.plan_install(
            "2.21", index_url=index.url, facts=gpusetup.load_facts(recorded["h100"])
        )
        assert h100.choice.file == here.choice.file
        assert h100.requirement == f"{here.requirement}[and-cuda]"
