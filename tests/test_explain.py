"""Every finding id a command can emit is one `gpusetup explain` knows.

The ids come from two places: what the commands really emitted on every simulated machine
(and on this one, for the smoke inference), and every id written as a literal where a
finding is made in gpusetup's source (so an id no simulated machine reaches is covered).
"""

from __future__ import annotations

import ast

from conftest import MACHINES, ROOT

from gpusetup.render.text import explanation
from gpusetup.tasks.doctor import find_check

FINDING_MAKERS = {"Finding", "skip", "check", "_not_required"}


def ids_in_source() -> set[str]:
    found = set()
    for path in (ROOT / "gpusetup").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            args = list(node.args) + [k.value for k in node.keywords if k.arg == "id"]
            if name in FINDING_MAKERS and args:
                first = args[1] if name in {"_not_required"} else args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found.add(first.value)
    return {i for i in found if "." in i and " " not in i}


def emitted_ids(cli) -> set[str]:
    """Every finding id doctor and libs emit on every simulated machine, and smoke here."""
    ids = set()
    deadlines = dict(GPUSETUP_NVML_TIMEOUT="2", GPUSETUP_CUDA_TIMEOUT="2")
    for machine in sorted(MACHINES.glob("*.json")):
        for args in (("doctor", "--json"), ("libs", "--json")):
            run = cli(*args, machine_file=machine, timeout=300, **deadlines)
            ids.update(f["id"] for f in run.json()["findings"])
    ids.update(f["id"] for f in cli("smoke", "--json", timeout=300).json()["findings"])
    return ids


def test_the_source_names_the_smoke_ids_too():
    assert {"smoke.inference", "smoke.gpu-visible", "gpu.present"} <= ids_in_source()


def test_every_emitted_or_written_id_is_explained(cli):
    emitted = emitted_ids(cli)
    listing = cli("explain")
    assert listing.returncode == 0
    listed = {line.split()[0] for line in listing.stdout.splitlines()}
    every = emitted | ids_in_source()
    assert "smoke.inference" in emitted  # the doctor's last step, on every machine
    assert every - listed == set()
    first = min(every)
    run = cli("explain", first)
    assert run.returncode == 0, (first, run.stderr)
    assert run.stdout.startswith(f"{first}: ") and "Why it matters:" in run.stdout
    # the rest through what the command prints (a process each adds nothing but time)
    for check_id in sorted(every - {first}):
        text = "\n".join(line for line, _ in explanation(find_check(check_id)))
        assert text.startswith(f"{check_id}: ") and "Why it matters:" in text
