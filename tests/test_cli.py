"""The command line as a user meets it: exit codes, messages, widths, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, base_env, imported_by


def test_help_lists_every_command(cli):
    run = cli("--help")
    assert run.returncode == 0
    for command in ("doctor", "gpus", "collect", "explain"):
        assert command in run.stdout


def test_usage_error_exits_2(cli):
    run = cli("doctor", "--no-such-option")
    assert run.returncode == 2 and "No such option" in run.stderr


def test_unknown_profile_exits_2_with_the_shipped_names(cli):
    run = cli("doctor", "--profile", "nope")
    assert run.returncode == 2
    assert "no profile named 'nope'" in run.stderr and "default" in run.stderr


def test_profile_typo_names_file_key_and_expectation(cli, tmp_path):
    bad = tmp_path / "site.toml"
    bad.write_text('[gpu]\nmin_compute_capabilty = "8.0"\n')
    run = cli("doctor", "--profile", str(bad))
    assert run.returncode == 2
    assert str(bad) in run.stderr and "gpu.min_compute_capabilty" in run.stderr
    assert "min_compute_capability" in run.stderr  # what was expected
    bad.write_text('[health]\nmax_retired_pages = "many"\n')
    run = cli("doctor", "--profile", str(bad))
    assert run.returncode == 2 and "expected a non-negative integer" in run.stderr


def test_garbage_from_file_exits_2_and_says_why(cli, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_bytes(b"\x00\x01 not json")
    run = cli("doctor", "--from", str(junk))
    assert run.returncode == 2 and "is not JSON" in run.stderr


def test_strict_turns_warnings_into_exit_1(cli, cuda12_tree, gpu_tensorflow):
    # the simulated H100 with no /dev nodes here: one warning (gpu.device-nodes), no failure
    args = dict(machine_file="h100", extra_lib_dirs=(cuda12_tree,), PYTHONPATH=gpu_tensorflow)
    assert cli("doctor", "--no-smoke", **args).returncode == 0
    assert cli("doctor", "--no-smoke", "--strict", **args).returncode == 1


def test_console_output_fits_80_columns_without_colour(cli):
    run = cli("doctor", "--verbose", machine_file="mixed8")
    assert run.returncode == 1
    assert "\x1b[" not in run.stdout  # NO_COLOR
    widest = max(len(line.rstrip()) for line in run.stdout.splitlines())
    assert widest <= 80, widest
    assert "How to fix" in run.stdout and "sudo nvidia-smi -r -i 2" in run.stdout


def test_report_json_follows_the_documented_schema(cli):
    report = cli("doctor", "--json", machine_file="mixed8").json()
    assert report["schema"] == "gpusetup.report/1"
    assert set(report) == {"schema", "tool", "profile", "facts", "findings", "summary"}
    assert report["tool"]["name"] == "gpusetup"
    assert set(report["summary"]) == {"pass", "warn", "fail", "skip"}
    assert sum(report["summary"].values()) == len(report["findings"])
    for finding in report["findings"]:
        assert set(finding) == {"id", "status", "title", "detail", "evidence", "fix", "subject"}
        assert finding["status"] in {"pass", "warn", "fail", "skip"}


def test_explain_every_check_and_unknown_ids(cli):
    listing = cli("explain")
    ids = [line.split()[0] for line in listing.stdout.splitlines()]
    assert "gpu.compute-capability" in ids and len(ids) >= 12
    run = cli("explain", "gpu.compute-capability")
    assert run.returncode == 0 and "Why it matters" in run.stdout
    run = cli("explain", "gpu.compute-capabilty")
    assert run.returncode == 2 and "Did you mean: gpu.compute-capability" in run.stderr


def test_collect_to_unwritable_path_exits_2(cli, tmp_path):
    (tmp_path / "a-file").write_text("")
    run = cli("collect", "-o", str(tmp_path / "a-file" / "facts.json"))
    assert run.returncode == 2 and "cannot write" in run.stderr


def test_help_does_not_import_heavy_modules():
    heavy = ("tensorflow", "requests", "pynvml", "rich.table", "elftools", "tornado", "PIL")
    assert imported_by(["--help"], (*heavy, "asyncio")) == []


def test_python_dash_m_matches_the_console_script(cli):
    run = cli("--version")
    assert run.returncode == 0 and run.stdout.startswith("gpusetup ")
    assert json.loads(cli("gpus", "--json", machine_file="h100").stdout)["gpus"][0]["index"] == 0


CRASHING_CHECK = """
import sys
from gpusetup.diagnose import check

@check("gpu.test-crash", "A check with a bug")
def crash(ctx):
    '''What: x. Why it matters: x. Fix: x.'''
    return {}["no such key"]

from gpusetup.cli import main
sys.argv = ["gpusetup", *sys.argv[1:]]
main()
"""


def run_with_a_crashing_check(*args: str) -> subprocess.CompletedProcess:
    """The real CLI, in a process where one more check is registered: one that raises.
    Only a test can do this; nothing a user passes reaches it."""
    return subprocess.run(
        [sys.executable, "-c", CRASHING_CHECK, *args],
        capture_output=True,
        text=True,
        env=base_env(),
        cwd=ROOT,
        timeout=120,
    )


def test_a_crashing_check_is_reported_with_the_rest_and_exits_3():
    run = run_with_a_crashing_check("doctor", "--no-smoke")
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    out = " ".join(run.stdout.split())
    assert "FAIL gpu.test-crash A check with a bug: the check itself failed (a gpusetup bug)" in out
    assert "gpu.present" in out and "Details of a check" in out  # the whole report
    report = json.loads(run_with_a_crashing_check("doctor", "--json", "--no-smoke").stdout)
    bug = [f for f in report["findings"] if f["id"] == "gpu.test-crash"][0]
    assert bug["status"] == "fail"
    assert bug["evidence"]["gpusetup bug"] == "KeyError: 'no such key'"
    assert bug["evidence"]["where"].endswith("in crash")
    assert len(report["findings"]) > 10


def test_a_crashing_check_is_unknown_to_node_problem_detector_and_3_elsewhere():
    npd = run_with_a_crashing_check("validate", "--format", "npd", "--no-smoke")
    assert npd.returncode == 2
    assert npd.stdout.startswith("Unknown: gpusetup bug in gpu.test-crash: KeyError")
    console = run_with_a_crashing_check("validate", "--no-smoke")
    assert console.returncode == 3 and "gpu.test-crash" in console.stdout
