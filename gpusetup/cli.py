"""The ``gpusetup`` command line: parse options, call the library, render, set the exit code.

Exit codes: 0 no failure; 1 at least one failure (``--strict``: or a warning); 2 usage
error (bad option, unreadable input, a deadline out of range); 3 an internal error (a bug:
``--debug`` shows it; a crashed check: after the report); 128 + N interrupted by signal N
(SIGINT, SIGTERM, SIGHUP), every child process killed first.
Heavy modules are imported inside the commands so ``gpusetup --help`` stays fast.
"""

from __future__ import annotations

import shlex
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


def _say(line: str, err: bool = False) -> None:
    """One line of text from outside (names, ids, paths), escaped, in the stream's own
    encoding (click would force UTF-8 on an ASCII stream; Rich views escape instead)."""
    from gpusetup.render.text import printable

    stream = sys.stderr if err else sys.stdout
    stream.write(printable(line) + "\n")
    stream.flush()


def _say_reading_stdin(what: str) -> None:
    """A terminal on stdin would otherwise look like a hang."""
    if sys.stdin is not None and sys.stdin.isatty():
        typer.echo(
            f"gpusetup: reading {what} from standard input; end it with Ctrl-D on a line of "
            "its own (or give a FILE)",
            err=True,
        )


def _start_facts(from_file: Path | None, extra_libraries: tuple[str, ...] = ()):
    """Start probing (in the background) or read the given file; ``.result()`` gives facts."""
    from gpusetup.facts import FactsFileError, load_facts

    if from_file is None:
        from gpusetup.probe import start_collecting

        return start_collecting(extra_libraries=extra_libraries)
    if str(from_file) == "-":
        _say_reading_stdin("the facts (JSON)")
    try:
        return _Loaded(load_facts(from_file))
    except FactsFileError as exc:
        raise UsageProblem(str(exc)) from exc


def _full_doctor(profile_name: str, from_file: Path | None, no_smoke: bool, show_progress: bool):
    """The doctor's whole run under a profile: probes, checks, then the smoke step."""
    chosen = _profile(profile_name)
    pending = _start_facts(from_file, chosen.required_libraries)
    # imported while the probes run
    from gpusetup.diagnose.smoke import apply_smoke_policy
    from gpusetup.tasks.doctor import run_doctor, smoke_plan

    report = run_doctor(pending.result(), chosen)
    if not no_smoke:
        from dataclasses import replace

        from gpusetup.findings import Finding, Status

        try:
            plan = smoke_plan(report.facts, chosen)
            if isinstance(plan, Finding):
                findings = [plan]
            elif from_file is not None:
                # recorded facts: the same verdict as on the machine, except that nothing runs
                findings = [
                    Finding(
                        "smoke.inference",
                        Status.SKIP,
                        "Smoke inference not run",
                        detail=f"Facts replayed from {from_file}; the smoke inference "
                        "runs on the machine itself.",
                    )
                ]
            else:
                findings, _ = _run_smoke("tensorflow", 120.0, show_progress, expect=plan)
            findings = apply_smoke_policy(findings, chosen)
        except Exception as exc:  # noqa: BLE001 - like a crashed check: reported, exit 3
            from gpusetup.findings import bug_finding

            findings = [bug_finding("smoke.inference", "The smoke inference step", exc)]
        report = replace(report, findings=report.findings + findings)
    return report, chosen


def _facts(from_file: Path | None):
    return _start_facts(from_file).result()


def _profile(name: str):
    from gpusetup.knowledge import KnowledgeError, load_profile

    try:
        return load_profile(name)
    except KnowledgeError as exc:
        raise UsageProblem(str(exc)) from exc


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
RedactOpt = Annotated[
    bool,
    typer.Option("--redact", help="Remove hostnames, GPU UUIDs, serials and home paths."),
]
FromOpt = Annotated[
    Path | None,
    typer.Option(
        "--from",
        metavar="FACTS.json",
        help="Diagnose facts recorded by `gpusetup collect` (or a --json report; - for "
        "stdin) instead of this machine.",
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
    no_smoke: Annotated[
        bool, typer.Option("--no-smoke", help="Leave out the smoke inference at the end.")
    ] = False,
    redact: RedactOpt = False,
) -> None:
    """Check this machine (driver, GPUs, libraries, environment), end with a smoke inference
    on every GPU, and say how to fix what is wrong."""
    report, chosen = _full_doctor(profile, from_file, no_smoke, show_progress=not json_out)
    from gpusetup.render import console as console_view
    from gpusetup.render import json as json_view

    if redact:
        report = _redacted(report)
    if json_out:
        sys.stdout.write(json_view.report_json(report))
    else:
        console_view.render_report(report, console_view.make_console(), verbose=verbose)
    raise typer.Exit(report.exit_code(strict or chosen.strict))


@app.command()
def gpus(json_out: JsonOpt = False, from_file: FromOpt = None) -> None:
    """List the NVIDIA GPUs: index, name, UUID, bus id, compute capability, memory.

    Without a working driver, lists the GPUs on the PCI bus and the kernel driver bound to
    each. Exits 1 when no NVIDIA GPU is found, when the driver stopped answering, or when
    a GPU is lost to the driver.
    """
    facts = _facts(from_file)
    if json_out:
        from gpusetup.render.json import gpus_json

        sys.stdout.write(gpus_json(facts))
    else:
        from gpusetup.render.console import make_console, render_gpus

        render_gpus(facts, make_console())
    from gpusetup.devices.map import nvml_faults

    found = (facts.nvml and facts.nvml.gpus) or (facts.pci and facts.pci.gpus)
    raise typer.Exit(EXIT_OK if found and not nvml_faults(facts) else EXIT_FAILED)


@app.command()
def collect(
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write to FILE instead of stdout."),
    ] = None,
    redact: RedactOpt = False,
) -> None:
    """Record this machine's facts as JSON, to diagnose elsewhere with `doctor --from`."""
    from gpusetup.probe import collect_facts
    from gpusetup.render.json import dumps

    data = collect_facts().to_json()
    if redact:
        from gpusetup.render.redact import redact_facts_json

        data = redact_facts_json(data)
    text = dumps(data)
    if output is None:
        sys.stdout.write(text)
        return
    _write_output(output, text)
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


@app.command("map")
def map_command(
    json_out: JsonOpt = False,
    select: Annotated[
        int | None,
        typer.Option(
            "--select",
            metavar="N",
            help="Print the environment line that makes nvidia-smi GPU N TensorFlow's /GPU:0.",
        ),
    ] = None,
    from_file: FromOpt = None,
    with_smoke_run: Annotated[
        bool, typer.Option("--smoke", help="Also run the smoke inference and show its result.")
    ] = False,
    backend: Annotated[
        str, typer.Option("--backend", help="Smoke backend: tensorflow or torch.")
    ] = "tensorflow",
) -> None:
    """Which nvidia-smi GPU is which CUDA device and which TensorFlow /GPU:k.

    Joins NVML, the CUDA driver API (under this environment's CUDA_VISIBLE_DEVICES and
    CUDA_DEVICE_ORDER) and TensorFlow (run in a child when installed, else predicted from
    its minimum compute capability) by PCI bus id and UUID, never by index.
    """
    from gpusetup.devices.map import SelectionError, build_map, select_line
    from gpusetup.diagnose import Context
    from gpusetup.knowledge import cuda_table

    _check_backend(backend)
    if from_file is not None:
        facts = _facts(from_file)
    else:
        import os
        from dataclasses import replace

        from gpusetup.probe import collect_facts
        from gpusetup.probe.tfruntime import probe_tensorflow

        facts = collect_facts()
        installed = facts.libs.tensorflow if facts.libs else None
        # only a CUDA build of TensorFlow has GPUs to report; for others the map predicts
        if installed is not None and installed.is_cuda_build:
            facts = replace(facts, tensorflow=probe_tensorflow(dict(os.environ)))
    ctx = Context(facts=facts, profile=_profile("default"), cuda=cuda_table())
    tf = ctx.tensorflow
    dmap = build_map(
        facts, ctx.profile.min_compute_capability or (tf.min_compute_capability if tf else None)
    )
    if select is not None:
        try:
            line = select_line(dmap, select)
        except SelectionError as exc:
            typer.echo(f"gpusetup: {exc}", err=True)
            raise typer.Exit(EXIT_FAILED) from exc
        if json_out:
            from gpusetup.render.json import dumps

            sys.stdout.write(dumps({"select": select, "line": line}))
        else:
            _say(line)  # built from the facts: a UUID from a file could carry anything
        raise typer.Exit(EXIT_OK)
    if with_smoke_run:
        from gpusetup.devices.map import usable_gpus, with_smoke

        _, run = _run_smoke(
            backend, 120.0, not json_out, expect=usable_gpus(facts, dmap.tf_minimum)
        )
        dmap = with_smoke(dmap, run.devices)
    if json_out:
        from gpusetup.render.json import dumps
        from gpusetup.serde import to_jsonable

        sys.stdout.write(dumps({"schema": "gpusetup.map/1", **to_jsonable(dmap)}))
    else:
        from gpusetup.render.console import make_console, render_map

        render_map(dmap, make_console())
    # no rows, a driver that stopped answering, a lost GPU: the map is not to be trusted
    raise typer.Exit(EXIT_OK if dmap.rows and not dmap.faults else EXIT_FAILED)


@app.command()
def smoke(
    json_out: JsonOpt = False,
    backend: Annotated[str, typer.Option("--backend", help="tensorflow or torch.")] = "tensorflow",
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", help="Deadline per device.")
    ] = 120.0,
) -> None:
    """Run a small fixed model on the CPU and every GPU and compare the outputs.

    Reports warm latency and throughput per device and turns per-device errors (out of
    memory, illegal address, cuDNN failures, wrong results, hangs) into findings. Exits 1
    when a device fails; without the framework installed, says how to install it.
    """
    _check_backend(backend)
    timeout = _smoke_timeout(timeout)
    findings, run = _run_smoke(backend, timeout, show_progress=not json_out)
    if json_out:
        from gpusetup.render.json import dumps
        from gpusetup.serde import to_jsonable

        sys.stdout.write(
            dumps(
                {
                    "schema": "gpusetup.smoke/1",
                    "run": to_jsonable(run),
                    "findings": [to_jsonable(f) for f in findings],
                }
            )
        )
    else:
        from gpusetup.render.console import make_console, render_findings

        render_findings(findings, make_console())
    from gpusetup.findings import Status

    raise typer.Exit(EXIT_FAILED if any(f.status is Status.FAIL for f in findings) else EXIT_OK)


def _check_backend(backend: str) -> None:
    from gpusetup.probe.smoke import BACKENDS

    if backend not in BACKENDS:
        raise UsageProblem(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")


def _smoke_timeout(seconds: float) -> float:
    from gpusetup.probe._deadline import SettingError, parse_seconds
    from gpusetup.probe.smoke import MAX_DEVICE_TIMEOUT_S

    try:
        return parse_seconds(seconds, "--timeout", MAX_DEVICE_TIMEOUT_S)
    except SettingError as exc:
        raise UsageProblem(str(exc)) from exc


def _run_smoke(backend: str, timeout: float, show_progress: bool, expect=None):
    """Run the smoke test (with a live display on a terminal) and judge it. ``expect``:
    the GPUs the framework should use (``UsableGpus``); None: find out here, while the
    framework starts."""
    from gpusetup.diagnose.smoke import smoke_findings
    from gpusetup.probe.smoke import run_smoke

    pending = None
    if expect is None:
        from gpusetup.probe import start_collecting

        pending = start_collecting()
    on_event = None
    status = None
    if show_progress and sys.stderr.isatty():
        from gpusetup.render.console import make_console

        status = make_console(stderr=True).status(f"starting {backend}...")
        status.start()

        def on_event(kind: str, event: dict) -> None:
            if kind == "begin":
                status.update(f"smoke inference on {event['begin']}...")

    try:
        run = run_smoke(backend, device_timeout_s=timeout, on_event=on_event)
    finally:
        if status is not None:
            status.stop()
    if pending is not None:
        from gpusetup.devices.map import usable_gpus
        from gpusetup.tasks.doctor import tensorflow_minimum

        facts = pending.result()
        # TensorFlow's minimum compute capability; PyTorch ships its own architecture list
        minimum = (
            tensorflow_minimum(facts, _profile("default")) if backend == "tensorflow" else None
        )
        expect = usable_gpus(facts, minimum)
    return smoke_findings(run, expect.count, expect.left_out), run


# the demo's options and help live with it (gpusetup/demo/command.py imports only typer)
from gpusetup.demo.command import demo as _demo  # noqa: E402

app.command("demo")(_demo)


ForOpt = Annotated[
    str | None,
    typer.Option(
        "--for",
        metavar="SPEC",
        help="The TensorFlow release to check for, e.g. tensorflow==2.21 (default: the "
        "installed one, else the newest for this Python).",
    ),
]


@app.command()
def libs(
    json_out: JsonOpt = False,
    for_spec: ForOpt = None,
    from_file: FromOpt = None,
) -> None:
    """Find every CUDA/cuDNN library TensorFlow needs, the way the dynamic loader does.

    One row per library (status, version, path, how it was found); for each miss, the
    places searched in order, the copies found elsewhere, and the fix. The real loader is
    asked too (dlopen with LD_DEBUG=libs) and must agree with gpusetup's search. Exits 1
    when a library problem is found.
    """
    from gpusetup.diagnose import diagnose
    from gpusetup.knowledge import KnowledgeError

    if from_file is not None:
        facts = _facts(from_file)
    else:
        from gpusetup.probe import collect_facts

        try:
            facts = collect_facts(libs_for=_tensorflow_spec(for_spec), ask_loader=True)
        except KnowledgeError as exc:
            raise UsageProblem(str(exc)) from exc
    if facts.libs is None:
        failure = facts.failures.get("libs")
        raise UsageProblem(f"the library probe failed: {failure.message if failure else 'no data'}")
    if facts.failures.get("libs") is None and for_spec and facts.libs.requirements == []:
        raise UsageProblem(f"nothing to check for {for_spec}")
    findings = diagnose(facts, _profile("default"), only_prefix="libs.", force_libraries=True)
    if json_out:
        from gpusetup.render.json import dumps
        from gpusetup.render.libs import libs_json

        sys.stdout.write(dumps(libs_json(facts.libs, findings)))
    else:
        from gpusetup.render.console import make_console
        from gpusetup.render.libs import render_libs

        render_libs(facts.libs, findings, make_console())
    from gpusetup.findings import Status

    raise typer.Exit(EXIT_FAILED if any(f.status is Status.FAIL for f in findings) else EXIT_OK)


def _tensorflow_spec(spec: str | None) -> str | None:
    if spec is None:
        return None
    name, sep, version = spec.partition("==")
    if not sep:
        name, version = "tensorflow", spec
    if name.strip().lower() not in ("tensorflow", "tensorflow-gpu", "tensorflow[and-cuda]", "tf"):
        raise UsageProblem(f"--for takes tensorflow==X.Y, not {spec!r}")
    from gpusetup.knowledge import KnowledgeError, find_tensorflow_build

    try:
        find_tensorflow_build(version)
    except KnowledgeError as exc:
        raise UsageProblem(str(exc)) from exc
    return version.strip()


fix_app = typer.Typer(
    help="Change the system to fix a finding (plans first; --apply to do it).", no_args_is_help=True
)
app.add_typer(fix_app, name="fix")


@fix_app.command("ldconfig")
def fix_ldconfig(
    directories: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[DIR]...",
            help="Directories to add (default: where required libraries were found off the "
            "loader's path).",
        ),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Make the change (default: only show the plan).")
    ] = False,
    sysroot: Annotated[
        Path | None,
        typer.Option(
            "--sysroot", metavar="PATH", help="Work on the system tree at PATH (image builds)."
        ),
    ] = None,
    user_env: Annotated[
        bool,
        typer.Option(
            "--user-env",
            help="No root: set LD_LIBRARY_PATH in this virtual/conda "
            "environment's activation instead.",
        ),
    ] = False,
    for_spec: ForOpt = None,
) -> None:
    """Add library directories to /etc/ld.so.conf.d/gpusetup-cuda.conf and run ldconfig.

    Without --apply, prints what would change. Refuses relative, missing, world-writable
    and non-root-owned directories. Afterwards resolves the libraries again and shows the
    result.
    """
    import os

    from gpusetup.fix import ldconfig as fix

    root = Path(sysroot).resolve() if sysroot else Path("/")
    if sysroot and not root.is_dir():
        raise UsageProblem(f"--sysroot {sysroot} is not a directory")
    if sysroot and user_env:
        raise UsageProblem(
            "--user-env changes an environment of this machine; a tree's directories "
            "belong in the tree (drop --user-env)"
        )
    dirs = list(directories or [])
    if not dirs:
        dirs = _off_path_directories(root, for_spec)
        if not dirs:
            typer.echo(
                "Nothing to add: no required library was found off the loader's path "
                "(`gpusetup libs` shows what is missing)."
            )
            raise typer.Exit(EXIT_OK)
        typer.echo(
            "Directories holding required libraries off the loader's path: "
            + ", ".join(_shown(d) for d in dirs)
        )
    if user_env:
        _fix_user_env(dirs, apply)
    try:
        plan = fix.plan_ldconfig(dirs, root)
    except fix.FixError as exc:
        raise UsageProblem(str(exc)) from exc
    _echo_refusals(plan.refused)
    for directory, where in plan.already.items():
        typer.echo(f"already configured: {_shown(directory)} ({_shown(where)})")
    if not plan.add:
        typer.echo("Nothing to change.")
        raise typer.Exit(EXIT_FAILED if plan.refused else EXIT_OK)
    typer.echo(
        f"Plan: add {', '.join(_shown(d) for d in plan.add)} to {_shown(plan.conf_file)}, "
        f"then run `{_shown(shlex.join(plan.ldconfig))}`."
    )
    _echo_planned(plan.files)
    typer.echo(fix.WHY_NOT_LDCONFIG_DIR)
    if not apply:
        typer.echo("Run again with --apply to make the change.")
        raise typer.Exit(EXIT_FAILED if plan.refused else EXIT_OK)
    if os.geteuid() != 0:
        typer.echo("This needs root. Run:\n  " + fix.sudo_command(plan.add, root), err=True)
        if root == Path("/"):
            typer.echo(
                "Or, without root, for the active environment only:\n  "
                + fix.user_env_command(plan.add),
                err=True,
            )
        raise typer.Exit(EXIT_FAILED)
    try:
        output = fix.apply_ldconfig(plan)
    except fix.FixError as exc:
        raise UsageProblem(str(exc)) from exc
    if output:
        typer.echo(_shown(output))
    written = " and ".join(_shown(f.host) for f in plan.files)
    typer.echo(f"Wrote {written} and ran `{_shown(shlex.join(plan.ldconfig))}`. Now:")
    _show_resolution(root, for_spec)
    raise typer.Exit(EXIT_FAILED if plan.refused else EXIT_OK)


def _shown(text: str) -> str:
    from gpusetup.render.text import printable

    return printable(text)


def _echo_refusals(refused) -> None:
    for refusal in refused:
        typer.echo(f"refused {_shown(refusal.directory)}: {_shown(refusal.reason)}", err=True)


def _echo_planned(files) -> None:
    """Each file the fix writes: where it lies (and the links that lead there), and the
    text it puts there."""
    for planned in files:
        via = "".join(
            f" (through the link {_shown(link)} -> {_shown(target)})"
            for link, target in planned.links
        )
        for what, text in planned.shown:
            typer.echo(f"  {_shown(planned.host)}{via} {what}:")
            typer.echo("".join(f"    {_shown(line)}\n" for line in text.splitlines()), nl=False)


def _fix_user_env(dirs: list[str], apply: bool) -> None:
    """``fix ldconfig --user-env``: the activation hook of the active environment."""
    import os

    from gpusetup.fix import ldconfig as fix

    try:
        hook = fix.plan_user_hook(dirs, dict(os.environ))
    except fix.FixError as exc:
        raise UsageProblem(str(exc)) from exc
    _echo_refusals(hook.refused)
    if not hook.files:
        typer.echo("Nothing to change.")
        raise typer.Exit(EXIT_FAILED if hook.refused else EXIT_OK)
    typer.echo(
        f"Plan ({hook.kind} environment): put {':'.join(_shown(d) for d in hook.directories)} "
        "first on LD_LIBRARY_PATH on activation"
    )
    _echo_planned(hook.files)
    for note in hook.notes:
        typer.echo(f"Note: {note}")
    if not apply:
        typer.echo("Run again with --apply to write it.")
        raise typer.Exit(EXIT_FAILED if hook.refused else EXIT_OK)
    try:
        fix.apply_user_hook(hook)
    except fix.FixError as exc:
        raise UsageProblem(str(exc)) from exc
    typer.echo("Done. Re-activate the environment for it to take effect.")
    raise typer.Exit(EXIT_FAILED if hook.refused else EXIT_OK)


def _library_facts(root: Path, for_spec: str | None):
    """The library probe alone, under its deadline."""
    import os
    import platform

    from gpusetup.probe._deadline import DeadlineExceeded, call_with_deadline
    from gpusetup.probe.libraries import LIBRARY_PROBE_TIMEOUT_S, probe_libraries

    spec = _tensorflow_spec(for_spec)
    try:
        return call_with_deadline(
            lambda: probe_libraries(root, os.environ, platform.python_version(), spec),
            LIBRARY_PROBE_TIMEOUT_S,
            "the library probe",
        )
    except DeadlineExceeded as exc:
        raise UsageProblem(str(exc)) from exc


def _off_path_directories(root: Path, for_spec: str | None) -> list[str]:
    from gpusetup.fix.ldconfig import directories_to_configure

    return directories_to_configure(_library_facts(root, for_spec), root)


def _show_resolution(root: Path, for_spec: str | None) -> None:
    from gpusetup.render.console import make_console
    from gpusetup.render.libs import render_libs

    render_libs(_library_facts(root, for_spec), None, make_console())


def _write_output(path: Path, text: str) -> None:
    """Every output file goes through the one writer (see gpusetup.render.output)."""
    from gpusetup.render.output import OutputError, write_output

    try:
        write_output(path, text)
    except OutputError as exc:
        raise UsageProblem(str(exc)) from exc


def _npd_unknown(message: str) -> str:
    from gpusetup.render.node_formats import NPD_MAX_MESSAGE, one_line_message

    return one_line_message(f"Unknown: {message}", NPD_MAX_MESSAGE)


def _redacted(report):
    from gpusetup.render.redact import redact_report

    return redact_report(report)


FORMATS = ("console", "json", "junit", "npd", "prometheus")


@app.command()
def validate(
    profile: Annotated[
        str,
        typer.Option(
            "--profile",
            metavar="NAME|PATH",
            help="Validation profile (shipped: default, ci-node, h100-node; or a .toml file).",
        ),
    ] = "ci-node",
    junit: Annotated[
        Path | None, typer.Option("--junit", metavar="FILE", help="Also write JUnit XML here.")
    ] = None,
    json_file: Annotated[
        Path | None, typer.Option("--json", metavar="FILE", help="Also write the JSON report here.")
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            metavar="FMT",
            help="What to print: console, json, junit, npd (node-problem-detector), prometheus.",
        ),
    ] = "console",
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Write the --format output here instead of stdout (a regular file is "
            "replaced atomically; a device or FIFO is written in place).",
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact", help="Remove hostnames, UUIDs and home paths from what is written."
        ),
    ] = False,
    no_smoke: Annotated[
        bool, typer.Option("--no-smoke", help="Leave out the smoke inference.")
    ] = False,
) -> None:
    """Validate this node under a profile, for CI and schedulers.

    Runs the doctor under the profile and reports in the format the caller reads: JUnit XML
    (one testcase per finding), the JSON report, node-problem-detector's plugin contract
    (exit 0 OK, 1 NonOK, 2 Unknown; one line) or Prometheus textfile metrics. Exit codes
    as doctor (a strict profile fails on warnings too).
    """
    from gpusetup.probe._deadline import SettingError

    if output_format not in FORMATS:
        raise UsageProblem(f"--format must be one of {', '.join(FORMATS)}")
    if output_format == "npd":
        try:
            report, chosen = _full_doctor(profile, None, no_smoke, show_progress=False)
        except (UsageProblem, SettingError) as exc:
            typer.echo(_npd_unknown(str(exc)))
            raise typer.Exit(2) from exc
        except Exception as exc:  # noqa: BLE001 - the plugin contract: Unknown, one line
            typer.echo(_npd_unknown(f"gpusetup failed: {type(exc).__name__}: {exc}"))
            raise typer.Exit(2) from exc
    else:
        report, chosen = _full_doctor(
            profile, None, no_smoke, show_progress=output_format == "console" and not output
        )
    strict = chosen.strict
    if redact:  # before any view: every format renders the same redacted report
        report = _redacted(report)
    from gpusetup.render.json import report_json
    from gpusetup.render.junit import report_junit

    if junit:
        _write_output(junit, report_junit(report, strict))
    if json_file:
        _write_output(json_file, report_json(report))
    code = report.exit_code(strict)
    if output_format == "console":
        from gpusetup.render.console import make_console, render_report

        if output is None:
            render_report(report, make_console())
            raise typer.Exit(code)
        import io

        buffer = io.StringIO()
        render_report(report, make_console(file=buffer))
        text = buffer.getvalue()
    elif output_format == "npd":
        from gpusetup.render.node_formats import npd_line

        code, line = npd_line(report, strict)
        text = line + "\n"
    elif output_format == "json":
        text = report_json(report)
    elif output_format == "junit":
        text = report_junit(report, strict)
    else:
        import time

        from gpusetup.render.node_formats import prometheus_text

        text = prometheus_text(report, time.time())
    if output:
        _write_output(output, text)
    else:
        sys.stdout.write(text)
    raise typer.Exit(code)


fleet_app = typer.Typer(help="Many nodes' reports in one view.", no_args_is_help=True)
app.add_typer(fleet_app, name="fleet")


@fleet_app.command("merge")
def fleet_merge(
    reports: Annotated[list[Path], typer.Argument(metavar="REPORT...")],
    json_out: JsonOpt = False,
) -> None:
    """Merge JSON reports (`validate --json FILE`, `doctor --json`) from many nodes: which
    nodes fail which checks, counts per check id, GPU models and driver versions. Corrupt,
    foreign or wrongly typed files are skipped with a warning. A node counts once: a file
    named twice is read once, and of two reports from one hostname the newer is used.
    Exits 1 when a node fails, 2 when no file was a report."""
    from gpusetup.tasks.fleet import merge

    summary = merge(reports)
    for path, why in summary.skipped.items():
        _say(f"warning: skipped {path}: {why}", err=True)
    if json_out:
        from gpusetup.render.json import dumps
        from gpusetup.serde import to_jsonable

        sys.stdout.write(dumps({"schema": "gpusetup.fleet/1", **to_jsonable(summary)}))
    else:
        # node names, check ids, models and versions all come from the files
        _say(f"{summary.nodes} node(s), {len(summary.failing_nodes)} failing")
        for check_id, nodes in summary.failures.items():
            shown = ", ".join(nodes[:8]) + (f" (+{len(nodes) - 8} more)" if len(nodes) > 8 else "")
            _say(f"  FAIL {check_id} on {len(nodes)} node(s): {shown}")
        if summary.gpu_models:
            models = ", ".join(f"{n} x {m}" for m, n in summary.gpu_models.items())
            _say(f"GPU models: {models}")
        if summary.drivers:
            drivers = ", ".join(f"{v} ({n} nodes)" for v, n in summary.drivers.items())
            _say(f"drivers: {drivers}")
    if summary.nodes == 0:
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(EXIT_FAILED if summary.failing_nodes else EXIT_OK)


@app.command()
def triage(
    log: Annotated[
        str, typer.Argument(metavar="FILE|-", help="The log (a regular file); - for stdin.")
    ] = "-",
    json_out: JsonOpt = False,
) -> None:
    """Diagnose a pasted error log against this machine.

    Recognises the known messages of TensorFlow, PyTorch, JAX, pip, nvidia-smi/NVML and the
    dynamic loader (up to 256 MiB, lines cut at 8 KiB, any encoding junk), then runs the
    matching checks here and
    reports the root cause first, with the consequences it explains and the fix; says when
    the problem is already fixed on this machine. Exits 1 while a root cause persists.
    """
    from gpusetup.probe.inputs import InputChunks, InputError, describe_size
    from gpusetup.tasks.triage import MAX_LOG_BYTES, iter_lines, scan, sonames_in
    from gpusetup.tasks.triage import triage as run_triage

    if log == "-":
        _say_reading_stdin("the log")
    try:
        chunks = InputChunks(log, MAX_LOG_BYTES, allow_stdin=True)
        matches, lines = scan(iter_lines(chunks))
    except InputError as exc:
        raise UsageProblem(str(exc)) from exc
    cut = None
    if chunks.cut:
        cut = (
            f"only the first {describe_size(MAX_LOG_BYTES)} of {chunks.shown} were read "
            f"({lines} lines); the rest was not looked at"
        )
        if not json_out:
            _say(f"gpusetup: note: {cut}", err=True)
    findings = None
    if matches:
        from gpusetup.diagnose import diagnose
        from gpusetup.probe import collect_facts

        facts = collect_facts(extra_libraries=tuple(sonames_in(matches)))
        findings = diagnose(facts, _profile("default"), force_libraries=True)
    report = run_triage(matches, lines, findings)
    if json_out:
        from gpusetup.render.json import dumps
        from gpusetup.serde import to_jsonable

        sys.stdout.write(
            dumps(
                {
                    "schema": "gpusetup.triage/1",
                    "lines": report.lines,
                    "cut": cut,
                    "still_broken": report.still_broken,
                    "items": to_jsonable(report.items),
                }
            )
        )
    else:
        from gpusetup.render.console import make_console, render_triage

        render_triage(report, make_console())
    raise typer.Exit(EXIT_FAILED if report.still_broken else EXIT_OK)


wheel_app = typer.Typer(
    help="Why pip rejects a wheel, and retagging one safely.", no_args_is_help=True
)
app.add_typer(wheel_app, name="wheel")


def _local_wheel(path_or_url: str, scratch: Path) -> Path:
    """A wheel on disk: the path itself, or a URL downloaded into ``scratch``."""
    if "://" not in path_or_url:
        return Path(path_or_url)
    from gpusetup.wheels.index import CacheProblem, IndexProblem, ReleaseFile, download

    name = path_or_url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        # only read, never installed: there is no index hash to check it against
        return download(
            ReleaseFile("", name, path_or_url, None, None, None, False), scratch, verify=False
        )
    except (IndexProblem, CacheProblem) as exc:
        raise UsageProblem(str(exc)) from exc


def _interpreter(python: str | None):
    from gpusetup.wheels.compat import InterpreterError, describe_interpreter

    try:
        return describe_interpreter(python)
    except InterpreterError as exc:
        raise UsageProblem(str(exc)) from exc


def _wheel_problem(exc: Exception) -> UsageProblem:
    """A bad wheel or option as one printable line (exit 2)."""
    from gpusetup.render.text import printable

    return UsageProblem(printable(str(exc)))


PythonOpt = Annotated[
    str | None,
    typer.Option(
        "--python",
        metavar="PATH",
        help="Judge for this interpreter instead of the one running gpusetup.",
    ),
]


@wheel_app.command("inspect")
def wheel_inspect(
    wheel: Annotated[str, typer.Argument(metavar="PATH|URL")],
    python: PythonOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Name, version, tags, metadata and extension modules of a wheel, and whether this
    Python (or --python) accepts it: its tags and its Requires-Python, after checking the
    archive as pip would and RECORD against every member. If not, which part is wrong and
    the tag it would need. Exits 1 when the wheel is not installable here, 2 when it is
    not a wheel."""
    import shutil
    import tempfile

    from gpusetup.wheels.archive import WheelError, read_wheel
    from gpusetup.wheels.compat import judge

    interp = _interpreter(python)
    scratch = Path(tempfile.mkdtemp(prefix="gpusetup-wheel-"))
    try:
        info = read_wheel(_local_wheel(wheel, scratch))
    except WheelError as exc:
        raise _wheel_problem(exc) from exc
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    verdict = judge(info, interp)
    if json_out:
        from gpusetup.render.json import dumps
        from gpusetup.serde import to_jsonable

        sys.stdout.write(
            dumps(
                {
                    "schema": "gpusetup.wheel/1",
                    "wheel": to_jsonable(info),
                    "interpreter": {
                        "executable": interp.executable,
                        "python": interp.python_version,
                        "glibc": interp.glibc,
                    },
                    "verdict": to_jsonable(verdict),
                }
            )
        )
    else:
        _print_wheel(info, interp, verdict)
    raise typer.Exit(EXIT_OK if verdict.compatible else EXIT_FAILED)


def _print_wheel(info, interp, verdict) -> None:
    from gpusetup.render.text import printable

    def echo(text: str) -> None:
        typer.echo(printable(text))

    echo(f"{info.filename}")
    echo(
        f"  name {info.name}, version {info.version}"
        + (f", build {info.build}" if info.build else "")
    )
    echo(f"  tags: {', '.join(info.tags)}")
    echo(f"  Requires-Python: {info.requires_python or '(any)'}")
    for req in info.requires_dist[:20]:
        echo(f"  Requires-Dist: {req}")
    if info.is_pure:
        kind = "pure Python"
    elif info.extensions:
        kind = "abi3 extensions" if info.is_abi3 else "CPython-specific extensions"
    else:
        kind = "native programs or libraries (no extension modules)"
    echo(f"  contents: {kind}; RECORD lists every member with a matching hash")
    for ext in info.extensions[:10]:
        echo(f"    {ext.path} (ABI {ext.abi or 'untagged'})")
    for binary in info.binaries[:5]:
        echo(f"    {binary} (native code)")
    for note in info.notes:
        echo(f"  note: {note}")
    who = f"Python {interp.python_version} ({interp.executable})"
    if verdict.compatible:
        echo(f"OK: installable by {who}: {verdict.reason}")
    else:
        echo(f"NOT installable by {who}: {verdict.mismatch} mismatch: {verdict.reason}")
        if verdict.needed_tag:
            echo(f"  it would need a wheel tagged {verdict.needed_tag}")


@wheel_app.command("retag")
def wheel_retag(
    wheel: Annotated[Path, typer.Argument(metavar="PATH")],
    python_tag: Annotated[str | None, typer.Option("--python-tag", metavar="T")] = None,
    abi_tag: Annotated[str | None, typer.Option("--abi-tag", metavar="T")] = None,
    platform_tag: Annotated[str | None, typer.Option("--platform-tag", metavar="T")] = None,
    out_dir: Annotated[Path | None, typer.Option("-o", "--out-dir", metavar="DIR")] = None,
    force: Annotated[bool, typer.Option("--force", help="Retag even when it is unsafe.")] = False,
) -> None:
    """Write a copy of a wheel with new tags: filename, WHEEL and RECORD, verified by
    reading it back. Each tag option replaces (cp311, py2.py3), adds (+T) or removes (-T,
    written --python-tag=-py2) tags, as `wheel tags` does. Refuses unsafe retags (a
    CPython-ABI extension to another CPython, compiled code to another platform) unless
    --force. The input file is never modified; no partial output is left."""
    from gpusetup.render.text import printable
    from gpusetup.wheels.archive import WheelError
    from gpusetup.wheels.retag import RetagRefused, retag

    if python_tag is None and abi_tag is None and platform_tag is None:
        raise UsageProblem("give at least one of --python-tag, --abi-tag, --platform-tag")
    try:
        result = retag(wheel, python_tag, abi_tag, platform_tag, out_dir, force)
    except RetagRefused as exc:
        typer.echo(f"gpusetup: {printable(str(exc))}", err=True)
        raise typer.Exit(EXIT_FAILED) from exc
    except WheelError as exc:
        raise _wheel_problem(exc) from exc
    for warning in result.warnings:
        typer.echo(f"warning: {printable(warning)}", err=True)
    typer.echo(f"wrote {printable(result.output)}")
    typer.echo(
        printable(
            f"  tags {', '.join(result.old_tags)} -> {', '.join(result.new_tags)}; WHEEL and "
            "RECORD rewritten and verified"
        )
    )


@app.command()
def install(
    package: Annotated[str | None, typer.Argument(metavar="[tensorflow]")] = None,
    spec: Annotated[
        str | None, typer.Argument(metavar="[SPEC]", help="e.g. 2.21, '>=2.18,<2.21'")
    ] = None,
    wheel: Annotated[
        Path | None,
        typer.Option(
            "--wheel", metavar="PATH", help="Install this local wheel (after checking it)."
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan only.")] = False,
    index_url: Annotated[str, typer.Option("--index-url", metavar="URL")] = "https://pypi.org",
    python: PythonOpt = None,
    cache_dir: Annotated[Path | None, typer.Option("--cache-dir", metavar="DIR")] = None,
    no_verify: Annotated[
        bool,
        typer.Option("--no-verify", help="Install a file the index gives no sha256 for."),
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            min=0.1,
            help="The most the index answer, and then the download, may take in all "
            "(default: 120 s; 60 s + 2 s per MiB).",
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Install the TensorFlow release that fits this Python, platform, driver and GPUs.

    Reads the index's release files, drops yanked ones and those whose Requires-Python
    excludes the target Python, ranks by supported tags, checks the driver and every GPU's
    compute capability against each release, and shows the plan (why this file, why not
    the newer ones). Then downloads it, checks its size and sha256 and installs it with pip
    (`tensorflow[and-cuda]` when the GPU can be used).
    """
    interp = _interpreter(python)
    target_python = python or sys.executable
    if wheel is not None:
        if package is not None:
            raise UsageProblem("give either --wheel PATH or a package, not both")
        raise typer.Exit(_install_local_wheel(wheel, interp, target_python, dry_run))
    if package is None or package.lower() not in ("tensorflow", "tensorflow[and-cuda]"):
        raise UsageProblem(
            "gpusetup installs tensorflow (gpusetup install tensorflow [SPEC]) "
            "or a local wheel (--wheel PATH)"
        )
    raise typer.Exit(
        _install_tensorflow(
            spec,
            interp,
            target_python,
            index_url,
            dry_run,
            json_out,
            cache_dir,
            verify=not no_verify,
            timeout_s=timeout,
        )
    )


def _install_local_wheel(path: Path, interp, target_python: str, dry_run: bool) -> int:
    import shlex

    from gpusetup.render.text import printable
    from gpusetup.wheels.archive import WheelError, read_wheel
    from gpusetup.wheels.compat import judge
    from gpusetup.wheels.installer import pip_install

    try:
        info = read_wheel(path)
    except WheelError as exc:
        raise _wheel_problem(exc) from exc
    verdict = judge(info, interp)
    if not verdict.compatible:
        typer.echo(
            printable(
                f"gpusetup: refusing {info.filename}: not installable by Python "
                f"{interp.python_version}: {verdict.mismatch} mismatch: {verdict.reason}"
            ),
            err=True,
        )
        if verdict.needed_tag:
            typer.echo(printable(f"  it would need a wheel tagged {verdict.needed_tag}"), err=True)
        return EXIT_FAILED
    typer.echo(printable(f"{info.filename}: {verdict.reason}"))
    # absolute: a file named like an option (-r x.whl) is still a file to pip
    requirement = str(path.absolute())
    if dry_run:
        typer.echo(
            printable(
                f"would run: {shlex.join([target_python, '-m', 'pip', 'install', requirement])}"
            )
        )
        return EXIT_OK
    code, output = pip_install(target_python, requirement)
    if code != 0:
        typer.echo(printable(output.rstrip(), keep_newlines=True), err=True)
        typer.echo(f"gpusetup: pip failed (exit {code}); its output is above", err=True)
        return EXIT_FAILED
    typer.echo(printable(f"installed {info.name} {info.version}"))
    return EXIT_OK


def _install_tensorflow(
    spec, interp, target_python, index_url, dry_run, json_out, cache_dir, verify, timeout_s
) -> int:
    from gpusetup.knowledge import KnowledgeError
    from gpusetup.probe import collect_facts
    from gpusetup.render.text import printable
    from gpusetup.wheels.choose import choose_tensorflow
    from gpusetup.wheels.index import (
        CacheProblem,
        IndexProblem,
        download,
        fetch_project,
        release_files,
    )
    from gpusetup.wheels.installer import default_cache_dir, machine_gpus, pip_install

    facts = collect_facts()
    machine = machine_gpus(facts)
    try:
        files, notes = release_files(*fetch_project("tensorflow", index_url, timeout_s))
        choice = choose_tensorflow(files, interp, machine, spec)
    except IndexProblem as exc:
        typer.echo(f"gpusetup: {printable(str(exc))}", err=True)
        return EXIT_FAILED
    except KnowledgeError as exc:
        raise UsageProblem(str(exc)) from exc
    chosen = choice.file
    requirement = None
    if chosen is not None:
        requirement = chosen.filename + (f"[{choice.extra}]" if choice.extra else "")
    if json_out:
        from gpusetup.render.json import dumps
        from gpusetup.serde import to_jsonable

        sys.stdout.write(
            dumps(
                {
                    "schema": "gpusetup.install/1",
                    "python": interp.python_version,
                    "choice": to_jsonable(choice),
                    "requirement": requirement,
                    "dry_run": dry_run,
                    "notes": notes,
                }
            )
        )
    else:
        _print_plan(choice, requirement, target_python, notes)
    if chosen is None:
        return EXIT_FAILED
    if dry_run:
        return EXIT_OK
    directory = cache_dir or default_cache_dir()
    try:
        path = _download_with_progress(download, chosen, directory, verify, timeout_s)
    except CacheProblem as exc:
        raise UsageProblem(printable(str(exc))) from exc
    except IndexProblem as exc:
        typer.echo(f"gpusetup: {printable(str(exc))}", err=True)
        return EXIT_FAILED
    wheel_path = str(path.absolute())
    code, output = pip_install(
        target_python, f"{wheel_path}[{choice.extra}]" if choice.extra else wheel_path
    )
    if code != 0:
        typer.echo(printable(output.rstrip(), keep_newlines=True), err=True)
        typer.echo(f"gpusetup: pip failed (exit {code}); its output is above", err=True)
        return EXIT_FAILED
    typer.echo(f"installed TensorFlow {printable(chosen.version)}; check it with: gpusetup smoke")
    return EXIT_OK


def _print_plan(choice, requirement, target_python, notes) -> None:
    import shlex

    from gpusetup.render.text import printable

    def echo(text: str, err: bool = False) -> None:
        typer.echo(printable(text), err=err)

    for note in notes[:5]:
        echo(f"note: {note}", err=True)
    if len(notes) > 5:
        echo(f"note: ... and {len(notes) - 5} more index entries skipped", err=True)
    chosen = choice.file
    if chosen is None:
        echo("No TensorFlow release fits this machine.")
    else:
        size = f"{chosen.size / 2**20:.0f} MiB" if chosen.size else "size unknown"
        echo(f"Plan: TensorFlow {chosen.version}: {chosen.filename} ({size})")
        for reason in choice.reasons:
            echo(f"  because {reason}")
        echo(f"  then: {shlex.join([target_python, '-m', 'pip', 'install', requirement])}")
    for rejection in choice.rejected[:12]:
        echo(f"  not {rejection.version}: {rejection.reason}")
    if len(choice.rejected) > 12:
        echo(f"  ... and {len(choice.rejected) - 12} older releases")


def _download_with_progress(download, file, directory: Path, verify: bool, timeout_s) -> Path:
    if not sys.stderr.isatty():
        return download(file, directory, verify=verify, timeout_s=timeout_s)
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=True,
        console=__import__("gpusetup.render.console", fromlist=["x"]).make_console(stderr=True),
    ) as progress:
        task = progress.add_task(file.filename, total=file.size)
        return download(
            file,
            directory,
            lambda done, total: progress.update(task, completed=done, total=total),
            verify=verify,
            timeout_s=timeout_s,
        )


def _only_the_invoked_command(argv: list[str]) -> None:
    """Typer builds every command's parser on each run; with a command named, keep only
    that one (start-up time: the doctor is run on every node, often)."""
    name = next((a for a in argv if not a.startswith("-")), None)
    if name is None:
        return

    def command_name(info) -> str:
        return info.name or info.callback.__name__.replace("_", "-")

    commands = [c for c in app.registered_commands if command_name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if commands or groups:
        app.registered_commands[:] = commands
        app.registered_groups[:] = groups


def _encode_anything() -> None:
    """Output in any encoding (PYTHONIOENCODING=ascii, a C locale): what the stream cannot
    encode is written as a backslash escape instead of stopping the command."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream: nothing to adjust
                continue


def _exit_now(code: int) -> None:
    import os
    from contextlib import suppress

    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def main() -> None:
    _encode_anything()
    from gpusetup.probe._deadline import (
        Interrupted,
        SettingError,
        install_signal_handlers,
        stop_all_children,
    )

    install_signal_handlers()
    _only_the_invoked_command(sys.argv[1:])
    from gpusetup.render.text import printable

    try:
        try:
            # standalone mode: click reports usage errors (exit 2) and exits with each
            # command's code; only our own exceptions come back here
            app()
        finally:
            # whatever ends the run, no child (NVML, CUDA, TensorFlow) outlives it
            stop_all_children()
    except Interrupted as exc:
        stop_all_children()  # again: the signal may have cut the first round short
        typer.echo("gpusetup: interrupted", err=True)
        # every child is gone; leave now: interpreter shutdown puts the default signal
        # handlers back, and a second signal then would kill us mid-exit
        _exit_now(128 + exc.signum)
    except (UsageProblem, SettingError) as exc:
        # messages quote what the user handed us (keys of a JSON file, names): escaped
        typer.echo(f"gpusetup: error: {printable(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        typer.echo("gpusetup: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - no traceback reaches the user without --debug
        if _debug:
            raise
        typer.echo(
            f"gpusetup: internal error: {type(exc).__name__}: {printable(str(exc))}\n"
            "Run again with --debug for the traceback, and please report it.",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
