"""``ls -l`` (``-la``, ``-lh``) of library directories read from text: each file or link
with its target, symlink chains followed within the listing, and the versions the real
files' names give (cuDNN, the driver's libcuda, the CUDA runtime).

Problems it can see: a soname that is a regular file where a link belongs (what makes
ldconfig warn ``is not a symbolic link``), and two cuDNN generations side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from gpusetup.libs import sonames as _sonames
from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import Library, Reading, ReadingBuilder

KIND = "ls-l"

_ENTRY = re.compile(
    r"^(?P<mode>[-lbcdps][rwxsStT-]{9})[.+@]?\s+(?P<links>\d{1,12})\s+(?P<owner>\S+)\s+(?P<group>\S+)\s+"
    r"(?P<size>\d[\d.,]*[KMGTPE]?|\d{1,12},\s*\d{1,12})\s+"
    r"(?P<date>\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}(?::\d{2}(?:\.\d{1,12})?)?(?:\s+[+-]\d{4})?"
    r"|\S+\s+\S+\s+(?:\d{1,2}:\d{2}|\d{4}))\s"
)
_DIRECTORY = re.compile(r"^(?P<dir>/[^:]*):\s*$")
#: Chains longer than this are loops in a listing (ls shows each link once).
_MAX_CHAIN = 40


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    directory: str | None = None
    for line in lines:
        header = _DIRECTORY.match(line.text)
        if header:
            directory = header["dir"].rstrip("/")
            continue
        entry = _ENTRY.match(line.text.strip())
        if not entry or entry["mode"][0] not in "-l":
            continue
        # name and target split with string operations (a lazy pattern backtracks on blanks)
        name_part, arrow, target_part = line.text.strip()[entry.end() :].partition(" -> ")
        shown = name_part.strip().strip("'\"")
        name = _sonames.basename(shown)
        if not name.startswith("lib") or ".so" not in name and not name.endswith(".a"):
            continue
        if name.endswith(".a"):
            continue  # static archives are never loaded
        out.libraries.append(
            Library(
                line.number,
                name,
                path=shown if "/" in shown else None,
                target=target_part.strip().strip("'\"") or None if arrow else None,
                directory=shown.rsplit("/", 1)[0] if "/" in shown else directory,
                symlink=entry["mode"][0] == "l",
            )
        )
    _judge(out)
    return out.build()


def resolve(libraries: list[Library] | tuple[Library, ...], name: str) -> list[str]:
    """The chain of names from ``name`` through the listing's links (``libcudnn.so`` ->
    ``libcudnn.so.4`` -> ``libcudnn.so.4.0.7``); it stops at a target the listing does not
    show (``/etc/alternatives/...``) or at a loop."""
    return _chain({lib.name: lib for lib in libraries}, name)


def _chain(by_name: dict[str, Library], name: str) -> list[str]:
    chain = [name]
    while len(chain) < _MAX_CHAIN:
        lib = by_name.get(chain[-1])
        if lib is None or not lib.symlink or not lib.target:
            break
        target = _sonames.basename(lib.target) if "/" not in lib.target.lstrip("./") else lib.target
        if target in chain:
            break
        chain.append(target)
    return chain


def _judge(out: ReadingBuilder) -> None:
    libraries = out.libraries
    by_name = {lib.name: lib for lib in libraries}
    files = [lib for lib in libraries if lib.symlink is False]
    ends = {lib.line: _chain(by_name, lib.name)[-1] for lib in libraries}
    real_names = {lib.name for lib in files} | {e for e in ends.values() if "/" not in e}

    def one(read: Callable[[str], str | None], fact: str) -> None:
        """The fact when the real files give exactly one value, on the first line that
        names such a file (the file, or a link to it)."""
        values = {v for v in (read(n) for n in real_names) if v}
        if len(values) != 1:
            return
        value = values.pop()
        named = [
            lib.line
            for lib in libraries
            if value in (read(lib.name), read(_sonames.basename(lib.target or "")))
        ]
        chained = [lib.line for lib in libraries if read(ends[lib.line]) == value]
        out.set(fact, value, (named or chained)[0])

    def first_line(prefix: str) -> int:
        return next((lib.line for lib in libraries if lib.name.startswith(prefix)), 1)

    one(_sonames.runtime_version, "runtime_version")
    one(_sonames.driver_version, "driver_version")
    generations = {g for g in (_sonames.cudnn_generation(lib.name) for lib in libraries) if g}
    if len(generations) > 1:
        out.problem(
            "two-cudnn",
            "cuDNN generations " + ", ".join(sorted(generations)) + " side by side",
            first_line("libcudnn.so"),
        )
    else:
        one(_sonames.cudnn_version, "cudnn_version")
    # a soname (libcuda.so.1) that is a file while a longer-versioned file of the same
    # library sits beside it: it should be a link to that file
    links = set(_sonames.should_be_links(lib.name for lib in files))
    for lib in files:
        if lib.name in links:
            out.problem(
                "not-a-symlink",
                f"{lib.path or lib.name} is a regular file; it should link to the versioned one",
                lib.line,
            )
