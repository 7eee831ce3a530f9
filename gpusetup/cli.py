"""The ``gpusetup`` command line: parse options, call the library, render, set the exit code.

Exit codes: 0 no failure; 1 at least one failure (``--strict``: or a warning); 2 usage
error (bad option, unreadable input); 3 an internal error (a bug: ``--debug`` shows it).
Heavy modules are imported inside the commands so ``gpusetup --help`` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3

app = typer.Typer(
    name="gpusetup",
    help="Set up and diagnose NVIDIA GPU machines for TensorFlow.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_debug = False


class UsageProblem(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def _version_callback(value: bool) -> None:
    if value:
        from gpusetup import version

        typer.echo(f"gpusetup {version()}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    global _debug
    _debug = debug


class _Loaded:
    def __init__(self, facts) -> None:
        self._facts = facts

    def result(self):
        return self._facts


def _start_facts(from_file: Path | None):
    """Start probing (in the background) or read the given file; ``.result()`` gives facts."""
    from gpusetup.facts import FactsFileError, load_facts

    if from_file is None:
        from gpusetup.probe import start_collecting

        return start_collecting()
    try:
        return _Loaded(load_facts(from_file))
    except FactsFileError as exc:
        raise UsageProblem(str(exc)) from exc


def _facts(from_file: Path | None):
    return _start_facts(from_file).result()


def _profile(name: str):
    from gpusetup.knowledge import KnowledgeError, load_profile

    try:
        return load_profile(name)
    except KnowledgeError as exc:
        raise UsageProblem(str(exc)) from exc


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
FromOpt = Annotated[
    Path | None,
    typer.Option(
        "--from",
        metavar="FACTS.json",
        help="Diagnose facts recorded by `gpusetup collect` (or a --json report) "
        "instead of this machine.",
    ),
]


@app.command()
def doctor(
    json_out: JsonOpt = False,
    from_file: FromOpt = None,
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            metavar="NAME|PATH",
            help="Validation profile: a shipped name or a .toml file.",
        ),
    ] = "default",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show each finding's evidence.")
    ] = False,
) -> None:
    """Check this machine (driver, GPUs, environment) and say how to fix what is wrong."""
    pending = _start_facts(from_file)
    # imported while the probes run
    from gpusetup.doctor import run_doctor
    from gpusetup.render import console as console_view
    from gpusetup.render import json as json_view

    chosen = _profile(profile)
    report = run_doctor(pending.result(), chosen)
    if json_out:
        sys.stdout.write(json_view.report_json(report))
    else:
        console_view.render_report(report, console_view.make_console(), verbose=verbose)
    raise typer.Exit(report.exit_code(strict))


@app.command()
def gpus(json_out: JsonOpt = False, from_file: FromOpt = None) -> None:
    """List the NVIDIA GPUs: index, name, UUID, bus id, compute capability, memory.

    Without a working driver, lists the GPUs on the PCI bus and the kernel driver bound to
    each. Exits 1 when no NVIDIA GPU is found.
    """
    facts = _facts(from_file)
    if json_out:
        from gpusetup.render.json import gpus_json

        sys.stdout.write(gpus_json(facts))
    else:
        from gpusetup.render.console import make_console, render_gpus

        render_gpus(facts, make_console())
    found = (facts.nvml and facts.nvml.gpus) or (facts.pci and facts.pci.gpus)
    raise typer.Exit(EXIT_OK if found else EXIT_FAILED)


@app.command()
def collect(
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout."),
    ] = None,
) -> None:
    """Record this machine's facts as JSON, to diagnose elsewhere with `doctor --from`."""
    from gpusetup.probe import collect_facts
    from gpusetup.render.json import dumps

    text = dumps(collect_facts().to_json())
    if output is None:
        sys.stdout.write(text)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(output)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UsageProblem(f"cannot write {output}: {exc.strerror or exc}") from exc
    typer.echo(f"wrote {output}", err=True)


@app.command()
def explain(
    check_id: Annotated[
        str | None,
        typer.Argument(metavar="CHECK", help="A check id, e.g. gpu.compute-capability."),
    ] = None,
) -> None:
    """Explain a check: what it looks at, why it matters, how to fix it. No id: list them."""
    from gpusetup.diagnose import all_checks

    checks = all_checks()
    if check_id is None:
        width = max(len(c) for c in checks)
        for chk in checks.values():
            typer.echo(f"{chk.id:<{width}}  {chk.title}")
        return
    chk = checks.get(check_id)
    if chk is None:
        import difflib

        close = difflib.get_close_matches(check_id, list(checks), n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else " `gpusetup explain` lists them."
        raise UsageProblem(f"no check named {check_id!r}.{hint}")
    typer.echo(f"{chk.id}: {chk.title}\n\n{chk.explanation}")


def main() -> None:
    try:
        # standalone mode: click reports usage errors (exit 2) and exits with each
        # command's code; only our own exceptions come back here
        app()
    except UsageProblem as exc:
        typer.echo(f"gpusetup: error: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        typer.echo("gpusetup: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the user without --debug
        if _debug:
            raise
        typer.echo(
            f"gpusetup: internal error: {type(exc).__name__}: {exc}\n"
            "Run again with --debug for the traceback, and please report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
