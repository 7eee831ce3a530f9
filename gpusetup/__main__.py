"""The ``gpusetup`` command and ``python -m gpusetup``: the CLI, with NVML asked first.

A command that probes this machine waits longest for the NVML child; started here, before
typer and rich load, it runs while they do. Only argv is looked at (no option parsing): the
first word that is not an option names the command, and a command that reads ``--from``
files or only prints help asks no one.
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
