"""Reading a log for the catalogue's messages: a byte-speed prefilter over each piece of the
log, then each line it points at cleaned (``parse.log``) and tried against the entries whose
needle it holds, with the lines that follow for messages split over lines and the next line
for a line a terminal wrapped.

The log streams through in pieces (any size: memory stays bounded); only the lines the
prefilter points at are decoded, and each distinct message is kept once with its count. The
first HEAD_LINES lines and the lines around each message are kept for the rules, which read
the platform, the framework and pasted outputs from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import field

from gpusetup.logtriage.catalogue import Entry, anchor_hits, catalogue, fold
from gpusetup.parse.log import (
    LogLine,
    as_printed,
    continued,
    decode,
    iter_chunks,
    nvrm_message,
    split_lines,
    strip_decorations,
    unwrapped,
    window,
)
from gpusetup.serde import record

#: distinct messages kept (the rest only counted), and the occurrences with other facts kept
#: for each
MAX_MATCHES = 200
MAX_OTHERS = 8
#: lines kept for the rules: the first HEAD_LINES (commands, versions, pasted outputs), the
#: AROUND lines before and after each message, and at most MAX_CONTEXT_LINES in all
HEAD_LINES = 400
AROUND = 40
MAX_CONTEXT_LINES = 6000
_RANK = {"cause": 0, "symptom": 1, "benign": 2}
#: lines looked at after and before a candidate line (the longest message split over lines)
_AFTER = 5
_BEFORE = 5


@record
class Occurrence:
    line: int
    text: str
    facts: dict[str, str] = field(hash=False)


@record
class Match:
    """One catalogue entry found in the log: its first occurrence, and the others that
    carry other facts (another library, another Xid)."""

    entry: Entry
    line: int  # of the first occurrence
    text: str  # the line (or lines) it matched, cleaned
    facts: dict[str, str] = field(hash=False)
    count: int = 1
    others: tuple[Occurrence, ...] = ()


@record
class Scan:
    lines: int
    matches: tuple[Match, ...]
    context: tuple[LogLine, ...]
    more_matches: int = 0  # occurrences of messages past MAX_MATCHES


#: facts that differ between occurrences of one failure without making it another one
_INCIDENTAL = {"pid", "process", "detail", "size", "bytes", "path", "ordinal"}


def _signature(facts: dict[str, str], text: str = "") -> tuple[tuple[str, str], ...]:
    """What makes an occurrence worth showing besides the first: other facts, or another
    message around the same error (numbers, such as timestamps and ranks, aside)."""
    shape = _NUMBERS.sub("", text)
    return tuple(sorted((k, v) for k, v in facts.items() if k not in _INCIDENTAL)) + (("", shape),)


_NUMBERS = re.compile(r"[\d.:-]+")


class _Collector:
    def __init__(self) -> None:
        self.found: dict[str, Match] = {}
        self.counts: dict[str, int] = {}
        self.others: dict[str, list[Occurrence]] = {}
        #: the signatures of the occurrences kept for each entry
        self.marks: dict[str, set[tuple[tuple[str, str], ...]]] = {}
        self.more = 0
        self.context: dict[int, LogLine] = {}
        self.lines = 0
        #: raw line -> what it held (entry, facts, text), for lines past the context
        self.cache: dict[bytes, tuple[tuple[Entry, dict[str, str], str], ...]] = {}

    def add(self, entry: Entry, line: int, text: str, facts: dict[str, str]) -> bool:
        """Count an occurrence; True when it is news (a new entry, or new facts for one)."""
        key = entry.id
        if key in self.found:
            self.counts[key] += 1
            others = self.others[key]
            marks = self.marks[key]
            if len(others) >= MAX_OTHERS:
                return False
            mark = _signature(facts, text)
            if mark not in marks:
                marks.add(mark)
                others.append(Occurrence(line, text, facts))
                return True
            return False
        if len(self.found) < MAX_MATCHES:
            self.found[key] = Match(entry, line, text, facts)
            self.counts[key] = 1
            self.others[key] = []
            self.marks[key] = {_signature(facts, text)}
            return True
        self.more += 1
        return False

    def keep(self, lines: Iterable[LogLine]) -> None:
        for line in lines:
            if len(self.context) >= MAX_CONTEXT_LINES:
                return
            self.context.setdefault(line.number, line)

    def result(self) -> Scan:
        matches = tuple(
            Match(m.entry, m.line, m.text, m.facts, self.counts[key], tuple(self.others[key]))
            for key, m in self.found.items()
        )
        context = tuple(self.context[n] for n in sorted(self.context))
        return Scan(self.lines, tuple(sorted(matches, key=lambda m: m.line)), context, self.more)


def scan_text(text: str) -> Scan:
    """The messages in a log held as text."""
    return scan_chunks([text.encode("utf-8", "surrogateescape")])


def scan_chunks(source: Iterable[bytes]) -> Scan:
    """The messages in a log read as byte chunks (a file, stdin)."""
    out = _Collector()
    last = b"", 0
    broken = 0  # lines that <br> line ends added in the pieces before this one
    for raw, before in iter_chunks(source):
        # a paste through a web page: read the quotes, spaces and characters programs print
        body = as_printed(raw)
        before += broken
        if body is not raw:
            broken += body.count(b"\n") - raw.count(b"\n")
        last = body, before
        if before < HEAD_LINES:
            out.keep(split_lines(decode(_first_lines(body, HEAD_LINES - before)), before + 1))
        low = body.lower()
        hits = anchor_hits(low)
        if hits:
            _match_sparse(body, low, before, hits, out)
    # the lines of the last piece counted once (a count is a pass over the piece)
    body, before = last
    if body:
        out.lines = before + body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    return out.result()


def _first_lines(body: bytes, count: int) -> bytes:
    """The first ``count`` lines of ``body``."""
    end = 0
    for _ in range(count):
        nxt = body.find(b"\n", end)
        if nxt < 0:
            return body
        end = nxt + 1
    return body[:end]


def _hit_lines(body: bytes, hits: list[tuple[int, int]]) -> list[tuple[int, int, set[int]]]:
    """(line index within ``body``, its start offset, the anchors it holds) for the lines
    holding hits."""
    out: list[tuple[int, int, set[int]]] = []
    pos = index = 0
    for offset, group in hits:
        index += body.count(b"\n", pos, offset)
        pos = offset
        if out and out[-1][0] == index:
            out[-1][2].add(group)
        else:
            out.append((index, body.rfind(b"\n", 0, offset) + 1, {group}))
    return out


#: lines remembered with what they held (logs repeat the same lines over and over)
_CACHE_LINES = 20000


def _match_sparse(
    body: bytes, low: bytes, before: int, hits: list[tuple[int, int]], out: _Collector
) -> None:
    """Match the hit lines of a piece past the context, decoding only the lines near them
    (``low``: the piece lower-cased, where the needles are looked for)."""
    cat = catalogue()
    for index, start, anchors in _hit_lines(body, hits):
        end = body.find(b"\n", start)
        end = len(body) if end < 0 else end
        line = body[start:end]
        known = out.cache.get(line)
        if known is not None:
            for entry, facts, shown in known:
                out.add(entry, before + index + 1, shown, facts)
            continue
        # most hits past the context are in lines holding no needle: look at the raw bytes
        # (with the lines around, for a wrapped message) before decoding anything
        needles = [n for a in anchors for n in cat.anchors_bytes[a]]
        folded = low[start:end]
        if not any(n in folded for n in needles):
            after = body.find(b"\n", end + 1)
            prev = body.rfind(b"\n", 0, max(start - 1, 0)) + 1 if start else 0
            around = low[prev : len(body) if after < 0 else after]
            # wrapped by a terminal (cut anywhere) or by a forum (at a space)
            cut, spaced = around.replace(b"\n", b""), around.replace(b"\n", b" ")
            if not any(n in cut or n in spaced for n in needles):
                if len(out.cache) < _CACHE_LINES:
                    out.cache[line] = ()
                continue
        # _BEFORE lines before (a wrapped message, NVRM's continued one, starts there) and
        # _AFTER lines after
        lo, first = start, index
        while lo > 0 and index - first < _BEFORE:
            lo = body.rfind(b"\n", 0, lo - 1) + 1
            first -= 1
        hi = start
        for _ in range(_AFTER + 1):
            nxt = body.find(b"\n", hi)
            if nxt < 0:
                hi = len(body)
                break
            hi = nxt + 1
        lines = split_lines(decode(body[lo:hi]), before + first + 1)
        readings: list[tuple[Entry, dict[str, str], str]] = []
        news = _match_line(lines, index - first, anchors, out, readings)
        alone = lines[index - first].text
        if (
            readings
            and len(out.cache) < _CACHE_LINES
            and all(entry.lines == 1 and shown == alone for entry, _, shown in readings)
        ):
            out.cache[line] = tuple(readings)
        if news:
            _keep_around(body, before, index, start, out)


def _keep_around(body: bytes, before: int, index: int, start: int, out: _Collector) -> None:
    """Keep the AROUND lines before and after line ``index`` (which starts at ``start``)."""
    first = index
    while first > index - AROUND and start > 0:
        start = body.rfind(b"\n", 0, start - 1) + 1
        first -= 1
    end = start
    for _ in range(index - first + AROUND + 1):
        nxt = body.find(b"\n", end)
        if nxt < 0:
            end = len(body)
            break
        end = nxt + 1
    out.keep(split_lines(decode(body[start:end]), before + first + 1))


def _match_line(
    lines: list[LogLine],
    index: int,
    anchors: set[int],
    out: _Collector,
    readings: list[tuple[Entry, dict[str, str], str]] | None = None,
) -> bool:
    """Try the entries whose needles line ``index`` holds; True when one matched with news
    (a message, or facts, not seen before: its surroundings are worth keeping)."""
    if index >= len(lines):
        return False
    cat = catalogue()
    folded = fold(lines[index].text)
    direct = [n for a in anchors for n in cat.anchors[a] if n in folded]
    if direct:
        found = _read_entries(lines, index, direct, None)
        if found and all(entry.generic for _, entry, *_ in found):
            # only a generic reading ("nvidia-container-cli: <reason>"): a specific message
            # a terminal wrapped into the next line is the one the line prints
            wrapped = _terminal_wrapped(lines, index, anchors, (index,))
            if wrapped is not None and not all(entry.generic for _, entry, *_ in wrapped[0]):
                return _record(lines, index, wrapped[0], out, readings, wrapped[1])
        if found:
            return _record(lines, index, found, out, readings, None)
        # the needle is here but the message goes on below: a forum or terminal hard-wrapped
        # it at a word ("gcc versions later than 12 are" / "not supported!")
        for joined in continued(lines, index):
            found = _read_entries(lines, index, direct, joined)
            if found:
                return _record(lines, index, found, out, readings, joined)
    # a message a terminal wrapped: the needle spans this line and the next (or the
    # previous line and this one); a needle wholly inside either line is read there
    wrapped = _terminal_wrapped(lines, index, anchors, (index, index - 1))
    if wrapped is not None:
        found, candidate, start = wrapped
        return _record(lines, start, found, out, readings, candidate)
    # a message a forum or an editor wrapped at a space: the needle spans this line and one
    # next to it, or the message starts a line or two above the one with the needle (a
    # needle wholly inside another line is read from that line); the earliest start first,
    # as the message that starts first holds the ones it quotes
    candidates = [n for a in anchors for n in cat.anchors[a]]
    for start in (index - 2, index - 1, index):
        if start < 0:
            continue
        others = [fold(line.text) for line in lines[start : index + _WRAPPED_LINES + 1]]
        for last, joined in enumerate(continued(lines, start, _WRAPPED_LINES), start + 1):
            if last < index:  # the join has not reached this line yet
                continue
            whole = fold(joined)
            apart = [o for j, o in enumerate(others[: last - start + 1], start) if j != index]

            def here(needle: str, whole: str = whole, apart: list[str] = apart) -> bool:
                return needle in whole and not any(needle in other for other in apart)

            if not any(here(n) for n in candidates):
                continue
            # every message the join holds, this line's anchors or not: the one that starts
            # first quotes the others (TensorFlow's dlopen failure quotes the loader's)
            found = _read_entries(lines, start, [n for n in cat.by_needle if here(n)], joined)
            if found:
                return _record(lines, start, found, out, readings, joined)
    # the needle stands whole here but the message's facts were cut by a terminal, read by
    # no join at a space ("version is 11." / "0 which is older"): the lines joined at the cut,
    # where the reading spans the cut (one on either side is that line's own) and the line
    # above is as long as a terminal is wide
    for start in (index - 1, index) if direct else ():
        candidate = unwrapped(lines, start) if start >= 0 else None
        if candidate is None or len(lines[start].text) < _TERMINAL_WIDTH:
            continue
        cut = len(lines[start].text)
        found = [
            f
            for f in _read_entries(lines, start, direct, candidate)
            if f[2].start() < cut < f[2].end()
        ]
        if found:
            return _record(lines, start, found, out, readings, candidate)
    return False


def _terminal_wrapped(
    lines: list[LogLine], index: int, anchors: set[int], starts: tuple[int, ...]
) -> tuple[list[_Reading], str, int] | None:
    """The readings of a message a terminal wrapped from line ``start`` into the next (for
    each of ``starts``): the needles that span the two lines (in neither line whole), read
    from the joined line; with the joined line and its start, or None."""
    cat = catalogue()
    for start in starts:
        if start < 0:
            continue
        candidate = unwrapped(lines, start)
        if candidate is None:
            continue
        halves = (fold(lines[start].text), fold(lines[start + 1].text))
        whole = fold(candidate)
        spanning = [
            n
            for a in anchors
            for n in cat.anchors[a]
            if n in whole and n not in halves[0] and n not in halves[1]
        ]
        if spanning and (found := _read_entries(lines, start, spanning, candidate)):
            return found, candidate, start
    return None


#: the narrowest terminal a message is wrapped at
_TERMINAL_WIDTH = 80

#: lines a message wrapped at a space is read over (a long message at 70 columns)
_WRAPPED_LINES = 3


_Reading = tuple[int, Entry, "re.Match[str]", str, int]


def _read_entries(
    lines: list[LogLine], index: int, needles: list[str], joined: str | None
) -> list[_Reading]:
    """The readings of line ``index`` (or of ``joined``, the line a terminal wrapped) by the
    entries of ``needles``: the specific entries' if any matched, else the generic ones'."""
    cat = catalogue()
    text = lines[index].text
    entries: dict[str, Entry] = {}
    for needle in needles:
        for entry in cat.by_needle[needle]:
            entries.setdefault(entry.id, entry)
    specific = [e for e in entries.values() if not e.generic]
    generic = [e for e in entries.values() if e.generic]
    # NVRM prints one message over several lines: an entry of several lines reads it from
    # its first line, wherever the needle stands
    first = nvrm_message(lines, index)[0] if text.startswith(_NVRM) else index
    found: list[_Reading] = []
    reasons: list[tuple[int, int]] = []
    for batch in (specific, generic):
        if found and any(entry.role == "cause" for _, entry, *_ in found):
            break
        # what the specific entries found before this batch (the generic entries all read
        # the line, whichever of them comes first)
        before = bool(found)
        if found:
            # only symptoms so far: one that quotes its reason (JAX's "CUDA backend failed to
            # initialize: <reason>") is read through a generic cause found inside the reason
            reasons = [m.span("reason") for _, _, m, *_ in found if m.groupdict().get("reason")]
            if not reasons:
                break
            batch = [e for e in batch if e.role == "cause"]
        for entry in batch:
            at = index
            if joined is not None:
                subject = joined
            elif entry.lines > 1:
                at = first
                subject = window(lines, first, entry.lines + index - first)
            else:
                subject = text
            m = entry.search(subject)
            if m is None:
                continue
            if batch is not specific and before and not _inside(m.span(), reasons):
                continue
            found.append((m.start(), entry, m, subject, at))
    return found


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(lo <= span[0] and span[1] <= hi for lo, hi in spans)


def _record(
    lines: list[LogLine],
    index: int,
    found: list[_Reading],
    out: _Collector,
    readings: list[tuple[Entry, dict[str, str], str]] | None,
    joined: str | None,
) -> bool:
    """Keep the readings of one line; True when one is news."""
    # one line, several readings: a cause before a symptom (JAX's "CUDA backend failed
    # to initialize: <cause>"), then the message that starts first, which is the one the
    # line prints (the loader's error inside TensorFlow's is part of it)
    text = lines[index].text
    found = _status_decides(found)
    best = min((_RANK[entry.role], start) for start, entry, *_ in found)
    news = False
    for start, entry, m, subject, at in found:
        if (_RANK[entry.role], start) != best:
            continue
        facts = _facts(m)
        shown = subject
        if subject is text and text.startswith(_NVRM) or at != index:
            at, shown = nvrm_message(lines, at)
        news = out.add(entry, lines[at].number, shown, facts) or news
        if readings is not None and joined is None:
            readings.append((entry, facts, shown))
    return news


_NVRM = "NVRM: "
#: entries that read a cuDNN/cuBLAS status code: where one names another family than a
#: framework's message around it ("cuDNN error: CUDNN_STATUS_ALLOC_FAILED" is out of memory,
#: not a cuDNN that cannot start), the status decides
_STATUS_PREFIXES = ("cudnn.status.", "cublas.status.")


def _status_decides(found: list[_Reading]) -> list[_Reading]:
    """The readings of one line without the framework's cudnn-init cause that a status
    entry of another family reads more exactly on the same line."""
    exact = [
        r
        for r in found
        if r[1].id.startswith(_STATUS_PREFIXES)
        and r[1].role == "cause"
        and r[1].family != "cudnn-init"
    ]
    if not exact:
        return found
    return [r for r in found if r in exact or r[1].family != "cudnn-init"]


def _facts(m: re.Match[str]) -> dict[str, str]:
    """The named groups a match filled, without the punctuation that ends a sentence
    ("has the version 570.148.06.")."""
    out = {}
    for key, value in m.groupdict().items():
        value = (value or "").strip()
        if value.endswith((".", ",", ";")) and not value.endswith(".."):
            value = value[:-1].rstrip()
        if value:
            out[key] = value
    return out


def readings(text: str) -> list[tuple[Entry, dict[str, str]]]:
    """The causes the catalogue reads in one piece of text (a loader error quoted inside
    another message), the specific before the generic, each in the order it starts."""
    cat = catalogue()
    folded = fold(text)
    entries = {e.id: e for n, es in cat.by_needle.items() if n in folded for e in es}
    out: list[tuple[int, Entry, dict[str, str]]] = []
    for batch in (False, True):
        for entry in entries.values():
            if entry.generic != batch or entry.role != "cause" or entry.lines > 1:
                continue
            m = entry.search(text)
            if m is not None:
                facts = _facts(m)
                out.append((m.start(), entry, facts))
        if out:
            break
    return [(entry, facts) for _, entry, facts in sorted(out, key=lambda x: x[0])]


def clean(raw: str) -> str:
    """One raw line as the entries see it (for tests and callers with single lines)."""
    return strip_decorations(raw)
