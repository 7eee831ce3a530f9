"""The ``gpusetup`` command and ``python -m gpusetup``: the CLI, with NVML asked first.

A command that probes this machine waits longest for the NVML child; started here, before
typer and rich load, it runs while they do. Only argv is looked at (no option parsing): the
first word that is not an option names the command, and a command that reads ``--from``
files or only prints help asks no one.

A finished command leaves without the interpreter's teardown (freeing every module and
object: about a tenth of a doctor's run), once its output is flushed and the exit
functions have run (every child stopped); where that cannot be done as Python would, it
leaves the usual way.
"""

from __future__ import annotations

import sys

#: the commands that ask NVML about this machine (unless they read --from files)
PROBING_COMMANDS = frozenset({"doctor", "gpus", "collect", "map", "libs", "validate"})


def asks_nvml(argv: list[str]) -> bool:
    """Whether ``gpusetup ARGV`` will start the NVML child (a guess that errs both ways
    is harmless: a child started for nothing is stopped at exit, and one not started
    early is started by the probe)."""
    command = next((word for word in argv if not word.startswith("-")), None)
    if command not in PROBING_COMMANDS:
        return False
    return not any(
        word in ("--help", "-h", "--from", "--version") or word.startswith("--from=")
        for word in argv
    )


def main() -> None:
    if sys.stdout is None:  # started with its standard output closed (`gpusetup ... >&-`)
        if sys.stderr is not None:
            sys.stderr.write(
                "gpusetup: error: standard output is closed; "
                "send it to /dev/null to discard it (>/dev/null)\n"
            )
        leave_at_once(2)
        raise SystemExit(2)
    try:
        _run()
    except SystemExit as exc:
        leave_at_once(exc.code)
        raise
    leave_at_once(0)


def leave_at_once(code: object) -> None:
    """End the process now with ``code``, as Python's own exit would end it but without
    freeing what it holds; returns (for the usual exit) where that exit would do more: a
    code that is no exit status (printed or converted there), a thread that is not a
    daemon (waited for), an output that cannot be flushed (reported there, exit 120), an
    interactive prompt asked for afterwards (``python -i``)."""
    import atexit
    import os
    import threading

    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if code is None:
        code = 0
    if not isinstance(code, int) or not 0 <= code <= 255 or run_exit_functions is None:
        return
    if sys.flags.inspect or os.environ.get("PYTHONINSPECT"):
        return
    main_thread = threading.main_thread()
    if any(t is not main_thread and not t.daemon for t in threading.enumerate()):
        return
    if not _flushed():
        return
    run_exit_functions()  # (once: they are forgotten once run)
    if _flushed():
        os._exit(code)


def _flushed() -> bool:
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            return False
    return True


def _run() -> None:
    if not asks_nvml(sys.argv[1:]):
        from gpusetup.cli import main as cli_main

        cli_main()
        return
    from gpusetup.probe._deadline import run_guarded
    from gpusetup.probe.nvml import start_early

    def run() -> None:
        start_early()
        from gpusetup.cli import main as cli_main

        cli_main()

    # guarded from the first child on: an interrupt while the CLI loads ends the run the
    # way it ends a command (every child killed, 128 + N)
    run_guarded(run)


if __name__ == "__main__":
    main()
