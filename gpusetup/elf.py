"""What the dynamic loader reads from a shared object: ELF class, machine, SONAME,
DT_NEEDED, DT_RPATH and DT_RUNPATH (System V gABI, "Dynamic Section";
https://refspecs.linuxfoundation.org/elf/gabi4+/ch5.dynamic.html).

The identification bytes are read directly, so a file of the wrong class or machine is
still described (the loader skips such files and keeps searching); the dynamic section is
read with pyelftools.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

ELF_MAGIC = b"\x7fELF"


class ElfClass(enum.IntEnum):
    ELF32 = 1
    ELF64 = 2


#: e_machine values this tool names; others are shown as their number
MACHINES = {3: "EM_386", 40: "EM_ARM", 62: "EM_X86_64", 183: "EM_AARCH64", 21: "EM_PPC64"}


@dataclass(frozen=True)
class ElfInfo:
    elf_class: int | None = None  # 32 or 64
    machine: str | None = None  # EM_X86_64
    soname: str | None = None
    needed: list[str] = field(default_factory=list)
    rpath: list[str] = field(default_factory=list)
    runpath: list[str] = field(default_factory=list)
    #: why the file could not be read as a shared object (None: it could)
    error: str | None = None


class NotElf(Exception):
    pass


def read_header(data: bytes) -> tuple[int, str]:
    """(class bits, machine name) from the first 20 bytes of a file."""
    if len(data) < 20 or data[:4] != ELF_MAGIC:
        raise NotElf("not an ELF file")
    cls = data[4]
    if cls not in (ElfClass.ELF32, ElfClass.ELF64):
        raise NotElf(f"unknown ELF class {cls}")
    byteorder = "little" if data[5] == 1 else "big"
    machine = int.from_bytes(data[18:20], byteorder)
    return (32 if cls == ElfClass.ELF32 else 64), MACHINES.get(machine, f"EM_{machine}")


def read_elf(path: str | Path) -> ElfInfo:
    """Describe a shared object; never raises for bad files (``error`` says why)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(20)
            try:
                bits, machine = read_header(head)
            except NotElf as exc:
                return ElfInfo(error=str(exc))
            fh.seek(0)
            try:
                return _dynamic(fh, bits, machine)
            except Exception as exc:  # noqa: BLE001 - pyelftools raises many kinds on junk
                return ElfInfo(bits, machine, error=f"unreadable dynamic section: {exc}")
    except OSError as exc:
        return ElfInfo(error=exc.strerror or str(exc))


def _dynamic(fh, bits: int, machine: str) -> ElfInfo:
    from elftools.elf.elffile import ELFFile

    elf = ELFFile(fh)
    soname, needed, rpath, runpath = None, [], [], []
    for segment in elf.iter_segments():
        if segment["p_type"] != "PT_DYNAMIC":
            continue
        for tag in segment.iter_tags():
            kind = tag.entry.d_tag
            if kind == "DT_NEEDED":
                needed.append(tag.needed)
            elif kind == "DT_SONAME":
                soname = tag.soname
            elif kind == "DT_RPATH":
                rpath.extend(p for p in tag.rpath.split(":") if p)
            elif kind == "DT_RUNPATH":
                runpath.extend(p for p in tag.runpath.split(":") if p)
        break
    return ElfInfo(bits, machine, soname, needed, rpath, runpath)


def expand_origin(entries: list[str], object_path: str) -> list[str]:
    """Replace $ORIGIN / ${ORIGIN} with the directory of the object (ld.so(8))."""
    origin = str(Path(object_path).parent)
    return [e.replace("${ORIGIN}", origin).replace("$ORIGIN", origin) for e in entries]
