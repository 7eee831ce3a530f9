"""Live progress on a terminal's standard error: the smoke inference's status line and a
download's bar. Nothing is shown when stderr is not a terminal (or when not asked)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: a smoke run's events, as gpusetup.probe.smoke.run_smoke reports them
SmokeEvents = Callable[[str, dict], None]
#: (bytes done, bytes in all or None)
DownloadProgress = Callable[[int, int | None], None]


def note_reading_stdin(path: object, what: str) -> None:
    """Say so when ``path`` is ``-`` and stdin is a terminal: it would look like a hang."""
    if str(path) == "-" and sys.stdin is not None and sys.stdin.isatty():
        sys.stderr.write(
            f"gpusetup: reading {what} from standard input; end it with Ctrl-D on a line of "
            "its own (or give a FILE)\n"
        )
        sys.stderr.flush()


@contextmanager
def smoke_status(backend: str, show: bool) -> Iterator[SmokeEvents | None]:
    """A status line naming the device being tested, while the block runs."""
    if not show or not sys.stderr.isatty():
        yield None
        return
    from gpusetup.render.console import make_console

    status = make_console(stderr=True).status(f"starting {backend}...")
    status.start()

    def on_event(kind: str, event: dict) -> None:
        if kind == "begin":
            status.update(f"smoke inference on {event['begin']}...")

    try:
        yield on_event
    finally:
        status.stop()


@contextmanager
def download_bar(filename: str, total: int | None) -> Iterator[DownloadProgress | None]:
    """A progress bar for one download, while the block runs."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from gpusetup.render.console import make_console

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=True,
        console=make_console(stderr=True),
    ) as progress:
        task = progress.add_task(filename, total=total)
        yield lambda done, size: progress.update(task, completed=done, total=size)
