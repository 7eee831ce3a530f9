"""The entry point starts the NVML child before the CLI loads, and the probe adopts it;
a finished command leaves without the interpreter's teardown.

Measured in ``bench/startup.py``; here: which command lines start it and that the probe
uses that same child under the same environment only (test_children: that a real run asks
NVML once, and that one which never asks for it leaves no child behind); and that leaving
at once keeps what Python's own exit does: output flushed, exit functions run, the exit
code, a non-daemon thread waited for, a broken pipe reported.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT, base_env

from gpusetup.__main__ import asks_nvml
from gpusetup.probe import nvml


@pytest.mark.parametrize(
    ("argv", "asks"),
    [
        (["doctor"], True),
        (["--debug", "doctor", "--no-smoke", "--json"], True),
        (["gpus", "--json"], True),
        (["map", "--select", "0"], True),
        (["validate", "--format", "npd"], True),
        (["collect", "-o", "facts.json"], True),
        (["libs"], True),
        (["doctor", "--from", "facts.json"], False),
        (["doctor", "--from=facts.json"], False),
        (["doctor", "--help"], False),
        (["gpus", "-h"], False),
        (["--help"], False),
        (["--version"], False),
        ([], False),
        (["triage", "log.txt"], False),
        (["explain", "driver.nvml"], False),
        (["wheel", "inspect", "doctor"], False),  # the command is the first word
    ],
)
def test_which_command_lines_start_nvml_early(argv, asks):
    assert asks_nvml(argv) is asks


def test_the_probe_adopts_the_early_child_under_the_same_environment():
    nvml.start_early()
    early = nvml._early[1]
    try:
        assert nvml.start_nvml() is early
        assert nvml._early is None
    finally:
        early.close()


def test_under_another_environment_the_early_child_is_stopped_and_a_new_one_runs():
    nvml.start_early()
    early = nvml._early[1]
    child = nvml.start_nvml({**os.environ, "CUDA_VISIBLE_DEVICES": "1"})
    try:
        assert child is not early
        end = time.monotonic() + 5
        while os.path.exists(f"/proc/{early.pid}/status") and time.monotonic() < end:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{early.pid}/status")
    finally:
        child.close()
        early.close()


def python(code: str, *args: str, buffered: bool = False, **streams) -> subprocess.CompletedProcess:
    streams = streams or {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    env = base_env()
    if buffered:  # output kept until the exit, as Python keeps it by default
        env.pop("PYTHONUNBUFFERED", None)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        **streams,
    )


#: an object only the interpreter's teardown frees, and an exit function; then a command
HELD_AND_REGISTERED = """
import atexit, sys
from gpusetup.__main__ import main
class Held:
    def __del__(self):
        sys.stdout.write("torn down\\n")
held = Held()
atexit.register(lambda: sys.stdout.write("exit function ran\\n"))
sys.argv = ["gpusetup", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [(["--version"], 0, "gpusetup 0.1.0"), (["explain", "no.such-check"], 2, "")],
)
def test_a_finished_command_leaves_without_the_teardown_after_its_exit_functions(args, code, says):
    proc = python(HELD_AND_REGISTERED, *args)
    assert proc.returncode == code, proc.stderr
    assert proc.stdout.startswith(says)
    assert proc.stdout.endswith("exit function ran\n")
    assert "torn down" not in proc.stdout


def test_a_thread_that_is_no_daemon_is_waited_for_as_python_does():
    proc = python(
        "import sys, threading, time\n"
        "from gpusetup.__main__ import leave_at_once\n"
        "threading.Thread(target=lambda: (time.sleep(0.3), print('thread done'))).start()\n"
        "leave_at_once(0)\nprint('left the usual way')\n"
    )
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["left the usual way", "thread done"]


def test_output_into_a_closed_pipe_is_reported_as_python_does():
    code = "import sys\nsys.stdout.write('buffered until the exit')\n"
    results = []
    for ending in ("", "from gpusetup.__main__ import leave_at_once\nleave_at_once(0)\n"):
        reader, writer = os.pipe()
        os.close(reader)
        try:
            proc = python(code + ending, buffered=True, stdout=writer, stderr=subprocess.PIPE)
        finally:
            os.close(writer)
        results.append((proc.returncode, "BrokenPipeError" in proc.stderr))
    assert results[0] == (120, True)  # Python's own exit
    assert results[1] == results[0]


def test_an_interactive_prompt_asked_for_afterwards_still_comes():
    proc = subprocess.run(
        [
            sys.executable,
            "-i",
            "-c",
            "from gpusetup.__main__ import leave_at_once\nleave_at_once(0)",
        ],
        input="print('prompt reached')\n",
        capture_output=True,
        text=True,
        env=base_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert "prompt reached" in proc.stdout


def test_an_exit_code_that_is_no_number_is_left_to_python():
    proc = python(
        "import sys\nfrom gpusetup.__main__ import leave_at_once\n"
        "leave_at_once('no number')\nsys.exit('no number')\n"
    )
    assert (proc.returncode, proc.stderr) == (1, "no number\n")


@pytest.mark.parametrize("args", [["collect"], ["doctor", "--no-smoke"], ["--help"]])
def test_a_closed_standard_output_is_a_usage_error_before_anything_runs(tmp_path, args):
    # `gpusetup collect >&-`: Python starts with sys.stdout None
    proc = subprocess.run(
        [sys.executable, "-m", "gpusetup", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=base_env(),
        cwd=tmp_path,
        timeout=60,
        pass_fds=(),
        preexec_fn=lambda: os.close(1),
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        "gpusetup: error: standard output is closed; send it to /dev/null to discard it "
        "(>/dev/null)\n"
    )
    assert list(tmp_path.iterdir()) == []
