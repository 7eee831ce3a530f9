"""``nvcc --version`` read from text: the toolkit release (``release 11.0``) and the
compiler's own build number (``V11.0.194``; CUDA 4.2 printed ``V0.2.1221``, so the release
is what counts).
"""

from __future__ import annotations

import re

from gpusetup.parse._text import Line, prepare
from gpusetup.parse.model import CUT, Reading, ReadingBuilder

KIND = "nvcc-version"

_HEADER = re.compile(r"nvcc: NVIDIA \(R\) Cuda compiler driver")
_RELEASE = re.compile(
    r"Cuda compilation tools, release (?P<release>\d{1,12}\.\d{1,12})(?:,\s*V(?P<build>[\d.]+))?"
)
_BUILT = re.compile(r"^\s*Built on (?P<built>\S+)")
_BUILD = re.compile(r"^\s*Build (?P<build>cuda_\S+)")


def read(text: str, *, first_line: int = 1) -> Reading:
    return read_lines(prepare(text, first_line))


def read_lines(lines: list[Line]) -> Reading:
    out = ReadingBuilder(KIND)
    header = False
    for line in lines:
        if _HEADER.search(line.text):
            header = True
            continue
        release = _RELEASE.search(line.text)
        if release:
            out.set("runtime_version", release["release"], line.number)
            if release["build"]:
                out.set_extra("nvcc_version", release["build"], line.number)
            continue
        built = _BUILT.match(line.text)
        if built:
            out.set_extra("built_on", built["built"], line.number)
            continue
        build = _BUILD.match(line.text)
        if build:
            out.set_extra("build", build["build"], line.number)
    if header and "runtime_version" not in out.facts:
        out.note(CUT, "the output ends before the 'Cuda compilation tools, release' line")
    return out.build()
