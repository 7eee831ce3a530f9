"""The message catalogue (``checks/data/messages/``) as the engine uses it: entries with
compiled expressions, the decoding tables of ``facts.toml``, and the prefilter that finds
the lines worth a closer look at the speed of a byte scan.

Everything loads on first use (``catalogue()``), so importing gpusetup costs nothing.

The prefilter: every entry's needle is a literal part of every line it can match, so a line
holding no needle needs no further look. Needles are compared without regard to ASCII case
(upstream wording changes case between releases and people retype messages: "Driver/library"
and "Driver/Library"): the anchors are lower case and scan a lower-cased copy of the log, which
costs one fast pass. Testing 250 needles one by one costs a pass over
the log each, and one regular expression of all of them costs far more (Python's engine
tries each alternative at each position). Instead each needle gets an anchor: a short piece
of it that starts at one of a few rare characters, chosen so that a handful of characters
cover every needle. Each such character makes one expression ``X(?:abcd|efgh|...)``, which
Python's engine scans for its literal first character at the speed of a byte search; a log
without any needle then costs about a dozen fast passes. A character that a piece of the log
lacks, or holds only a few times, is found with ``bytes.find`` (memchr, ten times faster than
the engine's scan) and the expression tried only where it stands, so anchors at rare
characters cost almost nothing: only those at characters ordinary logs are full of cost a
pass each (``tests/test_logtriage.py`` bounds both counts).
"""

from __future__ import annotations

import re
from dataclasses import field
from functools import cache
from typing import Any

from gpusetup.knowledge import KnowledgeError, checks_dir, read_toml, read_toml_folder
from gpusetup.serde import record

#: How often each character appears in lower-cased logs and prose, most frequent first
#: (estimated from the healthy logs of the corpus, Python sources and English text): anchors
#: prefer the end of this list. Characters not listed count as rare.
_FREQUENT = " etaosinrlcd\n0u1mp.h2f:/g-53_4=y6bw,879v)(k'\"x>|[]"
#: Anchor length: long enough to be rare, short enough that a terminal's wrap rarely cuts it.
_ANCHOR = 5
#: The shortest anchor, at a needle's end: a short needle ("avc:", "glibc") then need not
#: start its anchor at a character every log is full of.
_MIN_ANCHOR = 3
#: Words every GPU log is full of (paths of TensorFlow, XLA, PyTorch, glog prefixes, training
#: output): an anchor inside one of them would stop the scan on most lines of a healthy log.
_COMMON = (
    "tensorflow/core/common_runtime/gpu/gpu_device.cc stream_executor/platform/default/"
    "dso_loader.cc external/local_xla/xla/tsl/cuda/cudart_stub.cc third_party/xla/xla/"
    "service/service.cc tensorflow/compiler/xla/stream_executor/cuda/cuda_gpu_executor.cc "
    "site-packages/torch/nn/modules/module.py dist-packages/tensorflow/python/keras/engine/"
    "training.py Successfully opened dynamic library Created TensorFlow device loss accuracy "
    "epoch Epoch step/step val_loss learning_rate Traceback (most recent call last): File "
    "line in <module> return self._call_impl(*args, **kwargs) INFO WARNING ERROR DEBUG "
    "Downloading Collecting Requirement already satisfied: Installing collected packages"
).lower()


@record
class Source:
    where: str  # repo or package
    path: str
    era: str
    url: str | None = None


@record
class Entry:
    id: str
    family: str
    role: str  # cause | symptom | benign
    needles: tuple[str, ...]
    pattern: str  # compiled on first use (most entries never meet a line)
    lines: int
    generic: bool
    explained_by: tuple[str, ...]
    frameworks: tuple[str, ...]
    diagnosis: str
    fixes: dict[str, str] = field(hash=False, compare=False)
    sources: tuple[Source, ...] = ()
    cuda_error: int | None = None
    file: str = ""
    #: the benign entry this one reads when that entry's lines are all the paste holds:
    #: never looked for by the scan, put in its place by the rules
    alone_of: str = ""
    #: benign entries that, matched anywhere in the log, make this cause benign too (a
    #: version warning beside the program's own "works well" self-check)
    benign_beside: tuple[str, ...] = ()

    @property
    def regex(self) -> re.Pattern[str]:
        try:
            return _compiled(self.pattern)
        except re.error as exc:  # the catalogue's tests compile every entry: a broken install
            raise KnowledgeError(
                f"checks/data/messages/{self.file}: {self.id}: bad regex ({exc})"
            ) from exc

    @property
    def regex_folded(self) -> re.Pattern[str]:
        """The expression without regard to case: tried where the exact one fails (a message
        retyped, or worded in another case by another release)."""
        return _compiled(self.pattern, re.IGNORECASE)

    def search(self, text: str) -> re.Match[str] | None:
        """The entry's match in ``text``: as written, then without regard to case, then with
        the full stops and colons that end its words optional (``loosened``)."""
        m = self.regex.search(text) or self.regex_folded.search(text)
        if m is None:
            loose = loosened(self.pattern)
            if loose != self.pattern:
                m = _compiled(loose, re.IGNORECASE).search(text)
        return m


@cache
def _compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


#: what may follow a full stop or colon that ends a word: a space, a line end, the end
_WORD_END = re.compile(r" |\\s|\\n|$|\)*$")


@cache
def loosened(pattern: str) -> str:
    """``pattern`` with each literal full stop and colon that a space or the end follows made
    optional: people retyping a message drop them ("CUDA out of memory Tried to allocate",
    "RuntimeError CUDA error"). Dots and colons inside words (``libcudnn\\.so``, ``sm_80``)
    and inside character classes and group syntax stay as they are."""
    out: list[str] = []
    i, depth = 0, 0  # depth: inside a character class
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            token = pattern[i : i + 2]
            i += 2
            out.append(token)
            if token == "\\." and not depth and _WORD_END.match(pattern, i):
                out.append("?")
            continue
        if depth:
            depth = 0 if ch == "]" else depth
        elif ch == "[":
            depth = 1
            # a ] right after [ or [^ is a literal member
            if pattern[i + 1 : i + 2] == "]" or pattern[i + 1 : i + 3] == "^]":
                out.append(pattern[i : i + (2 if pattern[i + 1] == "]" else 3)])
                i += 2 if pattern[i + 1] == "]" else 3
                continue
        elif ch == ":" and pattern[i - 1 : i] != "?" and _WORD_END.match(pattern, i + 1):
            out.append(":?")
            i += 1
            continue
        out.append(ch)
        i += 1
    loose = "".join(out)
    try:  # a look-behind must keep its fixed width: such a pattern stays as written
        re.compile(loose)
    except re.error:
        return pattern
    return loose


def fold(text: str) -> str:
    """``text`` as the prefilter compares it: ASCII letters in lower case (what
    ``bytes.lower`` does to the log)."""
    return text.translate(_ASCII_LOWER) if not text.isascii() else text.lower()


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


@record
class Catalogue:
    entries: tuple[Entry, ...]
    by_id: dict[str, Entry] = field(hash=False, compare=False)
    facts: dict[str, Any] = field(hash=False, compare=False)
    #: (anchor expression, folded needles it stands for) per anchor character
    prefilter: tuple[tuple[re.Pattern[bytes], tuple[str, ...]], ...] = ()
    #: entries per needle (folded: see ``fold``), specific entries first
    by_needle: dict[str, tuple[Entry, ...]] = field(hash=False, compare=False, default_factory=dict)
    #: the character each prefilter expression starts with
    prefilter_chars: tuple[bytes, ...] = ()
    #: the needles of each prefilter group, as bytes
    prefilter_bytes: tuple[tuple[bytes, ...], ...] = ()
    #: the folded needles each anchor stands for, by anchor number (what ``anchor_hits``
    #: reports), and as bytes
    anchors: tuple[tuple[str, ...], ...] = ()
    anchors_bytes: tuple[tuple[bytes, ...], ...] = ()
    #: (prefilter group, the anchor after its first character) -> anchor number
    anchor_ids: dict[tuple[int, bytes], int] = field(
        hash=False, compare=False, default_factory=dict
    )


def _needles(row: dict[str, Any]) -> tuple[str, ...]:
    needle = row["needle"]
    return (needle,) if isinstance(needle, str) else tuple(needle)


def _entry(row: dict[str, Any], file: str) -> Entry:
    sources = tuple(
        Source(
            s.get("repo") or s.get("package", ""), s.get("path", ""), s.get("era", ""), s.get("url")
        )
        for s in row.get("source", [])
    )
    return Entry(
        id=row["id"],
        family=row["family"],
        role=row["role"],
        needles=_needles(row),
        pattern=str(row["regex"]),
        lines=int(row.get("lines", 1)),
        generic=bool(row.get("generic")),
        explained_by=tuple(row.get("explained_by", ())),
        frameworks=tuple(row.get("frameworks", ())),
        diagnosis=row["diagnosis"],
        fixes=dict(row.get("fix", {})),
        sources=sources,
        cuda_error=row.get("cuda_error"),
        file=file,
        alone_of=str(row.get("alone_of", "")),
        benign_beside=tuple(row.get("benign_beside", ())),
    )


@cache
def catalogue() -> Catalogue:
    """Every entry of ``checks/data/messages/*.toml`` and the tables of ``facts.toml``."""
    folder = checks_dir() / "data" / "messages"
    files = read_toml_folder(folder, "messages.marshal")
    entries: list[Entry] = []
    for name, doc in files.items():
        if name == "facts.toml":
            continue
        for i, row in enumerate(doc.get("message", [])):
            try:
                entries.append(_entry(row, name))
            except (KeyError, TypeError, re.error) as exc:
                raise KnowledgeError(
                    f"{folder / name}: message #{i + 1} is malformed ({exc})"
                ) from exc
    if not entries:
        raise KnowledgeError(f"{folder} holds no messages; reinstall gpusetup")
    by_needle: dict[str, list[Entry]] = {}
    for e in entries:
        if e.alone_of:  # read in another entry's place, never scanned for
            continue
        for n in dict.fromkeys(fold(n) for n in e.needles):
            by_needle.setdefault(n, []).append(e)
    prefilter, chosen = _prefilter(sorted(by_needle))
    anchors, anchor_ids = _anchor_table(prefilter, chosen)
    return Catalogue(
        entries=tuple(entries),
        by_id={e.id: e for e in entries},
        facts=files["facts.toml"] if "facts.toml" in files else read_toml(folder / "facts.toml"),
        prefilter=prefilter,
        prefilter_chars=tuple(chosen[needles[0]][:1] for _, needles in prefilter),
        prefilter_bytes=tuple(tuple(n.encode() for n in needles) for _, needles in prefilter),
        anchors=anchors,
        anchors_bytes=tuple(tuple(n.encode() for n in needles) for needles in anchors),
        anchor_ids=anchor_ids,
        by_needle={n: tuple(sorted(es, key=lambda e: e.generic)) for n, es in by_needle.items()},
    )


def _rank(ch: str) -> int:
    """How common a character is (higher: more common)."""
    i = _FREQUENT.find(ch)
    return -1 if i < 0 else i + 1


def _starts(needle: str) -> list[int]:
    """Where an anchor can start in ``needle``: positions with ``_ANCHOR`` characters after
    them (in a needle of at most ``_ANCHOR + 1``, positions with ``_MIN_ANCHOR`` after them;
    in a shorter needle still, its first) whose anchor is not part of a common word (when
    some position qualifies)."""
    shortest = _MIN_ANCHOR if len(needle) <= _ANCHOR + 1 else _ANCHOR
    every = list(range(max(1, len(needle) - shortest + 1)))
    rare = [i for i in every if needle[i : i + _ANCHOR] not in _COMMON]
    return rare or every


def _prefilter(
    needles: list[str],
) -> tuple[tuple[tuple[re.Pattern[bytes], tuple[str, ...]], ...], dict[str, bytes]]:
    """Anchor expressions that together find every needle (see the module's docstring), and
    the anchor chosen for each needle.

    Each expression is ``X(?=(rest))``: Python's engine scans for the literal ``X`` at the
    speed of a byte search, the lookahead lets anchors overlap (each position is tried), and
    the group says which anchor stands there, so a line is tested only for the needles of
    the anchors it holds."""
    # cost of an anchor character: a pass over the log, plus a hit wherever the character
    # stands (frequency falls with rank about as 1/rank, 15% for the space)
    weight = {
        ch: 0.004 + (0.15 / _rank(ch) if _rank(ch) > 0 else 0.0005) for ch in set("".join(needles))
    }
    starts = {n: _starts(n) for n in needles}  # the same each round: computed once
    firsts = {n: {n[i] for i in starts[n]} for n in needles}
    left = set(needles)
    groups: list[tuple[str, list[str]]] = []
    while left:
        counts: dict[str, int] = {}
        for n in left:
            for ch in firsts[n]:
                counts[ch] = counts.get(ch, 0) + 1
        best = min(counts, key=lambda ch: (weight[ch] / counts[ch], ch))
        members = sorted(n for n in left if best in firsts[n])
        groups.append((best, members))
        left -= set(members)
    out = []
    chosen: dict[str, bytes] = {}
    for ch, members in groups:
        anchors = set()
        for n in members:
            i = next(i for i in starts[n] if n[i] == ch)
            chosen[n] = n[i : i + _ANCHOR].encode()
            anchors.add(_after_first(chosen[n]))
        rest = _trie(sorted(anchors))
        out.append((re.compile(re.escape(ch.encode()) + b"(?=(" + rest + b"))"), tuple(members)))
    return tuple(out), chosen


def _anchor_table(
    prefilter: tuple[tuple[re.Pattern[bytes], tuple[str, ...]], ...], chosen: dict[str, bytes]
) -> tuple[tuple[tuple[str, ...], ...], dict[tuple[int, bytes], int]]:
    """The needles each anchor the expressions can report stands for. The trie stops at the
    shortest anchor that a longer one starts with, so that one stands for both."""
    table: dict[tuple[int, bytes], list[str]] = {}
    for group, (_, members) in enumerate(prefilter):
        rests = {_after_first(chosen[n]) for n in members}
        reported = {r for r in rests if not any(r != o and r.startswith(o) for o in rests)}
        for n in members:
            rest = _after_first(chosen[n])
            for r in reported:
                if rest.startswith(r):
                    table.setdefault((group, r), []).append(n)
    keys = sorted(table)
    return tuple(tuple(table[k]) for k in keys), {k: i for i, k in enumerate(keys)}


def _after_first(anchor: bytes) -> bytes:
    """An anchor's bytes after its first character (which the expression's literal holds;
    a needle in another script starts with a character of two to four bytes)."""
    return anchor[len(anchor.decode("utf-8")[:1].encode()) :]


def _trie(words: list[bytes]) -> bytes:
    """One expression matching any of ``words``, as a trie, so that it starts with one
    literal character when all words do."""
    root: dict[int, dict] = {}
    for word in words:
        node = root
        for byte in word:
            node = node.setdefault(byte, {})
        node[-1] = {}

    def emit(node: dict[int, dict]) -> bytes:
        if -1 in node:  # a word ends here: a shorter anchor already decides
            return b""
        alternatives = [re.escape(bytes([b])) + emit(child) for b, child in sorted(node.items())]
        if len(alternatives) == 1:
            return alternatives[0]
        return b"(?:" + b"|".join(alternatives) + b")"

    return emit(root)


#: places a prefilter character is looked for one by one in a block before the regular
#: expression engine scans the rest of it (each try costs about what the engine's scan of
#: a few thousand bytes does)
_FIND_TRIES = 64


def anchor_hits(block: bytes) -> list[tuple[int, int]]:
    """(offset, anchor number) of every anchor in ``block`` (lower-cased: ``bytes.lower``),
    sorted by offset; ``catalogue().anchors[n]`` are the needles anchor ``n`` stands for."""
    cat = catalogue()
    ids = cat.anchor_ids
    hits: list[tuple[int, int]] = []
    for group, (expression, _) in enumerate(cat.prefilter):
        first = cat.prefilter_chars[group]
        pos = block.find(first)
        # a character the block lacks, or holds a few times, costs a memchr pass (a tenth of
        # the regular expression engine's scan): try the anchor at each place it stands;
        # past _FIND_TRIES places the engine walks the rest of the block faster
        tries = 0
        while pos >= 0 and tries < _FIND_TRIES:
            match = expression.match(block, pos)
            if match is not None:
                hits.append((pos, ids[group, match.group(1)]))
            pos = block.find(first, pos + 1)
            tries += 1
        if pos >= 0:
            hits.extend(
                (match.start(), ids[group, match.group(1)])
                for match in expression.finditer(block, pos)
            )
    hits.sort()
    return hits
