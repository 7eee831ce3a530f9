"""Per-GPU checks: answers to NVML, compute capability, health, MIG, persistence, nodes."""

from __future__ import annotations

from gpusetup.diagnose import NVML_GPUS, Context, Verdict, check, gpu_label, shown
from gpusetup.facts import normalise_bus_id
from gpusetup.findings import Finding, Status
from gpusetup.knowledge import XID_LOG_COMMAND, newest_tensorflow_for_cc, parse_cc

XID_HINT = f"Check the kernel log for Xid errors: {XID_LOG_COMMAND}"


@check("gpu.nvml-query", "Every GPU answers the driver", needs=(shown("nvml.gpus"), NVML_GPUS))
def nvml_query(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether each GPU answered every NVML query gpusetup makes. NotSupported counts
    as an answer (many boards do not implement every counter), and so does
    FunctionNotFound (an older driver's libnvidia-ml lacks that entry point): both are
    listed, and the checks that needed the value say they could not tell.

    Why it matters: an error such as "GPU is lost" on one GPU means the driver lost
    contact with it (Xid 79, fallen off the bus); CUDA programs on that GPU will fail or
    hang, and the others may be affected.

    Fix: read the kernel log for Xid errors; a lost GPU needs a reboot, and a reseat or
    replacement if it happens again.
    """
    findings = []
    for gpu in ctx.nvml_gpus:
        if not gpu.errors:
            continue
        lost = any(e.error_class.endswith("GpuIsLost") for e in gpu.errors.values())
        calls = "; ".join(f"{call}: {e.message}" for call, e in gpu.errors.items())
        position = ctx.nvml_gpus.index(gpu)
        findings.append(
            v.fail(
                f"{gpu_label(gpu)} is lost to the driver"
                if lost
                else f"{gpu_label(gpu)} did not answer every query",
                detail=calls,
                evidence={call: f"{e.error_class} ({e.code})" for call, e in gpu.errors.items()}
                | ctx.read_from(f"nvml.gpus[{position}]"),
                fix=XID_HINT
                + (
                    "\nA lost GPU needs a reboot; if it happens again, reseat or replace it."
                    if lost
                    else ""
                ),
                subject=f"GPU {gpu.index}",
            )
        )
    if findings:
        return findings
    missing = sorted({q for g in ctx.nvml_gpus for q in g.not_in_driver})
    unsupported = {
        f"GPU {g.index}": ", ".join(g.not_supported) for g in ctx.nvml_gpus if g.not_supported
    }
    evidence: dict[str, object] = {}
    if missing:
        evidence["not in this driver's NVML"] = missing
    if unsupported:
        evidence["not supported by the GPU"] = unsupported
    return [
        v.passed(
            f"All {len(ctx.nvml_gpus)} GPU(s) answered"
            + (f"; this driver's NVML lacks {', '.join(missing)}" if missing else ""),
            detail="FunctionNotFound: the driver's libnvidia-ml predates these calls; the "
            "values they give are unknown here (a newer driver has them)."
            if missing
            else "",
            evidence=evidence,
        )
    ]


def _older_release_fix(ctx: Context, cc: tuple[int, int], cc_text: str, minimum: str) -> str:
    older = newest_tensorflow_for_cc(cc)
    fix = f"Use a GPU with compute capability {minimum} or higher"
    if older:
        fix += (
            f", or TensorFlow {older.version} (the newest release whose wheels include CC {cc_text}"
        )
        if ctx.runs_on_python(older) is False:
            fix += (
                f"; it ships wheels for Python {older.python}, so it needs another "
                f"Python than {ctx.python_shown}"
            )
        fix += ")"
    return fix + "."


def _ignored_by_tensorflow(ctx: Context, v: Verdict) -> list[Finding]:
    """TensorFlow's own verdict, where it ran (map, smoke, a pasted log): the GPUs it
    ignored, with the minimum it printed."""
    runtime = ctx.facts.tensorflow
    findings = []
    for position, gpu in enumerate(runtime.ignored if runtime else []):
        cc = parse_cc(gpu.compute_capability) if gpu.compute_capability else None
        findings.append(
            v.fail(
                f"CUDA device {gpu.cuda_ordinal} ({gpu.name}, {gpu.pci_bus_id}): TensorFlow "
                f"ignores it, compute capability {gpu.compute_capability} < {gpu.minimum}",
                detail="TensorFlow said so itself ('Ignoring visible gpu device'): it runs "
                "without this GPU.",
                evidence={
                    "compute capability": gpu.compute_capability,
                    "minimum": gpu.minimum,
                    "from": "TensorFlow",
                }
                | ctx.read_from(f"tensorflow.ignored[{position}]"),
                fix=_older_release_fix(ctx, cc, gpu.compute_capability, gpu.minimum)
                if cc and gpu.minimum
                else "Use a GPU with a higher compute capability.",
                subject=f"CUDA {gpu.cuda_ordinal}",
            )
        )
    return findings


@check(
    "gpu.compute-capability",
    "Each GPU's compute capability is high enough",
    needs=(shown("gpu.compute_capability"),),
)
def compute_capability(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: each GPU's CUDA compute capability (CC) against the minimum: the profile's
    gpu.min_compute_capability, else the lowest CC the TensorFlow target's release wheels
    are compiled for (read from each release wheel's build_info; checks/data/tensorflow.toml).
    Where TensorFlow ran (its log pasted, `map`), the GPUs it ignored for their CC fail
    too, with the minimum it printed.

    Why it matters: TensorFlow ignores a visible GPU below its minimum ("Ignoring visible
    gpu device ... The minimum required Cuda capability is 6.0") and runs on the CPU.

    Fix: use a newer GPU, an older TensorFlow release whose wheels still include the
    architecture, or build TensorFlow from source for it.
    """
    ignored = _ignored_by_tensorflow(ctx, v)
    cuda = ctx.facts.cuda
    pasted_cuda = ctx.facts.text is not None and cuda is not None
    # no GPU to judge: said before the target is looked up (it reads the release table)
    if not ctx.nvml_gpus and not pasted_cuda and (reason := NVML_GPUS.unmet(ctx)) is not None:
        return ignored or [v.skip(reason)]
    tf = ctx.target
    if ctx.profile.min_compute_capability:
        minimum, source = ctx.profile.min_compute_capability, f"profile {ctx.profile.name}"
    elif tf is not None:
        minimum, source = tf.min_compute_capability, ctx.target_words(tf)
        if "min_compute_capability" in tf.unverified:
            source += " (table value not yet verified)"
    elif ignored:
        return ignored
    else:
        reason = ctx.no_target_reason
        if ctx.facts.text is None:
            reason = (
                f"No TensorFlow target for Python {ctx.python_shown}; set "
                "gpu.min_compute_capability in a profile."
            )
        return [v.skip(reason)]
    # pasted CUDA listings without nvidia-smi: CUDA's devices are the GPUs to judge
    # a GPU TensorFlow itself ignored (its log) has that verdict already
    told = {
        normalise_bus_id(g.pci_bus_id) for g in (ctx.facts.tensorflow.ignored if ignored else [])
    }
    judged = [
        (gpu_label(g), f"GPU {g.index}", g.compute_capability, g.why_unanswered, f"nvml.gpus[{i}]")
        for i, g in enumerate(ctx.nvml_gpus)
        if not (g.pci_bus_id and normalise_bus_id(g.pci_bus_id) in told)
    ]
    if not ctx.nvml_gpus and pasted_cuda:
        judged = [
            (
                f"CUDA device {d.ordinal} ({d.name})",
                f"CUDA {d.ordinal}",
                d.compute_capability,
                None,
                f"cuda.devices[{i}]",
            )
            for i, d in enumerate(cuda.devices)
            if not (d.pci_bus_id and normalise_bus_id(d.pci_bus_id) in told)
        ]
    need = parse_cc(minimum)
    findings, ok, unknown = list(ignored), [], []
    # below the minimum of a target the text does not name: a warning, not a verdict
    below = v.warn if ctx.target_assumed and not ctx.profile.min_compute_capability else v.fail
    for label, subject, cc, why_unanswered, fact in judged:
        if cc is None:
            if ctx.facts.text is None:
                why = (
                    why_unanswered("nvmlDeviceGetCudaComputeCapability") if why_unanswered else None
                )
                unknown.append(label + (f" ({why})" if why else ""))
            continue
        cc_text = f"{cc[0]}.{cc[1]}"
        if tuple(cc) < need:
            findings.append(
                below(
                    f"{label}: compute capability {cc_text} is below {minimum}",
                    detail=f"{source} needs compute capability {minimum}; TensorFlow will ignore "
                    "this GPU.",
                    evidence={
                        "compute capability": cc_text,
                        "minimum": minimum,
                        "from": source,
                    }
                    | ctx.read_from(fact, f"{fact}.compute_capability"),
                    fix=_older_release_fix(ctx, tuple(cc), cc_text, minimum),
                    subject=subject,
                )
            )
        else:
            ok.append(f"{subject}: {cc_text}")
    if unknown:
        findings.append(
            v.warn(
                f"Compute capability unknown for {', '.join(unknown)}",
                detail="NVML did not report it (see gpu.nvml-query); TensorFlow may ignore "
                "these GPUs.",
            )
        )
    if not findings:
        findings.append(
            v.passed(
                f"All GPUs have compute capability {minimum} or higher",
                evidence={"minimum": minimum, "from": source, "GPUs": ok},
            )
        )
    return findings


#: each memory health counter and the NVML query that gives it
HEALTH_COUNTERS = {
    "retirement pending": "nvmlDeviceGetRetiredPagesPendingStatus",
    "retired pages": "nvmlDeviceGetRetiredPages",
    "row remapping": "nvmlDeviceGetRemappedRows",
    "volatile ECC": "nvmlDeviceGetTotalEccErrors",
    "infoROM": "nvmlDeviceValidateInforom",
}


#: each counter's field in NvmlGpu
_COUNTER_FIELDS = {
    "retirement pending": "retired_pages_pending",
    "retired pages": "retired_pages",
    "row remapping": "remapped_rows",
    "volatile ECC": "ecc_volatile_uncorrected",
    "infoROM": "inforom_valid",
}


def _unanswered_counters(gpu, from_text: bool = False) -> dict[str, str]:
    """Counter -> why this GPU gave no value for it (read from text: not shown there)."""
    out = {}
    for counter, query in HEALTH_COUNTERS.items():
        why = gpu.why_unanswered(query)
        if why is None and from_text and getattr(gpu, _COUNTER_FIELDS[counter]) is None:
            why = "not shown in the pasted text"
        if why:
            out[counter] = why
    return out


def _severity(level: str) -> Status | None:
    return {"warn": Status.WARN, "fail": Status.FAIL}.get(level)


@check("gpu.health", "GPU memory health (retired pages, row remapping, ECC, infoROM)")
def health(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: the memory health counters NVML reports, judged with DCGM's thresholds: a page
    retirement pending, 63 or more retired pages, a row remap pending or failed, an
    invalid infoROM (each a failure), and volatile uncorrectable ECC errors since the
    driver loaded (a warning by default).

    Why it matters: pending retirements and remaps only take effect after a GPU reset;
    until then jobs can hit the bad memory. Too many retired pages or a failed remap
    means the board needs replacing. A counter the GPU does not support, or that the
    driver's NVML cannot give (an older driver lacks the call), is named: clean means
    clean only for the counters read.

    Fix: drain the node and reset the GPU (`sudo nvidia-smi -r -i N`, with nothing
    running on it) or reboot; replace the board when the counters say so.
    """
    title = "GPU memory health"  # the findings' title, shorter than the check's
    for need in (shown("gpu.health"), NVML_GPUS):
        if (reason := need.unmet(ctx)) is not None:
            return [v.skip(reason, title=title)]
    profile = ctx.profile
    findings = []
    checked = 0
    for gpu in ctx.nvml_gpus:
        problems: list[tuple[Status, str, str]] = []
        known = any(
            counter is not None
            for counter in (
                gpu.retired_pages_pending,
                gpu.retired_pages,
                gpu.remapped_rows,
                gpu.ecc_volatile_uncorrected,
                gpu.inforom_valid,
            )
        )
        checked += known
        reset = f"Drain the node, then reset the GPU: sudo nvidia-smi -r -i {gpu.index} (or reboot)"
        if gpu.retired_pages_pending:
            problems.append((Status.FAIL, "page retirement pending", reset))
        if gpu.retired_pages is not None and gpu.retired_pages >= profile.max_retired_pages:
            problems.append(
                (
                    Status.FAIL,
                    f"{gpu.retired_pages} retired pages (limit {profile.max_retired_pages})",
                    "Replace the GPU (RMA).",
                )
            )
        rows = gpu.remapped_rows
        if rows and rows.pending:
            problems.append((Status.FAIL, "row remapping pending", reset))
        if rows and rows.failure:
            problems.append((Status.FAIL, "row remapping failed", "Replace the GPU (RMA)."))
        if gpu.inforom_valid is False:
            problems.append(
                (
                    Status.FAIL,
                    "infoROM is corrupted",
                    "Update or reflash the infoROM with the vendor's tools, or replace the GPU.",
                )
            )
        ecc_status = _severity(profile.volatile_uncorrectable_ecc)
        if gpu.ecc_volatile_uncorrected and ecc_status:
            problems.append(
                (
                    ecc_status,
                    f"{gpu.ecc_volatile_uncorrected} uncorrectable ECC "
                    "error(s) since the driver loaded",
                    XID_HINT,
                )
            )
        for status, what, fix in problems:
            findings.append(
                v.finding(
                    status,
                    f"{gpu_label(gpu)}: {what}",
                    evidence={
                        "retired pages": gpu.retired_pages,
                        "retirement pending": gpu.retired_pages_pending,
                        "remapped rows": rows
                        and {
                            "corrected": rows.corrected,
                            "uncorrected": rows.uncorrected,
                            "pending": rows.pending,
                            "failure": rows.failure,
                        },
                        "volatile uncorrectable ECC": gpu.ecc_volatile_uncorrected,
                        "infoROM valid": gpu.inforom_valid,
                    }
                    | ctx.read_from(f"nvml.gpus[{ctx.nvml_gpus.index(gpu)}]"),
                    fix=fix,
                    subject=f"GPU {gpu.index}",
                )
            )
    if findings:
        return findings
    gaps = {
        gpu_label(g): unanswered
        for g in ctx.nvml_gpus
        if (unanswered := _unanswered_counters(g, ctx.facts.text is not None))
    }
    by_reason: dict[str, set[str]] = {}
    for unanswered in gaps.values():
        for counter, why in unanswered.items():
            by_reason.setdefault(why, set()).add(counter)
    detail = "; ".join(
        f"{label}: " + ", ".join(f"{c} ({why})" for c, why in unanswered.items())
        for label, unanswered in gaps.items()
    )
    if not checked:
        return [
            v.skip(
                "No GPU gave a memory health counter: " + (detail or "none reported") + ".",
                title=title,
            )
        ]
    if not gaps:
        return [v.passed(f"Memory health counters are clean on {checked} GPU(s)")]
    not_given = "; ".join(
        f"{', '.join(sorted(counters))} ({why})" for why, counters in sorted(by_reason.items())
    )
    return [
        v.passed(
            f"No memory health problem in the counters read; not read: {not_given}",
            detail=f"Not read, so not judged: {detail}.",
            evidence={"not read": gaps},
            fix="A newer driver's NVML gives the missing counters."
            if "not in this driver's NVML" in by_reason
            else "",
        )
    ]


@check("gpu.mig-mode", "No MIG mode change is pending", needs=(shown("gpu.mig"), NVML_GPUS))
def mig_mode(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether a GPU's pending MIG (Multi-Instance GPU) mode differs from its current
    mode.

    Why it matters: `nvidia-smi -mig 1` only takes effect after a GPU reset; until then
    the GPU runs in the old mode and the partitioning the user expects is not there.

    Fix: reset the GPU (`sudo nvidia-smi -r -i N`, nothing running on it) or reboot.
    """
    capable = [g for g in ctx.nvml_gpus if g.mig_current is not None]
    if not capable:
        return [v.skip("No GPU here supports MIG.")]
    findings = [
        v.warn(
            f"{gpu_label(g)}: MIG mode change pending "
            f"({'on' if g.mig_current else 'off'} -> {'on' if g.mig_pending else 'off'})",
            detail="The new MIG mode takes effect only after a GPU reset.",
            evidence={"current": g.mig_current, "pending": g.mig_pending},
            fix=f"Drain the GPU, then: sudo nvidia-smi -r -i {g.index} (or reboot)",
            subject=f"GPU {g.index}",
        )
        for g in capable
        if g.mig_pending is not None and g.mig_pending != g.mig_current
    ]
    enabled = [f"GPU {g.index}" for g in capable if g.mig_current]
    return findings or [
        v.passed(
            evidence={"MIG enabled on": enabled or "none"},
        )
    ]


@check("gpu.persistence-mode", "Persistence mode is on")
def persistence_mode(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether the driver keeps each GPU initialised when no program uses it.

    Why it matters: with persistence off the driver tears the GPU down after the last
    client exits and sets it up again for the next one: every CUDA start (and every
    nvidia-smi call) pays seconds of initialisation, and settings such as clocks reset.

    Fix: run the persistence daemon (`sudo systemctl enable --now nvidia-persistenced`),
    or `sudo nvidia-smi -pm 1` until the next reboot. A profile can make this a failure
    or turn it off (checks.persistence_mode).
    """
    level = _severity(ctx.profile.persistence_mode)
    if level is None:
        return [v.skip(f"Turned off by profile {ctx.profile.name}.")]
    if skip := v.unless(ctx, shown("gpu.persistence"), NVML_GPUS):
        return [skip]
    off = [g for g in ctx.nvml_gpus if g.persistence_mode is False]
    if not off:
        return [v.passed()]
    return [
        v.finding(
            level,
            f"Persistence mode is off on {len(off)} GPU(s)",
            detail="Each CUDA start re-initialises these GPUs: "
            + ", ".join(gpu_label(g) for g in off),
            evidence={"off": [g.index for g in off]},
            fix="sudo systemctl enable --now nvidia-persistenced\n"
            "(or, until the next reboot: sudo nvidia-smi -pm 1)",
        )
    ]


@check(
    "gpu.device-nodes",
    "Every GPU has a usable /dev/nvidiaN node",
    needs=(shown("device_nodes"), NVML_GPUS),
)
def device_nodes(ctx: Context, v: Verdict) -> list[Finding]:
    """
    What: whether each GPU's device node /dev/nvidiaN (N = its minor number) exists and
    this user can read and write it.

    Why it matters: CUDA opens the node of every GPU it uses. A missing node (a
    container given too few devices, nodes not created after boot) or one without
    permission hides that GPU from CUDA even though nvidia-smi, run as root, shows it.

    Fix: create the nodes (`sudo nvidia-modprobe -c N`, or run nvidia-smi once as
    root), fix their mode (0666 by default), or pass every /dev/nvidia* into the
    container.
    """
    kernel = ctx.facts.kernel
    if kernel is None:
        return [v.skip("/dev could not be read.")]
    nodes = {n.path.rsplit("/", 1)[-1]: n for n in kernel.device_nodes}
    usable = [n for n in kernel.device_nodes if n.readable and n.writable]
    missing: list[str] = []
    denied: list[str] = []
    for gpu in ctx.nvml_gpus:
        if gpu.minor_number is None:
            continue
        name = f"nvidia{gpu.minor_number}"
        node = nodes.get(name)
        if node is None:
            missing.append(f"/dev/{name} (GPU {gpu.index})")
        elif not (node.readable and node.writable):
            denied.append(f"/dev/{name} (GPU {gpu.index})")
    count = len(ctx.nvml_gpus)
    evidence = {"GPUs": count, "usable nodes": [n.path for n in usable]}
    problems = ([f"missing: {', '.join(missing)}"] if missing else []) + (
        [f"not readable and writable by this user: {', '.join(denied)}"] if denied else []
    )
    if problems or len(usable) < count:
        return [
            v.warn(
                f"{len(usable)} usable /dev/nvidiaN node(s) for {count} GPU(s)",
                detail="; ".join(problems) or "Fewer usable nodes than GPUs.",
                evidence=evidence,
                fix="ls -l /dev/nvidia*   # nodes should exist, mode 0666\n"
                "sudo nvidia-modprobe -c <minor>   # creates /dev/nvidia<minor>\n"
                "In a container, pass every GPU's node (docker run --gpus all).",
            )
        ]
    return [
        v.passed(
            f"{len(usable)} usable node(s) for {count} GPU(s)",
            evidence=evidence,
        )
    ]
