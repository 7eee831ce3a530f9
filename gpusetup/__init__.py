"""gpusetup: set up and diagnose NVIDIA GPU machines for TensorFlow.

The library: every command's work is a call that returns a result and prints nothing.

    import gpusetup
    facts = gpusetup.collect_facts()          # this machine, every probe under a deadline
    report = gpusetup.run_doctor(facts)       # the Report `gpusetup doctor --json` prints
    dmap = gpusetup.device_map()              # nvidia-smi index <-> CUDA <-> /GPU:k
    run = gpusetup.triage_text(log)           # a pasted log's root causes, judged here
    plan = gpusetup.plan_install("2.21")      # the TensorFlow file that fits, and why

Each name is imported when first used, so ``import gpusetup`` (and ``gpusetup --help``)
stays fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: the library's names -> the module that defines them
_SURFACE = {
    "collect_facts": "gpusetup.probe",
    "load_facts": "gpusetup.probe.recorded",
    "run_doctor": "gpusetup.tasks.doctor",
    "device_map": "gpusetup.tasks.devices",
    "triage_text": "gpusetup.tasks.triage",
    "plan_install": "gpusetup.tasks.install",
}

__all__ = ["__version__", "version", *_SURFACE]


def version() -> str:
    return __version__


def __getattr__(name: str) -> Any:
    if name in _SURFACE:
        import importlib

        return getattr(importlib.import_module(_SURFACE[name]), name)
    raise AttributeError(f"module 'gpusetup' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
