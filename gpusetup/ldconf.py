"""The linker cache configuration: /etc/ld.so.conf with its includes, and the cache as
`ldconfig -p` prints it (ldconfig(8), ld.so(8)).

``ldconfig DIR`` adds DIR only until the next ldconfig run (any package install runs
one); a directory is configured for good by a line in /etc/ld.so.conf.d/*.conf.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

#: more than any real configuration file; a bigger one is reported, not read
CONF_READ_LIMIT = 1 << 20


@dataclass(frozen=True)
class ConfDirectory:
    path: str  # as written (absolute, inside the system root)
    source: str  # the file and line that configures it
    exists: bool
    world_writable: bool
    owner_uid: int | None


@dataclass(frozen=True)
class LdConf:
    directories: list[ConfDirectory] = field(default_factory=list)
    #: include loops, missing includes, lines that are not directories
    problems: list[str] = field(default_factory=list)
    #: the absolute patterns of every ``include`` line read, in order
    includes: list[str] = field(default_factory=list)

    def includes_file(self, path: str) -> bool:
        """Whether ldconfig would read the configuration file ``path`` (once it exists)."""
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.includes)


def _describe(root: Path, path: str, source: str) -> ConfDirectory:
    from gpusetup.probe.paths import inside

    try:
        st = os.stat(inside(root, path))
    except OSError:
        return ConfDirectory(path, source, False, False, None)
    return ConfDirectory(path, source, True, bool(st.st_mode & 0o002), st.st_uid)


def read_ld_so_conf(root: Path = Path("/"), conf: str = "/etc/ld.so.conf") -> LdConf:
    """Every directory ld.so.conf configures, in order, following ``include`` globs, each
    file read as the tree at ``root`` sees it (``ldconfig -r``)."""
    # imported here: gpusetup.facts imports this module, and the probe package imports facts
    from gpusetup.probe.inputs import InputError, read_input
    from gpusetup.probe.paths import glob_inside, resolve_inside

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
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = f"{conf_path}:{number}"
            if line.startswith("include") and line[7:8] in (" ", "\t"):
                for pattern in line[8:].split():
                    if not pattern.startswith("/"):
                        pattern = str(Path(conf_path).parent / pattern)
                    includes.append(pattern)
                    matches = glob_inside(root, pattern)
                    if not matches and not glob.has_magic(pattern):
                        problems.append(f"{where}: included file {pattern} does not exist")
                    for match in matches:
                        walk(match, (*stack, real))
                continue
            if line.startswith("hwcap") and line[5:6] in (" ", "\t"):
                continue
            entry = directory_of_line(line)
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


def directory_of_line(line: str) -> str:
    """The directory a configuration line names, as glibc's ldconfig reads it (2.36,
    ``add_dir_1``): the whole line, comment and trailing blanks and slashes taken off, and
    the old ``DIR=TYPE`` suffix; spaces, commas and colons are part of the name."""
    entry = line.split("=", 1)[0].rstrip(" \t")
    return entry.rstrip("/") or entry


_CACHE_LINE = re.compile(r"^\s*(\S+)\s+\(([^)]*)\)(?:\s+OS ABI:[^=]*)?\s*=>\s*(.+)$")


@dataclass(frozen=True)
class CacheEntry:
    soname: str
    flags: str  # "libc6,x86-64"
    path: str


def parse_ldconfig_p(text: str) -> list[CacheEntry]:
    """``ldconfig -p`` lines: ``\\tlibcudart.so.12 (libc6,x86-64) => /usr/.../libcudart.so.12``."""
    entries = []
    for line in text.splitlines():
        match = _CACHE_LINE.match(line)
        if match:
            entries.append(CacheEntry(match.group(1), match.group(2), match.group(3).strip()))
    return entries


def cache_flags_for(machine: str | None, elf_class: int | None) -> str:
    """The flags ``ldconfig -p`` shows for libraries this interpreter can load."""
    if machine == "EM_X86_64":
        return "libc6,x86-64"
    if machine == "EM_AARCH64":
        return "libc6,AArch64"
    return "libc6" if elf_class == 32 else "libc6"
