"""``ldconfig -p`` (the cache) and ``ldconfig -v`` (the directories it scans) read from
text, with ldconfig's warnings (``X is not a symbolic link``, ``Path ... given more than
once``, ``Can't stat ...``).

    -p:  \tlibcudart.so.12 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.12
    -v:  /usr/local/cuda/lib64: (from /etc/ld.so.conf.d/cuda.conf:1)
         \tlibcudart.so.12 -> libcudart.so.12.4.127

Problems it can see: a soname that is a copy instead of a link (ldconfig's warning), the
driver library listed from two directories, two cuDNN generations in the cache.
"""

from __future__ import annotations

import re

from gpusetup.libs import sonames as _sonames
from gpusetup.libs.resolve import LDCONFIG_CACHE_LINE
from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import Library, Reading, ReadingBuilder, ToolWarning

KIND_P = "ldconfig-p"
KIND_V = "ldconfig-v"

#: The cache line pattern of gpusetup/ldconf.py's parse_ldconfig_p (its answers are kept).
CACHE_LINE = LDCONFIG_CACHE_LINE
_CACHE_COUNT = re.compile(r"^\s*(?P<n>\d{1,12}) libs found in cache [`'](?P<cache>[^'`]+)'")
_DIRECTORY = re.compile(r"^(?P<dir>/[^:\s][^:]*?):(?:\s+\(from (?P<source>[^)]*)\))?\s*$")
_ENTRY = re.compile(
    r"^\s*(?P<soname>[\w.+-]{1,200}?\.so[\w.+-]{0,100}) -> (?P<target>\S+)"
    r"(?:\s+\((?P<note>[^)]*)\))?\s*$"
)
_WARNING = re.compile(r"^\s*(?P<prog>\S*ldconfig(?:\.real)?):\s+(?P<message>.*)$")
_NOT_LINK = re.compile(r"^(?P<path>\S+) is not a symbolic link$")
_WARNING_PATH = re.compile(r"(?:`(?P<a>/[^']+)'|(?P<b>/\S+?)(?::|,| is| given|$))")


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    entries: list[Library] = []
    warnings: list[ToolWarning] = []
    directory: str | None = None
    cache_lines = 0
    builder_facts: list[tuple[str, str, int]] = []
    for line in lines:
        text = line.text
        cache = CACHE_LINE.match(text)
        if cache:
            cache_lines += 1
            path = cache.group(3).strip()
            entries.append(Library(line.number, cache.group(1), path=path, arch=cache.group(2)))
            continue
        count = _CACHE_COUNT.match(text)
        if count:
            builder_facts.append(("cache_entries", count["n"], line.number))
            continue
        warning = _WARNING.match(text)
        if warning:
            message = warning["message"].strip()
            not_link = _NOT_LINK.match(message)
            if not_link:
                path = not_link["path"]
                entries.append(
                    Library(line.number, _sonames.basename(path), path=path, symlink=False)
                )
            else:
                found = _WARNING_PATH.search(message[:1024])
                path = (found["a"] or found["b"]) if found else None
            warnings.append(ToolWarning(line.number, message, path))
            continue
        header = _DIRECTORY.match(text)
        if header:
            directory = header["dir"].rstrip("/")
            continue
        entry = _ENTRY.match(text)
        if entry and not re.match(r"^[-lbcdps][rwxsStT-]{9}", text):
            entries.append(
                Library(
                    line.number,
                    entry["soname"],
                    path=f"{directory}/{entry['soname']}" if directory else None,
                    target=entry["target"],
                    directory=directory,
                )
            )
    out = ReadingBuilder(KIND_P if cache_lines else KIND_V)
    out.libraries.extend(entries)
    out.warnings.extend(warnings)
    for fact, value, number in builder_facts:
        out.set_extra(fact, value, number)
    for warning in warnings:
        if _NOT_LINK.match(warning.text):
            out.problem(
                "not-a-symlink",
                f"{warning.path} is a file, not a link: ldconfig will not manage it",
                warning.line,
            )
    _judge(entries, out)
    return out.build()


def _judge(entries: list[Library], out: ReadingBuilder) -> None:
    libcuda = [e for e in entries if e.name == "libcuda.so.1"]
    places = {(e.arch, e.path) if e.arch is not None else (None, e.line) for e in libcuda}
    arches = [arch for arch, _ in places]
    if any(arches.count(arch) > 1 for arch in set(arches)):
        where = ", ".join(sorted({e.path or e.target or "?" for e in libcuda}))
        out.problem(
            "two-libcuda", f"libcuda.so.1 is listed {len(libcuda)} times ({where})", libcuda[0].line
        )
    drivers = {
        _sonames.driver_version(_sonames.basename(e.target or e.path or "")) for e in libcuda
    }
    drivers.discard(None)
    if len(drivers) == 1:
        out.set("driver_version", drivers.pop(), libcuda[0].line)
    generations: dict[str, int] = {}
    versions: set[str] = set()
    for entry in entries:
        for name in (entry.name, _sonames.basename(entry.target or "")):
            generation = _sonames.cudnn_generation(name)
            if generation:
                generations.setdefault(generation, entry.line)
            version = _sonames.cudnn_version(name)
            if version:
                versions.add(version)
    if len(generations) > 1:
        shown = ", ".join(sorted(generations))
        out.problem(
            "two-cudnn", f"cuDNN generations {shown} side by side", min(generations.values())
        )
    elif len(versions) == 1:
        line = next(e.line for e in entries if "libcudnn.so" in e.name)
        out.set("cudnn_version", versions.pop(), line)
