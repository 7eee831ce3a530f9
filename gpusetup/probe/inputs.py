"""Reading a file the user handed us (``--from``, ``triage FILE``, reports, wheels): bounded.

Only regular files are read (a FIFO, ``/dev/zero`` or a directory is refused before any
read, so nothing blocks on it), and never more than the caller's size limit. ``-`` means
standard input where a command documents it.
"""

from __future__ import annotations

import os
import stat
import sys
from typing import BinaryIO

MIB = 1 << 20


class InputError(Exception):
    """An input the user named cannot be read; the message names it and says why."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_input(path: str | os.PathLike[str], allow_stdin: bool = False) -> BinaryIO:
    """A binary stream over the regular file ``path`` (or stdin for ``-``). Raises InputError."""
    if allow_stdin and str(path) == "-":
        return sys.stdin.buffer
    try:
        # O_NONBLOCK: opening a FIFO does not wait for a writer; checked and cleared below
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(f"cannot read {path}: it is {_kind(mode)}, not a regular file")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_input(
    path: str | os.PathLike[str], limit: int, what: str = "input", allow_stdin: bool = False
) -> bytes:
    """The whole content of ``path``, at most ``limit`` bytes. Raises InputError."""
    stream = open_input(path, allow_stdin)
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if len(data) > limit:
        raise InputError(f"{path} is larger than the {limit / MIB:g} MiB gpusetup reads for {what}")
    return data
