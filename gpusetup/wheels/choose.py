"""Choosing the TensorFlow file that fits this machine, and saying why.

Newest release first: drop yanked files and those whose Requires-Python excludes the
target interpreter, rank the rest by the interpreter's supported tags, then check the
machine: the driver must run the CUDA that release was built with, and every GPU must
reach its minimum compute capability (both named when both fall short). A release whose
wheel for this platform is a CPU-only build (PyPI's Linux aarch64 TensorFlow) is chosen
as such, saying so. The first release that passes is chosen; every newer one is listed
with the reason it was not.
"""

from __future__ import annotations

import re
from dataclasses import field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from gpusetup.knowledge import (
    KnowledgeError,
    TensorFlowBuild,
    cuda_table,
    driver_at_least,
    find_tensorflow_build,
    parse_cc,
)
from gpusetup.serde import record
from gpusetup.wheels.archive import python_satisfies
from gpusetup.wheels.compat import Interpreter
from gpusetup.wheels.index import ReleaseFile


@record
class MachineGpus:
    """What the choice needs to know about the GPUs (from the facts)."""

    driver_version: str | None = None
    #: (label, compute capability) per GPU
    gpus: list[tuple[str, str]] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return bool(self.gpus) and self.driver_version is not None


@record
class Rejection:
    version: str
    reason: str


@record
class Choice:
    file: ReleaseFile | None
    tag: str | None
    extra: str | None  # "and-cuda" when the GPU can be used
    reasons: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def _specifier(spec: str | None) -> SpecifierSet:
    text = (spec or "").strip()
    if text and text[0].isdigit():
        text = f"=={text}" + (".*" if text.count(".") == 1 else "")
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise KnowledgeError(
            f"{spec!r} is not a version specifier (e.g. ==2.21.*, >=2.18)"
        ) from None


def _machine_problem(version: str, machine: MachineGpus) -> str | None:
    """Why this machine's GPUs cannot use the release (driver and compute capability both
    named when both fall short), or None."""
    if not machine.usable:
        return None
    try:
        build = find_tensorflow_build(version)
    except KnowledgeError:
        return (
            "newer than gpusetup's TensorFlow table (checks/data/tensorflow.toml), so its "
            "CUDA and minimum compute capability are unknown"
        )
    problems = []
    major = build.cuda_major
    floor = cuda_table().major_floor_driver.get(major)
    if floor and not driver_at_least(machine.driver_version or "0", floor):
        problems.append(
            f"built with CUDA {build.cuda}; driver {machine.driver_version} is below CUDA "
            f"{major}.x's minimum {floor}"
        )
    low = [
        f"{label} (compute capability {cc})"
        for label, cc in machine.gpus
        if parse_cc(cc) < parse_cc(build.min_compute_capability)
    ]
    if low:
        problems.append(
            f"its wheels need compute capability {build.min_compute_capability}; " + ", ".join(low)
        )
    return "; ".join(problems) or None


_LINUX_PLATFORM = re.compile(r"^(?:many|musl)?linux(?:_\d+_\d+|\d+)?_(\w+)$")


def _linux_machine(tag: str) -> str | None:
    """``cp311-cp311-manylinux_2_17_aarch64`` -> aarch64; None for other platforms."""
    match = _LINUX_PLATFORM.match(tag.rsplit("-", 1)[-1])
    return match.group(1) if match else None


def _table_build(version: str) -> TensorFlowBuild | None:
    try:
        return find_tensorflow_build(version)
    except KnowledgeError:
        return None


def choose_tensorflow(
    files: list[ReleaseFile], interp: Interpreter, machine: MachineGpus, spec: str | None = None
) -> Choice:
    wanted = _specifier(spec)
    supported = {t: i for i, t in enumerate(interp.tags)}
    by_version: dict[Version, list[ReleaseFile]] = {}
    for f in files:
        try:
            by_version.setdefault(Version(f.version), []).append(f)
        except InvalidVersion:
            continue
    rejected: list[Rejection] = []
    allow_pre = any(
        Version(s.version).is_prerelease
        for s in wanted
        if s.version[0].isdigit() and "*" not in s.version
    )
    for version in sorted(by_version, reverse=True):
        if version not in wanted or (version.is_prerelease and not allow_pre):
            continue
        text = str(version)
        wheels = [f for f in by_version[version] if f.filename.endswith(".whl")]
        if not wheels:
            rejected.append(Rejection(text, "no wheels, only source distributions"))
            continue
        live = [f for f in wheels if not f.yanked]
        if not live:
            why = next((f.yanked_reason for f in wheels if f.yanked_reason), None)
            rejected.append(Rejection(text, "yanked" + (f": {why}" if why else "")))
            continue
        fitting = [
            f
            for f in live
            if python_satisfies(f.requires_python, interp.python_version) is not False
        ]
        if not fitting:
            rejected.append(
                Rejection(
                    text,
                    f"Requires-Python {live[0].requires_python} excludes "
                    f"Python {interp.python_version}",
                )
            )
            continue
        ranked = []
        for f in fitting:
            tags = _wheel_tags(f.filename)
            best = min((supported[t] for t in tags if t in supported), default=None)
            if best is not None:
                ranked.append((best, f, interp.tags[best]))
        if not ranked:
            rejected.append(
                Rejection(
                    text,
                    f"no wheel for this interpreter and platform (best "
                    f"accepted tag: {interp.tags[0]})",
                )
            )
            continue
        rank, chosen, tag = min(ranked, key=lambda item: item[0])
        build = _table_build(text)
        wheel_machine = _linux_machine(tag)
        # PyPI's Linux aarch64 TensorFlow is a CPU-only build: the GPUs cannot veto it
        cpu_only = (
            build is not None
            and wheel_machine is not None
            and not build.gpu_wheels_on(wheel_machine)
        )
        problem = None if cpu_only else _machine_problem(text, machine)
        if problem:
            rejected.append(Rejection(text, problem))
            continue
        reasons = [
            f"it is the newest release{f' matching {wanted}' if str(wanted) else ''} that "
            "fits this Python, platform and machine",
            f"{tag} is accepted by Python {interp.python_version} (rank {rank + 1})",
        ]
        extra = None
        if cpu_only:
            reasons.append(
                f"TensorFlow's Linux {wheel_machine} wheels on PyPI are CPU-only builds (their "
                "build_info says is_cuda_build False), so it will run on the CPU"
                + (" although this machine has a usable NVIDIA GPU" if machine.usable else "")
                + "; for the GPU use a build made for this platform (on a Jetson, NVIDIA's "
                "TensorFlow for JetPack) or build TensorFlow from source"
            )
        elif machine.usable and build is not None:
            extra = "and-cuda" if build.and_cuda else None
            reasons.append(
                f"built with CUDA {build.cuda}, which driver {machine.driver_version} "
                f"runs; every GPU reaches compute capability "
                f"{build.min_compute_capability}"
                + (
                    " (a table value not yet verified)"
                    if "min_compute_capability" in build.unverified
                    else ""
                )
            )
            if extra:
                reasons.append(
                    "the and-cuda extra installs the CUDA and cuDNN libraries as pip packages "
                    f"(-cu{build.cuda_major})"
                )
            else:
                reasons.append(
                    f"TensorFlow {build.version} has no and-cuda extra: CUDA {build.cuda} and "
                    f"cuDNN {build.cudnn} must be installed on the system"
                )
        else:
            reasons.append("no usable NVIDIA GPU here: TensorFlow will run on the CPU")
        return Choice(chosen, tag, extra, reasons, rejected)
    return Choice(None, None, None, [], rejected)


def _wheel_tags(filename: str) -> list[str]:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        return [str(t) for t in parse_wheel_filename(filename)[3]]
    except InvalidWheelFilename:
        return []
