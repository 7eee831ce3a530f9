"""Start of every gpusetup child: die with gpusetup, then run the child's own script.

``python _child_guard.py SCRIPT ARGS...``, or ``--exec PROGRAM ARGS...`` for a program that
is not a gpusetup script (``ptxas --version``). gpusetup kills each child's process group on
every exit it sees (signal, error, normal exit); the one it cannot see is its own SIGKILL
(an OOM kill, a supervisor's ``kill -9``). For that, this process stays as a small
supervisor: the kernel sends it SIGTERM when gpusetup dies (PR_SET_PDEATHSIG), and it
then kills its whole process group, which holds SCRIPT's process and whatever that forked
(a process stuck in a driver call never runs a Python signal handler itself; the
supervisor, waiting in waitpid, does). SCRIPT runs in a forked process as ``__main__``,
its directory first on sys.path, as if started directly; its exit status becomes this
process's. Imports nothing from gpusetup, and little else: every probing command starts
a child, so what the guard imports is paid on every run (``runpy`` alone brings
``pkgutil`` and ``typing``, about a tenth of an NVML child's CPU time).
"""

import ctypes
import os
import signal
import sys
import types
from importlib.machinery import SourceFileLoader

PR_SET_PDEATHSIG = 1  # <sys/prctl.h>
#: the exit code when gpusetup was gone before the guard was in place (EX_SOFTWARE)
PARENT_GONE = 70


def kill_group(signum, frame):
    os.killpg(0, signal.SIGKILL)


#: stderr line (then exit 127) when ``--exec`` cannot start PROGRAM: "<marker> errno message"
EXEC_FAILED = "gpusetup-child-guard: exec failed:"


def run_script():
    if sys.argv[1] == "--exec":
        try:
            os.execvp(sys.argv[2], sys.argv[2:])
        except OSError as exc:
            sys.stderr.write(f"{EXEC_FAILED} {exc.errno} {exc.strerror}\n")
            sys.stderr.flush()
            os._exit(127)
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    # as runpy.run_path(script, run_name="__main__") runs it, without importing runpy;
    # the loader takes the bytecode install.sh compiled (a changed script is recompiled)
    loader = SourceFileLoader("__main__", script)
    code = loader.get_code("__main__")
    main = types.ModuleType("__main__")
    main.__file__ = script
    main.__loader__ = loader
    sys.modules["__main__"] = main
    exec(code, main.__dict__)


def die_with_parent(signum):
    """True if the kernel will send ``signum`` when the parent dies (Linux)."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def main():
    signal.signal(signal.SIGTERM, kill_group)
    if not die_with_parent(signal.SIGTERM):
        run_script()  # not Linux: gpusetup's own kill at exit still applies
        return
    parent = os.environ.get("GPUSETUP_PARENT_PID", "")
    if parent.isdigit() and os.getppid() != int(parent):
        os._exit(PARENT_GONE)
    worker = os.fork()
    if worker == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        die_with_parent(signal.SIGKILL)  # the supervisor
        run_script()
        return
    _, status = os.waitpid(worker, 0)
    code = os.waitstatus_to_exitcode(status)
    if code < 0:  # killed by a signal: end the same way, so the parent sees it
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
        code = 128 - code  # a signal whose default is to be ignored
    os._exit(code)


if __name__ == "__main__":
    main()
