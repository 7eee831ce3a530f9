"""glibc's search for a library named by its soname, simulated from facts (ld.so(8)).

Order for ``dlopen("libX.so.N")`` made from a caller object:

1. the caller's DT_RPATH, then the executable's, unless the caller has DT_RUNPATH;
2. ``LD_LIBRARY_PATH``;
3. the caller's DT_RUNPATH;
4. ``/etc/ld.so.cache`` (entries for this interpreter's ABI, by soname);
5. the system directories (with their glibc-hwcaps subdirectories).

A file of the wrong ELF class or machine is skipped and the search goes on; a file that is
not ELF at all stops it ("invalid ELF header"). Dependencies (DT_NEEDED) are searched the
same way with the library that needs them as the caller. The same code runs in the probe
(which looks at the disk) and in the checks (which read the facts the probe recorded).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import field

from gpusetup.facts import CacheEntry, LibraryFacts, LibraryFile, LinkingObject
from gpusetup.serde import record

FileLookup = Callable[[str], "LibraryFile | None"]

#: sonames every Python process has loaded already; dlopen reuses them
ALWAYS_LOADED = frozenset(
    {
        "libc.so.6",
        "libm.so.6",
        "libdl.so.2",
        "libpthread.so.0",
        "librt.so.1",
        "ld-linux-x86-64.so.2",
        "ld-linux-aarch64.so.1",
        "libutil.so.1",
    }
)

CACHE = "ld.so.cache"
#: one cache line of ``ldconfig -p``: soname, flags, path (the probe reads its own cache
#: with it, gpusetup.parse.ldconfig a pasted listing)
LDCONFIG_CACHE_LINE = re.compile(r"^\s*(\S+)\s+\(([^)]*)\)(?:\s+OS ABI:[^=]*)?\s*=>\s*(.+)$")


def expand_origin(entries: list[str], object_path: str) -> list[str]:
    """Replace $ORIGIN / ${ORIGIN} with the directory of the object (ld.so(8))."""
    origin = os.path.dirname(object_path) or "."
    return [e.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for e in entries]


def cache_flags_for(machine: str | None, elf_class: int | None) -> str:
    """The flags ``ldconfig -p`` shows for libraries this interpreter can load."""
    if machine == "EM_X86_64":
        return "libc6,x86-64"
    if machine == "EM_AARCH64":
        return "libc6,AArch64"
    return "libc6"


@record
class Attempt:
    path: str
    source: str
    outcome: str  # "found" or why the loader passed over it


@record
class Resolution:
    soname: str
    path: str | None = None
    source: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    #: an error that ends the search (the loader reports it as the dlopen error)
    fatal: str | None = None
    #: soname -> resolution of each dependency that is missing (transitively)
    missing_dependencies: dict[str, Resolution] = field(default_factory=dict)

    @property
    def found(self) -> bool:
        return self.path is not None and self.fatal is None

    @property
    def loads(self) -> bool:
        """Found, and so is everything it needs."""
        return self.found and not self.missing_dependencies


@record
class LoaderModel:
    interpreter: LinkingObject
    ld_library_path: list[str]
    cache: list[CacheEntry]
    cache_flags: str
    system_dirs: list[str]
    elf_class: int
    machine: str

    def steps(self, caller: LinkingObject | None) -> list[tuple[str | None, str]]:
        """(directory, why it is searched) in order; directory None is the cache."""
        caller = caller or self.interpreter
        out: list[tuple[str | None, str]] = []
        if not caller.runpath:
            out += [(d, f"RPATH of {caller.path}") for d in caller.rpath]
            if caller is not self.interpreter and not self.interpreter.runpath:
                out += [(d, f"RPATH of {self.interpreter.path}") for d in self.interpreter.rpath]
        out += [(d, "LD_LIBRARY_PATH") for d in self.ld_library_path if d]
        out += [(d, f"RUNPATH of {caller.path}") for d in caller.runpath]
        out.append((None, CACHE))
        out += [(d, "system directory") for d in self.system_dirs]
        return out

    def cache_lookup(self, soname: str) -> str | None:
        for entry in self.cache:
            if entry.soname == soname and entry.flags.startswith(self.cache_flags):
                return entry.path
        return None

    def judge(self, file: LibraryFile | None) -> tuple[str, bool]:
        """(outcome, stops the search)."""
        if file is None:
            return "no such file", False
        if file.dangling:
            return f"dangling symlink (to {file.realpath})", False
        if not file.readable:
            return "not readable by this user", False
        elf = file.elf
        if elf is None or elf.elf_class is None:
            return f"not an ELF file ({elf.error if elf else 'unreadable'})", True
        if elf.elf_class != self.elf_class:
            return (
                f"wrong ELF class: {elf.elf_class}-bit, this Python is {self.elf_class}-bit",
                False,
            )
        if elf.machine != self.machine:
            return f"wrong machine: {elf.machine}, this Python is {self.machine}", False
        return "found", False

    def resolve_one(
        self, soname: str, caller: LinkingObject | None, lookup: FileLookup
    ) -> Resolution:
        attempts: list[Attempt] = []
        seen: set[str] = set()
        for directory, source in self.steps(caller):
            if directory is None:
                path = self.cache_lookup(soname)
                if path is None:
                    attempts.append(Attempt(soname, CACHE, "not in the cache"))
                    continue
            else:
                path = f"{directory.rstrip('/')}/{soname}"
            if path in seen:
                continue
            seen.add(path)
            outcome, fatal = self.judge(lookup(path))
            attempts.append(Attempt(path, source, outcome))
            if fatal:
                return Resolution(soname, path, source, attempts, fatal=outcome)
            if outcome == "found":
                return Resolution(soname, path, source, attempts)
        return Resolution(soname, None, None, attempts)

    def resolve(self, soname: str, caller: LinkingObject | None, lookup: FileLookup) -> Resolution:
        """Resolve ``soname`` and, transitively, what it needs (as a fresh process would:
        nothing but the C library is loaded yet)."""
        loaded: dict[str, Resolution] = {}
        first = self.resolve_one(soname, caller, lookup)
        loaded[soname] = first
        if not first.found:
            return first
        missing: dict[str, Resolution] = {}
        pending = [(first, soname)]
        while pending:
            parent, _ = pending.pop(0)
            file = lookup(parent.path) if parent.path else None
            if file is None or file.elf is None:
                continue
            elf = file.elf
            link = LinkingObject(
                parent.path or "",
                expand_origin(elf.rpath, parent.path or ""),
                expand_origin(elf.runpath, parent.path or ""),
            )
            for needed in elf.needed:
                if needed in ALWAYS_LOADED or needed in loaded:
                    if needed in loaded and not loaded[needed].found:
                        missing.setdefault(needed, loaded[needed])
                    continue
                dep = self.resolve_one(needed, link, lookup)
                loaded[needed] = dep
                if dep.found:
                    pending.append((dep, needed))
                else:
                    missing[needed] = dep
        if missing:
            return Resolution(
                first.soname, first.path, first.source, first.attempts, first.fatal, missing
            )
        return first


def model_from_facts(libs: LibraryFacts) -> LoaderModel:
    """The loader's search as the facts recorded it (same answers on any machine)."""
    return LoaderModel(
        interpreter=libs.interpreter,
        ld_library_path=libs.ld_library_path,
        cache=libs.cache,
        cache_flags=cache_flags_for(libs.interpreter_machine, libs.interpreter_class),
        system_dirs=libs.system_dirs,
        elf_class=libs.interpreter_class,
        machine=libs.interpreter_machine,
    )


def resolve_from_facts(
    libs: LibraryFacts, soname: str, caller: LinkingObject | None = None
) -> Resolution:
    """Resolve as TensorFlow's dlopen would (its caller object when installed)."""
    model = model_from_facts(libs)
    return model.resolve(soname, caller if caller is not None else libs.caller, libs.files.get)


def search_lines(resolution: Resolution) -> list[str]:
    """The places considered, in order, libtree-style; runs of misses in one source merge."""
    lines: list[str] = []
    run_source, run_dirs = None, []

    def flush() -> None:
        if not run_dirs:
            return
        plain = [d for d in run_dirs if "/glibc-hwcaps/" not in d]
        shown = ", ".join(plain) or ", ".join(run_dirs)
        if len(plain) < len(run_dirs):
            shown += " (and their glibc-hwcaps subdirectories)"
        lines.append(f"{run_source}: {shown}: no such file")

    for attempt in resolution.attempts:
        if attempt.outcome == "no such file":
            if attempt.source != run_source:
                flush()
                run_source, run_dirs = attempt.source, []
            run_dirs.append(attempt.path.rsplit("/", 1)[0])
            continue
        flush()
        run_source, run_dirs = None, []
        if attempt.source == CACHE and attempt.outcome == "not in the cache":
            lines.append(f"{CACHE}: no entry for {resolution.soname}")
        else:
            lines.append(f"{attempt.source}: {attempt.path}: {attempt.outcome}")
    flush()
    return lines
