"""Installing a package with pip: ``python -m pip install REQUIREMENT`` for the target
interpreter, under a deadline, its own output kept so that a failure is shown verbatim."""

from __future__ import annotations

import subprocess

PIP_TIMEOUT_S = 3600.0


def pip_install(
    target_python: str, requirement: str, timeout_s: float = PIP_TIMEOUT_S
) -> tuple[int, str]:
    """(exit code, pip's combined output)."""
    argv = [target_python, "-m", "pip", "install", "--disable-pip-version-check", requirement]
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout_s,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return 124, f"pip did not finish within {timeout_s:g} s"
    except OSError as exc:
        return 127, f"cannot run {target_python}: {exc.strerror or exc}"
    return proc.returncode, proc.stdout + proc.stderr
