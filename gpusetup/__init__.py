"""gpusetup: set up and diagnose NVIDIA GPU machines for TensorFlow."""

__version__ = "0.1.0"


def version() -> str:
    return __version__
