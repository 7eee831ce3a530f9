"""Triage from an error message: recognise the known messages in a pasted log, then judge
the matching checks on this machine, root causes first. ``triage_log``/``triage_text`` are
the task; ``scan`` and ``triage`` the pure steps (what this machine is comes in as facts
and an interpreter description, never read while judging).

Patterns live in ``checks/data/log_patterns.toml``. The scan streams the log (any size,
any encoding junk: undecodable bytes are replaced, terminal colour codes stripped), so a
50 MB log costs a pass over its lines with a substring test each; only lines holding a
pattern's literal needle meet its regular expression.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, BinaryIO

from gpusetup.findings import Finding, Status
from gpusetup.knowledge import (
    KnowledgeError,
    checks_dir,
    read_toml,
    split_requirement,
    tensorflow_distribution,
)

if TYPE_CHECKING:
    from gpusetup.wheels.compat import Interpreter

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
MAX_LINE = 8192
#: the most of a log that is read (from a file or stdin); the rest is reported as not read
MAX_LOG_BYTES = 256 << 20
MAX_MATCHES = 200


@dataclass(frozen=True)
class Pattern:
    id: str
    source: str
    needles: tuple[str, ...]  # literal strings; a line holding none of them is skipped
    regex: re.Pattern[str]
    category: str
    role: str  # cause | symptom
    examples: tuple[str, ...]
    #: matched only when no specific pattern matched the line
    generic: bool = False
    #: what to do, when no check on this machine has a fix to offer
    fix: str = ""


@cache
def load_patterns() -> tuple[Pattern, ...]:
    path = checks_dir() / "data" / "log_patterns.toml"
    patterns = []
    for i, row in enumerate(read_toml(path).get("pattern", [])):
        try:
            patterns.append(
                Pattern(
                    row["id"],
                    row["source"],
                    (row["needle"],) if isinstance(row["needle"], str) else tuple(row["needle"]),
                    re.compile(row["regex"]),
                    row["category"],
                    row["role"],
                    tuple(row.get("examples", ())),
                    bool(row.get("generic")),
                    row.get("fix", ""),
                )
            )
        except (KeyError, re.error) as exc:
            raise KnowledgeError(f"{path}: pattern #{i + 1} is malformed ({exc})") from exc
    # specific patterns first: a generic one only sees lines none of them matched
    return tuple(sorted(patterns, key=lambda p: p.generic))


@dataclass(frozen=True)
class LogMatch:
    pattern: str
    category: str
    role: str
    source: str
    line_number: int  # of the first occurrence
    line: str
    facts: dict[str, str]
    count: int = 1


def iter_lines(source: BinaryIO | Iterable[bytes], chunk_size: int = 1 << 20) -> Iterator[str]:
    """The lines of a log, each cut to MAX_LINE bytes, from a binary stream or its chunks.

    Memory stays bounded on any input: past MAX_LINE bytes the rest of a line is skipped
    as it arrives (a stream without newlines, ``/dev/zero``, is one cut line).
    """
    if hasattr(source, "read"):
        stream = source
        chunks: Iterable[bytes] = iter(lambda: stream.read(chunk_size), b"")
    else:
        chunks = source
    pending = b""
    skipping = False  # inside a line already cut: drop bytes up to its newline
    for chunk in chunks:
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            piece = chunk[start:] if end < 0 else chunk[start:end]
            if not skipping:
                pending += piece[: MAX_LINE - len(pending)]
                if end < 0 and len(pending) >= MAX_LINE:
                    skipping = True
            if end < 0:
                break
            yield pending.decode("utf-8", "replace")
            pending, skipping, start = b"", False, end + 1
    if pending or skipping:
        yield pending.decode("utf-8", "replace")


@cache
def _needle_regex() -> re.Pattern[str]:
    needles = {n for p in load_patterns() for n in p.needles}
    return re.compile("|".join(re.escape(n) for n in sorted(needles, key=len, reverse=True)))


def scan(lines: Iterable[str]) -> tuple[list[LogMatch], int]:
    """The recognised messages (each distinct message once, with its count) and the number
    of lines read."""
    patterns = load_patterns()
    any_needle = _needle_regex()
    found: dict[tuple[str, tuple], LogMatch] = {}
    counts: dict[tuple[str, tuple], int] = {}
    total = 0
    for number, line in enumerate(lines, 1):
        total = number
        if not any_needle.search(line):  # most lines of a log: one search in C, done
            continue
        matched_line = False
        for p in patterns:
            if (p.generic and matched_line) or not any(n in line for n in p.needles):
                continue
            text = _ANSI.sub("", line).replace("\r", "").replace("\x00", "")
            m = p.regex.search(text)
            if not m:
                continue
            matched_line = True
            facts = {k: v.strip() for k, v in m.groupdict().items() if v}
            key = (p.id, tuple(sorted(facts.items())))
            counts[key] = counts.get(key, 0) + 1
            if key not in found and len(found) < MAX_MATCHES:
                found[key] = LogMatch(
                    p.id, p.category, p.role, p.source, number, text.strip()[:300], facts
                )
    matches = [LogMatch(**{**m.__dict__, "count": counts[k]}) for k, m in found.items()]
    return matches, total


def sonames_in(matches: list[LogMatch]) -> list[str]:
    """Every library the log names: the one asked for and the one dlerror blames."""
    names: list[str] = []
    for m in matches:
        for value in (m.facts.get("soname"), _dlerror_soname(m)):
            if value and value not in names:
                names.append(value)
    return names


def _dlerror_soname(m: LogMatch) -> str | None:
    err = m.facts.get("dlerror", "")
    first = err.split(":", 1)[0].strip()
    return first if first.startswith("lib") and ".so" in first else None


# --- judging against this machine ------------------------------------------------------

CATEGORY_CHECKS = {
    "library": ["libs.required", "libs.readable", "libs.elf-class", "libs.search-path"],
    "cudart": ["libs.required"],
    "compute-capability": ["gpu.compute-capability"],
    "cudnn-version": ["libs.cudnn", "libs.required"],
    "driver-version": ["driver.version"],
    "driver-mismatch": ["driver.nvml-stub", "driver.nvml"],
    "driver-missing": ["driver.nvml-stub", "driver.nvml", "gpu.present", "driver.nouveau"],
    "framework-build": ["libs.tensorflow-build"],
    "cuda-toolchain": ["cuda.toolchain"],
    "wheel": [],
    "wheel-version": [],
    "visibility": ["env.cuda-visible-devices", "cuda.init", "gpu.present"],
    "out-of-memory": [],
    "gpu-fault": ["gpu.health", "gpu.nvml-query"],
    "cudnn-missing": ["libs.required", "libs.cudnn"],
}


@dataclass(frozen=True)
class TriageItem:
    match: LogMatch
    is_root_cause: bool
    explained_by: list[str] = field(default_factory=list)  # pattern ids of causes
    #: what the log says is wrong, in words (root cause behind the symptom)
    diagnosis: str = ""
    #: findings from this machine for the checks this message maps to
    here: list[Finding] = field(default_factory=list)
    fixed_here: bool | None = None  # None: this machine cannot tell
    #: the pattern's own advice, for messages no check here can judge
    fix: str = ""


@dataclass(frozen=True)
class TriageReport:
    lines: int
    items: list[TriageItem]

    @property
    def still_broken(self) -> bool:
        return any(i.is_root_cause and i.fixed_here is not True for i in self.items)


def _diagnose_text(m: LogMatch, interp: Interpreter | None, python_version: str | None) -> str:
    f = m.facts
    if m.pattern == "tf.dlopen-failed":
        blamed = _dlerror_soname(m)
        if blamed and blamed != f.get("soname"):
            return (
                f"{f['soname']} itself may be installed, but it needs {blamed}, which the "
                f"loader cannot find: the missing dependency is the root cause"
            )
        return f"the loader cannot find {f.get('soname')} ({f.get('dlerror', '')})"
    if m.pattern == "tf.cudnn-version-mismatch":
        loaded, built = f.get("loaded", "?"), f.get("built", "?")
        if loaded.split(".")[0] != built.split(".")[0]:
            return (
                f"the cuDNN that loads ({loaded}) is another major version than TensorFlow was "
                f"built with ({built}): install cuDNN {built.split('.')[0]}, not a symlink"
            )
        return (
            f"the cuDNN that loads ({loaded}) is older than the one TensorFlow was built with "
            f"({built}); the minor version must be equal or higher"
        )
    if m.pattern == "tf.cc-too-low":
        return (
            f"{f.get('name')} has compute capability {f.get('have')}; this TensorFlow needs "
            f"{f.get('need')}"
        )
    if m.pattern == "pip.unsupported-wheel" and interp is not None:
        return _wheel_text(f.get("wheel", ""), interp)
    if m.pattern == "pip.no-matching-distribution":
        return _release_text(f.get("requirement", ""), python_version)
    return ""


def _wheel_text(filename: str, interp: Interpreter) -> str:
    from gpusetup.wheels.archive import WheelError, WheelInfo, parse_filename
    from gpusetup.wheels.compat import judge

    try:
        name, version, build, tags = parse_filename(filename)
    except WheelError as exc:
        return str(exc)
    info = WheelInfo("", filename, name, version, build, tags, tags, False, None)
    verdict = judge(info, interp)
    if verdict.compatible:
        return f"{filename} is installable by this Python ({verdict.reason}): fixed here"
    return (
        f"{verdict.mismatch} mismatch: {verdict.reason}"
        + (f"; it would need {verdict.needed_tag}" if verdict.needed_tag else "")
        + ". Renaming the file does not make it compatible (gpusetup wheel retag explains "
        "when a retag is safe)."
    )


def _release_text(requirement: str, here: str | None) -> str:
    from gpusetup.knowledge import find_tensorflow_build

    name, version = split_requirement(requirement)
    if tensorflow_distribution(name) is None:
        return f"no release of {requirement} fits this Python and platform"
    try:
        build = find_tensorflow_build(version or "")
    except KnowledgeError:
        return f"{requirement}: not a release gpusetup knows"
    if here is None:
        return f"TensorFlow {build.version} ships wheels for Python {build.python}"
    if build.supports_python(here):
        return (
            f"TensorFlow {build.version} ships wheels for Python {build.python}, which "
            f"includes {here}: the index or platform is the problem"
        )
    return (
        f"TensorFlow {build.version} ships wheels only for Python {build.python}; this is "
        f"Python {here}. `gpusetup install tensorflow` picks the release that fits"
    )


CAUSE_EXPLAINS = {
    "library": {"tf.cannot-dlopen", "tf.no-cuda-drivers", "jax.backend-failed"},
    "cudart": {"tf.cannot-dlopen"},
    "driver-missing": {"jax.backend-failed", "tf.no-cuda-drivers", "tf.cannot-dlopen"},
    "driver-mismatch": {"jax.backend-failed", "tf.no-cuda-drivers"},
    "driver-version": {"jax.backend-failed"},
    "cudnn-version": {"tf.cannot-dlopen", "tf.dnn-not-found"},
    "visibility": {"jax.backend-failed", "tf.no-cuda-drivers"},
}


def triage(
    matches: list[LogMatch],
    lines: int,
    findings: list[Finding] | None,
    interpreter: Interpreter | None = None,
    python_version: str | None = None,
) -> TriageReport:
    """Order the log's messages (root causes first) and attach this machine's verdicts.

    ``findings``: this machine's findings (None when the machine was not probed);
    ``interpreter``: the Python a wheel message is judged for (None: not judged);
    ``python_version``: the machine's Python, for a release that has no wheel for it."""
    causes = [m for m in matches if m.role == "cause"]
    fixes = {p.id: p.fix for p in load_patterns()}
    items = []
    for m in matches:
        explained = sorted(
            {c.pattern for c in causes if m.pattern in CAUSE_EXPLAINS.get(c.category, set())}
        )
        is_root = m.role == "cause" or not explained
        here: list[Finding] = []
        fixed = None
        if findings is not None and is_root:
            here = _findings_for(m, findings)
            judged = [f for f in here if f.status is not Status.SKIP]
            if judged:
                fixed = all(f.status is Status.PASS for f in judged)
        diagnosis = _diagnose_text(m, interpreter, python_version)
        if m.category == "wheel" and "fixed here" in diagnosis:
            fixed = True
        items.append(
            TriageItem(
                m,
                is_root,
                explained,
                diagnosis,
                here,
                fixed,
                fixes.get(m.pattern, ""),
            )
        )
    items.sort(key=lambda i: (not i.is_root_cause, i.match.line_number))
    return TriageReport(lines, items)


def _findings_for(m: LogMatch, findings: list[Finding]) -> list[Finding]:
    from gpusetup.libs.requirements import library_stem

    ids = CATEGORY_CHECKS.get(m.category, [])
    sonames = set(filter(None, [m.facts.get("soname"), _dlerror_soname(m)]))
    out = []
    for f in findings:
        if f.id not in ids:
            continue
        if f.id == "libs.required" and m.category in ("library", "cudart"):
            wanted = sonames or {"libcudart"}
            subject = f.subject or ""
            # a per-library finding about this library, or the overall pass
            if subject and not any(subject.startswith(library_stem(s)) for s in wanted):
                continue
        out.append(f)
    return out


@dataclass(frozen=True)
class TriageRun:
    report: TriageReport
    #: what was left unread of a log larger than MAX_LOG_BYTES (None: read whole)
    cut: str | None = None


def _judged(matches: list[LogMatch], lines: int, cut: str | None) -> TriageRun:
    """The log's messages judged on this machine: its facts probed (with the libraries
    the log names), every check run, and the interpreter described for wheel messages."""
    if not matches:
        return TriageRun(triage(matches, lines, None), cut)
    from gpusetup.diagnose import diagnose
    from gpusetup.knowledge import load_profile
    from gpusetup.probe import collect_facts

    facts = collect_facts(extra_libraries=tuple(sonames_in(matches)))
    findings = diagnose(facts, load_profile(), force_libraries=True)
    interp = None
    if any(m.category == "wheel" for m in matches):
        from gpusetup.probe.interpreter import describe_interpreter

        interp = describe_interpreter()
    python = facts.host.python_version if facts.host else None
    return TriageRun(triage(matches, lines, findings, interp, python), cut)


def triage_log(path: str | os.PathLike[str]) -> TriageRun:
    """``gpusetup triage FILE`` (``-``: stdin): the log read (at most MAX_LOG_BYTES, lines
    cut at MAX_LINE), its messages judged on this machine. Raises InputError."""
    from gpusetup.probe.inputs import InputChunks, describe_size

    chunks = InputChunks(path, MAX_LOG_BYTES, allow_stdin=True)
    matches, lines = scan(iter_lines(chunks))
    cut = None
    if chunks.cut:
        cut = (
            f"only the first {describe_size(MAX_LOG_BYTES)} of {chunks.shown} were read "
            f"({lines} lines); the rest was not looked at"
        )
    return _judged(matches, lines, cut)


def triage_text(text: str) -> TriageRun:
    """A pasted log (text) triaged as ``gpusetup triage`` does: root causes first, each
    with this machine's verdict on it."""
    data = text.encode("utf-8", "surrogateescape")
    matches, lines = scan(iter_lines([data[:MAX_LOG_BYTES]]))
    cut = None if len(data) <= MAX_LOG_BYTES else f"only the first {MAX_LOG_BYTES} bytes were read"
    return _judged(matches, lines, cut)
