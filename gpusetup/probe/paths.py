"""Where probes read the machine: ``/`` or a system root given for tests and images.

``GPUSETUP_SYSROOT`` (or a ``sysroot`` argument) makes every sysfs, /proc, /dev and
library read happen under that directory, so a recorded or hand-built tree can be
diagnosed, and ``fix ldconfig --sysroot`` writes into it.

Inside a system root every path is resolved as ``ldconfig -r`` (which chroots) and the
programs of the finished image see it: an absolute symbolic link starts again at the
root, ``..`` at the root stays there, and more than 40 links in one lookup is a loop
(ELOOP, Linux's MAXSYMLINKS). So no link in a tree reaches the rest of this machine,
and an ``/etc/alternatives`` link inside a tree is found, not dangling. The host paths
these functions return have no symbolic link left in the part that exists.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from gpusetup.serde import record

#: Linux's limit on links followed in one path lookup (fs/namei.c)
MAX_SYMLINKS = 40

HOST = Path("/")


def sysroot(
    explicit: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """The tree probes read: ``explicit``, else ``GPUSETUP_SYSROOT`` of ``environ``
    (default: this process's environment), else /."""
    env = os.environ if environ is None else environ
    root = explicit if explicit is not None else env.get("GPUSETUP_SYSROOT") or "/"
    return Path(root)


def under(root: Path, absolute: str) -> Path:
    """Where ``absolute`` of the tree lies on this machine, links not followed (for
    naming files; read or write through ``inside``). ``..`` cannot climb above ``root``."""
    return root / os.path.normpath("/" + absolute).lstrip("/")


@record
class Resolved:
    """A path of a tree, looked up as the tree's own programs would."""

    inside: str  # the path as the tree sees it, every link followed: /usr/local/cuda-12.5
    host: Path  # the same place on this machine: ROOT/usr/local/cuda-12.5
    exists: bool  # the whole path was found (its last component too)
    #: the links followed on the way: (link as the tree sees it, what it points to)
    links: tuple[tuple[str, str], ...] = ()
    #: every directory searched on the way, as the tree sees it (what a check of who may
    #: change the path must look at)
    searched: tuple[str, ...] = ()


def resolve_inside(
    root: str | os.PathLike[str],
    path: str,
    *,
    follow_last: bool = True,
    lstat: Callable[[str], os.stat_result] = os.lstat,
    readlink: Callable[[str], str] = os.readlink,
) -> Resolved:
    """Look ``path`` (absolute, as the tree sees it) up inside ``root``, following every
    link the chroot way. A missing component ends the lookup: the rest is kept as written
    (``..`` taken off by name, what is found after it looked up again). Raises
    OSError(ELOOP) for a loop; other lookup errors count as missing (the open that follows
    fails the same way)."""
    base = os.fspath(root).rstrip("/")
    pending = [p for p in reversed(path.split("/"))]  # a stack: next component last
    parts: list[str] = []  # the directory reached so far, no link in it
    missing_at: int | None = None  # index in parts of the first component not found
    lost = False  # a component was not found (the kernel stops there: ENOENT)
    links: list[tuple[str, str]] = []
    searched: list[str] = []
    followed = 0
    while pending:
        name = pending.pop()
        if name in ("", "."):
            continue
        if name == "..":
            if parts:
                parts.pop()
            if missing_at is not None and len(parts) <= missing_at:
                # back on found ground: what follows is looked up again, so the host path
                # never holds a link nobody followed
                missing_at = None
            continue
        if missing_at is not None or (not pending and not follow_last):
            if missing_at is None and not follow_last:
                _note(searched, parts)
                try:
                    lstat(_join(base, [*parts, name]))
                except OSError:
                    missing_at, lost = len(parts), True
            parts.append(name)
            continue
        _note(searched, parts)
        host = _join(base, [*parts, name])
        try:
            info = lstat(host)
        except OSError:
            missing_at, lost = len(parts), True
            parts.append(name)
            continue
        if stat.S_ISLNK(info.st_mode):
            followed += 1
            if followed > MAX_SYMLINKS:
                raise OSError(
                    errno.ELOOP, "too many levels of symbolic links", _inside([*parts, name])
                )
            target = readlink(host)
            links.append((_inside([*parts, name]), target))
            if target.startswith("/"):
                parts = []
            pending.extend(reversed(target.split("/")))
            continue
        parts.append(name)
    return Resolved(
        _inside(parts),
        Path(_join(base, parts)),
        not lost,
        tuple(links),
        tuple(searched),
    )


def _join(base: str, parts: list[str]) -> str:
    return base + "/" + "/".join(parts) if parts else base or "/"


def _inside(parts: list[str]) -> str:
    return "/" + "/".join(parts)


def _note(searched: list[str], parts: list[str]) -> None:
    directory = _inside(parts)
    if not searched or searched[-1] != directory:
        searched.append(directory)


def inside(root: Path, absolute: str, *, follow_last: bool = True) -> Path:
    """The file ``absolute`` names in the tree at ``root``, as a path on this machine that
    is safe to open. On the machine itself (``/``) the path is returned as it is."""
    if root == HOST:
        return Path(absolute)
    return resolve_inside(root, absolute, follow_last=follow_last).host


def rooted(root: Path, path: str | os.PathLike[str]) -> str | None:
    """``path`` (on this machine) as the tree sees it, when it lies under ``root``."""
    text, base = os.fspath(path), os.fspath(root).rstrip("/")
    if root == HOST or not base:
        return None
    if text == base:
        return "/"
    return text[len(base) :] if text.startswith(base + "/") else None


def host_path(root: Path, path: str | os.PathLike[str], *, follow_last: bool = True) -> str:
    """``path`` (on this machine) made safe to open: under a system root its links are
    followed inside the root; anywhere else it is left to the kernel, as it was."""
    seen = rooted(root, path)
    if seen is None:
        return os.fspath(path)
    return os.fspath(resolve_inside(root, seen, follow_last=follow_last).host)


def real_path(root: Path, path: str | os.PathLike[str]) -> str:
    """What ``path`` finally names, as ``os.path.realpath`` says on the machine itself."""
    if rooted(root, path) is None:
        return os.path.realpath(path)
    return host_path(root, path)


def glob_inside(root: Path, pattern: str) -> list[str]:
    """Paths of the tree matching the absolute ``pattern`` (``*``, ``?``, ``[...]`` in any
    component, hidden names only for a pattern starting with a dot), as the tree sees
    them and sorted, as glob(3) in a chroot lists them."""
    found = ["/"]
    for component in [c for c in pattern.split("/") if c]:
        nxt: list[str] = []
        for directory in found:
            prefix = directory.rstrip("/") + "/"
            if not any(ch in component for ch in "*?["):
                nxt.append(prefix + component)
                continue
            try:
                names = os.listdir(inside(root, directory))
            except OSError:
                continue
            for name in sorted(names):
                if name.startswith(".") and not component.startswith("."):
                    continue
                if fnmatch.fnmatchcase(name, component):
                    nxt.append(prefix + name)
        found = nxt
    out = []
    for candidate in found:
        try:
            os.lstat(inside(root, candidate, follow_last=False))
        except OSError:
            continue
        out.append(candidate)
    return sorted(out)
