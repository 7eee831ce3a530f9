"""Views of results: console, JSON envelopes, JUnit, node monitors' formats, plans and
redaction; every output file through one writer (``output``).

Each view is imported when first used (``render.console`` loads Rich; a JSON command never
does), so ``from gpusetup import render`` costs nothing.
"""

from __future__ import annotations

import importlib
from types import ModuleType

VIEWS = (
    "console",
    "formats",
    "json",
    "junit",
    "libs",
    "node_formats",
    "output",
    "plans",
    "progress",
    "redact",
    "text",
    "triage_view",
)


def __getattr__(name: str) -> ModuleType:
    if name in VIEWS:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
