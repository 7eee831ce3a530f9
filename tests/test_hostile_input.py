"""Hostile input to every command that reads a file: FIFOs, devices, endless streams, huge,
deep, non-UTF-8 and wrongly typed JSON and TOML, crafted text meant for the terminal.

Every case must end in bounded time with exit 2 (or a skip with a warning, for fleet
merge) naming the file and what is wrong; never a hang, never "internal error". The
facts and reports the cases start from are recorded by the real probe on the simulated
machines; each case changes one thing."""

from __future__ import annotations

import copy
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, TESTS, base_env, machine

LOGS = TESTS / "data" / "logs"
FROM_COMMANDS = ("doctor", "gpus", "map", "libs")


def _run(args: list[str], timeout: float = 60, stdin=subprocess.DEVNULL, **env: str):
    proc = subprocess.run(
        [sys.executable, "-m", "gpusetup", *args],
        capture_output=True,
        text=True,
        env=base_env(**env),
        cwd=ROOT,
        timeout=timeout,
        stdin=stdin,
    )
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    return proc


@pytest.fixture(scope="module")
def recorded(fake_driver_dir, tmp_path_factory) -> tuple[dict, dict]:
    """Facts and a doctor report recorded by the real probe on the simulated mixed8."""
    env = dict(FAKEGPU_MACHINE=str(machine("mixed8")), LD_LIBRARY_PATH=str(fake_driver_dir))
    facts = json.loads(_run(["collect"], **env).stdout)
    report = json.loads(_run(["doctor", "--json", "--no-smoke"], **env).stdout)
    return facts, report


def _set(data: dict, path: str, value) -> dict:
    out = copy.deepcopy(data)
    node = out
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        node = node[key]
    node[keys[-1]] = value
    return out


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# --- --from (doctor, gpus, map, libs) ----------------------------------------------------


def _with(path: str, value):
    """A maker: the recorded data with the value at ``path`` replaced."""
    return lambda p, data: p.write_text(json.dumps(_set(data, path, value)))


def _edited(old: str, new: str):
    """A maker: the recorded data as JSON text, with ``old`` replaced by ``new`` once."""
    return lambda p, data: p.write_text(json.dumps(data).replace(old, new, 1))


DEEP_ENV = '"risky_variables": ' + _deep(5000)

#: name -> (how to make the file from the recorded facts, what the message must say)
FROM_CASES = {
    "fifo": (lambda p, f: os.mkfifo(p), "FIFO"),
    "dev-zero": (lambda p, f: p.symlink_to("/dev/zero"), "character device"),
    "directory": (lambda p, f: p.mkdir(), "directory"),
    "dangling-link": (lambda p, f: p.symlink_to(p.parent / "gone"), "No such file"),
    "huge-sparse": (lambda p, f: os.truncate(_touch(p), 33 << 20), "larger than the 32 MiB"),
    "empty": (lambda p, f: p.write_bytes(b""), "is not JSON"),
    "not-utf8": (lambda p, f: p.write_bytes(b'{"schema": "\xc3\x28"}'), "not UTF-8"),
    "utf16": (lambda p, f: p.write_bytes(json.dumps(f).encode("utf-16")), "UTF-16"),
    "deep-array": (lambda p, f: p.write_text(_deep(100_000)), "nested more than 64"),
    "deep-inside-facts": (_edited('"risky_variables": {}', DEEP_ENV), "nested more than 64"),
    "nan": (_with("nvml.gpus.0.memory_total_mib", float("nan")), "NaN"),
    "inf": (_edited('"uid": 0', '"uid": 1e999'), "not finite"),
    "int-beyond-64-bits": (_with("host.uid", 2**64), "64 bits"),
    "int-5000-digits": (_edited('"uid": 0', '"uid": ' + "9" * 5000), "too many digits"),
    "facts-a-string": (_with("schema", 1), "expected 'gpusetup.facts/1'"),
    "hostname-a-number": (_with("host.hostname", 42), "$.host.hostname: expected str"),
    "gpu-name-a-list": (_with("nvml.gpus.0.name", ["x"]), "$.nvml.gpus[0].name"),
    "gpus-an-object": (_with("nvml.gpus", {}), "$.nvml.gpus: expected a list"),
    "bus-id-malformed": (_with("nvml.gpus.0.pci_bus_id", "zz:zz:zz.z"), "is not a PCI bus id"),
    "bus-id-colons": (_with("cuda.devices.0.pci_bus_id", "::::"), "is not a PCI bus id"),
    "python-version-junk": (_with("host.python_version", "abc"), "is not a Python version"),
    "cc-wrong-arity": (_with("nvml.gpus.0.compute_capability", [8]), "expected 2 items"),
    "failure-kind-a-number": (_with("failures", {"nvml": {"kind": 1, "message": ""}}), "str"),
}


def _touch(path: Path) -> Path:
    path.write_bytes(b"")
    return path


@pytest.mark.parametrize("command", FROM_COMMANDS)
@pytest.mark.parametrize("case", list(FROM_CASES))
def test_from_file_hostile_case_exits_2_naming_file_and_problem(recorded, tmp_path, case, command):
    make, message = FROM_CASES[case]
    path = tmp_path / f"{case}.json"
    make(path, recorded[0])
    args = [command, "--from", str(path)] + (["--no-smoke"] if command == "doctor" else [])
    started = time.monotonic()
    run = _run(args, timeout=30)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert str(path) in run.stderr and message in run.stderr, run.stderr
    assert time.monotonic() - started < 30


def test_from_stdin_reads_the_facts(recorded):
    data = json.dumps(recorded[0]).encode()
    proc = subprocess.run(
        [sys.executable, "-m", "gpusetup", "gpus", "--json", "--from", "-"],
        input=data,
        capture_output=True,
        env=base_env(),
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0 and json.loads(proc.stdout)["gpus"][0]["name"] == "Tesla K80"


def test_from_endless_stdin_stops_at_the_limit(recorded):
    with open("/dev/zero", "rb") as zero:
        run = _run(["doctor", "--from", "-", "--no-smoke"], stdin=zero, timeout=60)
    assert run.returncode == 2 and "standard input is larger than the 32 MiB" in run.stderr


# --- --profile ------------------------------------------------------------------------------


def _toml(text: str):
    return lambda p: p.write_text(text)


PROFILE_CASES = {
    "fifo": (lambda p: os.mkfifo(p), "FIFO"),
    "dev-zero": (lambda p: p.symlink_to("/dev/zero"), "character device"),
    "directory": (lambda p: p.mkdir(), "directory"),
    "huge": (lambda p: os.truncate(_touch(p), 2 << 20), "larger than the 1 MiB"),
    "not-utf8": (lambda p: p.write_bytes(b'[profile]\ndescription = "\xff"\n'), "not UTF-8"),
    "deep-array": (_toml("[gpu]\nx = " + _deep(50_000) + "\n"), "nests too deeply"),
    "driver-not-a-version": (_toml('[driver]\nmin_version = "abc.def"\n'), "min_version = 'abc."),
    "driver-negative": (_toml('[driver]\nmin_version = "-550"\n'), "driver.min_version"),
    "cc-negative": (_toml('[gpu]\nmin_compute_capability = "-1.0"\n'), "gpu.min_compute_"),
    "cc-three-parts": (_toml('[gpu]\nmin_compute_capability = "8.0.1"\n'), "gpu.min_compute_"),
    "latency-nan": (_toml("[smoke]\nmax_latency_ms = nan\n"), "smoke.max_latency_ms = nan"),
    "latency-inf": (_toml("[smoke]\nmax_latency_ms = inf\n"), "smoke.max_latency_ms = inf"),
    "count-negative": (_toml("[gpu]\nexpected_count = -3\n"), "gpu.expected_count"),
    "strict-a-string": (_toml('[profile]\nstrict = "yes"\n'), "profile.strict"),
    "soname-a-path": (_toml('[libraries]\nrequired = ["/tmp/evil.so"]\n'), "is not a soname"),
    "soname-junk": (_toml('[libraries]\nrequired = ["not a library"]\n'), "is not a soname"),
    "soname-a-number": (_toml("[libraries]\nrequired = [5]\n"), "libraries.required"),
    "section-a-value": (_toml("gpu = 5\n"), "[gpu] must be a table"),
    "bad-toml": (_toml("[gpu\n"), "is not valid TOML"),
    "bad-regex": (_toml('[gpu]\nmodel_pattern = "(("\n'), "gpu.model_pattern"),
}


@pytest.mark.parametrize("case", list(PROFILE_CASES))
def test_profile_hostile_case_exits_2_naming_file_and_key(recorded, tmp_path, case):
    make, message = PROFILE_CASES[case]
    path = tmp_path / f"{case}.toml"
    make(path)
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(recorded[0]))
    run = _run(["doctor", "--profile", str(path), "--from", str(facts), "--no-smoke"], timeout=30)
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert str(path) in run.stderr and message in run.stderr, run.stderr


def test_a_well_formed_profile_still_loads(recorded, tmp_path):
    path = tmp_path / "site.toml"
    path.write_text(
        '[driver]\nmin_version = "550.54.14"\n[gpu]\nmin_compute_capability = "8.0"\n'
        '[libraries]\nrequired = ["libnccl.so.2", "libcudnn_ops.so.9"]\n'
        "[smoke]\nmax_latency_ms = 12.5\n"
    )
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(recorded[0]))
    run = _run(["doctor", "--profile", str(path), "--from", str(facts), "--no-smoke", "--json"])
    assert run.returncode == 1 and json.loads(run.stdout)["profile"] == "site"


# --- fleet merge -------------------------------------------------------------------------

DEEP_EVIDENCE = '"evidence": {"x": ' + _deep(3000) + "}"

#: name -> how to make the file from a recorded report; each is skipped with a warning
FLEET_CASES = {
    "fifo": lambda p, r: os.mkfifo(p),
    "dev-zero": lambda p, r: p.symlink_to("/dev/zero"),
    "directory": lambda p, r: p.mkdir(),
    "huge-sparse": lambda p, r: os.truncate(_touch(p), 33 << 20),
    "not-utf8": lambda p, r: p.write_bytes(b"\xff\xff"),
    "truncated": lambda p, r: p.write_text(json.dumps(r)[:5000]),
    "deep": _edited('"evidence": {', DEEP_EVIDENCE + ', "y": {'),
    "foreign": lambda p, r: p.write_text('{"hello": "world"}'),
    "facts-a-string": _with("facts", "x"),
    "hostname-a-number": _with("facts.host.hostname", 7),
    "gpu-name-a-list": _with("facts.nvml.gpus.0.name", []),
    "driver-an-object": _with("facts.nvml.driver_version", {}),
    "findings-an-object": _with("findings", {}),
    "finding-status-junk": _with("findings.0.status", "meh"),
    "finding-id-a-number": _with("findings.0.id", 3),
    "bus-id-malformed": _with("facts.nvml.gpus.0.pci_bus_id", "x"),
    "nan": _edited('"uid": 0', '"uid": NaN'),
}


@pytest.mark.parametrize("case", list(FLEET_CASES))
def test_fleet_merge_skips_a_hostile_file_and_counts_the_good_one(recorded, tmp_path, case):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_set(recorded[1], "facts.host.hostname", "node-a")))
    bad = tmp_path / f"{case}.json"
    FLEET_CASES[case](bad, _set(recorded[1], "facts.host.hostname", "node-b"))
    run = _run(["fleet", "merge", str(good), str(bad), "--json"], timeout=30)
    summary = json.loads(run.stdout)
    assert run.returncode == 1  # the good report has failures
    assert summary["nodes"] == 1 and summary["failing_nodes"] == ["node-a"]
    assert list(summary["skipped"]) == [str(bad)]
    assert f"warning: skipped {bad}" in run.stderr


def test_fleet_merge_counts_a_node_once(recorded, tmp_path):
    old = _set(_set(recorded[1], "facts.host.hostname", "node-a"), "facts.collected_at",
               "2026-01-01T00:00:00+00:00")  # fmt: skip
    for f in old["findings"]:
        f["status"] = "pass"
    new = _set(_set(recorded[1], "facts.host.hostname", "node-a"), "facts.collected_at",
               "2026-02-01T00:00:00+00:00")  # fmt: skip
    (tmp_path / "a.json").write_text(json.dumps(new))
    (tmp_path / "a-old.json").write_text(json.dumps(old))
    (tmp_path / "b.json").write_text(json.dumps(_set(recorded[1], "facts.host.hostname", "node-b")))
    files = [str(tmp_path / n) for n in ("a.json", "a.json", "b.json", "a-old.json")]
    summary = json.loads(_run(["fleet", "merge", *files, "--json"]).stdout)
    assert summary["nodes"] == 2 and summary["failing_nodes"] == ["node-a", "node-b"]
    assert summary["skipped"] == {
        files[1]: f"the same file as {files[0]} (read once)",
        files[3]: f"an older report of node node-a than {files[0]} (one report per node)",
    }
    failing_ids = {f["id"] for f in recorded[1]["findings"] if f["status"] == "fail"}
    per_id = {
        i: sum(f["id"] == i and f["status"] == "fail" for f in recorded[1]["findings"])
        for i in failing_ids
    }
    for check_id in failing_ids:
        assert summary["failures"][check_id] == ["node-a", "node-b"]
        assert summary["checks"][check_id]["fail"] == 2 * per_id[check_id]
    gpus = len(recorded[1]["facts"]["nvml"]["gpus"])
    assert sum(summary["gpu_models"].values()) == 2 * gpus


def test_fleet_merge_with_redacted_hostnames_counts_files_as_nodes(recorded, tmp_path):
    for name in ("n1", "n2"):
        (tmp_path / f"{name}.json").write_text(
            json.dumps(_set(recorded[1], "facts.host.hostname", "<host>"))
        )
    files = [str(tmp_path / "n1.json"), str(tmp_path / "n2.json")]
    summary = json.loads(_run(["fleet", "merge", *files, "--json"]).stdout)
    assert summary["nodes"] == 2 and summary["failing_nodes"] == ["n1", "n2"]


# --- triage ----------------------------------------------------------------------------------

TRIAGE_CASES = {
    "fifo": (lambda p: os.mkfifo(p), "FIFO"),
    "dev-zero": (lambda p: p.symlink_to("/dev/zero"), "character device"),
    "directory": (lambda p: p.mkdir(), "directory"),
    "dangling-link": (lambda p: p.symlink_to(p.parent / "gone"), "No such file"),
}


@pytest.mark.parametrize("case", list(TRIAGE_CASES))
def test_triage_refuses_what_is_not_a_file(tmp_path, case):
    make, message = TRIAGE_CASES[case]
    path = tmp_path / "log"
    make(path)
    run = _run(["triage", str(path)], timeout=30)
    assert run.returncode == 2 and str(path) in run.stderr and message in run.stderr


def test_triage_of_an_endless_stream_stops_at_the_cap_and_says_so(tmp_path):
    with open("/dev/zero", "rb") as zero:
        run = _run(["triage", "-", "--json"], stdin=zero, timeout=120)
    report = json.loads(run.stdout)
    assert run.returncode == 0 and report["lines"] == 1
    assert report["cut"].startswith("only the first 256 MiB of standard input were read")


def test_triage_of_a_file_past_the_cap_reads_the_start_and_says_what_was_cut(tmp_path):
    log = tmp_path / "huge.log"
    log.write_bytes((LOGS / "k80-ignored.log").read_bytes())
    os.truncate(log, (256 << 20) + 4096)  # the rest: a hole of zero bytes
    run = _run(["triage", str(log)], timeout=120)
    said = " ".join(run.stdout.split())
    assert (
        run.returncode == 1 and "Tesla K80 (PCI bus 0000:04:00.0): compute capability 3.7" in said
    )
    assert f"only the first 256 MiB of {log} were read" in run.stderr


def test_triage_finds_the_cause_after_a_line_of_ten_megabytes(tmp_path):
    log = tmp_path / "long-line.log"
    log.write_bytes(b"x" * (10 << 20) + b"\n" + (LOGS / "k80-ignored.log").read_bytes())
    report = json.loads(_run(["triage", str(log), "--json"], timeout=120).stdout)
    assert [i["id"] for i in report["items"]] == ["tf.gpu.ignoring-device-cc"]
    assert report["cut"] is None


def test_triage_on_a_terminal_says_it_reads_stdin_and_how_to_end_it(tmp_path):
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gpusetup", "triage", "--json"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=base_env(),
        cwd=ROOT,
    )
    os.close(slave)
    try:
        ready, _, _ = select.select([proc.stderr], [], [], 30)
        assert ready, "nothing said on stderr while waiting for the terminal"
        said = proc.stderr.readline().decode()
        assert "reading the log from standard input" in said and "Ctrl-D" in said
        os.write(master, b"hello\n\x04")  # a line, then end-of-file as a user types it
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert json.loads(out)["lines"] == 1


# --- crafted text on the terminal ------------------------------------------------------------

EVIL = "\x1b[2J\x1b]0;owned\x07[/x][bold]\u202eevil\x00\u200b"


def _evil_facts(facts: dict) -> dict:
    out = _set(facts, "host.hostname", "host" + EVIL)
    out = _set(out, "nvml.gpus.0.name", "Tesla" + EVIL)
    out = _set(out, "nvml.driver_version", "470" + EVIL)
    out = _set(out, "libs.requirements.0.soname", "libcudart.so.12" + EVIL)
    return _set(out, "libs.target", "TensorFlow" + EVIL)


def _assert_escaped(text: str) -> None:
    for raw in ("\x1b", "\x07", "\x00", "\u202e", "\u200b"):
        assert raw not in text, repr(raw)
    assert "\\x1b" in text and "\\u202e" in text


@pytest.mark.parametrize(
    "args",
    [["doctor", "--no-smoke", "-v"], ["gpus"], ["map"], ["libs"]],
    ids=["doctor", "gpus", "map", "libs"],
)
def test_control_characters_from_a_facts_file_are_escaped(recorded, tmp_path, args):
    facts = tmp_path / "evil.json"
    facts.write_text(json.dumps(_evil_facts(recorded[0])))
    run = _run([*args, "--from", str(facts)])
    assert run.returncode in (0, 1), run.stderr
    _assert_escaped(run.stdout)


def test_control_characters_in_fleet_reports_are_escaped(recorded, tmp_path):
    report = _set(recorded[1], "facts.host.hostname", "node" + EVIL)
    report = _set(report, "facts.nvml.gpus.0.name", "Tesla" + EVIL)
    report["findings"][3]["id"] = "driver.version" + EVIL
    report["findings"][3]["status"] = "fail"
    (tmp_path / "r.json").write_text(json.dumps(report))
    (tmp_path / "bad\x1b[31m.json").write_text("{")
    run = _run(["fleet", "merge", str(tmp_path / "r.json"), str(tmp_path / "bad\x1b[31m.json")])
    assert run.returncode == 1
    _assert_escaped(run.stdout)
    assert "\x1b" not in run.stderr and "bad\\x1b[31m.json" in run.stderr


def test_control_characters_in_a_triaged_log_are_escaped(tmp_path):
    log = tmp_path / "evil.log"
    line = (LOGS / "k80-ignored.log").read_text().splitlines()
    target = next(i for i, text in enumerate(line) if "Ignoring visible gpu device" in text)
    line[target] = line[target].replace("Tesla K80", "Tesla\u202eK80\x07")
    log.write_text("\n".join(line) + "\n")
    run = _run(["triage", str(log)])
    assert "\u202e" not in run.stdout and "\x07" not in run.stdout
    assert "\\u202e" in run.stdout


def test_error_messages_quoting_a_file_are_escaped(tmp_path):
    facts = tmp_path / "keys.json"
    facts.write_text(json.dumps({"schema": "gpusetup.facts/1\x1b[2J", "collected_at": "x"}))
    run = _run(["doctor", "--from", str(facts)])
    assert run.returncode == 2 and "\x1b" not in run.stderr and "\\x1b" in run.stderr


# --- widths and encodings --------------------------------------------------------------------

CONSOLE_VIEWS = [
    ["doctor", "--no-smoke", "-v"],
    ["gpus"],
    ["map"],
    ["libs"],
    ["validate", "--profile", "default", "--no-smoke"],
    ["explain", "gpu.compute-capability"],
]


@pytest.mark.parametrize("columns", ["0", "1", "abc", "-5", ""])
def test_a_useless_columns_value_still_prints_the_report(cli, columns):
    run = cli("doctor", "--no-smoke", machine_file="mixed8", COLUMNS=columns)
    assert run.returncode == 1
    assert "driver.version" in run.stdout and "How to fix" in run.stdout
    assert max(len(line) for line in run.stdout.splitlines()) <= 80


@pytest.mark.parametrize("args", CONSOLE_VIEWS, ids=lambda a: a[0])
def test_ascii_only_output_does_not_crash_any_console_view(cli, recorded, tmp_path, args):
    facts = _set(recorded[0], "nvml.gpus.0.name", "Tesla K80 \u2014 r\u00e9vision \u4e2d")
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts))
    from_args = ["--from", str(path)] if args[0] in FROM_COMMANDS else []
    run = cli(*args, *from_args, machine_file="mixed8", PYTHONIOENCODING="ascii")
    assert run.returncode in (0, 1), run.stderr
    run.stdout.encode("ascii")  # every character representable
    if args[0] == "gpus":
        assert "Tesla K80 \\u2014 r\\xe9vision \\u4e2d" in run.stdout
    if args[0] in ("doctor", "validate", "gpus"):
        assert "\\xb7" not in run.stdout and " - " in run.stdout.splitlines()[0]


def test_ascii_only_output_for_triage_and_fleet(recorded, tmp_path):
    report = _set(recorded[1], "facts.nvml.gpus.0.name", "Tesla \u00e9")
    (tmp_path / "r.json").write_text(json.dumps(report))
    run = _run(["fleet", "merge", str(tmp_path / "r.json")], PYTHONIOENCODING="ascii")
    assert run.returncode == 1 and "Tesla \\xe9" in run.stdout
    log = tmp_path / "k80.log"
    log.write_text((LOGS / "k80-ignored.log").read_text().replace("Tesla K80", "Tesla K\u00e980"))
    run = _run(["triage", str(log)], PYTHONIOENCODING="ascii")
    assert run.returncode == 1 and "K\\xe980" in run.stdout
