"""``/proc/driver/nvidia/version`` read from text: the loaded kernel module's version and
flavour (proprietary, open, or a Jetson's L4T build), the compiler line, and nvidia-smi's
``Driver/library version mismatch`` lines when they are pasted beside it.

    NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.95.05  Tue ...
    NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  565.57.01  Release Build ...
    NVRM version: NVIDIA UNIX Open Kernel Module for aarch64  35.3.1  Release Build ...

On a Jetson the number is the L4T release, not a desktop driver version. The kernel log
carries the same text when the module loads (``NVRM: loading %s`` with the version file's
string, kernel-open/nvidia/nv.c), so a pasted dmesg names the module too:

    [    5.499014] NVRM: loading NVIDIA UNIX x86_64 Kernel Module  580.105.08  Wed Oct ...
"""

from __future__ import annotations

import re

from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import Reading, ReadingBuilder
from gpusetup.parse.nvidia_smi import read_errors

KIND = "proc-version"

#: The pattern gpusetup/probe/kernel.py reads the version with; kept so both agree.
_VERSION_RE = re.compile(r"Kernel Module(?: for [\w.]+)?\s+(\d{1,12}\.\d{1,12}(?:\.\d{1,12})?)")
_NVRM = re.compile(
    r"NVRM(?: version:|: loading)\s*NVIDIA UNIX\s+"
    r"(?:(?!Open\b)(?P<arch1>[\w.]+)\s+)?(?P<open>Open\s+)?"
    r"Kernel Module"
    r"(?:\s+for\s+(?P<arch2>[\w.]+))?\s+(?P<version>\d{1,12}\.\d{1,12}(?:\.\d{1,12})?)"
)
_GCC = re.compile(r"^\s*GCC version:(?P<gcc>.*)$")
#: Jetson (L4T) releases are numbered 28-38; desktop drivers 100 and up.
_L4T_MAJOR_BELOW = 100


def module_version(text: str) -> str | None:
    """The kernel module's number as printed, whatever it is (a driver version or an L4T
    release): the answer ``gpusetup.probe.kernel.parse_driver_version`` gives."""
    match = _VERSION_RE.search(text)
    return match.group(1) if match else None


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    read_errors(lines, out)
    out.gpus.clear()  # a lost-GPU line beside the version file names no GPU of this kind
    for line in lines:
        nvrm = _NVRM.search(line.text)
        if nvrm:
            version = nvrm["version"]
            arch = nvrm["arch2"] or nvrm["arch1"]
            out.set_extra("module_version", version, line.number)
            if arch:
                out.set_extra("arch", arch, line.number)
            if int(version.split(".")[0]) < _L4T_MAJOR_BELOW and arch == "aarch64":
                out.set("kernel_module", "l4t", line.number)
                out.set("l4t_release", version, line.number)
            else:
                out.set("kernel_module", "open" if nvrm["open"] else "proprietary", line.number)
                out.set("driver_version", version, line.number)
            continue
        gcc = _GCC.match(line.text)
        if gcc:
            out.set_extra("gcc_version", gcc["gcc"].strip() or None, line.number)
    library = out.extra.get("nvml_library_version")
    module = out.facts.get("driver_version")
    for problem in list(out.problems):
        if problem.id == "driver-library-mismatch" and library and module:
            out.problems.remove(problem)
            out.problem(
                "driver-library-mismatch",
                f"NVML library {library}, kernel module {module}: reboot (or reload the "
                "module) so both are the same version",
                problem.line,
            )
    return out.build()
