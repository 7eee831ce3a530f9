"""Pure readers of what people paste: nvidia-smi in every form, deviceQuery, the p2p
samples, TensorFlow logs and device lists, PyTorch listings, lspci, the driver's version
file, nvcc, cuDNN headers, ldconfig and ``ls -l`` of library directories.

Text in, frozen dataclasses out (``model.Reading``): no file, no process, no platform
call. ``gpusetup.parse.detect.detect(paste)`` recognises each output by its content and
reads it; ``read(kind, text)`` reads a text known to be of one kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported on use: the probes import parse's small modules only
    from gpusetup.parse.model import Reading

# (detect is the module gpusetup.parse.detect: its detect() reads a whole paste)
__all__ = ["KINDS", "Reading", "read"]


def read(kind: str, text: str, *, first_line: int = 1) -> Reading:
    """``text`` read as output of ``kind`` (one of ``KINDS``)."""
    from gpusetup.parse._text import prepare
    from gpusetup.parse.detect import READERS, read_block

    if kind not in READERS:
        raise ValueError(f"unknown kind {kind!r}; known: {', '.join(READERS)}")
    return read_block(kind, prepare(text, first_line))


def __getattr__(name: str) -> object:
    if name == "Reading":
        from gpusetup.parse.model import Reading

        return Reading
    if name == "KINDS":
        from gpusetup.parse.detect import KINDS

        return KINDS
    raise AttributeError(name)
