"""gpusetup: set up and diagnose NVIDIA GPU machines for TensorFlow."""

from __future__ import annotations


def version() -> str:
    """The installed distribution's version (pyproject.toml is the one source)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("gpusetup")
    except PackageNotFoundError:
        return "0+unknown"
