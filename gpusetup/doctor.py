"""The doctor run as a library call: facts (probed or given) + profile -> Report."""

from __future__ import annotations

import platform

from gpusetup import version
from gpusetup.facts import Facts
from gpusetup.findings import Report
from gpusetup.knowledge import Profile, load_profile


def run_doctor(facts: Facts | None = None, profile: Profile | str = "default") -> Report:
    from gpusetup.diagnose import diagnose

    if isinstance(profile, str):
        profile = load_profile(profile)
    if facts is None:
        from gpusetup.probe import collect_facts

        facts = collect_facts()
    return Report(
        tool={"name": "gpusetup", "version": version(), "python": platform.python_version()},
        profile=profile.name,
        facts=facts,
        findings=diagnose(facts, profile),
    )
