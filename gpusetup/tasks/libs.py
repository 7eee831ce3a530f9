"""The library search as a task: every library TensorFlow opens, found the way the
dynamic loader finds it, asked of the real loader too, and judged by the libs checks."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gpusetup.facts import LibraryFacts
from gpusetup.findings import Finding, Status
from gpusetup.serde import record
from gpusetup.tasks.errors import BadInput
from gpusetup.tasks.source import ProbeOptions, start_facts

if TYPE_CHECKING:
    from gpusetup.tasks.source import FactsSource


@record
class LibsResult:
    libs: LibraryFacts
    findings: list[Finding]

    @property
    def failed(self) -> bool:
        return any(f.status is Status.FAIL for f in self.findings)


def tensorflow_release(spec: str | None) -> str | None:
    """The release ``--for`` names (``tensorflow==2.21``, ``2.21``), checked against the
    table; BadInput for anything else."""
    from gpusetup.knowledge import KnowledgeError, find_tensorflow_build, split_requirement
    from gpusetup.knowledge import tensorflow_distribution as distribution

    if spec is None:
        return None
    name, version = split_requirement(spec)
    if version is None:
        name, version = "tensorflow", name
    if distribution(name) is None and name.lower() != "tf":
        raise BadInput(f"--for takes tensorflow==X.Y, not {spec!r}")
    try:
        find_tensorflow_build(version)
    except KnowledgeError as exc:
        raise BadInput(str(exc)) from exc
    return version


def libraries(spec: str | None = None, facts: FactsSource = None) -> LibsResult:
    """What ``gpusetup libs`` shows: the libraries of ``spec`` (default: the installed
    TensorFlow, else the newest for this Python) searched on this machine with the real
    loader asked too, or those of recorded ``facts``; judged by every libs check."""
    from gpusetup.diagnose import diagnose
    from gpusetup.knowledge import load_profile

    release = tensorflow_release(spec)
    pending = start_facts(facts, ProbeOptions(libs_for=release, ask_loader=True))
    found = pending.result()
    if found.libs is None and pending.pasted:
        raise BadInput(
            f"{pending.origin} shows no library listing for `libs` to judge (it reads "
            "ldconfig -p, ldconfig -v, ls -l of a library directory and cuDNN's header)"
        )
    if found.libs is None:
        failure = found.failures.get("libs")
        raise BadInput(f"the library probe failed: {failure.message if failure else 'no data'}")
    if found.failures.get("libs") is None and spec and found.libs.requirements == []:
        raise BadInput(f"nothing to check for {spec}")
    findings = diagnose(found, load_profile(), only_prefix="libs.", force_libraries=True)
    return LibsResult(found.libs, findings)


def library_facts(root: Path, spec: str | None) -> LibraryFacts:
    """The library probe alone, on the tree at ``root``, under its deadline."""
    import os
    import platform

    from gpusetup.probe import LIBRARY_PROBE_TIMEOUT_S
    from gpusetup.probe._deadline import DeadlineExceeded, call_with_deadline
    from gpusetup.probe.libraries import probe_libraries

    release = tensorflow_release(spec)
    try:
        return call_with_deadline(
            lambda: probe_libraries(root, os.environ, platform.python_version(), release),
            LIBRARY_PROBE_TIMEOUT_S,
            "the library probe",
        )
    except DeadlineExceeded as exc:
        raise BadInput(str(exc)) from exc
