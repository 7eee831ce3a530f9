"""Text from outside (facts files, wheel metadata, logs) made safe to print on a terminal.

Control characters (ESC, NUL, ...), C1 codes and invisible format characters such as the
bidirectional overrides are shown escaped (``\\x1b``, ``\\u202e``), so a crafted file cannot
move the cursor, recolour the terminal or reorder what the user reads.
"""

from __future__ import annotations

import unicodedata


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
