"""Text from outside (facts files, wheel metadata, logs) made safe to print on a terminal.

Control characters (ESC, NUL, ...), C1 codes and invisible format characters such as the
bidirectional overrides are shown escaped (``\\x1b``, ``\\u202e``), so a crafted file cannot
move the cursor, recolour the terminal or reorder what the user reads.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Iterable
from typing import Any


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every control and format character escaped (tabs kept)."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == "\t" or (keep_newlines and ch == "\n") or ch.isprintable() or ch == " ":
            out.append(ch)
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def say(line: str, err: bool = False) -> None:
    """One line of text from outside (names, ids, paths), escaped, in the stream's own
    encoding (click would force UTF-8 on an ASCII stream; Rich views escape instead)."""
    stream = sys.stderr if err else sys.stdout
    stream.write(printable(line) + "\n")
    stream.flush()


def say_lines(lines: Iterable[tuple[str, bool]]) -> None:
    """Each (line, to stderr) with ``say``."""
    for line, err in lines:
        say(line, err)


def encode_anything() -> None:
    """Output in any encoding (PYTHONIOENCODING=ascii, a C locale): what the stream cannot
    encode is written as a backslash escape instead of stopping the command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream: nothing to adjust
                continue


def error_lines(exc: BaseException, prefix: str, internal: bool) -> list[tuple[str, bool]]:
    """What the CLI prints (on stderr) when ``exc`` ends a command: the output a failed
    tool printed (pip's, kept as it was), then one escaped line; for a gpusetup bug
    (``internal``) the exception's type and how to see the traceback."""
    lines = []
    output = getattr(exc, "output", None)
    if isinstance(output, str) and output:
        lines.append((printable(output.rstrip(), keep_newlines=True), True))
    name = f"{type(exc).__name__}: " if internal else ""
    # messages quote what the user handed us (keys of a JSON file, names): escaped
    lines.append((f"gpusetup: {prefix}{name}{printable(str(exc))}", True))
    if internal:
        lines.append(("Run again with --debug for the traceback, and please report it.", True))
    return lines


def check_list(checks: Iterable[Any]) -> list[tuple[str, bool]]:
    """``gpusetup explain``: every check's id and title, aligned."""
    listed = list(checks)
    width = max(len(c.id) for c in listed)
    return [(f"{c.id:<{width}}  {c.title}", False) for c in listed]


def explanation(check: Any) -> list[tuple[str, bool]]:
    """``gpusetup explain ID``: the check's title and its long explanation."""
    return [(f"{check.id}: {check.title}\n\n{check.explanation}", False)]
