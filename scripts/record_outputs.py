"""Record the JSON the everyday commands print on every simulated machine, to compare two
versions of gpusetup (a restructure must leave them identical).

    python scripts/record_outputs.py record DIR      # one file per machine and command
    python scripts/record_outputs.py compare OLD NEW # the differences, exit 1 if any

Each machine in tests/machines runs with the simulated driver built as tests/conftest.py
builds it (a fixed directory, so library paths agree between runs), plus this machine
with no driver. Per machine: ``doctor --json --no-smoke``, ``map --json``, ``libs --json``,
``gpus --json``, ``collect`` and ``doctor --from`` the collected facts (under the ci-node
profile too), and the console view of ``doctor --no-smoke`` (plain at 80 and 44 columns,
verbose, and coloured as on a terminal). Timestamps and durations are masked; the exit code
and standard error are kept beside the output.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MACHINES = ROOT / "tests" / "machines"
FAKEGPU = ROOT / "tests" / "fakegpu"
BUILD = Path("/tmp/gpusetup-record-fakegpu")
#: values that differ from run to run, masked wherever they appear
MASKED_KEYS = {"collected_at", "latency_ms", "throughput", "timestamp"}
#: the doctor's console view, as (extra arguments, extra environment)
CONSOLE_VIEWS: dict[str, tuple[list[str], dict[str, str]]] = {
    "doctor-console": ([], {}),
    "doctor-console-narrow": ([], {"COLUMNS": "44"}),
    "doctor-console-verbose": (["--verbose"], {}),
    # Rich colours piped output when told to (NO_COLOR is set by environment())
    "doctor-console-color": ([], {"NO_COLOR": "", "FORCE_COLOR": "1", "TERM": "xterm-256color"}),
}


def build_driver(missing: tuple[str, ...]) -> Path:
    """The simulated libnvidia-ml.so.1 and libcuda.so.1 (conftest's fake_driver_build)."""
    key = "-".join(sorted(missing)) or "all"
    out = BUILD / key
    if (out / "libcuda.so.1").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    cc = shutil.which("cc") or shutil.which("gcc")
    flags = []
    if missing:
        script = out / "missing.map"
        script.write_text("{ global: *; local: " + "".join(f"{f}; " for f in missing) + "};\n")
        flags = [f"-Wl,--version-script,{script}"]
    for soname, source in (("libnvidia-ml.so.1", "fakenvml.c"), ("libcuda.so.1", "fakecuda.c")):
        argv = [cc, "-shared", "-fPIC", "-O1", "-Wall", "-Werror", f"-Wl,-soname,{soname}"]
        argv += flags if soname == "libnvidia-ml.so.1" else []
        subprocess.run([*argv, "-o", str(out / soname), str(FAKEGPU / source)], check=True)
    return out


def environment(machine: Path | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CUDA_", "GPUSETUP_", "FAKEGPU_", "LD_LIBRARY_PATH"))
    }
    env.update(NO_COLOR="1", COLUMNS="80", PYTHONPATH=str(ROOT))
    if machine is not None:
        data = json.loads(machine.read_text())
        env["FAKEGPU_MACHINE"] = str(machine)
        env["LD_LIBRARY_PATH"] = str(build_driver(tuple(data.get("missing_functions", ()))))
        if machine.stem.startswith("hang"):
            env["GPUSETUP_NVML_TIMEOUT"] = "2"
    return env


def mask(value: object) -> object:
    if isinstance(value, dict):
        return {k: "<masked>" if k in MASKED_KEYS else mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def run(args: list[str], env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-m", "gpusetup", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    try:
        out: object = mask(json.loads(proc.stdout))
    except json.JSONDecodeError:
        out = proc.stdout
    return {"argv": args, "exit": proc.returncode, "stdout": out, "stderr": proc.stderr}


def record(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    machines: list[Path | None] = [*sorted(MACHINES.glob("*.json")), None]
    for machine in machines:
        name = machine.stem if machine else "this-machine"
        env = environment(machine)
        facts = directory / f"{name}.facts.json"
        results = {
            "doctor": run(["doctor", "--json", "--no-smoke"], env),
            "map": run(["map", "--json"], env),
            "libs": run(["libs", "--json"], env),
            "gpus": run(["gpus", "--json"], env),
            "collect": run(["collect", "-o", str(facts)], env),
        }
        results["collect"]["stderr"] = "<masked>"  # names the file written
        for view, extra in CONSOLE_VIEWS.items():
            results[view] = run(["doctor", "--no-smoke", *extra[0]], {**env, **extra[1]})
        results["doctor-from"] = run(["doctor", "--json", "--from", str(facts)], env)
        results["doctor-from-ci"] = run(
            ["doctor", "--json", "--from", str(facts), "--profile", "ci-node"], env
        )
        for result in results.values():
            result["argv"] = [str(a).replace(str(directory), "<dir>") for a in result["argv"]]
            if isinstance(result["stdout"], dict):
                result["stdout"] = json.loads(
                    json.dumps(result["stdout"]).replace(str(directory), "<dir>")
                )
        for command, result in results.items():
            path = directory / f"{name}.{command}.json"
            path.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        print(f"{name}: " + " ".join(f"{c}={r['exit']}" for c, r in results.items()), flush=True)


def compare(old: Path, new: Path) -> int:
    names = sorted({p.name for p in old.glob("*.json")} | {p.name for p in new.glob("*.json")})
    differing = 0
    for name in names:
        if name.endswith(".facts.json"):
            continue  # what doctor --from read; its verdicts are compared instead
        a, b = old / name, new / name
        text_a = a.read_text().splitlines() if a.exists() else ["(missing)"]
        text_b = b.read_text().splitlines() if b.exists() else ["(missing)"]
        if text_a != text_b:
            differing += 1
            sys.stdout.writelines(
                line + "\n"
                for line in difflib.unified_diff(text_a, text_b, str(a), str(b), lineterm="", n=2)
            )
    print(f"{differing} of {len(names)} recordings differ")
    return 1 if differing else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("record").add_argument("directory", type=Path)
    cmp = sub.add_parser("compare")
    cmp.add_argument("old", type=Path)
    cmp.add_argument("new", type=Path)
    args = parser.parse_args()
    if args.what == "record":
        record(args.directory)
    else:
        sys.exit(compare(args.old, args.new))


if __name__ == "__main__":
    main()
