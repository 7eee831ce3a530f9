"""The doctor as a task: facts (probed, given or recorded) judged under a profile, then
the smoke step, and the profile's policy on it -> the Report ``doctor --json`` prints."""

from __future__ import annotations

import platform
from dataclasses import replace
from typing import TYPE_CHECKING

from gpusetup import version
from gpusetup.knowledge import Profile, load_profile
from gpusetup.serde import record
from gpusetup.tasks.errors import BadInput
from gpusetup.tasks.source import ProbeOptions, start_facts

if TYPE_CHECKING:  # imported while the probes run (start-up time)
    from gpusetup.devices.map import UsableGpus
    from gpusetup.diagnose import Check
    from gpusetup.facts import Facts
    from gpusetup.findings import Finding, Report
    from gpusetup.tasks.smoke import SmokeEvents
    from gpusetup.tasks.source import FactsSource


@record
class DoctorRun:
    report: Report
    profile: Profile

    def exit_code(self, strict: bool = False) -> int:
        """The doctor's exit code: 0, 1 (a failure; strict or a strict profile: or a
        warning), 3 (a check crashed)."""
        return self.report.exit_code(strict or self.profile.strict)


def profile_named(profile: Profile | str) -> Profile:
    """A shipped profile by name, a profile file by path, or the Profile itself."""
    return load_profile(profile) if isinstance(profile, str) else profile


def smoke_plan(facts: Facts, profile: Profile) -> UsableGpus | Finding:
    """Which GPUs the doctor's TensorFlow smoke run should see, or why it is skipped."""
    from gpusetup.devices.map import usable_gpus
    from gpusetup.diagnose import Context, tensorflow_minimum
    from gpusetup.diagnose.smoke import smoke_not_run
    from gpusetup.knowledge import INSTALL_HINT, cuda_table

    ctx = Context(facts=facts, profile=profile, cuda_table=cuda_table())
    if ctx.gpu_unknown:
        return smoke_not_run("The NVIDIA driver did not answer (see driver.nvml).")
    if not ctx.has_gpu:
        return smoke_not_run(
            "No NVIDIA GPU (see gpu.present); `gpusetup smoke` runs the model on the CPU."
        )
    if not ctx.nvml_ok or facts.cuda is None or not facts.cuda.ok:
        return smoke_not_run("The driver or CUDA does not work (see driver.nvml, cuda.init).")
    installed = facts.libs.tensorflow if facts.libs else None
    if installed is None:
        return smoke_not_run(
            f"TensorFlow is not installed. Install it: {INSTALL_HINT['tensorflow']}"
        )
    if not installed.is_cuda_build:
        return smoke_not_run("The installed TensorFlow is CPU-only (see libs.tensorflow-build).")
    return usable_gpus(facts, tensorflow_minimum(facts, profile))


def diagnosis(facts: Facts, profile: Profile) -> Report:
    """The checks alone: ``facts`` judged under ``profile``."""
    from gpusetup.diagnose import diagnose
    from gpusetup.findings import Report

    return Report(
        tool={"name": "gpusetup", "version": version(), "python": platform.python_version()},
        profile=profile.name,
        facts=facts,
        findings=diagnose(facts, profile),
    )


def doctor(
    source: FactsSource = None,
    profile: Profile | str = "default",
    smoke: bool = True,
    on_smoke_event: SmokeEvents | None = None,
    probe: ProbeOptions | None = None,
) -> DoctorRun:
    """The doctor's whole run: facts (``source``: see ``tasks.source``; probing also looks
    for the profile's libraries), the checks, then the smoke step: run on this machine
    when its facts were probed here, a skip that says why otherwise."""
    chosen = profile_named(profile)
    options = replace(
        probe or ProbeOptions(),
        extra_libraries=(*(probe.extra_libraries if probe else ()), *chosen.required_libraries),
    )
    pending = start_facts(source, options)
    # the checks load while the probes run
    from gpusetup.diagnose import all_checks

    all_checks()
    if not smoke:
        return DoctorRun(diagnosis(pending.result(), chosen), chosen)
    # imported while the probes run
    from gpusetup.diagnose.smoke import apply_smoke_policy, smoke_not_run
    from gpusetup.findings import Finding, bug_finding

    report = diagnosis(pending.result(), chosen)
    try:
        plan = smoke_plan(report.facts, chosen)
        if report.facts.text is not None:
            # what a paste lacks (TensorFlow, CUDA) is unknown, not missing: no other reason
            findings = [
                smoke_not_run(
                    f"Facts read from {pending.origin}; the smoke inference runs on the "
                    "machine itself."
                )
            ]
        elif isinstance(plan, Finding):
            findings = [plan]
        elif not pending.probed:
            # recorded facts: the same verdict as on the machine, except that nothing runs
            findings = [
                smoke_not_run(
                    f"Facts replayed from {pending.origin}; the smoke inference runs on the "
                    "machine itself."
                )
            ]
        else:
            from gpusetup.tasks.smoke import smoke as run_smoke

            findings = run_smoke("tensorflow", 120.0, plan, on_smoke_event).findings
        findings = apply_smoke_policy(findings, chosen)
    except Exception as exc:  # noqa: BLE001 - like a crashed check: reported, exit 3
        findings = [bug_finding("smoke.inference", "The smoke inference step", exc)]
    return DoctorRun(replace(report, findings=report.findings + findings), chosen)


def run_doctor(
    facts: FactsSource = None, profile: Profile | str = "default", smoke: bool = True
) -> Report:
    """The Report ``gpusetup doctor --json`` prints: ``facts`` probed on this machine
    (None), given as Facts, or read from a recorded facts file or report; judged under
    ``profile`` (a shipped name, a .toml path, or a Profile); with the smoke inference at
    the end when ``smoke`` (it runs only on facts probed here)."""
    return doctor(facts, profile, smoke).report


def find_check(check_id: str) -> Check:
    """The check ``check_id``; BadInput naming the closest ids when there is none."""
    import difflib

    from gpusetup.diagnose import all_checks

    checks = all_checks()
    chk = checks.get(check_id)
    if chk is None:
        close = difflib.get_close_matches(check_id, list(checks), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else " `gpusetup explain` lists them."
        raise BadInput(f"no check named {check_id!r}.{hint}")
    return chk
