"""Pasted logs made readable line by line: what programs, terminals, the kernel's log tools
and issue trackers wrap around a message, taken off so the message itself can be read.

A log line arrives with decorations that are not part of the message: terminal colour codes
(ANSI/OSC), CRLF and carriage-return progress bars, NUL bytes, markdown quote prefixes and
code fences, backticks and bold markers, the kernel's ``[   12.012345]`` timestamps and
``dmesg -T`` dates, journalctl/syslog ``Jan 18 10:05:01 host kernel:`` prefixes, the CRI
prefix of containerd logs (``2023-10-19T11:11:54.95+08:00 stderr F``), docker compose's
``service-1  |``. Messages are also split: the kernel prints one NVRM message over several
lines, a terminal wraps a long line at its width, and a Python traceback ends in the line
that names the exception. Text in, text out: nothing here opens a file or asks the system.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Iterator

from gpusetup.serde import record

#: Lines are cut at this many bytes: every pattern then costs a bounded time per line.
MAX_LINE = 8192

_ANSI = re.compile(
    r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_QUOTE = re.compile(r"^[ ]{0,3}(?:>(?!>>(?: |$))[ ]?)+")
_FENCE = re.compile(r"^\s*(?:```+|~~~+)[\w+.-]*\s*$")
# Prefixes that log tools put before a message, tried in order, repeatedly.
_PREFIXES = (
    # containerd/CRI: 2023-10-19T11:11:54.957587844+08:00 stderr F
    re.compile(
        r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?\s+(?:stdout|stderr)\s+[FP]\s"
    ),
    # dmesg: [ 1843.308145]   and dmesg -T: [Mon Jan  1 00:00:00 2024]   and dmesg -H's
    # relative stamps: [  +0.000421]
    re.compile(r"^\s*\[\s*\+?\d+\.\d+\]\s?"),
    re.compile(r"^\s*\[\w{3} \w{3}\s+\d+ \d\d:\d\d:\d\d \d{4}\]\s?"),
    # syslog/journalctl: Jan 18 10:05:01 host kernel:   or  2024-01-18T10:05:01+0000 host kernel:
    re.compile(
        r"^\s*(?:\w{3}\s+\d{1,2}\s+\d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?"
        r"(?:Z|[+-]\d\d:?\d\d)?)\s+\S+\s+[\w./@-]+(?:\[\d+\])?:\s"
    ),
    # journalctl -k without host, or a bare "kernel: "
    re.compile(r"^\s*kernel:\s"),
    # talosctl dmesg: kern:     err: [2024-05-20T02:46:53.856596762Z]:
    re.compile(r"^\s*kern:\s+\w+:\s+\[\d{4}-\d\d-\d\dT[\d:.]+Z\]:\s"),
    # docker compose: service-1  |
    re.compile(r"^[\w.-]+\s+\|\s"),
    # a Python logger's default format: 2024-01-01 12:00:00,123 - root - ERROR -
    re.compile(
        r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[,.]\d+)?\s+-\s+[\w.]+\s+-\s+"
        r"(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL)\s+-\s"
    ),
    # journald or syslog without the date (journalctl -o short cut, a grep): host prog[123]:
    re.compile(r"^[\w.-]+\s+[\w./@-]+\[\d+\]:\s"),
)
#: the first characters of the wrappers below (most lines start with none: no expression tried)
_WRAPPED = frozenset("#Ep[")
# What wraps every line a program printed, the message's own continuation lines too: a
# markdown heading or a shell comment, pytest's failure lines, kubectl's pod prefix. Taken
# off before the prefixes above without counting as one (the lines of one message stay one).
_WRAPPERS = (
    re.compile(r"^#{1,6}(?:\s+|$)"),
    re.compile(r"^E(?: {2,}|\t|$)"),
    re.compile(r"^\[pod/[\w.-]+/[\w.-]+\]\s"),
    re.compile(r"^pod/[\w.-]+\s"),
)


@record
class LogLine:
    number: int  # 1-based, in the whole log
    text: str  # the message: decorations taken off
    prefixed: bool = False  # a log tool's prefix (timestamp, host) stood before it
    prefix: str = ""  # the first such prefix as it stood ("app-1  | ", "Jan 18 ... kernel: ")


#: typographic quotes (a paste through a web page or a word processor) and the ASCII quote
#: programs print
_TYPOGRAPHIC = (
    ("\u2018".encode(), b"'"),
    ("\u2019".encode(), b"'"),
    ("\u201c".encode(), b'"'),
    ("\u201d".encode(), b'"'),
)


def straight_quotes(data: bytes) -> bytes:
    """``data`` with typographic quotes made the ASCII quotes programs print (lines keep
    their number; only the quote changes)."""
    # the quotes are E2 80 xx: a byte search for E2 first (memchr, several times faster
    # than a search for the pair, and most logs hold none)
    if b"\xe2" not in data or b"\xe2\x80" not in data:
        return data
    for curly, plain in _TYPOGRAPHIC:
        data = data.replace(curly, plain)
    return data


#: spaces a web page or a chat client writes where the program printed a plain one: no-break
#: (U+00A0, what ``&nbsp;`` renders as), narrow no-break, figure and thin spaces
_ODD_SPACES = (b"\xc2\xa0", b"\xe2\x80\xaf", b"\xe2\x80\x87", b"\xe2\x80\x89")
#: characters that show as nothing: zero-width space, non-joiner and joiner, word joiner,
#: and a byte-order mark inside the text (a forum lets long words break at them)
_INVISIBLE = (b"\xe2\x80\x8b", b"\xe2\x80\x8c", b"\xe2\x80\x8d", b"\xe2\x81\xa0", b"\xef\xbb\xbf")
#: the HTML entities a page's source writes for what programs print (copied from the
#: source or from a notification mail instead of the rendered page); the ampersand's last,
#: so that ``&amp;lt;`` reads ``&lt;`` as the page shows it
_ENTITIES = tuple(
    (entity.encode(), plain.encode())
    for plain, names in (
        ('"', "&quot; &#34;"),
        ("'", "&#39; &#x27; &#X27; &apos;"),
        ("<", "&lt; &#60;"),
        (">", "&gt; &#62;"),
        (" ", "&nbsp; &#160;"),
        ("&", "&amp; &#38;"),
    )
    for entity in names.split()
)
_ENTITY = re.compile(b"|".join(re.escape(entity) for entity, _ in _ENTITIES))
#: a line end written as HTML; the newline after it, if any, is the same line end
_BREAK = re.compile(rb"<br\s*/?>(?:[ \t]*\r?\n)?", re.IGNORECASE)


def as_printed(data: bytes) -> bytes:
    """``data`` as the program printed it, undoing what a web page does to pasted text:
    typographic quotes (``straight_quotes``), HTML entities (``&quot;``, ``&#39;``, ``&lt;``,
    ``&amp;``), no-break and other odd spaces, zero-width characters, ``<br>`` line ends.

    Only ``<br>`` changes the number of lines (it ends one). Each step first looks for a byte
    it needs (a fast search), so a log without any costs a few passes over it."""
    data = straight_quotes(data)
    if b"\xc2" in data or b"\xe2" in data or b"\xef" in data:
        for space in _ODD_SPACES:
            if space in data:
                data = data.replace(space, b" ")
        for invisible in _INVISIBLE:
            if invisible in data:
                data = data.replace(invisible, b"")
    if b"<" in data and (b"<br" in data or b"<BR" in data or b"<Br" in data):
        data = _BREAK.sub(b"\n", data)
    if b"&" in data:
        present = set(_ENTITY.findall(data))  # one pass: most logs with "&" hold no entity
        for entity, plain in _ENTITIES:
            if entity in present:
                data = data.replace(entity, plain)
    return data


def decode(data: bytes) -> str:
    """Bytes as text: UTF-8 with undecodable bytes replaced (a log is never refused)."""
    return data.decode("utf-8", "replace")


def utf16_decoder(head: bytes) -> codecs.IncrementalDecoder | None:
    """A decoder for a log saved as UTF-16 (PowerShell's ``>`` writes it with a BOM)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return codecs.getincrementaldecoder("utf-16")("replace")
    return None


def strip_decorations(raw: str) -> str:
    """The message of one raw line: colour codes, control characters, quote prefixes,
    fences, backticks, bold markers and log-tool prefixes taken off."""
    return _strip(raw)[0]


def _strip(raw: str) -> tuple[str, bool, str]:
    """The message of one raw line, whether a log tool's prefix stood before it, and the
    first such prefix."""
    text = raw
    if "\x1b" in text:
        text = _ANSI.sub("", text)
    if "\r" in text:
        # a progress bar redrawn with CR: what the terminal shows last, plus what came before
        text = text.replace("\r\n", "\n").replace("\r", " ").replace("\n", " ")
    if _CONTROL.search(text):
        text = _CONTROL.sub("", text)
    text = _QUOTE.sub("", text, count=1)
    if _FENCE.match(text):
        return "", False, ""
    stripped = text.strip()
    if stripped[:1] in _WRAPPED:
        for _ in range(2):
            for wrapper in _WRAPPERS:
                match = wrapper.match(stripped)
                if match:
                    stripped = _QUOTE.sub("", stripped[match.end() :], count=1).strip()
                    break
            else:
                break
    # `message` or ``message`` (markdown inline code), **message** (bold)
    while len(stripped) >= 2 and stripped[0] in "`*" and stripped[0] in stripped[1:]:
        mark = stripped[0]
        inner = stripped.strip(mark)
        if stripped.endswith(mark) or stripped.count(mark) == 1 or len(inner) < len(stripped):
            stripped = inner.strip()
        else:
            break
        if not stripped or stripped[0] not in "`*":
            break
    stripped = stripped.strip("`")
    prefixed = False
    first = ""
    for _ in range(3):
        for prefix in _PREFIXES:
            match = prefix.match(stripped)
            if match:
                first = first or match.group(0)
                stripped = stripped[match.end() :]
                prefixed = True
                break
        else:
            break
    return stripped.strip(), prefixed, first


def split_lines(text: str, first_number: int = 1) -> list[LogLine]:
    """Every line of ``text``, cut at MAX_LINE characters and cleaned, numbered from
    ``first_number``."""
    lines = text.split("\n")
    if lines and lines[-1] == "" and text.endswith("\n"):
        lines.pop()
    out = []
    for i, raw in enumerate(lines):
        text, prefixed, prefix = _strip(raw[:MAX_LINE])
        out.append(LogLine(first_number + i, text, prefixed, prefix))
    return out


def window(lines: list[LogLine], index: int, count: int) -> str:
    """Line ``index`` and the next ``count - 1`` lines that follow it without a gap, joined
    by newlines (messages the kernel or a wrapper split over lines)."""
    parts = [lines[index].text]
    number = lines[index].number
    for nxt in lines[index + 1 : index + count]:
        if nxt.number != number + 1:
            break
        parts.append(nxt.text)
        number = nxt.number
    return "\n".join(parts)


#: a terminal wraps at its width; pasted logs come from 80- to 250-column terminals
_MIN_WRAPPED = 60


def unwrapped(lines: list[LogLine], index: int) -> str | None:
    """Line ``index`` joined with the next when the terminal seems to have wrapped it (a long
    line, then a line that continues it without indentation or a log prefix); else None."""
    line = lines[index]
    if len(line.text) < _MIN_WRAPPED or index + 1 >= len(lines):
        return None
    nxt = lines[index + 1]
    if (
        nxt.number != line.number + 1
        or not nxt.text
        or nxt.text[0] in " \t["
        or nxt.text[:4].isdigit()
    ):
        return None
    return line.text + nxt.text


#: how a line that a forum or terminal hard-wrapped mid-sentence may end: not a sentence's end
_SENTENCE_END = (".", "!", "?", ";", ")", "]", "}", '"', "'", "`")


def continued(lines: list[LogLine], index: int, most: int = 2) -> list[str]:
    """Line ``index`` joined by spaces with each of the next ``most`` lines in turn that
    continue it (a message hard-wrapped by a forum or a terminal at a word): the joins, the
    shortest first. A line continues the one above when it follows without a gap, carries
    no log prefix of its own and the line above stops mid-sentence."""
    out: list[str] = []
    joined = lines[index].text
    above = lines[index]
    for nxt in lines[index + 1 : index + 1 + most]:
        if (
            nxt.number != above.number + 1
            or not nxt.text
            or nxt.prefixed
            or nxt.text[0] == "["
            or nxt.text[:4].isdigit()
            or not above.text
            or above.text.rstrip().endswith(_SENTENCE_END)
        ):
            break
        joined = f"{joined.rstrip()} {nxt.text}"
        out.append(joined)
        above = nxt
    return out


_NVRM = "NVRM: "
_NVRM_START = re.compile(
    r"^NVRM: (?:Xid |GPU at |GPU \S+: |loading |API mismatch|The NVIDIA GPU "
    r"|RmInitAdapter|No NVIDIA|This PCI I/O)"
)


def nvrm_message(lines: list[LogLine], index: int) -> tuple[int, str]:
    """The kernel message line ``index`` belongs to, when NVRM split it over lines: the index
    of its first line and its text with the ``NVRM:`` of the continuation lines taken off.

    A continuation line is an NVRM line without the log tool's prefix under a prefixed one
    (dmesg and journalctl indent continuations), or, in a paste without prefixes, an NVRM
    line under one that does not end a sentence."""
    if not lines[index].text.startswith(_NVRM):
        return index, lines[index].text

    def continues(i: int) -> bool:
        line, above = lines[i], lines[i - 1]
        if not (line.text.startswith(_NVRM) and above.text.startswith(_NVRM)):
            return False
        if line.number != above.number + 1 or _NVRM_START.match(line.text):
            return False
        if any(x.prefixed for x in (line, above)):
            return not line.prefixed
        return not above.text.rstrip().endswith((".", "!"))

    first = index
    while first > 0 and index - first < 5 and continues(first):
        first -= 1
    last = index
    while last + 1 < len(lines) and last - first < 5 and continues(last + 1):
        last += 1
    parts = [lines[first].text] + [lines[i].text[len(_NVRM) :] for i in range(first + 1, last + 1)]
    return first, " ".join(p.strip() for p in parts)


_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION = re.compile(
    r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt)\b"
)


def traceback_finals(lines: list[LogLine]) -> list[int]:
    """Indices of the lines that end a Python traceback: the exception and its message."""
    finals: list[int] = []
    inside = False
    for i, line in enumerate(lines):
        if _TRACEBACK in line.text:
            inside = True
            continue
        if inside and _EXCEPTION.match(line.text):
            finals.append(i)
            inside = False
    return finals


def iter_chunks(source: Iterable[bytes], min_size: int = 1 << 20) -> Iterator[tuple[bytes, int]]:
    """The log in pieces of about ``min_size`` bytes or more that end at a line end, each with
    the number of newlines before it.

    Past MAX_LINE bytes the rest of a line is skipped as it arrives, so memory stays bounded
    on any input, even one without newlines (lines between MAX_LINE and a piece's size are
    cut by ``split_lines``). A UTF-16 log (BOM first) is re-encoded as UTF-8."""
    pending = b""
    skipping = False  # inside a line already cut: drop bytes up to its newline
    lines_before = 0
    utf16: codecs.IncrementalDecoder | None = None
    first = True
    for data in source:
        if first:
            first = False
            utf16 = utf16_decoder(data)
        if utf16 is not None:
            data = utf16.decode(data).encode("utf-8")
        if skipping:
            end = data.find(b"\n")
            if end < 0:
                continue
            data, skipping = data[end:], False
        buf = pending + data if pending else data
        cut = buf.rfind(b"\n")
        if cut < 0:
            if len(buf) > MAX_LINE:
                pending, skipping = buf[:MAX_LINE], True
            else:
                pending = buf
            continue
        if cut + 1 < min_size and len(buf) - cut - 1 <= MAX_LINE:
            pending = buf  # too small a piece: wait for more
            continue
        body, pending = buf[: cut + 1], buf[cut + 1 :]
        if len(pending) > MAX_LINE:
            pending, skipping = pending[:MAX_LINE], True
        yield body, lines_before
        lines_before += body.count(b"\n")
    if utf16 is not None:
        pending += utf16.decode(b"", final=True).encode("utf-8")
    if pending:
        yield pending, lines_before
