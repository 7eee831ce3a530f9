"""The human view: a summary line, a table of findings, then the fixes. Fits 80 columns.

Text that came from outside (facts files, hostnames, GPU names, paths, log lines) goes
through ``outside_text``: control and format characters are shown escaped, and nothing is read
as Rich markup, so a crafted name cannot drive the terminal or break the table.
"""

from __future__ import annotations

import json
import os
from typing import IO, Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

from gpusetup.devices.map import DeviceMap, nvml_faults
from gpusetup.facts import Facts
from gpusetup.findings import Finding, Report, Status
from gpusetup.render.text import printable

STYLE = {Status.PASS: "green", Status.WARN: "yellow", Status.FAIL: "bold red", Status.SKIP: "dim"}
LABEL = {Status.PASS: "pass", Status.WARN: "WARN", Status.FAIL: "FAIL", Status.SKIP: "skip"}


#: narrower than this, the tables cannot show a check id beside its finding
MIN_WIDTH = 40


def console_width(environ: dict[str, str] | os._Environ[str] = os.environ) -> int | None:
    """The width to use, or None to let Rich ask the terminal (80 when piped).

    ``COLUMNS`` is honoured when it is a usable width; ``0`` or junk means unknown, and a
    width below MIN_WIDTH is raised to it (Rich would print nothing at 0).
    """
    raw = environ.get("COLUMNS", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) == 0:
        return 80
    return max(int(raw), MIN_WIDTH)


def make_console(stderr: bool = False, file: IO[str] | None = None) -> Console:
    """The console for a view: the terminal, or ``file`` (then 80 columns, no colour)."""
    if file is not None:
        return Console(file=file, width=80, color_system=None, highlight=False, soft_wrap=False)
    # Rich honours NO_COLOR and TERM=dumb itself; piped output is 80 columns wide
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=console_width())


def outside_text(value: object, style: str = "", keep_newlines: bool = False) -> Text:
    """Outside text as a Rich Text: escaped, never parsed as markup."""
    return Text(printable(str(value), keep_newlines), style=style)


def separator(console: Console) -> str:
    """The dot between heading items, or a plain dash where the output cannot encode it."""
    try:
        "\u00b7".encode(console.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "-"
    return "\u00b7"


def summary_line(report: Report) -> Text:
    s = report.summary
    text = Text()
    verdict = (
        ("FAILED", "bold red")
        if s["fail"]
        else (("PASSED with warnings", "yellow") if s["warn"] else ("PASSED", "bold green"))
    )
    text.append(verdict[0], style=verdict[1])
    text.append(
        f"  {s['fail']} failed, {s['warn']} warnings, {s['pass']} passed, {s['skip']} skipped"
    )
    return text


def _heading(report: Report, dot: str = "\u00b7") -> Text:
    host = report.facts.host
    where = f"{host.hostname} {dot} Python {host.python_version} {dot} " if host else ""
    return outside_text(
        f"gpusetup {report.tool.get('version', '')} {dot} {where}profile {report.profile}",
        style="bold",
    )


def _evidence_text(finding: Finding) -> Text:
    lines = Text(style="dim")
    for key, value in finding.evidence.items():
        if not isinstance(value, str):
            value = json.dumps(value)
        lines.append(printable(f"\n    {key}: {value}", keep_newlines=True))
    return lines


def _read_from(report: Report) -> Text | None:
    """Facts read from pasted text, not probed: say so, and from where."""
    text = report.facts.text
    if text is None or not text.sources:
        return None
    where = ", ".join(source.where for source in text.sources)
    return outside_text(f"read from pasted text, not probed: {where}", style="dim")


def render_report(report: Report, console: Console, verbose: bool = False) -> None:
    console.print(_heading(report, separator(console)))
    read_from = _read_from(report)
    if read_from is not None:
        console.print(read_from)
    console.print(summary_line(report))
    render_findings(report.findings, console, verbose)


class FindingsTable:
    """The findings' three columns (status, check, finding) laid out as Rich's ``Table(box=None,
    header_style="bold", pad_edge=False, padding=(0, 1))`` lays them out, with its widths,
    wrapping and segments, but without ``rich.table``: importing it (``fractions``,
    ``decimal``) and measuring every cell through it cost more than the rest of the view.
    tests/test_console_view.py compares the two byte for byte.
    """

    #: per column: header, fixed width, widest, padding (right, left), no_wrap, overflow
    COLUMNS = (
        ("", 4, None, (1, 0), True, "ellipsis"),
        ("check", None, 26, (1, 1), True, "fold"),
        ("finding", None, None, (0, 1), False, "ellipsis"),
    )

    def __init__(self) -> None:
        self.rows: list[tuple[Text, Text, Text]] = []

    def add_row(self, status: Text, check: Text, finding: Text) -> None:
        self.rows.append((status, check, finding))

    def _measure(self, index: int, max_width: int) -> int:
        """The widest the column wants within ``max_width`` (Rich's ``_measure_column``)."""
        if max_width < 1:
            return 0
        _, fixed, widest, (right, left), _, _ = self.COLUMNS[index]
        pad = right + left
        if fixed is not None:
            return min(fixed + pad, max_width)
        cells = [Text(self.COLUMNS[index][0])] + [row[index] for row in self.rows]
        measured = 0
        for cell in cells:
            lines = cell.plain.splitlines()
            text = min(max(map(cell_len, lines)) if lines else 0, max_width)
            measured = max(
                measured, max_width if max_width - pad < 1 else min(text + pad, max_width)
            )
        measured = min(measured, max_width)
        return measured if widest is None else min(measured, widest + pad)

    def widths(self, max_width: int) -> list[int]:
        """Rich's ``_calculate_column_widths`` for these columns (not expanded): only the
        finding column wraps, so only it gives way; then every column evenly."""
        widths = [self._measure(i, max_width) or 1 for i in range(3)]
        if sum(widths) <= max_width:
            return widths
        widths[2] -= min(sum(widths) - max_width, widths[2])
        if sum(widths) > max_width:
            widths = _reduce_evenly(sum(widths) - max_width, widths)
        return [self._measure(i, width) for i, width in enumerate(widths)]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        widths = self.widths(options.max_width)
        options = options.update(width=sum(widths), highlight=False, height=None)
        bold = console.get_style("bold")
        plain = Style.null()
        header = tuple(Text(column[0]) for column in self.COLUMNS)
        for number, row in enumerate([header, *self.rows]):
            style = bold if number == 0 else plain
            cells = []
            for width, cell, (_, _, _, (right, left), no_wrap, overflow) in zip(
                widths, row, self.COLUMNS, strict=True
            ):
                cell_options = options.update(
                    width=width, justify="left", no_wrap=no_wrap, overflow=overflow, height=None
                )
                cells.append(
                    console.render_lines(
                        Padding(cell, (0, right, 0, left)), cell_options, style=style
                    )
                )
            height = max(len(lines) for lines in cells)
            align = Segment.align_bottom if number == 0 else Segment.align_top
            # a row is one line at least, even where no column has room for anything
            shaped = [
                Segment.set_shape(align(lines, width, height, style), width, max(height, 1))
                for width, lines in zip(widths, cells, strict=True)
            ]
            for line in range(max(height, 1)):
                for lines in shaped:
                    yield from lines[line]
                yield Segment.line()


def _reduce_evenly(excess: int, widths: list[int]) -> list[int]:
    """Rich's ``ratio_reduce(excess, [1] * n, widths, widths)``: the last resort when even
    the wrapping column cannot make the table fit."""
    ratios = [1 if width else 0 for width in widths]
    total_ratio = sum(ratios)
    remaining = excess
    reduced = []
    for ratio, width in zip(ratios, widths, strict=True):
        if ratio and total_ratio > 0:
            distributed = min(width, round(ratio * remaining / total_ratio))
            reduced.append(width - distributed)
            remaining -= distributed
            total_ratio -= ratio
        else:
            reduced.append(width)
    return reduced


def render_findings(findings: list[Finding], console: Console, verbose: bool = False) -> None:
    """The findings table (skips folded into one line per reason), then the fixes."""
    table = FindingsTable()
    skipped: dict[str, list[str]] = {}
    for f in findings:
        if f.status is Status.SKIP and not verbose:
            skipped.setdefault(f.detail or "no reason given", []).append(f.id)
            continue
        what = outside_text(f.title, style="dim" if f.status is Status.SKIP else "")
        if f.status is Status.SKIP and f.detail:
            what.append(printable(f" ({f.detail})"), style="dim")
        if verbose:
            if f.detail and f.status is not Status.SKIP:
                what.append(printable("\n" + f.detail, keep_newlines=True))
            what.append_text(_evidence_text(f))
        table.add_row(Text(LABEL[f.status], style=STYLE[f.status]), outside_text(f.id), what)
    console.print(table)
    for reason, ids in skipped.items():
        console.print(
            Padding(outside_text(f"skipped {', '.join(ids)}: {reason}", style="dim"), (0, 0, 0, 6))
        )
    # findings that share a fix (one per missing library, say) are listed under it once
    groups: dict[tuple[str, Status, str], list[Finding]] = {}
    for f in findings:
        if f.fix and f.status in (Status.FAIL, Status.WARN):
            groups.setdefault((f.id, f.status, f.fix), []).append(f)
    if groups:
        console.print()
        console.print(Text("How to fix", style="bold"))
        for (check_id, status, fix), members in groups.items():
            parts: list = []
            for f in members:
                head = Text()
                head.append(LABEL[status], style=STYLE[status])
                head.append(printable(f" {check_id}: {f.title}"))
                parts.append(head)
            if len(members) == 1 and members[0].detail and not verbose:
                parts.append(
                    Padding(outside_text(members[0].detail, keep_newlines=True), (0, 0, 0, 5))
                )
            parts.append(Padding(outside_text(fix, style="cyan", keep_newlines=True), (0, 0, 0, 5)))
            console.print(Group(*parts))
    console.print(Text("Details of a check: gpusetup explain <check>", style="dim"))


def render_smoke(result: Any, console: Console) -> None:
    """A SmokeResult's findings (gpusetup.tasks.smoke; the run itself is in the JSON)."""
    render_findings(result.findings, console)


def render_select(smi_index: int, line: str, console: Console) -> None:
    """``map --select``: the line alone, escaped (a UUID from a file could carry anything)."""
    from gpusetup.render.text import say

    say(line)


def render_map(dmap: DeviceMap, console: Console, footer: bool = True) -> None:
    from rich.table import Table

    tf_head = "TF device" if dmap.tf_source == "tensorflow" else "TF (pred.)"
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    smoke = any(row.smoke for row in dmap.rows)
    cuda_head = "CUDA (pred.)" if dmap.cuda_source == "predicted" else "CUDA"
    for col in ("smi", "bus id", cuda_head, tf_head, "name", "CC") + (("smoke",) if smoke else ()):
        table.add_column(col, overflow="fold")
    for row in dmap.rows:
        cells = [
            "-" if row.smi_index is None else str(row.smi_index),
            row.pci_bus_id or "?",
            "-" if row.cuda_ordinal is None else str(row.cuda_ordinal),
            row.tf_device or "-",
            "LOST: " + (row.name or "?") if row.lost else (row.name or "?"),
            row.compute_capability or "?",
        ]
        table.add_row(
            *(outside_text(c) for c in cells), *((outside_text(row.smoke or "-"),) if smoke else ())
        )
    console.print(table)
    uuids = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    uuids.add_column("smi")
    uuids.add_column("UUID", no_wrap=True)
    uuids.add_column("notes")
    for row in dmap.rows:
        uuids.add_row(
            "-" if row.smi_index is None else str(row.smi_index),
            outside_text(row.uuid or "?"),
            outside_text("; ".join(row.notes)),
        )
    console.print(uuids)
    for fault in dmap.faults:
        console.print(outside_text(fault, style="red"))
    for note in dmap.notes:
        console.print(Padding(outside_text(note, style="yellow"), (0, 0, 0, 0)))
    if dmap.rows and footer:
        console.print(Text("Pin a job to one GPU: gpusetup map --select <smi index>", style="dim"))


def render_gpus(facts: Facts, console: Console) -> None:
    from rich.table import Table

    nvml = facts.nvml
    faults = nvml_faults(facts)
    if nvml and nvml.gpus:
        dot = separator(console)
        console.print(
            outside_text(
                f"Driver {nvml.driver_version} {dot} CUDA {nvml.cuda_driver_version_text} {dot} "
                f"{nvml.device_count} GPU(s)",
                style="bold",
            )
        )
        table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
        for col in ("#", "name", "bus id", "CC", "memory", "persist", "MIG"):
            table.add_column(col, overflow="fold")
        for g in nvml.gpus:
            name = "LOST: " + (g.name or "?") if g.lost else (g.name or "?")
            mem = f"{g.memory_total_mib / 1024:.0f} GiB" if g.memory_total_mib else "?"
            persist = {True: "on", False: "off", None: "n/a"}[g.persistence_mode]
            mig = "n/a" if g.mig_current is None else ("on" if g.mig_current else "off")
            if g.mig_pending is not None and g.mig_pending != g.mig_current:
                mig += "*"
            table.add_row(
                *(
                    outside_text(cell)
                    for cell in (
                        g.index,
                        name,
                        g.pci_bus_id_normalised or "?",
                        g.cc_text or "?",
                        mem,
                        persist,
                        mig,
                    )
                )
            )
        console.print(table)
        uuids = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
        uuids.add_column("#")
        uuids.add_column("UUID", no_wrap=True)
        for g in nvml.gpus:
            uuids.add_row(str(g.index), outside_text(g.uuid or "?"))
        console.print(uuids)
        for fault in faults:
            console.print(outside_text(fault, style="red"))
        return
    if faults:
        for fault in faults:
            console.print(outside_text(fault, style="red"))
    elif nvml is not None and nvml.init_error:
        console.print(
            outside_text(
                f"The NVIDIA driver does not answer: {nvml.init_error.error_class}: "
                f"{nvml.init_error.message}",
                style="yellow",
            )
        )
    pci_gpus = facts.pci.gpus if facts.pci else []
    if not pci_gpus:
        console.print(
            "Whether this machine has an NVIDIA GPU cannot be told while the driver does not "
            "answer; the PCI bus shows none here."
            if faults
            else "No NVIDIA GPU found (NVML or PCI bus)."
        )
        return
    console.print(Text(f"{len(pci_gpus)} NVIDIA GPU(s) on the PCI bus:", style="bold"))
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    for col in ("bus id", "device id", "kernel driver"):
        table.add_column(col)
    for d in pci_gpus:
        table.add_row(
            outside_text(d.address), outside_text(d.device_id), outside_text(d.driver or "none")
        )
    console.print(table)
