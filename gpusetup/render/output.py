"""Writing a file the user named (``-o``, ``--junit``, ``--json``, a textfile): never destroy it.

gpusetup runs as root, so an output path is treated with care:

- a regular file, or a new name in an existing directory, is replaced atomically (a
  temporary file in the same directory, fsync, rename), keeping the old file's mode (new
  files get 0644) and, as root, its owner;
- a character device, FIFO or other non-regular file (``/dev/null``, ``/dev/stdout``, a
  pipe) is written in place: opened for writing, never renamed over or created;
- a symbolic link is followed: the file it points to is what gets written;
- a missing parent directory, a directory, a dangling link or a socket is an error
  (``OutputError``), and nothing is created.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


class OutputError(Exception):
    """The output path cannot be written; the message names it and says why."""


@dataclass(frozen=True)
class OutputTarget:
    """Where an output path really writes, decided by the rules above."""

    path: Path  # the file written (symbolic links followed)
    in_place: bool  # a device or FIFO: opened and written, never renamed over
    old: os.stat_result | None  # the regular file replaced, if there is one
    shown: str  # the path as the user gave it, for messages


def output_target(path: str | os.PathLike[str]) -> OutputTarget:
    """Classify ``path`` by the rules above. Raises OutputError; creates nothing."""
    target = Path(path)
    shown = str(path)
    try:
        info = os.stat(target)  # follows links: the file a link points to is the target
    except FileNotFoundError:
        if target.is_symlink():
            raise OutputError(f"{shown} is a dangling symbolic link") from None
        target = Path(os.path.realpath(target))
        if not target.parent.is_dir():
            raise OutputError(
                f"cannot write {shown}: the directory {target.parent} does not exist"
            ) from None
        return OutputTarget(target, False, None, shown)
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc
    target = Path(os.path.realpath(target))
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(f"cannot write {shown}: it is a directory")
    if stat.S_ISSOCK(info.st_mode):
        raise OutputError(f"cannot write {shown}: it is a socket")
    if not stat.S_ISREG(info.st_mode):
        return OutputTarget(target, True, None, shown)
    return OutputTarget(target, False, info, shown)


def write_output(path: str | os.PathLike[str], data: str | bytes, new_mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` by the rules above. Raises OutputError."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    target = output_target(path)
    if target.in_place:
        _write_in_place(target.path, [raw], target.shown)
        return
    _replace_regular(target.path, raw, target.old, new_mode, target.shown)


def place_output(finished: Path, target: OutputTarget, new_mode: int = 0o644) -> None:
    """Put the finished file ``finished`` (for a regular target: in the same directory as
    ``target.path``) at ``target`` by the rules above; ``finished`` is gone afterwards.
    For output too large to hold in memory (a wheel). Raises OutputError."""
    try:
        if target.in_place:
            with finished.open("rb") as fh:
                _write_in_place(target.path, iter(lambda: fh.read(1 << 20), b""), target.shown)
            return
        fd = os.open(finished, os.O_RDONLY)
        try:
            old = target.old
            os.fchmod(fd, stat.S_IMODE(old.st_mode) if old else new_mode)
            if old is not None and os.geteuid() == 0:
                os.fchown(fd, old.st_uid, old.st_gid)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(finished, target.path)
    except OSError as exc:
        raise OutputError(f"cannot write {target.shown}: {exc.strerror or exc}") from exc
    finally:
        finished.unlink(missing_ok=True)


def _write_in_place(target: Path, chunks: Iterable[bytes], shown: str) -> None:
    """A device or FIFO: open it for writing (never create, never rename over it)."""
    try:
        # O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of hanging
        fd = os.open(target, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(f"cannot write {shown}: a FIFO with no reader") from exc
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc
    try:
        os.set_blocking(fd, True)
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def _replace_regular(
    target: Path, raw: bytes, old: os.stat_result | None, new_mode: int, shown: str
) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fchmod(fh.fileno(), stat.S_IMODE(old.st_mode) if old else new_mode)
            if old is not None and os.geteuid() == 0:
                os.fchown(fh.fileno(), old.st_uid, old.st_gid)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
