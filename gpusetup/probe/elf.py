"""Reading ELF files: what the dynamic loader reads from a shared object (ELF class,
machine, SONAME, DT_NEEDED, DT_RPATH and DT_RUNPATH; System V gABI, "Dynamic Section";
https://refspecs.linuxfoundation.org/elf/gabi4+/ch5.dynamic.html) and a program's PT_INTERP.

The identification bytes are read directly, so a file of the wrong class or machine is
still described (the loader skips such files and keeps searching); the dynamic section is
read with pyelftools.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Literal

from gpusetup.facts import ElfClass, ElfInfo

ELF_MAGIC = b"\x7fELF"

#: e_machine values this tool names; others are shown as their number
MACHINES = {3: "EM_386", 40: "EM_ARM", 62: "EM_X86_64", 183: "EM_AARCH64", 21: "EM_PPC64"}


class NotElf(Exception):
    pass


def read_header(data: bytes) -> tuple[Literal[32, 64], str]:
    """(class bits, machine name) from the first 20 bytes of a file."""
    if len(data) < 20 or data[:4] != ELF_MAGIC:
        raise NotElf("not an ELF file")
    cls = data[4]
    if cls not in (ElfClass.ELF32, ElfClass.ELF64):
        raise NotElf(f"unknown ELF class {cls}")
    byteorder = "little" if data[5] == 1 else "big"
    machine = int.from_bytes(data[18:20], byteorder)
    return (32 if cls == ElfClass.ELF32 else 64), MACHINES.get(machine, f"EM_{machine}")


def _open_regular(path: str | Path) -> BinaryIO:
    """``path`` opened for reading if it is a regular file. Opened without blocking and
    checked before any read: a FIFO or a device named like a library would otherwise hold
    the probe until its deadline (the loader itself refuses them: "file too short")."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_elf(path: str | Path) -> ElfInfo:
    """Describe a shared object; never raises for bad files (``error`` says why)."""
    try:
        with _open_regular(path) as fh:
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


PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3
DT_NEEDED, DT_STRTAB, DT_SONAME, DT_RPATH, DT_RUNPATH = 1, 5, 14, 15, 29


def _dynamic_elf64le(fh) -> tuple[ElfInfo | None, str | None]:
    """The dynamic section of a 64-bit little-endian ELF file (x86-64, aarch64), read with
    struct: the common case, without importing pyelftools (start-up time). Returns
    (None, None) for anything unusual, which pyelftools then reads."""
    import struct

    head = fh.read(64)
    if len(head) < 64 or head[4] != 2 or head[5] != 1:
        return None, None
    (phoff,) = struct.unpack_from("<Q", head, 32)
    phentsize, phnum = struct.unpack_from("<HH", head, 54)
    if phentsize != 56 or not phnum or phnum > 4096:
        return None, None
    fh.seek(phoff)
    table = fh.read(phentsize * phnum)
    if len(table) < phentsize * phnum:
        return None, None
    loads, dynamic, interp = [], None, None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", table, i * phentsize
        )
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dynamic = (p_offset, p_filesz)
        elif p_type == PT_INTERP:
            fh.seek(p_offset)
            interp = fh.read(p_filesz).rstrip(b"\0").decode("utf-8", "replace")
    if dynamic is None:
        return ElfInfo(64, "", None), interp
    fh.seek(dynamic[0])
    raw = fh.read(dynamic[1])
    entries = []
    for off in range(0, len(raw) - 15, 16):
        tag, value = struct.unpack_from("<qQ", raw, off)
        if tag == 0:
            break
        entries.append((tag, value))
    strtab = next((v for t, v in entries if t == DT_STRTAB), None)
    if strtab is None:
        return None, None
    base = next(
        (off + strtab - vaddr for vaddr, off, size in loads if vaddr <= strtab < vaddr + size), None
    )
    if base is None:
        return None, None

    def string(offset: int) -> str:
        fh.seek(base + offset)
        data = fh.read(4096)
        return data.split(b"\0", 1)[0].decode("utf-8", "replace")

    needed = [string(v) for t, v in entries if t == DT_NEEDED]
    soname = next((string(v) for t, v in entries if t == DT_SONAME), None)
    rpath = [p for t, v in entries if t == DT_RPATH for p in string(v).split(":") if p]
    runpath = [p for t, v in entries if t == DT_RUNPATH for p in string(v).split(":") if p]
    return ElfInfo(64, "", soname, needed, rpath, runpath), interp


def _dynamic(fh, bits: int, machine: str) -> ElfInfo:
    fh.seek(0)
    fast, _ = _dynamic_elf64le(fh)
    if fast is not None:
        return ElfInfo(bits, machine, fast.soname, fast.needed, fast.rpath, fast.runpath)
    fh.seek(0)
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


def read_interpreter(path: str | Path) -> str | None:
    """PT_INTERP: the dynamic loader a program asks for (/lib64/ld-linux-x86-64.so.2)."""
    try:
        with _open_regular(path) as fh:
            _, interp = _dynamic_elf64le(fh)
            if interp is not None:
                return interp
            fh.seek(0)
            from elftools.elf.elffile import ELFFile

            for segment in ELFFile(fh).iter_segments():
                if segment["p_type"] == "PT_INTERP":
                    return segment.get_interp_name()
    except Exception:  # noqa: BLE001 - unreadable or not ELF: no interpreter known
        return None
    return None
