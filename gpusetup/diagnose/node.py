"""What a validation profile demands of a node beyond a working setup: GPU count and
model, a minimum driver, a required framework build."""

from __future__ import annotations

import re

from gpusetup.diagnose import NVML_GPUS, Context, Verdict, check, shown
from gpusetup.findings import Finding
from gpusetup.knowledge import XID_LOG_COMMAND, driver_at_least


def _not_required(ctx: Context, v: Verdict, key: str) -> Finding:
    return v.skip(f"Not required by profile {ctx.profile.name} ({key}).")


@check("node.gpu-count", "The node has the expected number of GPUs")
def gpu_count(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: the number of GPUs NVML reports against the profile's gpu.expected_count.

    Why it matters: a node that lost a GPU (fallen off the bus, disabled after errors, not
    passed into the container) still runs jobs, slower or with the wrong parallelism.

    Fix: find the missing GPU (`nvidia-smi`, `lspci | grep -i nvidia`, `dmesg | grep -i
    xid`); reseat, reboot or replace it, or correct the profile.
    """
    want = ctx.profile.expected_count
    if not want:
        return [_not_required(ctx, v, "gpu.expected_count")]
    if skip := v.unless(ctx, shown("nvml.gpus")):
        return [skip]
    nvml = ctx.facts.nvml
    have = (nvml.device_count or 0) if nvml and nvml.init_error is None else 0
    if have == want:
        return [v.passed(f"{have} GPU(s), as expected")]
    return [
        v.fail(
            f"{have} GPU(s), expected {want}",
            evidence={"NVML": have, "PCI": len(ctx.pci_gpus), "expected": want},
            fix=f"nvidia-smi; lspci | grep -i nvidia; {XID_LOG_COMMAND}\n"
            "A GPU the PCI bus shows but NVML does not is lost to the driver: reboot, "
            "then reseat or replace it.",
        )
    ]


@check("node.gpu-model", "Every GPU is the expected model")
def gpu_model(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: every GPU's name against the profile's gpu.model_pattern (a regular expression).

    Why it matters: a scheduler that sends a job to the wrong kind of node wastes it, and
    mixed models in one node make data-parallel training run at the slowest GPU's pace.

    Fix: move the node to the right pool, or correct the profile.
    """
    pattern = ctx.profile.model_pattern
    if not pattern:
        return [_not_required(ctx, v, "gpu.model_pattern")]
    if skip := v.unless(ctx, shown("nvml.gpus"), NVML_GPUS):
        return [skip]
    wrong = [
        f"GPU {g.index}: {g.name}" for g in ctx.nvml_gpus if not re.search(pattern, g.name or "")
    ]
    if wrong:
        return [
            v.fail(
                f"{len(wrong)} GPU(s) do not match {pattern!r}",
                detail="; ".join(wrong),
                evidence={"pattern": pattern, "not matching": wrong},
                fix="Move the node to the pool for its GPUs, or correct gpu.model_pattern.",
            )
        ]
    return [v.passed(f"Every GPU matches {pattern!r}")]


@check("driver.minimum", "The driver is at least the profile's minimum")
def driver_minimum(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: the driver version against the profile's driver.min_version.

    Why it matters: a fleet standardises on a driver so every node runs the same CUDA
    features and fixes; an old driver on one node makes jobs fail only there.

    Fix: upgrade the driver on this node and reboot.
    """
    minimum = ctx.profile.min_driver
    if not minimum:
        return [_not_required(ctx, v, "driver.min_version")]
    nvml = ctx.facts.nvml
    driver = nvml.driver_version if nvml else None
    if not driver:
        return [v.skip("No driver version known (see driver.nvml).")]
    if driver_at_least(driver, minimum):
        return [v.passed(f"Driver {driver} >= {minimum}")]
    return [
        v.fail(
            f"Driver {driver} is older than {minimum}",
            fix=f"Upgrade the NVIDIA driver to {minimum} or newer and reboot.",
        )
    ]


@check("framework.installed", "The required framework is installed (as a GPU build)")
def framework_installed(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the framework the profile requires (framework.required) is installed in
    the Python environment gpusetup runs in, and is a GPU build when framework.gpu_build.

    Why it matters: a node that passes every hardware check but lacks the framework, or has
    its CPU-only build, runs the job on the CPU or fails it.

    Fix: install it: `gpusetup install tensorflow`.
    """
    if not ctx.profile.framework:
        return [_not_required(ctx, v, "framework.required")]
    if skip := v.unless(ctx, shown("libs.tensorflow")):
        return [skip]
    tf = ctx.facts.libs.tensorflow if ctx.facts.libs else None
    if tf is None:
        return [
            v.fail(
                "TensorFlow is not installed",
                fix="gpusetup install tensorflow",
            )
        ]
    if ctx.profile.framework_gpu_build and not tf.is_cuda_build:
        return [
            v.fail(
                f"{tf.distribution} {tf.version} is not a GPU build",
                fix=f"python -m pip uninstall -y {tf.distribution}\ngpusetup install tensorflow",
            )
        ]
    return [
        v.passed(
            f"{tf.distribution} {tf.version} is installed"
            + (" (GPU build)" if tf.is_cuda_build else ""),
        )
    ]
