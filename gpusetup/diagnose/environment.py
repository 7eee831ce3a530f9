"""Environment variables that change what CUDA sees or how it runs."""

from __future__ import annotations

from gpusetup.devices.visibility import mig_inventory, resolve_visible_devices
from gpusetup.diagnose import NVML_GPUS, Context, Verdict, check, shown
from gpusetup.findings import Finding, Status


@check(
    "env.cuda-visible-devices", "CUDA_VISIBLE_DEVICES leaves GPUs visible", needs=(shown("env"),)
)
def cuda_visible_devices(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether CUDA_VISIBLE_DEVICES, when set, names GPUs that exist.

    Why it matters: CUDA applies it silently. An empty value (or -1) hides every GPU;
    an entry that matches nothing (a typo in a UUID, an ordinal past the last GPU, a MIG
    device in the spelling of another driver generation: MIG-<uuid> from R470,
    MIG-GPU-<uuid>/<GPU instance>/<compute instance> before) hides itself and every entry
    after it, so TensorFlow sees fewer GPUs than intended, or
    none, and says only "no GPU". Ordinals count in CUDA's order, which is not
    nvidia-smi's unless CUDA_DEVICE_ORDER=PCI_BUS_ID; UUIDs avoid that trap.

    Fix: unset the variable, or list GPUs by UUID (`nvidia-smi -L` prints them).
    """
    env = ctx.facts.env
    if env is None:
        return [v.skip("The environment was not read.")]
    value = env.cuda_visible_devices
    if value is None:
        return [
            v.passed(
                "CUDA_VISIBLE_DEVICES is not set: CUDA sees every GPU",
            )
        ]
    list_fix = (
        "Unset it (unset CUDA_VISIBLE_DEVICES), or name GPUs by UUID, e.g.\n"
        "  export CUDA_VISIBLE_DEVICES=GPU-<uuid>   # nvidia-smi -L lists them\n"
        "(a MIG device by the name nvidia-smi -L gives it: MIG-<uuid> from driver R470)"
    )
    if not value.strip():
        return [
            v.fail(
                "CUDA_VISIBLE_DEVICES is empty: every GPU is hidden",
                detail="CUDA treats an empty list as 'no devices'; TensorFlow will run on the CPU.",
                evidence={"CUDA_VISIBLE_DEVICES": value},
                fix=list_fix,
            )
        ]
    if skip := v.unless(ctx, NVML_GPUS):
        return [skip]
    uuids = [g.uuid for g in ctx.nvml_gpus]
    driver = ctx.facts.nvml.driver_version if ctx.facts.nvml else None
    vis = resolve_visible_devices(value, uuids, mig_inventory(ctx.nvml_gpus), driver)
    evidence: dict[str, object] = {
        "CUDA_VISIBLE_DEVICES": value,
        "GPUs": len(uuids),
        "visible": len(vis.visible),
    }
    if vis.mig_entries:
        evidence["MIG instances"] = vis.mig_entries
    if vis.invalid_entry is not None:
        hidden = [vis.invalid_entry, *vis.ignored]
        status = Status.FAIL if not (vis.visible or vis.mig_entries) else Status.WARN
        return [
            v.finding(
                status,
                f"CUDA_VISIBLE_DEVICES entry {vis.invalid_entry!r} {vis.invalid_reason}",
                detail=f"CUDA ignores it and every entry after it ({', '.join(hidden)}); "
                f"{len(vis.visible) + len(vis.mig_entries)} device(s) stay visible.",
                evidence=evidence,
                fix=list_fix,
            )
        ]
    return [
        v.passed(
            f"CUDA_VISIBLE_DEVICES shows {len(vis.visible)} of {len(uuids)} GPU(s)"
            + (f" and {len(vis.mig_entries)} MIG device(s)" if vis.mig_entries else ""),
            evidence=evidence,
        )
    ]


@check(
    "env.cuda-debug-variables",
    "No CUDA debugging or profiling variables are set",
    needs=(shown("env"),),
)
def cuda_debug_variables(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether variables that attach debuggers or profilers to every CUDA program are
    set (NSIGHT_CUDA_DEBUGGER, CUDA_INJECTION32_PATH, CUDA_INJECTION64_PATH,
    CUDA_AUTO_BOOST, CUDA_ENABLE_COREDUMP_ON_EXCEPTION, CUDA_COREDUMP_FILE,
    CUDA_DEVICE_WAITS_ON_EXCEPTION, CUDA_PROFILE, COMPUTE_PROFILE, OPENCL_PROFILE), the
    list DCGM's deployment check uses.

    Why it matters: they slow every CUDA program down, make it wait or dump core on an
    exception, or inject a library into it: fine on a debugging desk, wrong on a node
    that runs real jobs.

    Fix: unset them in the shell profile or job environment that sets them.
    """
    env = ctx.facts.env
    if env is None:
        return [v.skip("The environment was not read.")]
    if not env.risky_variables:
        return [v.passed()]
    names = sorted(env.risky_variables)
    return [
        v.warn(
            f"CUDA debugging/profiling variable(s) set: {', '.join(names)}",
            detail="Every CUDA program started from this environment is slowed or altered.",
            evidence=dict(env.risky_variables),
            fix="unset " + " ".join(names),
        )
    ]
