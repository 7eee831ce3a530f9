"""No child outlives gpusetup: interrupts, deadlines, SIGKILL, abandoned probe threads.

The simulated NVML (the real pynvml loads it through the real loader) hangs in
nvmlDeviceGetUUID, after forking a helper process of its own where the test says so. Every
process gpusetup starts carries GPUSETUP_PARENT_PID=<gpusetup's pid> in its environment,
and so does whatever those processes fork; the tests find them by scanning /proc.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, base_env, load_machine


def processes_of(pid: int) -> list[int]:
    """Live processes whose environment names ``pid`` as the gpusetup that started them."""
    marker = f"GPUSETUP_PARENT_PID={pid}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


def wait_for(predicate, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def hanging_machine(tmp_path: Path):
    """hang.json (NVML never returns from nvmlDeviceGetUUID on GPU 1), optionally after
    forking a helper that never exits."""

    def make(fork_helper: bool) -> Path:
        machine = load_machine("hang")
        if fork_helper:
            machine["gpus"][1]["faults"] = {"nvmlDeviceGetUUID": "fork-then-hang"}
        path = tmp_path / ("hang-fork.json" if fork_helper else "hang.json")
        path.write_text(json.dumps(machine))
        return path

    return make


def start(args: list[str], machine: Path, driver: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gpusetup", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=base_env(FAKEGPU_MACHINE=str(machine), LD_LIBRARY_PATH=str(driver), **env),
    )


@pytest.mark.parametrize(
    ("args", "signum"),
    [
        (["doctor"], signal.SIGTERM),
        (["doctor", "--json"], signal.SIGINT),
        (["doctor"], signal.SIGHUP),
        (["map"], signal.SIGTERM),
        (["map", "--json"], signal.SIGINT),
        (["smoke"], signal.SIGTERM),
        (["smoke"], signal.SIGINT),
        (["validate", "--format", "npd"], signal.SIGTERM),
        (["gpus"], signal.SIGTERM),
    ],
    ids=lambda v: v.name if isinstance(v, signal.Signals) else "-".join(v),
)
def test_a_signal_while_nvml_hangs_kills_the_child_and_what_it_forked(
    fake_driver_dir, hanging_machine, args, signum
):
    proc = start(args, hanging_machine(True), fake_driver_dir, GPUSETUP_NVML_TIMEOUT="300")
    try:
        # the NVML child, its guard and the helper it forked
        assert wait_for(lambda: len(processes_of(proc.pid)) >= 3, 30), processes_of(proc.pid)
        os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines()[-1] == "gpusetup: interrupted"
    assert "Traceback" not in stderr
    assert wait_for(lambda: not processes_of(proc.pid), 3), processes_of(proc.pid)


def test_a_hung_child_and_what_it_forked_are_killed_at_the_deadline(
    fake_driver_dir, hanging_machine
):
    proc = start(
        ["doctor", "--json", "--no-smoke"],
        hanging_machine(True),
        fake_driver_dir,
        GPUSETUP_NVML_TIMEOUT="2",
    )
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    nvml = [f for f in json.loads(out)["findings"] if f["id"] == "driver.nvml"][0]
    assert "nvmlDeviceGetUUID on GPU 1 did not return within 2 s" in nvml["title"]
    assert wait_for(lambda: not processes_of(proc.pid), 3), processes_of(proc.pid)


def test_sigkill_of_gpusetup_still_takes_its_children_down(fake_driver_dir, hanging_machine):
    """The one exit gpusetup cannot clean up after: the kernel's parent-death signal."""
    proc = start(["doctor"], hanging_machine(True), fake_driver_dir, GPUSETUP_NVML_TIMEOUT="300")
    try:
        assert wait_for(lambda: len(processes_of(proc.pid)) >= 3, 30), processes_of(proc.pid)
        proc.kill()
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert wait_for(lambda: not processes_of(proc.pid), 5), processes_of(proc.pid)


ABANDON = """
import sys, time
from pathlib import Path
from gpusetup.probe._deadline import DeadlineExceeded, call_with_deadline, run_script
script = Path(sys.argv[1])
try:
    call_with_deadline(lambda: run_script(script, (), 600), 0.5, "a slow probe")
except DeadlineExceeded as exc:
    print(exc, flush=True)
"""


def test_a_normal_exit_that_abandons_a_probe_thread_kills_its_child(tmp_path):
    """A probe thread given up at its deadline while its child still runs: the library
    exits normally, and the child must not stay behind."""
    sleeper = tmp_path / "sleeper.py"
    sleeper.write_text(
        "import os, time\nif os.fork() == 0:\n    time.sleep(600)\ntime.sleep(600)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", ABANDON, str(sleeper)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=base_env(),
    )
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "a slow probe did not finish within 0.5 s" in out
    assert wait_for(lambda: not processes_of(proc.pid), 3), processes_of(proc.pid)


def test_child_exit_codes_and_signals_come_through_the_guard(tmp_path):
    """The guard is a supervisor; the parent still sees how the script ended."""
    from gpusetup.probe._deadline import run_script

    script = tmp_path / "ends.py"
    script.write_text(
        "import os, signal, sys\n"
        "print(sys.argv[1:], os.path.dirname(__file__) == sys.path[0], flush=True)\n"
        "if sys.argv[1] == 'signal':\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
        "sys.exit(int(sys.argv[1]))\n"
    )
    result = run_script(script, ("3",), 30)
    assert result.returncode == 3 and result.stdout == "['3'] True\n"
    assert run_script(script, ("signal",), 30).returncode == -signal.SIGSEGV
    crashed = run_script(script, ("x",), 30)
    assert crashed.returncode == 1 and "ValueError" in crashed.stderr


def test_a_second_signal_during_the_cleanup_does_not_cut_it_short(fake_driver_dir, hanging_machine):
    proc = start(["doctor"], hanging_machine(True), fake_driver_dir, GPUSETUP_NVML_TIMEOUT="300")
    try:
        assert wait_for(lambda: len(processes_of(proc.pid)) >= 3, 30), processes_of(proc.pid)
        os.kill(proc.pid, signal.SIGINT)
        os.kill(proc.pid, signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode in (130, 143), stderr
    assert stderr.count("gpusetup: interrupted") == 1 and "Traceback" not in stderr
    assert wait_for(lambda: not processes_of(proc.pid), 3), processes_of(proc.pid)


SWALLOWING_FINALIZER = """
import time
from gpusetup.probe import _deadline

_deadline.INTERRUPT_GRACE_S = 60  # the swallowed exception itself must end the run


class Slow:
    def __del__(self):
        time.sleep(0.05)  # Python ignores an exception raised in here (the signal's)


def run():
    print("ready", flush=True)
    while True:
        Slow()  # freed at once: nearly all the time is spent inside the finalizer


_deadline.run_guarded(run)
"""


def interrupt_script(script: str, signum: int) -> str:
    """Run ``script`` (it prints "ready", then loops), send ``signum``; its stderr, once
    it has ended as interrupted (128 + N, the one notice)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=base_env(),
        cwd=ROOT,
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        os.kill(proc.pid, signum)
        _, stderr = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signum, stderr
    assert stderr.count("gpusetup: interrupted") == 1
    return stderr


def test_an_interrupt_that_a_finalizer_swallows_still_ends_the_run():
    """A signal can land while Python runs a finalizer or an import-lock callback, where
    the exception it raises is printed and dropped; the run must end anyway."""
    stderr = interrupt_script(SWALLOWING_FINALIZER, signal.SIGTERM)
    # Python's "Exception ignored in ..." report of our own interrupt is not shown
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr


WRAPPING_CLASS_BODY = """
import os, signal, time
from gpusetup.probe import _deadline


class Slow:
    def __set_name__(self, owner, name):
        time.sleep(0.05)  # Python wraps what is raised in here (the signal's) in a RuntimeError


def run():
    print("ready", flush=True)
    while True:
        type("Record", (), {"field": Slow()})


_deadline.run_guarded(run)
"""


def test_an_interrupt_that_python_wraps_in_another_error_still_ends_as_interrupted():
    """A signal that lands while a class is created (an import, a dataclass's fields)
    raises inside ``__set_name__``, which Python turns into a RuntimeError: still an
    interrupt (128 + N, no 'internal error')."""
    stderr = interrupt_script(WRAPPING_CLASS_BODY, signal.SIGINT)
    assert "Traceback" not in stderr and "RuntimeError" not in stderr, stderr


def nvml_children(pid: int) -> set[int]:
    """The NVML child's processes (its guard and the script's fork) that ``pid`` started."""
    found = set()
    for child in processes_of(pid):
        try:
            cmdline = (Path("/proc") / str(child) / "cmdline").read_bytes()
        except OSError:
            continue
        if b"nvml_child.py" in cmdline:
            found.add(child)
    return found


def test_doctor_asks_nvml_once_with_the_child_the_entry_point_started(
    fake_driver_dir, hanging_machine
):
    proc = start(
        ["doctor", "--no-smoke"],
        hanging_machine(False),
        fake_driver_dir,
        GPUSETUP_NVML_TIMEOUT="300",
    )
    try:
        # its guard and the script's own process (hanging in NVML)
        assert wait_for(lambda: len(nvml_children(proc.pid)) >= 2, 30)
        first = nvml_children(proc.pid)
        # by now the CLI has loaded and the probe waits on a child: the same one (under
        # another environment the early child would have been stopped and a new one run)
        time.sleep(2)
        assert nvml_children(proc.pid) == first
        os.kill(proc.pid, signal.SIGTERM)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signal.SIGTERM
    assert wait_for(lambda: not processes_of(proc.pid), 3), processes_of(proc.pid)


def test_a_usage_error_after_the_early_start_leaves_no_child(fake_driver_dir, hanging_machine):
    proc = start(
        ["doctor", "--no-such-option"],
        hanging_machine(False),
        fake_driver_dir,
        GPUSETUP_NVML_TIMEOUT="300",
    )
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, err
    assert "No such option" in err
    assert wait_for(lambda: not processes_of(proc.pid), 3), processes_of(proc.pid)


def test_the_guard_runs_a_script_as_main_without_importing_runpy(tmp_path):
    """Every probing command starts a child through the guard: what the guard imports is
    paid on every run (runpy brings pkgutil and typing)."""
    from gpusetup.probe._deadline import run_script

    script = tmp_path / "modules.py"
    script.write_text(
        "import sys\n"
        "print(__name__, __file__ == sys.argv[0], sys.modules['__main__'].__dict__ is globals())\n"
        "print(sorted({'runpy', 'pkgutil', 'typing'} & set(sys.modules)))\n"
    )
    result = run_script(script, (), 30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "__main__ True True\n[]\n"


def test_the_nvml_child_imports_pynvml_without_ctypes_util():
    """pynvml imports ctypes.util.find_library and calls it only on Windows; the NVML child
    spares itself that module (shutil, subprocess, tempfile) and a call still works."""
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(ROOT / 'gpusetup' / 'probe')!r})\n"
        "import nvml_child\n"
        "pynvml = nvml_child.import_pynvml()\n"
        "print(sorted({'ctypes.util', 'shutil', 'subprocess', 'tempfile'} & set(sys.modules)))\n"
        "print(pynvml.find_library('c'), 'ctypes.util' in sys.modules)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=base_env(), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    from ctypes.util import find_library

    assert proc.stdout == f"[]\n{find_library('c')} True\n"
