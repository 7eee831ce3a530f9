"""What pasting does to a message, as deterministic text edits, and the real message lines to
apply them to: shared by tests/test_triage_robustness.py and bench/triage_robustness.py.

Each damage kind is one thing a person, a forum or a log tool does to a line between the
program that printed it and the paste: a word dropped or mistyped, the full stop or colon
lost, a size written another way, a web page's rendering (HTML entities, typographic quotes,
non-breaking and zero-width spaces, collapsed runs of spaces, ``<br>``), a prefix (a markdown
quote or heading, pytest's ``E   ``, docker compose's service column, journald, a Python
logger, kubectl), a hard wrap, a line retyped in lower case. The samples are every example
line of the message catalogue and the line of each real corpus case's first root cause.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.catalogue import catalogue, fold

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = ROOT / "checks" / "data" / "messages"
REAL = ROOT / "tests" / "data" / "logs" / "real"


@dataclass(frozen=True)
class Sample:
    origin: str  # "catalogue" or "corpus"
    name: str  # entry id (with the example's number) or corpus case
    entry: str  # the id the undamaged text's first root cause has
    family: str  # and its family
    text: str  # the line (lines of a message split over lines)


@dataclass(frozen=True)
class Outcome:
    applied: int  # samples the damage changed
    family: int  # of those, first root cause still in the sample's family
    same_id: int  # and still the same entry

    def share(self) -> float:
        return self.family / self.applied if self.applied else 1.0


def first_root(text: str) -> tuple[str, str] | None:
    """(id, family) of the first root cause ``text`` triages to, or None."""
    roots = triage_text(text).root_causes
    return (roots[0].id, roots[0].family) if roots else None


# -- damage kinds: each takes the sample (its entry decides which words are the message's)


def _message_words(sample: Sample, line: str) -> tuple[int, int] | None:
    """The span of the entry's needle in ``line``, when the needle has three words or more."""
    entry = catalogue().by_id.get(sample.entry)
    if entry is None:
        return None
    folded = fold(line)
    for needle in sorted(entry.needles, key=len, reverse=True):
        at = folded.find(fold(needle))
        if at >= 0 and len(needle.split()) >= 3:
            return at, at + len(needle)
    return None


def _middle_word(sample: Sample, edit: Callable[[str], str]) -> str:
    """The sample with the middle word of its needle edited (the first line holding one)."""
    lines = sample.text.split("\n")
    for i, line in enumerate(lines):
        span = _message_words(sample, line)
        if span is None:
            continue
        lo, hi = span
        words = list(re.finditer(r"\S+", line[lo:hi]))
        word = words[len(words) // 2]
        start, end = lo + word.start(), lo + word.end()
        changed = edit(line[start:end])
        if changed:
            lines[i] = line[:start] + changed + line[end:]
        else:  # the word and one space around it go
            lines[i] = (line[:start] + line[end:]).replace("  ", " ", 1)
        return "\n".join(lines)
    return sample.text


def _typo(word: str) -> str:
    """Two neighbouring letters swapped in the middle of ``word`` (a retyped word)."""
    letters = [i for i in range(len(word) - 1) if word[i].isalpha() and word[i + 1].isalpha()]
    if not letters:
        return word
    i = letters[len(letters) // 2]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _per_line(edit: Callable[[str], str]) -> Callable[[Sample], str]:
    return lambda s: "\n".join(edit(line) for line in s.text.split("\n"))


def _resize(line: str) -> str:
    """Sizes written the other way: ``N bytes`` as GiB/MiB, ``1.5 GiB`` as ``1.5GiB`` and back."""

    def in_units(m: re.Match[str]) -> str:
        n = int(m.group(1))
        return f"{n / 2**30:.2f}GiB" if n >= 2**30 else f"{n / 2**20:.2f}MiB"

    line, count = re.subn(r"\b(\d{4,}) bytes\b", in_units, line)
    if count:
        return line
    units = r"(?:[KMGT]i?B|bytes)"
    spaced = re.subn(rf"\b(\d+(?:\.\d+)?) ({units})\b", r"\1\2", line)
    if spaced[1]:
        return spaced[0]
    return re.sub(rf"\b(\d+(?:\.\d+)?)({units})\b", r"\1 \2", line)


def _entities(line: str) -> str:
    """The line as an HTML page's source shows it (GitHub's, a forum's)."""
    for plain, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        line = line.replace(plain, entity)
    return line.replace("'", "&#39;")


def _curly(line: str) -> str:
    """Quotes made typographic by a web page or a word processor: pairs open and close."""
    out, double, single = [], False, False
    for ch in line:
        if ch == '"':
            out.append("\u201d" if double else "\u201c")
            double = not double
        elif ch == "'":
            out.append("\u2019" if single else "\u2018")
            single = not single
        else:
            out.append(ch)
    return "".join(out)


def _br(line: str) -> str:
    """A line a forum rendered with its wraps as ``<br>`` (long lines wrapped at 80)."""
    parts = textwrap.wrap(line, 80, break_long_words=False, break_on_hyphens=False)
    return "<br>".join(parts) + ("<br>" if len(parts) == 1 else "")


def _hard_wrap(width: int) -> Callable[[str], str]:
    """A forum or an editor wrapping at ``width`` columns, at a space."""
    return lambda line: "\n".join(
        textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]
    )


def _cut(width: int) -> Callable[[str], str]:
    """A terminal wrapping at ``width`` columns, wherever the column falls."""
    return lambda line: "\n".join(line[i : i + width] for i in range(0, max(len(line), 1), width))


def _no_full_stop(line: str) -> str:
    return re.sub(r"(?<=[\w)\]'\"])\.(?=\s|$)", "", line)


def _prefix(text: str) -> Callable[[str], str]:
    return lambda line: text + line


#: damage kind -> what it does to a sample
DAMAGE: dict[str, Callable[[Sample], str]] = {
    "word dropped": lambda s: _middle_word(s, lambda w: ""),
    "word mistyped": lambda s: _middle_word(s, _typo),
    "full stop lost": _per_line(_no_full_stop),
    "colon lost": _per_line(lambda line: re.sub(r":(?=\s)", "", line)),
    "size rewritten": _per_line(_resize),
    "html entities": _per_line(_entities),
    "curly quotes": _per_line(_curly),
    "no-break spaces": _per_line(lambda line: line.replace(" ", "\u00a0")),
    "zero-width spaces": _per_line(lambda line: "\u200b" + line.replace(" ", " \u200b")),
    "spaces collapsed": _per_line(lambda line: re.sub(r"[ \t]{2,}|\t", " ", line)),
    "<br> for line ends": _per_line(_br),
    "quote '> '": _per_line(_prefix("> ")),
    "heading '# '": _per_line(_prefix("# ")),
    "pytest 'E   '": _per_line(_prefix("E       ")),
    "compose 'svc-1  | '": _per_line(_prefix("trainer-1  | ")),
    "journald 'host prog[123]: '": _per_line(_prefix("gpu-node-3 python3[48213]: ")),
    "logger '... - root - ERROR - '": _per_line(
        _prefix("2024-01-01 12:00:00,123 - root - ERROR - ")
    ),
    "kubectl 'pod/x '": _per_line(_prefix("pod/trainer-0 ")),
    "kubectl --prefix '[pod/x/c] '": _per_line(_prefix("[pod/trainer-0/main] ")),
    "hard wrap at 70": _per_line(_hard_wrap(70)),
    "hard wrap at 100": _per_line(_hard_wrap(100)),
    "terminal cut at 120": _per_line(_cut(120)),
    "lower case": lambda s: s.text.lower(),
}


# -- samples


def catalogue_samples() -> Iterator[Sample]:
    """Every example line of the catalogue whose undamaged text names a root cause of its
    entry's family."""
    cat = catalogue()
    for path in sorted(MESSAGES.glob("*.toml")):
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        for row in doc.get("message", []):
            for n, example in enumerate(row.get("examples", [])):
                root = first_root(example["line"])
                if root is None or root[1] != cat.by_id[row["id"]].family:
                    continue
                yield Sample("catalogue", f"{row['id']}#{n + 1}", root[0], root[1], example["line"])


def corpus_samples() -> Iterator[Sample]:
    """The raw line(s) of each real case's first root cause, where the case's triage is right
    and the lines alone still name that family."""
    for log in sorted(REAL.glob("*.log")):
        meta = tomllib.loads(log.with_suffix(".toml").read_text(encoding="utf-8"))
        if meta["family"] == "healthy":
            continue
        raw = log.read_text(encoding="utf-8", errors="replace")
        roots = triage_text(raw).root_causes
        if not roots or roots[0].family != meta["family"]:
            continue
        lines = raw.split("\n")
        first = roots[0]
        text = "\n".join(lines[first.line - 1 : first.line + first.text.count("\n")])
        root = first_root(text)
        if root is None or root[1] != meta["family"]:
            continue
        yield Sample("corpus", log.stem, root[0], root[1], text)


def healthy_logs() -> Iterator[tuple[str, str]]:
    """(case, text) of every healthy real case."""
    for log in sorted(REAL.glob("*.log")):
        meta = tomllib.loads(log.with_suffix(".toml").read_text(encoding="utf-8"))
        if meta["family"] == "healthy":
            yield log.stem, log.read_text(encoding="utf-8", errors="replace")


def healthy_roots(kind: str, logs: list[tuple[str, str]]) -> list[str]:
    """The healthy cases that, damaged by ``kind``, name a root cause (each with its id)."""
    damage = DAMAGE[kind]
    out = []
    for name, text in logs:
        root = first_root(damage(Sample("corpus", name, "", "healthy", text)))
        if root is not None:
            out.append(f"{name}: {root[0]}")
    return out


def outcome(kind: str, samples: list[Sample]) -> tuple[Outcome, list[tuple[Sample, str]]]:
    """How the samples fare under one damage kind, and the damaged texts that lost the
    family."""
    damage = DAMAGE[kind]
    applied = family = same_id = 0
    lost: list[tuple[Sample, str]] = []
    for sample in samples:
        text = damage(sample)
        if text == sample.text:
            continue
        applied += 1
        root = first_root(text)
        if root is not None and root[1] == sample.family:
            family += 1
            same_id += root[0] == sample.entry
        else:
            lost.append((sample, text))
    return Outcome(applied, family, same_id), lost
