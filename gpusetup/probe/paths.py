"""Where probes read the machine: ``/`` or a system root given for tests and images.

``GPUSETUP_SYSROOT`` (or a ``sysroot`` argument) makes every sysfs, /proc and /dev read
happen under that directory, so a recorded or hand-built tree can be diagnosed.
"""

from __future__ import annotations

import os
from pathlib import Path


def sysroot(explicit: str | os.PathLike[str] | None = None) -> Path:
    root = explicit if explicit is not None else os.environ.get("GPUSETUP_SYSROOT") or "/"
    return Path(root)


def under(root: Path, absolute: str) -> Path:
    return root / absolute.lstrip("/")
