"""Facts recorded on one machine are judged the same on any other, and what the caller hands
the probes (an environment, a tree) is what they read.

The machines are the simulated ones (tests/fakegpu, loaded by the real pynvml through the
real loader in the probes' children); "another machine" is this test process with its
Python version, its files and its environment changed under the checks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
import threading

import pytest
from conftest import ROOT, base_env, load_machine, machine, make_sysroot

from gpusetup.diagnose import diagnose
from gpusetup.facts import ElfInfo, LdConf, LibraryFile, LoaderResult
from gpusetup.findings import Status
from gpusetup.knowledge import load_profile
from gpusetup.probe import collect_facts
from gpusetup.probe._deadline import SettingError
from gpusetup.probe.recorded import load_facts


def simulated(name: str, driver_dir, **extra: str) -> dict[str, str]:
    """The environment a simulated machine's probes run under (this process's stays bare)."""
    return base_env(FAKEGPU_MACHINE=str(machine(name)), LD_LIBRARY_PATH=str(driver_dir), **extra)


@pytest.fixture(scope="module")
def h100_facts(fake_driver_build, tmp_path_factory):
    """Facts recorded by `gpusetup collect` on the simulated H100 machine."""
    path = tmp_path_factory.mktemp("recorded") / "h100.json"
    env = simulated("h100", fake_driver_build())
    subprocess.run(
        [sys.executable, "-m", "gpusetup", "collect", "-o", str(path)],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return load_facts(path)


# --- what the caller hands the probes --------------------------------------------------


def test_the_environment_given_to_collect_facts_reaches_the_nvml_and_cuda_children(
    fake_driver_dir,
):
    assert "FAKEGPU_MACHINE" not in os.environ and "LD_LIBRARY_PATH" not in os.environ
    facts = collect_facts(environ=simulated("h100", fake_driver_dir))
    names = [g["name"] for g in load_machine("h100")["gpus"]]
    assert facts.nvml.init_error is None
    assert [g.name for g in facts.nvml.gpus] == names
    assert [d.name for d in facts.cuda.devices] == names


def test_the_nvml_deadline_is_read_from_the_given_environment(fake_driver_dir):
    env = simulated("h100", fake_driver_dir, GPUSETUP_NVML_TIMEOUT="nan")
    with pytest.raises(SettingError, match="GPUSETUP_NVML_TIMEOUT"):
        collect_facts(environ=env)


def test_the_sysroot_in_the_given_environment_is_the_tree_probed(tmp_path):
    data = load_machine("mixed8")
    root = make_sysroot(tmp_path / "root", data)
    facts = collect_facts(environ=base_env(GPUSETUP_SYSROOT=str(root)))
    want = sorted(g["pci_bus_id"].lower()[-12:] for g in data["gpus"])
    assert sorted(d.address for d in facts.pci.gpus) == want


# --- the same verdicts wherever the facts are judged -----------------------------------


def _verdicts(findings) -> list[tuple]:
    return [(f.id, f.status, f.title, f.detail, f.subject) for f in findings]


def test_facts_without_a_host_section_are_judged_the_same_under_any_python(h100_facts, monkeypatch):
    facts = dataclasses.replace(h100_facts, host=None)
    assert facts.nvml.gpus  # a machine whose driver answered: the target decides verdicts
    judged = []
    for here in ("3.7.0", "3.12.4"):
        monkeypatch.setattr(platform, "python_version", lambda here=here: here)
        judged.append(_verdicts(diagnose(facts, load_profile())))
    assert judged[0] == judged[1]


def test_loader_agreement_compares_the_files_as_recorded_not_as_this_machine_sees_them(
    h100_facts,
):
    """Where the facts were recorded, /replay/a/libx.so.1 (the search) and /replay/b/...
    (the real loader) were links to one file; this machine has neither path."""
    elf = ElfInfo(
        h100_facts.libs.interpreter_class, h100_facts.libs.interpreter_machine, "libx.so.1"
    )
    store = "/replay/store/libx.so.1.0"
    files = {
        path: LibraryFile(path, store, True, False, True, elf)
        for path in ("/replay/a/libx.so.1", "/replay/b/libx.so.1")
    }
    libs = dataclasses.replace(
        h100_facts.libs,
        ld_library_path=["/replay/a"],
        files={**h100_facts.libs.files, **files},
        loader=[LoaderResult("libx.so.1", True, "/replay/b/libx.so.1", None)],
    )
    assert not os.path.exists("/replay")
    findings = diagnose(dataclasses.replace(h100_facts, libs=libs), load_profile(), "libs.")
    agreement = [f for f in findings if f.id == "libs.loader-agreement"]
    assert [f.status for f in agreement] == [Status.PASS], agreement


@pytest.fixture
def nccl_profile(tmp_path):
    path = tmp_path / "nccl.toml"
    path.write_text('[libraries]\nrequired = ["libnccl.so.2"]\n')
    return path


def _nccl(report: dict) -> list[dict]:
    return [
        f
        for f in report["findings"]
        if f["id"] == "libs.required" and f.get("subject") == "libnccl.so.2"
    ]


def test_a_profile_library_the_replayed_facts_never_looked_for_is_said_not_probed(
    cli, tmp_path, nccl_profile
):
    facts = tmp_path / "facts.json"
    assert cli("collect", "-o", str(facts), machine_file="h100").returncode == 0
    run = cli("doctor", "--json", "--from", str(facts), "--profile", str(nccl_profile))
    (nccl,) = _nccl(run.json())
    assert nccl["status"] == "warn" and nccl["title"] == "libnccl.so.2 not probed"
    assert "nccl" in nccl["detail"] and nccl["fix"]


def test_a_profile_library_recorded_by_the_doctor_is_judged_when_replayed(
    cli, tmp_path, nccl_profile
):
    live = cli("doctor", "--json", "--profile", str(nccl_profile), machine_file="h100")
    report = tmp_path / "report.json"
    report.write_text(live.stdout)
    replayed = cli("doctor", "--json", "--from", str(report), "--profile", str(nccl_profile))
    verdict = [(f["status"], f["title"]) for f in _nccl(live.json())]
    assert verdict == [("fail", "libnccl.so.2 not found")]
    assert [(f["status"], f["title"]) for f in _nccl(replayed.json())] == verdict


def test_triage_judges_a_release_for_the_log_s_python_and_asks_nothing_here(monkeypatch):
    from gpusetup import logtriage
    from gpusetup.probe import interpreter

    def no_asking(*args, **kwargs):
        raise AssertionError("the judge asked the interpreter")

    monkeypatch.setattr(interpreter, "describe_interpreter", no_asking)
    monkeypatch.setattr(platform, "python_version", lambda: "3.99.0")
    result = logtriage.triage_text(
        "$ python3.8 -m pip install tensorflow==2.21\n"
        "ERROR: No matching distribution found for tensorflow==2.21\n"
    )
    (item,) = result.root_causes
    assert "Python 3.8" in item.diagnosis and "3.99" not in item.diagnosis
    assert "2.10-2.13" in item.diagnosis  # the releases with wheels for the log's Python


# --- what the probes read ---------------------------------------------------------------


def test_a_fifo_named_like_a_library_is_described_not_waited_on(tmp_path):
    from gpusetup.probe.elf import read_elf, read_interpreter

    fifo = tmp_path / "libcudart.so.12"
    os.mkfifo(fifo)
    answers = []
    reader = threading.Thread(
        target=lambda: answers.append((read_elf(fifo), read_interpreter(fifo))), daemon=True
    )
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "reading a FIFO blocked"
    ((elf, interp),) = answers
    assert elf.elf_class is None and "not a regular file" in elf.error
    assert interp is None


@pytest.mark.parametrize(
    ("path", "included"),
    [
        ("/etc/ld.so.conf.d/cuda.conf", True),
        ("/etc/ld.so.conf.d/nested/cuda.conf", False),  # glob's * stops at a /
        ("/etc/ld.so.conf.d/.hidden.conf", False),  # and skips hidden names
        ("/etc/ld.so.conf.d/cuda.conf.bak", False),
    ],
)
def test_an_include_matches_files_as_glob_does(path, included):
    conf = LdConf(includes=["/etc/ld.so.conf.d/*.conf"])
    assert conf.includes_file(path) is included


@pytest.mark.parametrize("value", ["nan", "0", "-1", "1e9", "soon"])
def test_an_unusable_python_deadline_is_a_usage_error(cli, tmp_path, value):
    from wheelkit import make_wheel

    wheel = make_wheel(tmp_path, "demo", "1.0", "py3-none-any", {"demo/__init__.py": b""})
    run = cli(
        "wheel", "inspect", str(wheel), "--python", sys.executable, GPUSETUP_PYTHON_TIMEOUT=value
    )
    assert run.returncode == 2, run.stderr
    assert "GPUSETUP_PYTHON_TIMEOUT" in run.stderr


def test_the_ldconfig_fix_creates_the_trees_etc_ld_so_conf_d_and_nothing_above(tmp_path):
    from gpusetup.fix.ldconfig import CONF_FILE, FixError, PlannedFile, write_planned

    def planned(root, path):
        return PlannedFile(path, str(root / path.lstrip("/")), "/x\n", None, make_dirs=2)

    bare = tmp_path / "bare"  # an image being built: no /etc yet
    bare.mkdir()
    write_planned(bare, planned(bare, CONF_FILE))
    assert (bare / CONF_FILE.lstrip("/")).read_text() == "/x\n"
    deeper = "/usr/local/etc/ld.so.conf.d/gpusetup-cuda.conf"
    with pytest.raises(FixError, match="usr"):
        write_planned(bare, planned(bare, deeper))
    assert sorted(p.name for p in bare.iterdir()) == ["etc"]  # no /usr made


def test_replayed_reports_keep_their_verdicts(cli, tmp_path):
    """A report recorded on a simulated machine, replayed here: the same findings."""
    live = cli("doctor", "--json", "--no-smoke", machine_file="mixed8")
    report = tmp_path / "report.json"
    report.write_text(live.stdout)
    replayed = cli("doctor", "--json", "--no-smoke", "--from", str(report))
    assert json.loads(replayed.stdout)["findings"] == live.json()["findings"]
