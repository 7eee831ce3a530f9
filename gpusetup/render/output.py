"""Writing a file the user named (``-o``, ``--junit``, ``--json``, a textfile): never destroy it.

gpusetup runs as root, so an output path is treated with care:

- a regular file, or a new name in an existing directory, is replaced atomically (a
  temporary file in the same directory, fsync, rename, fsync of the directory), keeping
  the old file's mode (new files get 0644) and, as root, its owner;
- a character device or FIFO (``/dev/null``, ``/dev/stdout``, a terminal, a pipe) is
  written in place: opened for writing, never renamed over, never created;
- a symbolic link is followed: the file it points to is what gets written, except a link
  in a sticky world-writable directory (``/tmp``) owned by someone else, which is refused
  as the kernel's ``protected_symlinks`` would (another user's link must not aim root's
  write at ``/etc/shadow``);
- a missing parent directory, a directory, a block device (a disk), a socket or a
  dangling link is an error (``OutputError``), and nothing is created.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from gpusetup.serde import record


class OutputError(Exception):
    """The output path cannot be written; the message names it and says why."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


@record
class OutputTarget:
    """Where an output path really writes, decided by the rules above."""

    path: Path  # the file replaced (links followed); for in-place targets, the name as given
    in_place: bool  # a character device or FIFO: opened and written, never renamed over
    old: os.stat_result | None  # the regular file replaced, if there is one
    shown: str  # the path as the user gave it, for messages


def output_target(path: str | os.PathLike[str]) -> OutputTarget:
    """Classify ``path`` by the rules above. Raises OutputError; creates nothing."""
    shown = os.fspath(path)
    if not shown:
        raise OutputError("cannot write to an empty file name")
    _refuse_foreign_link(Path(shown), shown)
    try:
        info: os.stat_result | None = os.stat(shown)  # follows links
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {_why(exc)}") from exc
    if info is None:
        if os.path.islink(shown):
            raise OutputError(f"cannot write {shown}: it is a dangling symbolic link")
        target = Path(os.path.realpath(shown))
        if not target.parent.is_dir():
            raise OutputError(
                f"cannot write {shown}: the directory {target.parent} does not exist "
                "(gpusetup does not create it)"
            )
        return OutputTarget(target, False, None, shown)
    mode = info.st_mode
    if stat.S_ISDIR(mode):
        raise OutputError(f"cannot write {shown}: it is a directory")
    if stat.S_ISBLK(mode):
        raise OutputError(f"cannot write {shown}: it is a block device (a disk), not a report file")
    if stat.S_ISSOCK(mode):
        raise OutputError(f"cannot write {shown}: it is a socket")
    if stat.S_ISREG(mode):
        return OutputTarget(Path(os.path.realpath(shown)), False, info, shown)
    # a character device or FIFO: open the name as given (/dev/stdout -> /proc/self/fd/1
    # resolves to "pipe:[...]", which is no path), never the resolved path
    return OutputTarget(Path(shown), True, None, shown)


def write_output(path: str | os.PathLike[str], data: str | bytes, new_mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` by the rules above. Raises OutputError."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    target = output_target(path)
    if target.in_place:
        _write_in_place(target.shown, [raw])
        return
    _replace_regular(target.path, raw, target.old, new_mode, target.shown)


def place_output(finished: Path, target: OutputTarget, new_mode: int = 0o644) -> None:
    """Put the finished file ``finished`` (for a regular target: in the same directory as
    ``target.path``) at ``target`` by the rules above; ``finished`` is gone afterwards.
    For output too large to hold in memory (a wheel). Raises OutputError."""
    try:
        if target.in_place:
            with finished.open("rb") as fh:
                _write_in_place(target.shown, iter(lambda: fh.read(1 << 20), b""))
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
        _sync_directory(target.path.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target.shown}: {_why(exc)}") from exc
    finally:
        finished.unlink(missing_ok=True)


def _refuse_foreign_link(path: Path, shown: str) -> None:
    """Each symbolic link on the way, judged as ``fs.protected_symlinks`` judges it.

    The walk resolves the path the way the kernel does (``..`` after a link goes up from
    where the link led, not lexically), so the links judged are the ones that are followed.
    """
    pending = deque(path.parts if path.is_absolute() else Path(os.getcwd(), path).parts)
    resolved = Path("/")
    followed = 0
    while pending:
        part = pending.popleft()
        if part == "/":
            resolved = Path("/")
            continue
        if part == "..":
            resolved = resolved.parent
            continue
        here = resolved / part
        try:
            info = os.lstat(here)
        except OSError:
            return  # missing: the checks after this one say what is wrong
        if not stat.S_ISLNK(info.st_mode):
            resolved = here
            continue
        try:
            parent = os.stat(resolved)
            target = os.readlink(here)
        except OSError:
            return  # unreadable: the write itself reports why it cannot go on
        sticky_public = parent.st_mode & stat.S_ISVTX and parent.st_mode & stat.S_IWOTH
        if sticky_public and info.st_uid not in (os.geteuid(), parent.st_uid):
            raise OutputError(
                f"cannot write {shown}: {here} is a symbolic link owned by uid "
                f"{info.st_uid} in the shared directory {resolved}; gpusetup does not "
                "follow it (write to a path you own)"
            )
        followed += 1
        if followed > 40:  # the kernel's own limit
            raise OutputError(f"cannot write {shown}: too many levels of symbolic links")
        pending.extendleft(reversed(Path(target).parts))


def _write_in_place(shown: str, chunks: Iterable[bytes]) -> None:
    """A device or FIFO: open it for writing (never create, never rename over it)."""
    try:
        # O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of hanging
        fd = os.open(shown, os.O_WRONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise OutputError(f"cannot write {shown}: a FIFO with no reader") from exc
        raise OutputError(f"cannot write {shown}: {_why(exc)}") from exc
    try:
        kind = os.fstat(fd).st_mode
        if not (stat.S_ISCHR(kind) or stat.S_ISFIFO(kind)):
            raise OutputError(f"cannot write {shown}: it changed while being opened")
        os.set_blocking(fd, True)
        for chunk in chunks:
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {_why(exc)}") from exc
    finally:
        os.close(fd)


def _replace_regular(
    target: Path, raw: bytes, old: os.stat_result | None, new_mode: int, shown: str
) -> None:
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {_why(exc)}") from exc
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
        raise OutputError(f"cannot write {shown}: {_why(exc)}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_directory(target.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (the textfile collector may read after a crash)."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return  # the file is written; only durability across a power cut is lost
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename still happened
    finally:
        os.close(fd)
