"""Triage on the real-log corpus (tests/data/logs/real/): for every case the first root cause
names the case's family (a healthy output gives none), and its diagnosis and fix are not
empty and name the facts of the log the case lists (``mentions``).

The cases the engine gets wrong are listed below with the reason; each is a strict xfail,
so a change that fixes one fails here until the list is updated.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gpusetup.logtriage import triage_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"

#: case -> why the log alone does not give the thread's answer
WRONG = {
    "docker-plain-run-smi-no-driver": "nothing in the paste shows it runs inside a container",
    "go-cu-init-unknown-nvidia-uvm-not-loaded": "a Go panic 'Unknown' names no CUDA message",
    "pip-tensorflow-gpu-2120-not-found-windows": (
        "a wording of an installer front-end the catalogue lacks"
    ),
    "win-devicequery-returned-38-no-device": (
        "'no CUDA-capable device is detected' alone: three other cases with only this line "
        "are visibility (a GPU selected that is not there); nothing here shows the driver "
        "is missing rather than the device hidden"
    ),
}


def cases() -> list[Path]:
    return sorted(REAL.glob("*.log"))


def meta(log: Path) -> dict:
    return tomllib.loads(log.with_suffix(".toml").read_text(encoding="utf-8"))


def _param(log: Path):  # type: ignore[no-untyped-def]
    marks = [pytest.mark.xfail(strict=True, reason=WRONG[log.stem])] if log.stem in WRONG else []
    return pytest.param(log, id=log.stem, marks=marks)


@pytest.mark.parametrize("log", [_param(p) for p in cases()])
def test_first_root_cause_names_the_family_with_diagnosis_fix_and_facts(log: Path) -> None:
    case = meta(log)
    result = triage_text(log.read_text(encoding="utf-8"))
    roots = result.root_causes
    if case["family"] == "healthy":
        assert roots == (), [r.id for r in roots]
        return
    assert roots, "no root cause"
    first = roots[0]
    assert first.family == case["family"], (first.id, first.family)
    assert first.diagnosis.strip() and first.fix.strip()
    said = f"{first.diagnosis} {first.fix}"
    missing = [fact for fact in case["mentions"] if fact not in said]
    assert not missing, f"{first.id} does not name {missing}"


def test_wrong_list_names_real_cases() -> None:
    assert set(WRONG) <= {p.stem for p in cases()}


def test_accuracy_bench_reports_every_family() -> None:
    sys.path.insert(0, str(REAL.parents[3] / "bench"))
    import triage_accuracy

    rows = triage_accuracy.evaluate(REAL)
    table = triage_accuracy.table(rows)
    families = {meta(p)["family"] for p in cases()}
    assert all(f"| {family} |" in table for family in families)
    right = sum(r["right"] for r in rows)
    assert right == len(rows) - len(WRONG)
