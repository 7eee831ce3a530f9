"""The smoke inference judged: findings from a smoke run (one per device, plus whether
the framework uses the GPUs it should) and a profile's demands on it. The run itself
happens after the checks (``gpusetup.probe.smoke``); the two ids are declared here like
every other check, so ``gpusetup explain`` knows them."""

from __future__ import annotations

from collections.abc import Sequence

from gpusetup.diagnose import Context, check, verdict_of
from gpusetup.facts import SmokeDevice, SmokeRun
from gpusetup.findings import Finding, Status
from gpusetup.knowledge import INSTALL_HINT, SMOKE_ATOL, SMOKE_RTOL, XID_LOG_COMMAND, Profile


@check("smoke.inference", "The smoke inference runs on every device", runs_in_diagnose=False)
def smoke_inference(ctx: Context) -> list[Finding]:
    """
    What: a small fixed convolutional model (weights from a fixed seed, nothing
    downloaded) run in a child process on the CPU and on every GPU the framework
    registers; each device's output is compared with the CPU's (|delta| <= 1e-4 +
    1e-3 * max|y|, TF32 off), and the warm latency per batch of 16 is measured. Run by
    `gpusetup smoke` and as the doctor's last step.

    Why it matters: the checks before it read the driver, the libraries and the
    environment; this is the proof that the framework really computes on each GPU. It
    catches what only running finds: out-of-memory, illegal memory accesses, cuDNN
    failures, kernels missing for the GPU's architecture, wrong results, and devices that
    stop answering (each device has a deadline: --timeout, default 120 s).

    Fix: as the finding says for its kind: free the GPU's memory, check the kernel log for
    Xid errors and gpu.health, fix the cuDNN the libs checks name, use a framework built
    for the architecture. A skip says why it did not run (no framework: the install
    command; no GPU or a CPU-only build: see gpu.present, libs.tensorflow-build).
    """
    return []


@check("smoke.gpu-visible", "The framework uses every GPU it should", runs_in_diagnose=False)
def smoke_gpu_visible(ctx: Context) -> list[Finding]:
    """
    What: how many GPUs the framework registered in the smoke run, against how many it
    should use here: the GPUs CUDA shows under CUDA_VISIBLE_DEVICES, less those below
    the framework's minimum compute capability and those lost to the driver. The finding
    names the GPUs left out and why.

    Why it matters: TensorFlow falls back to the CPU without an error when it cannot use
    a GPU (a library it cannot load, a CPU-only build); a job then runs tens of times
    slower and nobody is told.

    Fix: `gpusetup libs` for a library TensorFlow could not load, libs.tensorflow-build
    for a CPU-only build, `gpusetup map` for which GPUs CUDA_VISIBLE_DEVICES hides or
    TensorFlow ignores.
    """
    return []


INFERENCE = verdict_of(smoke_inference)
GPU_VISIBLE = verdict_of(smoke_gpu_visible)


def smoke_not_run(reason: str) -> Finding:
    """The skip that says why the smoke inference did not run."""
    return INFERENCE.skip(reason, title="Smoke inference not run")


KIND_FIX = {
    "out-of-memory": "Free the GPU (nvidia-smi shows what holds its memory), or give the job a "
    "GPU of its own.",
    "illegal-address": "An illegal memory access is a driver, hardware or library fault: check "
    f"`{XID_LOG_COMMAND}`, update the driver, and reset the GPU.",
    "cudnn": "cuDNN failed: see `gpusetup libs` (libs.required, libs.cudnn) for the cuDNN that "
    "loads and the one TensorFlow needs.",
    "unsupported-architecture": "The framework was not built for this GPU's architecture: see "
    "gpu.compute-capability.",
    "mismatch": "Wrong results without an error: reset the GPU and run again; if it repeats, "
    "check gpu.health and replace the GPU.",
    "timeout": f"The device did not answer: check `{XID_LOG_COMMAND}` and gpu.health.",
}


def _label(dev: SmokeDevice) -> str:
    parts = [p for p in (dev.name, dev.pci_bus_id) if p]
    return dev.device + (f" ({', '.join(parts)})" if parts else "")


def smoke_findings(run: SmokeRun, expect_gpus: int, left_out: Sequence[str] = ()) -> list[Finding]:
    """``expect_gpus``: how many GPUs the framework should use (0 on a machine without);
    ``left_out``: the GPUs it should not, and why (named in the finding)."""
    if not run.available:
        return [smoke_not_run(f"{run.unavailable_reason}. Install it: {INSTALL_HINT[run.backend]}")]
    if run.error:
        return [
            INFERENCE.fail(
                f"The {run.backend} smoke run failed",
                detail=run.error,
                evidence={"stderr": run.stderr_tail},
                fix=f"Run `python -c 'import {run.backend}'` to see the error.",
            )
        ]
    findings = []
    for dev in run.devices:
        if dev.status == "pass":
            findings.append(
                INFERENCE.passed(
                    f"{_label(dev)}: {dev.latency_ms:.2f} ms per batch, "
                    f"{dev.throughput:,.0f} img/s",
                    detail=f"Output matches the CPU's (max difference {dev.max_abs_diff:.2g}).",
                    evidence={
                        "latency_ms": round(dev.latency_ms or 0, 3),
                        "images_per_second": round(dev.throughput or 0, 1),
                        "max_abs_diff": dev.max_abs_diff,
                        "tolerance": f"{SMOKE_ATOL} + {SMOKE_RTOL}*max|y|",
                    },
                    subject=dev.device,
                )
            )
        else:
            findings.append(
                INFERENCE.fail(
                    f"{_label(dev)}: "
                    + (
                        {"not-run": "not run (an earlier device hung)"}.get(dev.status)
                        or f"{dev.error_kind or 'error'}"
                    ),
                    detail=dev.error or "",
                    evidence={"kind": dev.error_kind, "status": dev.status},
                    fix=KIND_FIX.get(dev.error_kind or "", "See the error above."),
                    subject=dev.device,
                )
            )
    seen = len(run.gpus)
    not_counted = " Not counted: " + "; ".join(left_out) + "." if left_out else ""
    if expect_gpus and seen < expect_gpus:
        findings.append(
            GPU_VISIBLE.fail(
                f"{run.framework or run.backend} uses {seen} of {expect_gpus} usable GPU(s)",
                detail="The framework runs on the CPU for the rest; the library and GPU checks say "
                "why (a library it cannot load, a CPU-only build)." + not_counted,
                evidence={
                    "could not load": run.dlopen_failures,
                    "left out": list(left_out),
                    "stderr": run.stderr_tail,
                },
                fix="gpusetup libs   # and gpusetup map for which GPUs are hidden or ignored",
            )
        )
    elif expect_gpus:
        findings.append(
            GPU_VISIBLE.passed(
                f"{run.framework} uses all {seen} usable GPU(s)",
                detail=not_counted.strip(),
                evidence={"left out": list(left_out)} if left_out else {},
            )
        )
    return findings


def apply_smoke_policy(findings: list[Finding], profile: Profile) -> list[Finding]:
    """A profile can require the smoke inference (a skip fails) and bound its latency."""
    out = []
    for f in findings:
        if f.id == "smoke.inference" and f.status is Status.SKIP and profile.smoke_required:
            f = INFERENCE.fail(
                f"Smoke inference required by profile {profile.name} but not run",
                detail=f.detail,
                fix="Make the smoke inference possible: " + (f.detail or ""),
            )
        elif (
            f.id == "smoke.inference"
            and f.status is Status.PASS
            and profile.max_latency_ms
            and f.subject
            and not f.subject.upper().startswith("CPU")
            and (f.evidence.get("latency_ms") or 0) > profile.max_latency_ms
        ):
            f = INFERENCE.fail(
                f"{f.subject}: {f.evidence['latency_ms']} ms per batch is over the "
                f"profile's {profile.max_latency_ms:g} ms",
                detail=f.title,
                evidence=f.evidence,
                subject=f.subject,
                fix="A slow GPU: check clocks and throttling (nvidia-smi -q -d "
                "PERFORMANCE), power and thermal limits, and what else runs on it.",
            )
        out.append(f)
    return out
