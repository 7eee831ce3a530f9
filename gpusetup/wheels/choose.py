"""Choosing the TensorFlow file that fits this machine, and saying why.

Newest release first: drop yanked files and those whose Requires-Python excludes the
target interpreter, rank the rest by the interpreter's supported tags, then check the
machine: the driver must run the CUDA that release was built with, and every GPU must
reach its minimum compute capability. The first release that passes is chosen; every
newer one is listed with the reason it was not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from gpusetup.knowledge import (
    KnowledgeError,
    cuda_table,
    driver_at_least,
    find_tensorflow_build,
    parse_cc,
)
from gpusetup.wheels.archive import python_satisfies
from gpusetup.wheels.compat import Interpreter
from gpusetup.wheels.index import ReleaseFile


@dataclass(frozen=True)
class MachineGpus:
    """What the choice needs to know about the GPUs (from the facts)."""

    driver_version: str | None = None
    #: (label, compute capability) per GPU
    gpus: list[tuple[str, str]] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return bool(self.gpus) and self.driver_version is not None


@dataclass(frozen=True)
class Rejection:
    version: str
    reason: str


@dataclass(frozen=True)
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
    if not machine.usable:
        return None
    try:
        build = find_tensorflow_build(version)
    except KnowledgeError:
        return (
            "newer than gpusetup's TensorFlow table (checks/data/tensorflow.toml), so its "
            "CUDA and minimum compute capability are unknown"
        )
    major = build.cuda.split(".")[0]
    floor = cuda_table().major_floor_driver.get(major)
    if floor and not driver_at_least(machine.driver_version or "0", floor):
        return (
            f"built with CUDA {build.cuda}; driver {machine.driver_version} is below CUDA "
            f"{major}.x's minimum {floor}"
        )
    low = [
        f"{label} (compute capability {cc})"
        for label, cc in machine.gpus
        if parse_cc(cc) < parse_cc(build.min_compute_capability)
    ]
    if low:
        return f"needs compute capability {build.min_compute_capability}; " + ", ".join(low)
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
        problem = _machine_problem(text, machine)
        if problem:
            rejected.append(Rejection(text, problem))
            continue
        rank, chosen, tag = min(ranked, key=lambda item: item[0])
        reasons = [
            f"it is the newest release{f' matching {wanted}' if str(wanted) else ''} that "
            "fits this Python, platform and machine",
            f"{tag} is accepted by Python {interp.python_version} (rank {rank + 1})",
        ]
        extra = None
        if machine.usable:
            build = find_tensorflow_build(text)
            extra = "and-cuda" if version >= Version("2.14") else None
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
                    "the and-cuda extra installs the CUDA and cuDNN libraries as pip packages"
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
