"""cuDNN's version ``#define`` block read from text: ``cudnn.h`` up to cuDNN 7 and
``cudnn_version.h`` from 8 on (also as ``grep CUDNN_MAJOR -A 2`` prints it, with file
names before each line).

``CUDNN_VERSION`` is ``MAJOR * 1000 + MINOR * 100 + PATCHLEVEL`` up to cuDNN 8 (7.6.5 ->
7605) and ``MAJOR * 10000 + MINOR * 100 + PATCHLEVEL`` from cuDNN 9 (9.6.0 -> 90600);
the reader uses the formula the header itself shows, else the one of its major version.
"""

from __future__ import annotations

import re

from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import CUT, Reading, ReadingBuilder

KIND = "cudnn-header"

#: The pattern gpusetup/probe/libraries.py reads headers with (its answers are kept).
_CUDNN_DEFINE = re.compile(r"#define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+(\d{1,12})")
_FORMULA = re.compile(r"#define\s+CUDNN_VERSION\s+\(\s*CUDNN_MAJOR\s*\*\s*(?P<factor>\d{1,12})")
_LITERAL = re.compile(r"#define\s+CUDNN_VERSION\s+(?P<value>\d{1,12})\s*$")
_OPEN = re.compile(r"^\s*#\s*if(?:n?def)?\b")
_CLOSE = re.compile(r"^\s*#\s*endif\b")
_MAX_SM = re.compile(r"#define\s+CUDNN_MAX_SM_(?P<part>MAJOR|MINOR)_NUMBER\s+(?P<n>\d{1,12})")


def header_version(text: str) -> str | None:
    """``MAJOR.MINOR.PATCHLEVEL`` the way ``gpusetup.probe.libraries.cudnn_header_version``
    reads one header file (the last of each define wins; a missing part is 0)."""
    parts = dict(_CUDNN_DEFINE.findall(text))
    if "MAJOR" not in parts:
        return None
    return ".".join(parts.get(k, "0") for k in ("MAJOR", "MINOR", "PATCHLEVEL"))


def version_number(major: int, minor: int, patch: int, factor: int | None = None) -> int:
    """CUDNN_VERSION: the header's own factor, else 10000 from cuDNN 9 and 1000 before."""
    factor = factor or (10000 if major >= 9 else 1000)
    return major * factor + minor * 100 + patch


def _from_number(value: int) -> tuple[int, int, int]:
    if value >= 10000:  # cuDNN 9 and later
        return value // 10000, value % 10000 // 100, value % 100
    return value // 1000, value % 1000 // 100, value % 100


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    groups: list[dict[str, tuple[int, int]]] = []  # each MAJOR define starts a header
    factor: int | None = None
    literal: tuple[int, int] | None = None
    max_sm: dict[str, str] = {}
    depth = 0  # open #if blocks: a header cut off before its #endif leaves some open
    for line in lines:
        if _OPEN.match(line.text):
            depth += 1
        elif _CLOSE.match(line.text):
            depth = max(0, depth - 1)
        define = _CUDNN_DEFINE.search(line.text)
        if define:
            part, value = define.groups()
            if part == "MAJOR" or not groups:
                groups.append({})
            groups[-1].setdefault(part, (int(value), line.number))
            continue
        formula = _FORMULA.search(line.text)
        if formula:
            factor = int(formula["factor"])
            continue
        number = _LITERAL.search(line.text)
        if number:
            literal = (int(number["value"]), line.number)
            continue
        sm = _MAX_SM.search(line.text)
        if sm:
            max_sm[sm["part"]] = sm["n"]
    versions = []
    for group in groups:
        if "MAJOR" not in group:
            continue
        major, line = group["MAJOR"]
        minor = group.get("MINOR", (0, line))[0]
        patch = group.get("PATCHLEVEL", (0, line))[0]
        versions.append(((major, minor, patch), line))
    if not versions and literal is not None:
        versions.append((_from_number(literal[0]), literal[1]))
    distinct = {v for v, _ in versions}
    if len({v[0] for v in distinct}) > 1:
        shown = ", ".join(".".join(map(str, v)) for v in sorted(distinct))
        out.problem("two-cudnn", f"cuDNN headers of {shown} side by side", versions[0][1])
    elif len(distinct) == 1:
        (major, minor, patch), line = versions[0]
        out.set("cudnn_version", f"{major}.{minor}.{patch}", line)
        own = factor if factor in (1000, 10000) else None
        out.set_extra("cudnn_version_number", str(version_number(major, minor, patch, own)), line)
        if factor is not None and factor != (10000 if major >= 9 else 1000):
            out.set_extra("formula", f"MAJOR * {factor}", line)
    if depth:
        out.note(CUT, "the header ends before the #endif of its include guard")
    if "MAJOR" in max_sm:
        out.set_extra(
            "max_sm",
            f"{max_sm['MAJOR']}.{max_sm.get('MINOR', '0')}",
            lines[0].number if lines else 1,
        )
    return out.build()
