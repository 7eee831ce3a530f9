"""Where a Python package would be imported from in this interpreter, found without
importing it (``importlib.util.find_spec`` only reads the import path)."""

from __future__ import annotations

import importlib.util
from importlib.machinery import ModuleSpec


def find_module(name: str) -> ModuleSpec | None:
    """The spec of the top-level package ``name``; None when it is not installed (or the
    import path cannot say: a broken finder, a namespace left half-installed)."""
    try:
        return importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
