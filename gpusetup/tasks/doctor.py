"""The doctor run as a library call: facts (probed or given) + profile -> Report."""

from __future__ import annotations

import platform

from gpusetup import version
from gpusetup.devices.map import UsableGpus
from gpusetup.facts import Facts
from gpusetup.findings import Finding, Report
from gpusetup.knowledge import Profile, load_profile


def tensorflow_minimum(facts: Facts, profile: Profile) -> str | None:
    """The compute capability TensorFlow needs here: the profile's, else the target's."""
    from gpusetup.diagnose import Context
    from gpusetup.knowledge import cuda_table

    tf = Context(facts=facts, profile=profile, cuda=cuda_table()).tensorflow
    return profile.min_compute_capability or (tf.min_compute_capability if tf else None)


def smoke_plan(facts: Facts, profile: Profile) -> UsableGpus | Finding:
    """Which GPUs the doctor's TensorFlow smoke run should see, or why it is skipped."""
    from gpusetup.devices.map import usable_gpus
    from gpusetup.diagnose import Context
    from gpusetup.findings import Finding, Status
    from gpusetup.knowledge import INSTALL_HINT, cuda_table

    ctx = Context(facts=facts, profile=profile, cuda=cuda_table())

    def skip(reason: str) -> Finding:
        return Finding("smoke.inference", Status.SKIP, "Smoke inference not run", detail=reason)

    if ctx.gpu_unknown:
        return skip("The NVIDIA driver did not answer (see driver.nvml).")
    if not ctx.has_gpu:
        return skip("No NVIDIA GPU (see gpu.present); `gpusetup smoke` runs the model on the CPU.")
    if not ctx.nvml_ok or facts.cuda is None or not facts.cuda.ok:
        return skip("The driver or CUDA does not work (see driver.nvml, cuda.init).")
    installed = facts.libs.tensorflow if facts.libs else None
    if installed is None:
        return skip(f"TensorFlow is not installed. Install it: {INSTALL_HINT['tensorflow']}")
    if not installed.is_cuda_build:
        return skip("The installed TensorFlow is CPU-only (see libs.tensorflow-build).")
    return usable_gpus(facts, tensorflow_minimum(facts, profile))


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
