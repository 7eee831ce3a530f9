"""Reading a file the user handed us (``--from``, ``--profile``, ``triage FILE``, reports,
wheels): bounded, and never blocked.

Only regular files are read. The path is looked at (``stat``) before it is opened, so a
FIFO, a device (``/dev/zero``, ``/dev/watchdog``, a tape) or a directory is refused without
being opened: opening some devices has effects of its own. The file is read without
blocking, so a regular-looking file that waits for data (``/proc/kmsg``) is refused too,
and never more than the caller's size limit is read. ``-`` means standard input where a
command documents it; what is read from it is bounded the same way.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from collections.abc import Iterator
from typing import BinaryIO

KIB = 1 << 10
MIB = 1 << 20
_CHUNK = MIB


class InputError(Exception):
    """An input the user named cannot be read; the message names it and says why."""


def describe_size(size: int) -> str:
    """``33554432`` -> ``32 MiB``: sizes in messages, in the unit a person reads."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MiB"
    if size >= KIB and size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _open_regular(path: str | os.PathLike[str]) -> int:
    """A non-blocking descriptor on the regular file ``path``. Raises InputError."""
    try:
        mode = os.stat(path).st_mode  # follows links: what they point to is what is read
    except OSError as exc:
        raise InputError(f"cannot read {os.fspath(path)}: {_why(exc)}") from exc
    if not stat.S_ISREG(mode):
        raise InputError(
            f"cannot read {os.fspath(path)}: it is {_kind(mode)}, not a regular file"
            " (give a file, or - for standard input where the command takes it)"
        )
    try:
        # O_NONBLOCK: if the name was swapped for a FIFO since the stat, the open does
        # not wait for a writer; the descriptor is checked again below
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"cannot read {os.fspath(path)}: {_why(exc)}") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(f"cannot read {os.fspath(path)}: it is {_kind(mode)}, not a regular file")
    return fd


def open_input(path: str | os.PathLike[str], allow_stdin: bool = False) -> BinaryIO:
    """A binary stream over the regular file ``path`` (or stdin for ``-``). Raises InputError.

    For readers that need a file object (zip archives); the caller bounds what it reads.
    """
    if allow_stdin and os.fspath(path) == "-":
        return sys.stdin.buffer
    fd = _open_regular(path)
    os.set_blocking(fd, True)  # a regular file on a local disk: reads do not wait
    return os.fdopen(fd, "rb")


class InputChunks:
    """The content of an input, chunk by chunk, at most ``limit`` bytes in all.

    Iterate over it once; afterwards ``cut`` says whether there was more than ``limit``
    (the rest is left unread) and ``size`` how much was read. Raises InputError.
    """

    def __init__(self, path: str | os.PathLike[str], limit: int, allow_stdin: bool = False):
        self.shown = os.fspath(path)
        self.limit = limit
        self.cut = False
        self.size = 0
        self._stream: BinaryIO | None = None  # stdin replaced by a Python object
        self._fd: int | None = None
        self._owns_fd = False
        if allow_stdin and self.shown == "-":
            self.shown = "standard input"
            if _has_fileno(sys.stdin.buffer):
                self._fd = sys.stdin.buffer.fileno()
            else:
                self._stream = sys.stdin.buffer
        else:
            self._fd = _open_regular(path)
            self._owns_fd = True

    def __iter__(self) -> Iterator[bytes]:
        try:
            while not self.cut:
                chunk = self._read(min(_CHUNK, self.limit + 1 - self.size))
                if not chunk:
                    return
                if self.size + len(chunk) > self.limit:
                    chunk = chunk[: self.limit - self.size]
                    self.cut = True
                self.size += len(chunk)
                if chunk:
                    yield chunk
        finally:
            self.close()

    def _read(self, size: int) -> bytes:
        try:
            if self._stream is not None:
                return self._stream.read(size) or b""
            if self._fd is None:  # closed
                return b""
            # a pipe or terminal gives what it has; a file opened non-blocking never waits
            return os.read(self._fd, size)
        except BlockingIOError as exc:
            raise InputError(
                f"cannot read {self.shown}: it waits for data (not an ordinary file)"
            ) from exc
        except OSError as exc:
            if exc.errno == errno.EISDIR:
                raise InputError(f"cannot read {self.shown}: it is a directory") from exc
            raise InputError(f"cannot read {self.shown}: {_why(exc)}") from exc

    def close(self) -> None:
        if self._owns_fd and self._fd is not None:
            os.close(self._fd)
        self._fd = None
        self._stream = None


def _has_fileno(stream: BinaryIO) -> bool:
    try:
        stream.fileno()
    except (OSError, ValueError, AttributeError):
        return False
    return True


def read_input(
    path: str | os.PathLike[str], limit: int, what: str = "input", allow_stdin: bool = False
) -> bytes:
    """The whole content of ``path``, at most ``limit`` bytes. Raises InputError."""
    chunks = InputChunks(path, limit, allow_stdin)
    data = b"".join(chunks)
    if chunks.cut:
        raise InputError(
            f"{chunks.shown} is larger than the {describe_size(limit)} gpusetup reads for {what}"
        )
    return data
