"""Plans shown before anything changes, as lines of text: the ldconfig fix and the
user-environment hook (the files they write, line by line), the TensorFlow install plan
and a local wheel's refusal. Every value from outside is escaped (``printable``); a line
is (text, goes to standard error)."""

from __future__ import annotations

import shlex
from typing import Any

from gpusetup.render.text import printable

Lines = list[tuple[str, bool]]


def refusal_lines(refused: Any) -> Lines:
    """``refused``: the Refusal list of an ldconfig plan or a hook plan."""
    return [(f"refused {printable(r.directory)}: {printable(r.reason)}", True) for r in refused]


def planned_file_lines(files: Any) -> Lines:
    """Each file a fix writes: where it lies (and the links that lead there), and the
    text it puts there."""
    lines: Lines = []
    for planned in files:
        via = "".join(
            f" (through the link {printable(link)} -> {printable(target)})"
            for link, target in planned.links
        )
        for what, text in planned.shown:
            lines.append((f"  {printable(planned.host)}{via} {what}:", False))
            lines.extend((f"    {printable(line)}", False) for line in text.splitlines())
    return lines


def ldconfig_plan_lines(plan: Any) -> Lines:
    """An LdconfigPlan (gpusetup.fix.ldconfig): refusals, what is configured already, and
    what will be added (empty when nothing is)."""
    lines = refusal_lines(plan.refused)
    lines += [
        (f"already configured: {printable(d)} ({printable(where)})", False)
        for d, where in plan.already.items()
    ]
    if not plan.add:
        return lines
    added = ", ".join(printable(d) for d in plan.add)
    lines.append(
        (
            f"Plan: add {added} to {printable(plan.conf_file)}, "
            f"then run `{printable(shlex.join(plan.ldconfig))}`.",
            False,
        )
    )
    return lines + planned_file_lines(plan.files)


def hook_plan_lines(hook: Any) -> Lines:
    """A HookPlan (gpusetup.fix.ldconfig): refusals, then the activation hook it writes."""
    lines = refusal_lines(hook.refused)
    if not hook.files:
        return lines
    shown = ":".join(printable(d) for d in hook.directories)
    lines.append(
        (
            f"Plan ({hook.kind} environment): put {shown} first on LD_LIBRARY_PATH on activation",
            False,
        )
    )
    lines += planned_file_lines(hook.files)
    return lines + [(f"Note: {note}", False) for note in hook.notes]


def fix_plan_lines(fix: Any) -> Lines:
    """An LdconfigFix (gpusetup.tasks.fix) before anything is written: the directories
    proposed, the plan, and what happens next (nothing, --apply, or root needed)."""
    from gpusetup.fix import ldconfig

    target, plan = fix.target, fix.plan
    if plan is None:
        return [
            (
                "Nothing to add: no required library was found off the loader's path "
                "(`gpusetup libs` shows what is missing).",
                False,
            )
        ]
    lines: Lines = []
    if target.proposed:
        shown = ", ".join(printable(d) for d in target.directories)
        lines.append(
            (f"Directories holding required libraries off the loader's path: {shown}", False)
        )
    lines += hook_plan_lines(plan) if fix.user_env else ldconfig_plan_lines(plan)
    if not fix.changes:
        return lines + [("Nothing to change.", False)]
    if not fix.user_env:
        lines.append((ldconfig.WHY_NOT_LDCONFIG_DIR, False))
    if not fix.apply:
        what = "write it" if fix.user_env else "make the change"
        return lines + [(f"Run again with --apply to {what}.", False)]
    if fix.needs_root:
        lines.append(
            ("This needs root. Run:\n  " + ldconfig.sudo_command(plan.add, target.root), True)
        )
        if str(target.root) == "/":
            alternative = ldconfig.user_env_command(plan.add)
            lines.append(
                ("Or, without root, for the active environment only:\n  " + alternative, True)
            )
    return lines


def applied_fix_lines(fix: Any, applied: Any) -> Lines:
    """What was done (an AppliedFix of gpusetup.tasks.fix); the libraries follow."""
    if fix.user_env:
        return [("Done. Re-activate the environment for it to take effect.", False)]
    lines: Lines = [(printable(applied.output), False)] if applied.output else []
    written = " and ".join(printable(f.host) for f in fix.plan.files)
    ran = printable(shlex.join(fix.plan.ldconfig))
    return lines + [(f"Wrote {written} and ran `{ran}`. Now:", False)]


def install_plan_lines(plan: Any) -> Lines:
    """An InstallPlan (gpusetup.tasks.install): index notes, the file chosen and why, the
    pip command, and the newer releases passed over with the reason."""
    lines: Lines = [(printable(f"note: {note}"), True) for note in plan.notes[:5]]
    if len(plan.notes) > 5:
        more = len(plan.notes) - 5
        lines.append((f"note: ... and {more} more index entries skipped", True))
    choice = plan.choice
    chosen = choice.file
    if chosen is None:
        lines.append(("No TensorFlow release fits this machine.", False))
    else:
        size = f"{chosen.size / 2**20:.0f} MiB" if chosen.size else "size unknown"
        lines.append(
            (printable(f"Plan: TensorFlow {chosen.version}: {chosen.filename} ({size})"), False)
        )
        lines += [(printable(f"  because {reason}"), False) for reason in choice.reasons]
        pip = shlex.join([plan.target_python, "-m", "pip", "install", plan.requirement])
        lines.append((printable(f"  then: {pip}"), False))
    lines += [(printable(f"  not {r.version}: {r.reason}"), False) for r in choice.rejected[:12]]
    if len(choice.rejected) > 12:
        lines.append((f"  ... and {len(choice.rejected) - 12} older releases", False))
    return lines


def local_wheel_lines(wheel: Any, dry_run: bool) -> Lines:
    """A LocalWheel (gpusetup.tasks.install): refused with the mismatch, or the verdict and
    (``dry_run``) the pip command."""
    info, verdict = wheel.info, wheel.verdict
    if not verdict.compatible:
        lines: Lines = [
            (
                printable(
                    f"gpusetup: refusing {info.filename}: not installable by Python "
                    f"{wheel.python.python_version}: {verdict.mismatch} mismatch: "
                    f"{verdict.reason}"
                ),
                True,
            )
        ]
        if verdict.needed_tag:
            lines.append((printable(f"  it would need a wheel tagged {verdict.needed_tag}"), True))
        return lines
    lines = [(printable(f"{info.filename}: {verdict.reason}"), False)]
    if dry_run:
        pip = shlex.join([wheel.target_python, "-m", "pip", "install", wheel.requirement])
        lines.append((printable(f"would run: {pip}"), False))
    return lines


def wheel_lines(info: Any, interp: Any, verdict: Any) -> Lines:
    """``wheel inspect``: a WheelInfo, the Interpreter it is judged for and the Verdict."""
    lines = [
        info.filename,
        f"  name {info.name}, version {info.version}"
        + (f", build {info.build}" if info.build else ""),
        f"  tags: {', '.join(info.tags)}",
        f"  Requires-Python: {info.requires_python or '(any)'}",
    ]
    lines += [f"  Requires-Dist: {req}" for req in info.requires_dist[:20]]
    if info.is_pure:
        kind = "pure Python"
    elif info.extensions:
        kind = "abi3 extensions" if info.is_abi3 else "CPython-specific extensions"
    else:
        kind = "native programs or libraries (no extension modules)"
    lines.append(f"  contents: {kind}; RECORD lists every member with a matching hash")
    lines += [f"    {ext.path} (ABI {ext.abi or 'untagged'})" for ext in info.extensions[:10]]
    lines += [f"    {binary} (native code)" for binary in info.binaries[:5]]
    lines += [f"  note: {note}" for note in info.notes]
    who = f"Python {interp.python_version} ({interp.executable})"
    if verdict.compatible:
        lines.append(f"OK: installable by {who}: {verdict.reason}")
    else:
        lines.append(f"NOT installable by {who}: {verdict.mismatch} mismatch: {verdict.reason}")
        if verdict.needed_tag:
            lines.append(f"  it would need a wheel tagged {verdict.needed_tag}")
    return [(printable(line), False) for line in lines]


def fleet_lines(summary: Any, text: bool = True) -> Lines:
    """``fleet merge``: a FleetSummary (gpusetup.tasks.fleet): the files skipped and why,
    then (``text``) the summary. Node names, check ids, models and versions all come from
    the files: print them escaped (``render.text.say_lines``)."""
    warnings = [(f"warning: skipped {path}: {why}", True) for path, why in summary.skipped.items()]
    if not text:
        return warnings
    lines = [f"{summary.nodes} node(s), {len(summary.failing_nodes)} failing"]
    for check_id, nodes in summary.failures.items():
        shown = ", ".join(nodes[:8]) + (f" (+{len(nodes) - 8} more)" if len(nodes) > 8 else "")
        lines.append(f"  FAIL {check_id} on {len(nodes)} node(s): {shown}")
    if summary.gpu_models:
        models = ", ".join(f"{n} x {m}" for m, n in summary.gpu_models.items())
        lines.append(f"GPU models: {models}")
    if summary.drivers:
        drivers = ", ".join(f"{v} ({n} nodes)" for v, n in summary.drivers.items())
        lines.append(f"drivers: {drivers}")
    return warnings + [(line, False) for line in lines]


def retag_lines(result: Any) -> Lines:
    """A RetagResult (gpusetup.wheels.retag): warnings, the file written, the tags."""
    lines: Lines = [(f"warning: {printable(w)}", True) for w in result.warnings]
    tags = f"{', '.join(result.old_tags)} -> {', '.join(result.new_tags)}"
    return lines + [
        (f"wrote {printable(result.output)}", False),
        (printable(f"  tags {tags}; WHEEL and RECORD rewritten and verified"), False),
    ]


def installed_lines(what: str, then: str = "") -> Lines:
    return [(printable(f"installed {what}") + then, False)]
