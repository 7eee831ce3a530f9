"""Lines of ``/etc/ld.so.conf`` and its includes read from text, as glibc's ldconfig reads
them (ldconfig(8); glibc 2.36 ``elf/ldconfig.c``: ``parse_conf``, ``add_dir_1``).

A line is a comment (from ``#``), ``include PATTERN...``, ``hwcap ...`` (ignored since glibc
2.26) or one directory: the whole line, so spaces, commas and colons are part of its name.
"""

from __future__ import annotations

from typing import Literal

from gpusetup.serde import record


@record
class ConfLine:
    """What one configuration line says."""

    kind: Literal["include", "hwcap", "directory"]
    #: the include patterns as written, or the one directory
    values: tuple[str, ...]


def read_line(raw: str) -> ConfLine | None:
    """One line of a configuration file; None for a blank line or a comment."""
    line = raw.split("#", 1)[0].strip()
    if not line:
        return None
    if line.startswith("include") and line[7:8] in (" ", "\t"):
        return ConfLine("include", tuple(line[8:].split()))
    if line.startswith("hwcap") and line[5:6] in (" ", "\t"):
        return ConfLine("hwcap", ())
    return ConfLine("directory", (directory_of_line(line),))


def directory_of_line(line: str) -> str:
    """The directory a configuration line names, as glibc's ldconfig reads it (2.36,
    ``add_dir_1``): the whole line, comment and trailing blanks and slashes taken off, and
    the old ``DIR=TYPE`` suffix; spaces, commas and colons are part of the name."""
    entry = line.split("=", 1)[0].rstrip(" \t")
    return entry.rstrip("/") or entry
