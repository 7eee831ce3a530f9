"""What library file names say about versions (read by the ldconfig and ls readers and the
library checks).

- ``libcudnn.so.X.Y.Z`` is cuDNN X.Y.Z; before cuDNN v4 the library was named after the
  CUDA release it was built for (``libcudnn.so.6.5``, ``libcudnn.so.7.0`` -> ``7.0.64``),
  so those names give no cuDNN version, only a generation.
- ``libcuda.so.535.104.05`` is the driver's own file: its suffix is the driver version.
- ``libcudart.so.X.Y.Z``: from CUDA 11 each library carries its own full version
  (12.4.127, as pip's nvidia-cuda-runtime-cu12 does); before 11 the third number is the
  toolkit's build (7.5.18) and the runtime is X.Y.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable

_CUDNN = re.compile(r"^libcudnn\.so\.(?P<v>\d{1,12}(?:\.\d{1,12})*)$")
_DRIVER = re.compile(r"^libcuda\.so\.(?P<v>(?P<major>\d{3,})\.\d{1,12}(?:\.\d{1,12})?)$")
_CUDART = re.compile(
    r"^libcudart\.so\.(?P<major>\d{1,12})\.(?P<minor>\d{1,12})(?:\.(?P<patch>\d{1,12}))?$"
)


def cudnn_generation(name: str) -> str | None:
    """``libcudnn.so.8.9.7`` -> ``8``; ``libcudnn.so.7.0``/``7.0.64`` (named after CUDA,
    before v4) -> ``pre-v4``; None for anything else (sub-libraries, archives)."""
    match = _CUDNN.match(name)
    if not match:
        return None
    parts = match["v"].split(".")
    if _pre_v4(parts):
        return "pre-v4"
    return parts[0]


def _pre_v4(parts: list[str]) -> bool:
    # pre-v4 cuDNN: soname major.minor of a CUDA release (6.5, 7.0), file patch a CUDA
    # build number (48, 58, 64); real cuDNN sonames have one number, patches stay small
    if len(parts) == 2:
        return True
    return len(parts) == 3 and parts[:2] in (["6", "5"], ["7", "0"]) and int(parts[2]) >= 18


def cudnn_version(name: str) -> str | None:
    """The cuDNN version a real file's name gives (``libcudnn.so.9.6.0`` -> ``9.6.0``)."""
    match = _CUDNN.match(name)
    if not match or cudnn_generation(name) == "pre-v4":
        return None
    parts = match["v"].split(".")
    return match["v"] if len(parts) == 3 else None


def driver_version(name: str) -> str | None:
    """``libcuda.so.352.39`` -> ``352.39``; None for ``libcuda.so.1`` or WSL's ``1.1``."""
    match = _DRIVER.match(name)
    return match["v"] if match and int(match["major"]) >= 100 else None


def runtime_version(name: str) -> str | None:
    """``libcudart.so.12.4.127`` -> ``12.4.127``; ``libcudart.so.7.5.18`` -> ``7.5``."""
    match = _CUDART.match(name)
    if not match or match["patch"] is None:
        return None
    if int(match["major"]) >= 11:
        return f"{match['major']}.{match['minor']}.{match['patch']}"
    return f"{match['major']}.{match['minor']}"


def basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def should_be_links(regular_files: Iterable[str]) -> list[str]:
    """Of the regular files named (one directory's), those with a longer-versioned file of
    the same library beside them (``libcuda.so.1`` beside ``libcuda.so.1.1``): each should
    be a link to it, and ldconfig warns that it "is not a symbolic link"."""
    names = sorted(set(regular_files))
    out = []
    for name in names:
        after = bisect.bisect_left(names, name + ".")
        if after < len(names) and names[after].startswith(name + "."):
            out.append(name)
    return out
