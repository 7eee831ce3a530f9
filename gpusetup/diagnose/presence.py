"""Is there an NVIDIA GPU at all? NVML when it works, else the PCI bus."""

from __future__ import annotations

from gpusetup.diagnose import Context, Verdict, check, shown
from gpusetup.findings import Finding, Status

CONTAINER_HINT = (
    "In a container, start it with the GPUs passed in (NVIDIA Container Toolkit):\n"
    "  docker run --gpus all ...   (Kubernetes: request nvidia.com/gpu)"
)


@check("gpu.present", "NVIDIA GPU present", needs=(shown("gpus"),))
def gpu_present(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether this machine has an NVIDIA GPU, as NVML (the driver) or the PCI bus
    (/sys/bus/pci/devices, vendor 0x10de, display or 3D controller) sees it.

    Why it matters: every other GPU check needs one. NVML that works is authoritative
    (some sandboxes hide PCI devices from sysfs); the PCI view still finds a GPU when the
    driver is missing or broken, so a broken driver is not mistaken for a missing GPU.
    When NVML hangs (or its probe dies) and the PCI bus shows nothing, whether there is a
    GPU cannot be told: the check is skipped and driver.nvml carries the failure.

    Fix: use a machine with an NVIDIA GPU; in a container pass the GPUs in
    (`docker run --gpus all`, or request `nvidia.com/gpu` on Kubernetes); in a VM attach
    the GPU to the guest (PCI passthrough or a vGPU profile).
    """
    facts = ctx.facts
    nvml, pci = facts.nvml, facts.pci
    evidence: dict[str, object] = {}
    if pci is None:
        evidence["pci"] = (
            f"not read: {facts.failures['pci'].message}" if "pci" in facts.failures else "not read"
        )
    elif not pci.sysfs_present:
        evidence["pci"] = "/sys/bus/pci/devices does not exist here"
    else:
        evidence["pci"] = (
            ", ".join(f"{d.address} [{d.device_id}] driver={d.driver or 'none'}" for d in pci.gpus)
            or "no NVIDIA display or 3D controller (vendor 0x10de)"
        )
    if nvml is None:
        evidence["nvml"] = (
            f"not read: {facts.failures['nvml'].message}"
            if "nvml" in facts.failures
            else "not read"
        )
    elif nvml.init_error:
        evidence["nvml"] = f"{nvml.init_error.error_class}: {nvml.init_error.message}"
    else:
        evidence["nvml"] = f"{nvml.device_count} GPU(s)"

    if ctx.nvml_gpus:
        models = list(dict.fromkeys(g.name or "unknown" for g in ctx.nvml_gpus))
        count = nvml.device_count if nvml and nvml.device_count is not None else len(ctx.nvml_gpus)
        what = ", ".join(models) if len(models) <= 2 else f"{len(models)} models"
        evidence["models"] = models
        return [v.passed(f"{count} NVIDIA GPU(s): {what}", evidence=evidence)]
    if ctx.pci_gpus:
        return [
            v.passed(
                f"{len(ctx.pci_gpus)} NVIDIA GPU(s) on the PCI bus",
                detail="The driver does not report them yet; see driver.nvml.",
                evidence=evidence,
            )
        ]
    if devices := ctx.pasted_cuda_devices:
        models = list(dict.fromkeys(d.name or "unknown" for d in devices))
        return [
            v.passed(
                f"{len(devices)} NVIDIA GPU(s) as CUDA lists them: {', '.join(models[:2])}"
                + (f" and {len(models) - 2} more model(s)" if len(models) > 2 else ""),
                evidence={**evidence, "CUDA": [f"{d.ordinal}: {d.name}" for d in devices]},
            )
        ]
    from gpusetup.diagnose.driver import jetson

    if where := jetson(facts):
        return [
            v.passed(
                "A Jetson: its GPU is part of the SoC",
                detail=f"{where}. The integrated GPU is on no PCI bus, and its driver comes "
                "with L4T (JetPack).",
                evidence=evidence,
            )
        ]
    if ctx.gpu_unknown:
        return [
            v.finding(
                Status.SKIP,
                "Cannot tell whether there is an NVIDIA GPU: the driver did not answer",
                detail=f"{ctx.nvml_unanswered}, and the PCI bus shows no NVIDIA GPU here "
                "(a container or VM may hide it). See driver.nvml.",
                evidence=evidence,
            )
        ]
    if nvml is not None and nvml.init_error is None and nvml.device_count == 0:
        return [
            v.fail(
                "The NVIDIA driver works but sees no GPU",
                detail="NVML initialised and reports 0 devices: the GPUs are not visible to this "
                "system (a container without GPUs passed in, or a GPU that is not attached).",
                evidence=evidence,
                fix=CONTAINER_HINT,
            )
        ]
    return [
        v.fail(
            "This machine has no NVIDIA GPU",
            detail="Neither the PCI bus nor the NVIDIA driver shows an NVIDIA GPU, so TensorFlow "
            "can only run on the CPU here.",
            evidence=evidence,
            fix="Run on a machine with an NVIDIA GPU (on a cloud: a GPU instance type).\n"
            + CONTAINER_HINT
            + "\nIn a VM, attach the GPU to the guest (PCI passthrough or vGPU).",
        )
    ]
