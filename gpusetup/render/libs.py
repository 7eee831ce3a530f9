"""Views of the library search: one row per soname, then what is wrong and the fixes."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from gpusetup.facts import LibraryFacts
from gpusetup.findings import Finding, Status
from gpusetup.libs.resolve import resolve_from_facts, search_lines
from gpusetup.render.console import outside_text
from gpusetup.render.text import printable
from gpusetup.serde import to_jsonable

LIBS_SCHEMA = "gpusetup.libs/1"


def library_rows(libs: LibraryFacts) -> list[dict[str, Any]]:
    loader = {a.soname: a for a in libs.loader or []}
    rows = []
    for req in libs.requirements:
        res = resolve_from_facts(libs, req.soname)
        file = libs.files.get(res.path) if res.path else None
        status = "found" if res.loads else ("broken" if res.found or res.fatal else "missing")
        answer = loader.get(req.soname)
        rows.append(
            {
                "soname": req.soname,
                "component": req.component,
                "needed_by": req.needed_by,
                "status": status,
                "path": res.path,
                "realpath": file.realpath if file else None,
                "found_via": res.source,
                "version": file.version if file else None,
                "searched": search_lines(res),
                "missing_dependencies": {
                    dep: search_lines(r) for dep, r in res.missing_dependencies.items()
                },
                "error": res.fatal,
                "loader": to_jsonable(answer) if answer else None,
            }
        )
    return rows


def libs_json(libs: LibraryFacts, findings: list[Finding]) -> dict[str, Any]:
    return {
        "schema": LIBS_SCHEMA,
        "target": libs.target,
        "libraries": library_rows(libs),
        "findings": [to_jsonable(f) for f in findings],
        "facts": to_jsonable(libs),
    }


#: evidence entries shown as lists under a finding
EVIDENCE_LISTS = (
    "searched",
    "dependencies searched",
    "copies found",
    "not in the cache",
    "not readable",
    "wrong",
    "problems",
    "world-writable",
    "stubs",
    "differences",
)

STATUS_STYLE = {"found": "green", "missing": "bold red", "broken": "bold red"}


def render_libs(libs: LibraryFacts, findings: list[Finding] | None, console: Console) -> None:
    """The table, then each problem with its evidence and fix (``findings`` None: table only)."""
    console.print(outside_text(f"Libraries for {libs.target}", style="bold"))
    if libs.caller:
        console.print(outside_text(f"searched as from {libs.caller.path}", style="dim"))
    table = Table(box=None, header_style="bold", pad_edge=False, padding=(0, 1))
    table.add_column("library", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("path (found via)", overflow="fold")
    found = 0
    all_rows = library_rows(libs)
    for row in all_rows:
        found += row["status"] == "found"
        where = outside_text(row["path"] or "-")
        if row["found_via"]:
            where.append(printable(f" ({row['found_via']})"), style="dim")
        table.add_row(
            outside_text(row["soname"]),
            Text(row["status"], style=STATUS_STYLE[row["status"]]),
            outside_text(row["version"] or ""),
            where,
        )
    console.print(table)
    console.print(
        Text(
            f"{found} of {len(all_rows)} libraries load.",
            style="green" if found == len(all_rows) else "bold",
        )
    )
    if findings is None:
        return
    problems = [f for f in findings if f.status in (Status.FAIL, Status.WARN)]
    for f in problems:
        console.print()
        head = Text(
            "FAIL " if f.status is Status.FAIL else "WARN ",
            style="bold red" if f.status is Status.FAIL else "yellow",
        )
        head.append(printable(f"{f.id}: {f.title}"))
        console.print(head)
        if f.detail:
            console.print(Padding(outside_text(f.detail, keep_newlines=True), (0, 0, 0, 2)))
        for key in EVIDENCE_LISTS:
            value = f.evidence.get(key)
            if not value:
                continue
            console.print(Padding(outside_text(f"{key}:", style="bold"), (0, 0, 0, 2)))
            items = value.items() if isinstance(value, dict) else [(None, v) for v in value]
            for name, item in items:
                if name is None:
                    console.print(Padding(outside_text(item, style="dim"), (0, 0, 0, 4)))
                    continue
                console.print(Padding(outside_text(f"{name}:"), (0, 0, 0, 4)))
                for line in item:
                    console.print(Padding(outside_text(line, style="dim"), (0, 0, 0, 6)))
        if f.fix:
            console.print(
                Padding(outside_text(f.fix, style="cyan", keep_newlines=True), (0, 0, 0, 2))
            )
    if not problems:
        console.print(Text("No library problems found.", style="green"))
