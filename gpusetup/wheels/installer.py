"""Installing: the machine's GPUs as the choice needs them, the download cache, and pip.

pip runs as ``python -m pip install FILE`` for the target interpreter; its own output is
kept so that a failure can be shown verbatim."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gpusetup.facts import Facts
from gpusetup.wheels.choose import MachineGpus

PIP_TIMEOUT_S = 3600.0


def machine_gpus(facts: Facts) -> MachineGpus:
    nvml = facts.nvml
    if nvml is None or not nvml.ok or not nvml.gpus:
        return MachineGpus()
    gpus = [(f"GPU {g.index} {g.name}", g.cc_text) for g in nvml.gpus if g.cc_text]
    return MachineGpus(nvml.driver_version, gpus)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gpusetup" / "wheels"


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
