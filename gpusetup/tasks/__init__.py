"""The use cases, one module per command family: each takes plain arguments (and facts,
or the input files to read them from), returns a result object, and never prints or exits.
The CLI renders what they return; ``gpusetup/__init__`` offers them as the library.
"""

from __future__ import annotations

import importlib
from types import ModuleType

TASKS = (
    "devices",
    "doctor",
    "errors",
    "fix",
    "fleet",
    "install",
    "libs",
    "smoke",
    "source",
    "triage",
    "wheel",
)


def __getattr__(name: str) -> ModuleType:
    # each task is imported when first used, so ``from gpusetup import tasks`` costs nothing
    if name in TASKS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
