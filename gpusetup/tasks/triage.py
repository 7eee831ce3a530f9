"""``gpusetup triage``: a log read by the pure engine (``gpusetup.logtriage``) and, for each
root cause, this machine's verdict from the checks that judge it, and whether the problem is
already fixed here.

Elsewhere mode (``--elsewhere``, or a log that clearly comes from another platform: native
Windows, macOS, Colab) probes nothing: the diagnosis and the fix stand on the log alone.
"""

from __future__ import annotations

from typing import Any

from gpusetup.findings import Finding, Status
from gpusetup.logtriage import Item, Triage, triage_chunks
from gpusetup.serde import record

#: the most of a log that is read (from a file or stdin); the rest is reported as not read
MAX_LOG_BYTES = 256 << 20

#: the checks that judge each family on this machine
CHECKS_FOR_FAMILY: dict[str, tuple[str, ...]] = {
    "library-missing": ("libs.required", "libs.readable", "libs.elf-class", "libs.search-path"),
    "cudnn-missing": ("libs.required", "libs.cudnn"),
    "cudnn-version": ("libs.cudnn", "libs.required"),
    "driver-missing": ("driver.nvml-stub", "driver.nvml", "gpu.present", "driver.nouveau"),
    "driver-too-old": ("driver.version",),
    "driver-mismatch": ("driver.nvml-stub", "driver.nvml"),
    "kernel-module": ("driver.nvml", "driver.nouveau", "gpu.present"),
    "compute-capability": ("gpu.compute-capability",),
    "cpu-only-build": ("libs.tensorflow-build",),
    "toolchain": ("cuda.toolchain",),
    "visibility": ("env.cuda-visible-devices", "cuda.init", "gpu.present"),
    "gpu-fault": ("gpu.health", "gpu.nvml-query"),
    "stub-library": ("driver.nvml-stub", "libs.search-path"),
    "permission": ("gpu.device-nodes", "driver.nvml"),
    "library-symlink": ("libs.symlinks",),
}
#: platforms a log can come from that this machine (Linux) cannot be
ELSEWHERE = {"windows": "native Windows", "macos": "macOS", "colab": "Google Colab"}


@record
class Verdict:
    """This machine's view of one root cause."""

    here: tuple[Finding, ...] = ()
    fixed_here: bool | None = None  # None: this machine cannot tell
    note: str = ""  # what this machine says beyond the checks (a wheel judged for this Python)


@record
class TriageReport:
    triage: Triage
    verdicts: tuple[Verdict | None, ...]  # one per item of triage.items (None: not judged)
    mode: str  # here | elsewhere
    why_elsewhere: str | None = None
    cut: str | None = None

    @property
    def still_broken(self) -> bool:
        return any(
            item.root_cause and (v is None or v.fixed_here is not True)
            for item, v in zip(self.triage.items, self.verdicts, strict=True)
        )


def triage_log(path: str, *, elsewhere: bool = False, profile: Any = None) -> TriageReport:
    """Read the log at ``path`` (a regular file, or ``-`` for stdin) and triage it; probe this
    machine for the root causes unless ``elsewhere`` or the log comes from another platform.

    Raises ``gpusetup.probe.inputs.InputError`` for an input that cannot be read."""
    from gpusetup.probe.inputs import InputChunks, describe_size

    chunks = InputChunks(path, MAX_LOG_BYTES, allow_stdin=True)
    result = triage_chunks(chunks)
    cut = None
    if chunks.cut:
        cut = (
            f"only the first {describe_size(MAX_LOG_BYTES)} of {chunks.shown} were read "
            f"({result.lines} lines); the rest was not looked at"
        )
    return _judge(result, elsewhere, profile, cut)


def triage_text(text: str, *, elsewhere: bool = False, profile: Any = None) -> TriageReport:
    """A pasted log (text) triaged as ``gpusetup triage`` does: root causes first, each with
    this machine's verdict on it (unless ``elsewhere``)."""
    data = text.encode("utf-8", "surrogateescape")
    cut = None
    if len(data) > MAX_LOG_BYTES:
        cut = f"only the first {MAX_LOG_BYTES} bytes were read"
    return _judge(triage_chunks([data[:MAX_LOG_BYTES]]), elsewhere, profile, cut)


def _judge(result: Triage, elsewhere: bool, profile: Any, cut: str | None) -> TriageReport:
    why = None
    platform = result.context.platform
    if elsewhere:
        why = "--elsewhere: this machine was not probed"
    elif platform is not None and platform.value in ELSEWHERE:
        why = (
            f"the log comes from {ELSEWHERE[platform.value]} (line {platform.line}: "
            f"{platform.evidence}), not from this machine: it was not probed"
        )
    roots = result.root_causes
    if why is not None or not roots:
        return TriageReport(
            result, tuple(None for _ in result.items), "elsewhere" if why else "here", why, cut
        )
    findings = _findings_here(roots, profile)
    verdicts = tuple(_verdict(item, findings) if item.root_cause else None for item in result.items)
    return TriageReport(result, verdicts, "here", None, cut)


def _findings_here(roots: tuple[Item, ...], profile: Any) -> list[Finding]:
    from gpusetup.diagnose import diagnose
    from gpusetup.knowledge import load_profile
    from gpusetup.probe import collect_facts

    sonames = []
    for item in roots:
        for key in ("soname", "dependency"):
            name = item.facts.get(key, "")
            if name.startswith("lib") and ".so" in name and name not in sonames:
                sonames.append(name)
    facts = collect_facts(extra_libraries=tuple(sonames))
    return diagnose(facts, profile or load_profile("default"), force_libraries=True)


def _verdict(item: Item, findings: list[Finding]) -> Verdict:
    ids = CHECKS_FOR_FAMILY.get(item.family, ())
    wanted = {v for k in ("soname", "dependency") if (v := item.facts.get(k))}
    here = []
    for f in findings:
        if f.id not in ids:
            continue
        # a per-library finding about this library (or the summary without a subject)
        if (
            f.id == "libs.required"
            and wanted
            and f.subject
            and not any(f.subject.startswith(w.split(".so")[0] + ".so") for w in wanted)
        ):
            continue
        here.append(f)
    judged = [f for f in here if f.status is not Status.SKIP]
    fixed = all(f.status is Status.PASS for f in judged) if judged else None
    note = ""
    if item.family == "wheel" and item.facts.get("wheel"):
        note, installable = _wheel_here(item.facts["wheel"])
        if installable is not None:
            fixed = installable
    return Verdict(tuple(here), fixed, note)


def _wheel_here(filename: str) -> tuple[str, bool | None]:
    """Whether this machine's Python could install the wheel the log names."""
    from gpusetup.probe.interpreter import describe_interpreter
    from gpusetup.wheels.archive import WheelError, WheelInfo, parse_filename
    from gpusetup.wheels.compat import judge

    try:
        name, version, build, tags = parse_filename(filename)
    except WheelError as exc:
        return str(exc), None
    info = WheelInfo("", filename, name, version, build, tags, tags, False, None)
    verdict = judge(info, describe_interpreter())
    if verdict.compatible:
        return f"this machine's Python can install {filename} ({verdict.reason})", True
    return f"this machine's Python cannot install it either: {verdict.reason}", False
