"""What a held-out sample taught, checked on the real paste that showed it: shared by the
tests of each round's readings (tests/test_triage38.py, tests/test_triage39.py)."""

from __future__ import annotations

from pathlib import Path

from gpusetup.logtriage import triage_text
from gpusetup.logtriage.rules import Item

REAL = Path(__file__).resolve().parent / "data" / "logs" / "real"

#: case -> (family, entry, facts the diagnosis names, facts the fix names)
Reading = tuple[str, str, list[str], list[str]]


def first_root(case: str) -> Item:
    """The first root cause triage names for the corpus case ``case``."""
    roots = triage_text((REAL / f"{case}.log").read_text(encoding="utf-8")).root_causes
    assert roots, f"{case}: no root cause"
    return roots[0]


def assert_reading(case: str, reading: Reading) -> None:
    """The case's first root cause is the reading's entry and family, and its diagnosis and
    fix name the reading's facts."""
    family, entry, in_diagnosis, in_fix = reading
    first = first_root(case)
    assert (first.family, first.id) == (family, entry)
    for fact in in_diagnosis:
        assert fact in first.diagnosis, (fact, first.diagnosis)
    for fact in in_fix:
        assert fact in first.fix, (fact, first.fix)
