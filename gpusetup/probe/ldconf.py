"""Reading the linker cache configuration: /etc/ld.so.conf with its includes, each file
read as the tree at ``root`` sees it (ldconfig(8), ``ldconfig -r``); the lines themselves
are read by ``gpusetup.parse.ld_so_conf``.

``ldconfig DIR`` adds DIR only until the next ldconfig run (any package install runs
one); a directory is configured for good by a line in /etc/ld.so.conf.d/*.conf.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

from gpusetup.facts import ConfDirectory, LdConf
from gpusetup.parse.ld_so_conf import read_line
from gpusetup.probe.inputs import InputError, read_input
from gpusetup.probe.paths import glob_inside, inside, resolve_inside

#: more than any real configuration file; a bigger one is reported, not read
CONF_READ_LIMIT = 1 << 20


def _describe(root: Path, path: str, source: str) -> ConfDirectory:
    try:
        st = os.stat(inside(root, path))
    except OSError:
        return ConfDirectory(path, source, False, False, None)
    return ConfDirectory(path, source, True, bool(st.st_mode & 0o002), st.st_uid)


def read_ld_so_conf(root: Path = Path("/"), conf: str = "/etc/ld.so.conf") -> LdConf:
    """Every directory ld.so.conf configures, in order, following ``include`` globs, each
    file read as the tree at ``root`` sees it (``ldconfig -r``)."""
    dirs: list[ConfDirectory] = []
    problems: list[str] = []
    includes: list[str] = []
    seen_dirs: set[str] = set()

    def walk(conf_path: str, stack: tuple[str, ...]) -> None:
        try:
            found = resolve_inside(root, conf_path)
        except OSError as exc:
            problems.append(f"{conf_path} cannot be read: {exc.strerror}")
            return
        real = found.inside
        if real in stack:
            problems.append(f"include loop: {' -> '.join([*stack, real])}")
            return
        if not found.exists:
            problems.append(f"{conf_path} does not exist")
            return
        try:
            text = read_input(found.host, CONF_READ_LIMIT, "a linker configuration file")
        except InputError as exc:
            problems.append(f"{conf_path} cannot be read: {str(exc).split(': ', 1)[-1]}")
            return
        for number, raw in enumerate(text.decode("utf-8", "surrogateescape").splitlines(), 1):
            read = read_line(raw)
            if read is None or read.kind == "hwcap":
                continue
            where = f"{conf_path}:{number}"
            if read.kind == "include":
                for pattern in read.values:
                    if not pattern.startswith("/"):
                        pattern = str(Path(conf_path).parent / pattern)
                    includes.append(pattern)
                    matches = glob_inside(root, pattern)
                    if not matches and not glob.has_magic(pattern):
                        problems.append(f"{where}: included file {pattern} does not exist")
                    for match in matches:
                        walk(match, (*stack, real))
                continue
            (entry,) = read.values
            if not entry.startswith("/"):
                problems.append(f"{where}: {entry!r} is not an absolute directory")
                continue
            norm = os.path.normpath(entry)
            if norm in seen_dirs:
                continue
            seen_dirs.add(norm)
            dirs.append(_describe(root, norm, where))

    walk(conf, ())
    return LdConf(dirs, problems, includes)
