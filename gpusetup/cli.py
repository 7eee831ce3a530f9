"""The ``gpusetup`` command line: options, one task per command, the view, the exit code.

Exit codes: 0 no failure; 1 a failure (``--strict``: or a warning); 2 a usage error (an
option, an input, a deadline); 3 a gpusetup bug; 128 + N interrupted by signal N. Which
exception gives which code is said once, in ``_exit_codes``.
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

# both load their modules when first used: ``render.json``, ``tasks.doctor``, ...
from gpusetup import render, tasks

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


class _Run:  # what the root options set for the whole run
    debug = False


def _exit_codes() -> tuple[tuple[tuple[type[BaseException], ...], int, str], ...]:
    """The library's exceptions -> (exit code, message prefix); the first match wins."""
    from gpusetup.devices.map import SelectionError
    from gpusetup.fix.ldconfig import FixError
    from gpusetup.knowledge import KnowledgeError
    from gpusetup.probe._deadline import SettingError
    from gpusetup.probe.inputs import InputError
    from gpusetup.probe.interpreter import InterpreterError
    from gpusetup.probe.recorded import FactsFileError
    from gpusetup.render.output import OutputError
    from gpusetup.tasks.errors import BadInput, PipFailed, Refused
    from gpusetup.wheels.archive import WheelError
    from gpusetup.wheels.index import CacheProblem, IndexProblem
    from gpusetup.wheels.retag import RetagRefused

    usage = (BadInput, SettingError, FactsFileError, KnowledgeError, InputError, OutputError)
    return (
        ((PipFailed, Refused, SelectionError, IndexProblem, RetagRefused), EXIT_FAILED, ""),
        ((*usage, WheelError, InterpreterError, FixError, CacheProblem), EXIT_USAGE, "error: "),
    )


def _exit_code(exc: BaseException) -> tuple[int, str] | None:
    return next(((c, p) for types, c, p in _exit_codes() if isinstance(exc, types)), None)


def _version(value: bool) -> None:
    if value:
        from gpusetup import version

        typer.echo(f"gpusetup {version()}")
        raise typer.Exit()


def _opt(kind: Any, *names: str, **settings: Any) -> Any:
    """An option (or, with ``argument=True``, an argument) as a parameter type."""
    if settings.pop("argument", False):
        return Annotated[kind, typer.Argument(**settings)]
    return Annotated[kind, typer.Option(*names, **settings)]


DebugOpt = _opt(bool, "--debug", help="Show tracebacks of internal errors.")
VersionOpt = _opt(bool, "--version", callback=_version, is_eager=True, help="Print the version.")


@app.callback()
def _root(debug: DebugOpt = False, show_version: VersionOpt = False) -> None:
    _Run.debug = debug


def _echo(lines: list[tuple[str, bool]]) -> None:
    for text, err in lines:
        typer.echo(text, err=err)


def _view(json_out: bool, as_json: str, on_console: str) -> Callable[..., None]:
    """The view the options chose (JSON on stdout, or the console), imported now: only that
    one, and a probing command asks for it while its probes run."""
    if json_out:
        to_json = operator.attrgetter(as_json)(render)
        return lambda *data, **options: sys.stdout.write(to_json(*data))
    view = operator.attrgetter(on_console)(render)
    return lambda *data, **options: view(*data, render.console.make_console(), **options)


def _source(from_files: list[Path] | None) -> list[Path] | None:
    """None: probe this machine; else the files to read (facts, or pasted outputs)."""
    for path in from_files or []:
        render.progress.note_reading_stdin(path, "the facts or pasted output")
    return from_files or None


JsonOpt = _opt(bool, "--json", help="Print JSON instead of a table.")
RedactOpt = _opt(bool, "--redact", help="Remove hostnames, GPU UUIDs, serials and home paths.")
FromOpt = _opt(
    list[Path] | None,
    "--from",
    metavar="FILE",
    help="Facts from `collect`, a report, or pasted output of nvidia-smi, deviceQuery, a "
    "TensorFlow log, lspci, ldconfig, ls -l... (repeatable; -: stdin).",
)
ProfileOpt = _opt(str, "--profile", metavar="NAME|PATH", help="A shipped profile or a .toml file.")
NoSmokeOpt = _opt(bool, "--no-smoke", help="Leave out the smoke inference at the end.")
VerboseOpt = _opt(bool, "--verbose", "-v", help="Show each finding's evidence.")
OutputOpt = _opt(Path | None, "-o", "--output", metavar="FILE", help="Write to FILE, not stdout.")
CheckArg = _opt(str | None, argument=True, metavar="CHECK", help="e.g. gpu.compute-capability.")
SelectOpt = _opt(int | None, "--select", metavar="N", help="Make nvidia-smi GPU N /GPU:0.")
MapSmokeOpt = _opt(bool, "--smoke", help="Also run the smoke inference and show its result.")
BackendOpt = _opt(str, "--backend", help="Smoke backend: tensorflow or torch.")
TimeoutOpt = _opt(float, "--timeout", metavar="SECONDS", help="Deadline per device.")
ForOpt = _opt(
    str | None, "--for", metavar="SPEC", help="tensorflow==X.Y (default: installed, else newest)."
)
DirsArg = _opt(
    list[str] | None, argument=True, metavar="[DIR]...", help="Default: those found off the path."
)
ApplyOpt = _opt(bool, "--apply", help="Make the change (default: only show the plan).")
SysrootOpt = _opt(Path | None, "--sysroot", metavar="PATH", help="Work on the tree at PATH.")
UserEnvOpt = _opt(bool, "--user-env", help="No root: LD_LIBRARY_PATH in this environment.")
JunitOpt = _opt(Path | None, "--junit", metavar="FILE", help="Also write JUnit XML here.")
JsonFileOpt = _opt(Path | None, "--json", metavar="FILE", help="Also write the JSON report here.")
FormatOpt = _opt(str, "--format", metavar="FMT", help="console, json, junit, npd, prometheus.")
FormatOutputOpt = _opt(
    Path | None, "-o", "--output", metavar="FILE", help="Write --format's output to FILE."
)
LogArg = _opt(str, argument=True, metavar="FILE|-", help="The log (a regular file); - for stdin.")
ElsewhereOpt = _opt(bool, "--elsewhere", help="The log is from another machine: probe nothing.")
PythonOpt = _opt(str | None, "--python", metavar="PATH", help="Judge for this interpreter.")
ForceOpt = _opt(bool, "--force", help="Retag even when it is unsafe.")
SpecArg = _opt(str | None, argument=True, metavar="[SPEC]", help="e.g. 2.21, '>=2.18,<2.21'")
LocalWheelOpt = _opt(Path | None, "--wheel", metavar="PATH", help="Install this local wheel.")
NoVerifyOpt = _opt(bool, "--no-verify", help="Install a file the index gives no sha256 for.")
DownloadTimeoutOpt = _opt(
    float | None, "--timeout", metavar="SECONDS", min=0.1, help="For the index, then the download."
)


@app.command()
def doctor(
    json_out: JsonOpt = False,
    from_file: FromOpt = None,
    profile: ProfileOpt = "default",
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 on warnings too.")] = False,
    verbose: VerboseOpt = False,
    no_smoke: NoSmokeOpt = False,
    redact: RedactOpt = False,
) -> None:
    """Check this machine (driver, GPUs, libraries, environment), end with a smoke inference
    on every GPU, and say how to fix what is wrong."""
    show = _view(json_out, "json.report_json", "console.render_report")
    with render.progress.smoke_status("tensorflow", show=not json_out) as on_event:
        result = tasks.doctor.doctor(_source(from_file), profile, not no_smoke, on_event)
    report = render.redact.redact_report(result.report) if redact else result.report
    show(report, verbose=verbose)
    raise typer.Exit(result.exit_code(strict))


@app.command()
def gpus(json_out: JsonOpt = False, from_file: FromOpt = None) -> None:
    """List the NVIDIA GPUs (without a driver: those on the PCI bus). Exits 1 when there is
    none, the driver stopped answering, or a GPU is lost."""
    found = tasks.devices.gpus(_source(from_file))
    _view(json_out, "json.gpus_json", "console.render_gpus")(found.facts)
    raise typer.Exit(EXIT_OK if found.found else EXIT_FAILED)


@app.command()
def collect(output: OutputOpt = None, redact: RedactOpt = False, from_file: FromOpt = None) -> None:
    """Record this machine's facts as JSON, to diagnose elsewhere with `doctor --from`
    (--from pasted outputs: their facts instead)."""
    text = render.json.facts_json(tasks.source.get_facts(_source(from_file)), redact)
    if output is None:
        sys.stdout.write(text)
        return
    render.output.write_output(output, text)
    typer.echo(f"wrote {output}", err=True)


@app.command()
def explain(check_id: CheckArg = None) -> None:
    """Explain a check: what it looks at, why it matters, how to fix it. No id: list them."""
    if check_id is None:
        from gpusetup.diagnose import all_checks

        _echo(render.text.check_list(all_checks().values()))
    else:
        _echo(render.text.explanation(tasks.doctor.find_check(check_id)))


@app.command("map")
def map_command(
    json_out: JsonOpt = False,
    select: SelectOpt = None,
    from_file: FromOpt = None,
    with_smoke_run: MapSmokeOpt = False,
    backend: BackendOpt = "tensorflow",
) -> None:
    """Which nvidia-smi GPU is which CUDA device and which TensorFlow /GPU:k, joined by PCI
    bus id and UUID under this environment's CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER."""
    tasks.smoke.check_backend(backend)
    smoke_backend = backend if with_smoke_run and select is None else None
    with render.progress.smoke_status(backend, smoke_backend and not json_out) as on_event:
        dmap = tasks.devices.device_map(
            _source(from_file), smoke_backend=smoke_backend, on_smoke_event=on_event
        )
    if select is not None:
        line = tasks.devices.select(dmap, select)
        _view(json_out, "json.select_json", "console.render_select")(select, line)
        raise typer.Exit(EXIT_OK)
    _view(json_out, "json.map_json", "console.render_map")(dmap)
    raise typer.Exit(EXIT_OK if dmap.trustworthy else EXIT_FAILED)


@app.command()
def smoke(
    json_out: JsonOpt = False, backend: BackendOpt = "tensorflow", timeout: TimeoutOpt = 120.0
) -> None:
    """Run a small fixed model on the CPU and every GPU, compare the outputs, time them.
    Exits 1 when a device fails."""
    tasks.smoke.check_backend(backend)
    seconds = tasks.smoke.device_timeout(timeout)
    with render.progress.smoke_status(backend, show=not json_out) as on_event:
        result = tasks.smoke.smoke(backend, seconds, on_event=on_event)
    _view(json_out, "json.smoke_json", "console.render_smoke")(result)
    raise typer.Exit(EXIT_FAILED if result.failed else EXIT_OK)


# the demo's options and help live with it (gpusetup/demo/command.py imports only typer)
from gpusetup.demo.command import demo as _demo  # noqa: E402

app.command("demo")(_demo)


@app.command()
def libs(json_out: JsonOpt = False, for_spec: ForOpt = None, from_file: FromOpt = None) -> None:
    """Find every CUDA/cuDNN library TensorFlow needs, the way the dynamic loader does (and
    ask the real loader). Exits 1 when a library problem is found."""
    result = tasks.libs.libraries(for_spec, _source(from_file))
    _view(json_out, "json.libs_json", "libs.render_libs")(result.libs, result.findings)
    raise typer.Exit(EXIT_FAILED if result.failed else EXIT_OK)


fix_app = typer.Typer(help="Change the system to fix a finding (plans first; --apply to do it).")
app.add_typer(fix_app, name="fix", no_args_is_help=True)


@fix_app.command("ldconfig")
def fix_ldconfig(
    directories: DirsArg = None,
    apply: ApplyOpt = False,
    sysroot: SysrootOpt = None,
    user_env: UserEnvOpt = False,
    for_spec: ForOpt = None,
) -> None:
    """Add library directories to /etc/ld.so.conf.d/gpusetup-cuda.conf and run ldconfig
    (without --apply: the plan). Refuses unsafe directories."""
    fix = tasks.fix.plan_fix(directories, apply, sysroot, user_env, for_spec)
    _echo(render.plans.fix_plan_lines(fix))
    if fix.ready:
        applied = tasks.fix.apply_fix(fix, for_spec)
        _echo(render.plans.applied_fix_lines(fix, applied))
        if applied.after is not None:
            render.libs.render_libs(applied.after, None, render.console.make_console())
    raise typer.Exit(fix.exit_code)


@app.command()
def validate(
    profile: ProfileOpt = "ci-node",
    junit: JunitOpt = None,
    json_file: JsonFileOpt = None,
    output_format: FormatOpt = "console",
    output: FormatOutputOpt = None,
    redact: RedactOpt = False,
    no_smoke: NoSmokeOpt = False,
) -> None:
    """Validate this node under a profile for CI and schedulers: the doctor as JUnit, JSON,
    node-problem-detector's line or Prometheus metrics. Exit codes as doctor's."""
    formats = render.formats
    if output_format not in formats.FORMATS:
        raise tasks.errors.BadInput(f"--format must be one of {', '.join(formats.FORMATS)}")
    try:
        show = output_format == "console" and not output
        with render.progress.smoke_status("tensorflow", show) as on_event:
            result = tasks.doctor.doctor(None, profile, not no_smoke, on_event)
    except Exception as exc:  # noqa: BLE001 - npd's contract: Unknown, one line, exit 2
        if output_format != "npd":
            raise
        why = str(exc) if _exit_code(exc) else f"gpusetup failed: {type(exc).__name__}: {exc}"
        typer.echo(formats.npd_unknown(why))
        raise typer.Exit(2) from exc
    # redacted before any view: every format renders the same report
    report = render.redact.redact_report(result.report) if redact else result.report
    code = formats.deliver(report, result.profile.strict, output_format, output, junit, json_file)
    raise typer.Exit(code)


fleet_app = typer.Typer(help="Many nodes' reports in one view.")
app.add_typer(fleet_app, name="fleet", no_args_is_help=True)


@fleet_app.command("merge")
def fleet_merge(
    reports: Annotated[list[Path], typer.Argument(metavar="REPORT...")], json_out: JsonOpt = False
) -> None:
    """Merge many nodes' JSON reports: who fails which check, GPU models, drivers. Exits 1
    when a node fails, 2 when no file was a report."""
    summary = tasks.fleet.merge(reports)
    render.text.say_lines(render.plans.fleet_lines(summary, text=not json_out))
    if json_out:
        sys.stdout.write(render.json.fleet_json(summary))
    if summary.nodes == 0:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_FAILED if summary.failing_nodes else EXIT_OK)


@app.command()
def triage(log: LogArg = "-", elsewhere: ElsewhereOpt = False, json_out: JsonOpt = False) -> None:
    """Diagnose a pasted error log: root causes first, each with its diagnosis and fix and,
    on this machine, whether it is fixed here already. Exits 1 while a root cause persists."""
    render.progress.note_reading_stdin(log, "the log")
    report = tasks.triage.triage_log(log, elsewhere=elsewhere)
    _view(json_out, "json.triage_json", "triage_view.render_triage")(report)
    raise typer.Exit(EXIT_FAILED if report.still_broken else EXIT_OK)


wheel_app = typer.Typer(help="Why pip rejects a wheel, and retagging one safely.")
app.add_typer(wheel_app, name="wheel", no_args_is_help=True)


@wheel_app.command("inspect")
def wheel_inspect(
    wheel: Annotated[str, typer.Argument(metavar="PATH|URL")],
    python: PythonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Whether this Python (or --python) accepts a wheel, and if not why. Exits 1 when it is
    not installable here, 2 when it is not a wheel."""
    found = tasks.wheel.inspect_wheel(wheel, python)
    if json_out:
        sys.stdout.write(render.json.wheel_json(found.info, found.python, found.verdict))
    else:
        _echo(render.plans.wheel_lines(found.info, found.python, found.verdict))
    raise typer.Exit(EXIT_OK if found.verdict.compatible else EXIT_FAILED)


@wheel_app.command("retag")
def wheel_retag(
    wheel: Annotated[Path, typer.Argument(metavar="PATH")],
    python_tag: Annotated[str | None, typer.Option("--python-tag", metavar="T")] = None,
    abi_tag: Annotated[str | None, typer.Option("--abi-tag", metavar="T")] = None,
    platform_tag: Annotated[str | None, typer.Option("--platform-tag", metavar="T")] = None,
    out_dir: Annotated[Path | None, typer.Option("-o", "--out-dir", metavar="DIR")] = None,
    force: ForceOpt = False,
) -> None:
    """Write a copy of a wheel with new tags: T replaces, +T adds, -T removes. Unsafe retags
    need --force."""
    result = tasks.wheel.retag_wheel(wheel, python_tag, abi_tag, platform_tag, out_dir, force)
    _echo(render.plans.retag_lines(result))


@app.command()
def install(
    package: Annotated[str | None, typer.Argument(metavar="[tensorflow]")] = None,
    spec: SpecArg = None,
    wheel: LocalWheelOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    index_url: Annotated[str, typer.Option("--index-url", metavar="URL")] = "https://pypi.org",
    python: PythonOpt = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", metavar="DIR")] = None,
    no_verify: NoVerifyOpt = False,
    timeout: DownloadTimeoutOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Install the TensorFlow release that fits this Python, platform, driver and GPUs: the
    plan, then the download (checked against the index) and pip."""
    task, plans = tasks.install, render.plans
    if wheel is not None:
        if package is not None:
            raise tasks.errors.BadInput("give either --wheel PATH or a package, not both")
        local = task.check_local_wheel(wheel, python)
        _echo(plans.local_wheel_lines(local, dry_run))
        if local.verdict.compatible and not dry_run:
            task.install_local_wheel(local)
            _echo(plans.installed_lines(f"{local.info.name} {local.info.version}"))
        raise typer.Exit(EXIT_OK if local.verdict.compatible else EXIT_FAILED)
    task.check_package(package)
    plan = task.plan_install(spec, python=python, index_url=index_url, timeout_s=timeout)
    if json_out:
        sys.stdout.write(render.json.install_json(plan, dry_run))
    else:
        _echo(plans.install_plan_lines(plan))
    chosen = plan.choice.file
    if chosen is None or dry_run:
        raise typer.Exit(EXIT_FAILED if chosen is None else EXIT_OK)
    with render.progress.download_bar(chosen.filename, chosen.size) as progress:
        version = task.apply_install(plan, cache_dir, not no_verify, timeout, progress)
    _echo(plans.installed_lines(f"TensorFlow {version}", "; check it with: gpusetup smoke"))


def _only_the_invoked_command(argv: list[str]) -> None:
    """With a command named, keep only its parser (typer builds every one on each run)."""
    name = next((a for a in argv if not a.startswith("-")), None)
    if name is None:
        return

    def command_name(info) -> str:  # noqa: ANN001 - typer's CommandInfo
        return info.name or info.callback.__name__.replace("_", "-")

    commands = [c for c in app.registered_commands if command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if commands or groups:
        app.registered_commands[:] = commands
        app.registered_groups[:] = groups


def main() -> None:
    from gpusetup.probe._deadline import run_guarded

    render.text.encode_anything()
    _only_the_invoked_command(sys.argv[1:])
    try:
        # standalone mode: click reports usage errors (exit 2) and exits with each
        # command's code; only our own exceptions come back here
        run_guarded(app)
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the user without --debug
        known = _exit_code(exc)
        if known is None and _Run.debug:
            raise
        code, prefix = known or (EXIT_INTERNAL, "internal error: ")
        _echo(render.text.error_lines(exc, prefix, internal=known is None))
        sys.exit(code)
