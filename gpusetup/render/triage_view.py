"""The console view of ``gpusetup triage``: each root cause with its diagnosis, its fix and
this machine's verdict, then the lines it explains and the benign lines."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.text import Text

from gpusetup.findings import Status
from gpusetup.render.console import LABEL, STYLE, outside_text


def render_triage(report: Any, console: Console) -> None:
    """``report``: a TriageReport (gpusetup.tasks.triage), after a note on stderr when the
    log was cut."""
    if report.cut:
        from gpusetup.render.text import say

        say(f"gpusetup: note: {report.cut}", err=True)
    result = report.triage
    roots = [(i, v) for i, v in zip(result.items, report.verdicts, strict=True) if i.root_cause]
    if not roots:
        if result.numbering is None:
            console.print(
                f"Nothing in the {result.lines} line(s) names a GPU, CUDA, driver, library or "
                "wheel problem. Run `gpusetup doctor` to check this machine."
            )
        _numbering(result.numbering, console)
        _benign(report, console)
        return
    head = f"{len(roots)} root cause(s) in {result.lines} line(s)"
    console.print(Text(head, style="bold"))
    if report.why_elsewhere:
        console.print(outside_text(report.why_elsewhere, style="dim"))
    for n, (item, verdict) in enumerate(roots, 1):
        times = f", {item.count} times" if item.count > 1 else ""
        console.print()
        console.print(
            outside_text(f"{n}. {item.family}: {item.id} (line {item.line}{times})", style="bold")
        )
        console.print(Padding(outside_text(item.diagnosis), (0, 0, 0, 3)))
        if item.fix:
            console.print(Padding(outside_text(f"fix: {item.fix}", "cyan"), (0, 0, 0, 3)))
        if verdict is not None:
            if verdict.fixed_here is True:
                console.print(
                    Padding(Text("already fixed on this machine", style="green"), (0, 0, 0, 3))
                )
            for f in verdict.here:
                if f.status in (Status.FAIL, Status.WARN):
                    line = f"here: {LABEL[f.status]} {f.id}: {f.title}"
                    console.print(Padding(outside_text(line, style=STYLE[f.status]), (0, 0, 0, 3)))
                    if f.fix:
                        console.print(
                            Padding(outside_text(f.fix, "cyan", keep_newlines=True), (0, 0, 0, 5))
                        )
            if verdict.note:
                console.print(Padding(outside_text(f"here: {verdict.note}"), (0, 0, 0, 3)))
            if verdict.fixed_here is None and not verdict.here and not verdict.note:
                console.print(
                    Padding(
                        Text("this machine cannot tell (no check here judges it)", style="dim"),
                        (0, 0, 0, 3),
                    )
                )
        source = item.source.get("upstream") or item.source.get("catalogue", "")
        if source:
            console.print(Padding(outside_text(f"source: {source}", style="dim"), (0, 0, 0, 3)))
    for item in result.items:
        if not item.root_cause and item.role != "benign" and item.family != "healthy":
            console.print(
                outside_text(
                    f"  consequence: {item.id} (line {item.line}) is explained by "
                    f"{', '.join(item.explained_by)}",
                    style="dim",
                )
            )
    _numbering(result.numbering, console)
    _benign(report, console)


def _numbering(numbering: Any, console: Console) -> None:
    """The GPU numbering the pasted listings show (gpusetup.devices.listings.GpuNumbering)."""
    if numbering is None:
        return
    from gpusetup.render.console import render_map

    console.print()
    console.print(Text("GPU numbers in the pasted listings", style="bold"))
    render_map(numbering.device_map, console, footer=False)
    for sentence in numbering.answer:
        console.print(Padding(outside_text(sentence), (0, 0, 0, 2)))
    if numbering.line:
        console.print(Padding(outside_text(numbering.line, "cyan"), (0, 0, 0, 2)))


def _benign(report: Any, console: Console) -> None:
    benign = [i for i in report.triage.items if i.role == "benign" or i.family == "healthy"]
    if benign:
        shown = ", ".join(f"{i.id} (line {i.line})" for i in benign[:6])
        more = f" and {len(benign) - 6} more" if len(benign) > 6 else ""
        console.print(outside_text(f"  not the problem: {shown}{more}", style="dim"))
