"""The doctor's console view: its findings table, laid out without rich.table, is Rich's
Table to the byte (widths, wrapping, folding, colours) at every width, and the doctor's
console path does not import rich.table."""

from __future__ import annotations

import io
import random

import pytest
from conftest import imported_by
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gpusetup.render.console import FindingsTable

#: from 1 column (Rich's last resort: every column gives way) to wider than any row
WIDTHS = (1, 2, 4, 5, 6, 9, 12, 20, 31, 33, 34, 39, 40, 44, 60, 79, 80, 81, 120, 200)


def rich_table(rows: list[tuple[Text, Text, Text]]) -> Table:
    """The findings table as the console view built it with rich.table."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, padding=(0, 1))
    table.add_column("", no_wrap=True, width=4)
    table.add_column("check", no_wrap=True, overflow="fold", max_width=26)
    table.add_column("finding", ratio=1)
    for row in rows:
        table.add_row(*row)
    return table


def ours(rows: list[tuple[Text, Text, Text]]) -> FindingsTable:
    table = FindingsTable()
    for row in rows:
        table.add_row(*row)
    return table


def printed(renderable: object, width: int, colour: bool) -> str:
    out = io.StringIO()
    console = Console(
        file=out,
        width=width,
        force_terminal=colour,
        color_system="standard" if colour else None,
        highlight=False,
        soft_wrap=False,
    )
    console.print(renderable)
    return out.getvalue()


WORDS = (
    "GPU",
    "libcudnn.so.9",
    "CUDA_VISIBLE_DEVICES",
    "is",
    "not",
    "set:",
    "the",
    "driver",
    "显卡",
    "a" * 30,
    "/usr/local/cuda-12.4/targets/x86_64-linux/lib/libcublasLt.so.12",
    "(see gpu.present).",
    "",
)
STYLES = ("", "dim", "bold red", "green", "yellow", "cyan")


def random_rows(rng: random.Random) -> list[tuple[Text, Text, Text]]:
    rows = []
    for _ in range(rng.randint(0, 6)):
        label = rng.choice(("pass", "WARN", "FAIL", "skip"))
        check = ".".join(
            rng.choice(("gpu", "libs", "driver", "x" * 20, "cuda-visible-devices", "显"))
            for _ in range(rng.randint(1, 3))
        )
        finding = Text(style=rng.choice(STYLES))
        for _ in range(rng.randint(0, 14)):
            separator = rng.choice((" ", " ", " ", "\n", "  ", "\n    "))
            finding.append(rng.choice(WORDS) + separator, style=rng.choice(STYLES))
        rows.append((Text(label, style=rng.choice(STYLES)), Text(check), finding))
    return rows


def real_rows(verbose: bool) -> list[tuple[Text, Text, Text]]:
    """The rows the doctor's view makes of this machine's report."""
    from gpusetup.render import console as view
    from gpusetup.tasks.doctor import doctor

    report = doctor(None, "default", False, None).report
    captured: list[FindingsTable] = []

    class Capture(Console):
        def print(self, *objects, **kwargs):  # noqa: A003 - Console's own name
            captured.extend(o for o in objects if isinstance(o, FindingsTable))

    view.render_findings(report.findings, Capture(file=io.StringIO()), verbose)
    assert len(captured) == 1 and captured[0].rows
    return captured[0].rows


@pytest.mark.parametrize("verbose", [False, True], ids=["plain", "verbose"])
def test_the_findings_table_is_rich_tables_on_this_machines_report(verbose):
    rows = real_rows(verbose)
    for width in WIDTHS:
        for colour in (False, True):
            assert printed(ours(rows), width, colour) == printed(rich_table(rows), width, colour), (
                width,
                colour,
            )


def test_the_findings_table_is_rich_tables_on_random_rows():
    rng = random.Random(20261202)
    for case in range(300):
        rows = random_rows(rng)
        width = rng.choice(WIDTHS) if case % 2 else rng.randint(1, 130)
        colour = bool(case % 3)
        assert printed(ours(rows), width, colour) == printed(rich_table(rows), width, colour), (
            case,
            width,
            rows,
        )


def test_the_doctors_console_view_does_not_import_rich_table():
    assert imported_by(["doctor", "--no-smoke"], ("rich.table", "rich.console")) == ["rich.console"]
