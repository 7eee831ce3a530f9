"""Findings (one check's verdict) and the Report that every renderer reads."""

from __future__ import annotations

import enum
from dataclasses import field
from typing import Any

from gpusetup.facts import Facts
from gpusetup.serde import SchemaError, from_jsonable, record, to_jsonable

REPORT_SCHEMA = "gpusetup.report/1"
#: the evidence key of a finding that stands for a check that crashed (a gpusetup bug)
BUG_EVIDENCE = "gpusetup bug"
#: the exit code when gpusetup itself failed
EXIT_BUG = 3


class Status(str, enum.Enum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


@record
class Finding:
    """One check's verdict. ``id`` is stable API (profiles, JUnit and docs refer to it)."""

    id: str
    status: Status
    title: str
    detail: str = ""
    #: what the verdict rests on, as short "name: value" facts
    evidence: dict[str, Any] = field(default_factory=dict)
    #: the concrete fix: commands or an edit; empty when nothing needs doing
    fix: str = ""
    #: what it is about when a check judges several things (e.g. "GPU 3 (0000:3b:00.0)")
    subject: str | None = None


def bug_finding(check_id: str, title: str, exc: Exception) -> Finding:
    """The failure that stands for a check (or step) that raised: a gpusetup bug."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    evidence: dict[str, Any] = {BUG_EVIDENCE: f"{type(exc).__name__}: {exc}"}
    if frames:  # where it raised
        where = frames[-1]
        path = where.filename.rsplit("gpusetup/", 1)[-1]
        evidence["where"] = f"{path}:{where.lineno} in {where.name}"
    return Finding(
        id=check_id,
        status=Status.FAIL,
        title=f"{title}: the check itself failed (a gpusetup bug)",
        detail=f"{type(exc).__name__}: {exc}. This is a gpusetup bug; please report it with "
        "the output of `gpusetup collect`. The other checks ran; the exit code is 3.",
        evidence=evidence,
    )


@record
class Report:
    tool: dict[str, str]
    profile: str
    facts: Facts
    findings: list[Finding]

    @property
    def summary(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Status}
        for f in self.findings:
            counts[f.status.value] += 1
        return counts

    @property
    def bugs(self) -> list[Finding]:
        """Findings that stand for a check that crashed."""
        return [f for f in self.findings if BUG_EVIDENCE in f.evidence]

    def exit_code(self, strict: bool = False) -> int:
        """0: no failure; 1: at least one failure (with ``strict``: or a warning); 3: a
        check crashed (a gpusetup bug; the report still shows every other verdict)."""
        if self.bugs:
            return EXIT_BUG
        bad = {Status.FAIL, Status.WARN} if strict else {Status.FAIL}
        return 1 if any(f.status in bad for f in self.findings) else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": REPORT_SCHEMA,
            "tool": self.tool,
            "profile": self.profile,
            "facts": self.facts.to_json(),
            "findings": [to_jsonable(f) for f in self.findings],
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, data: Any) -> Report:
        """A report as ``to_json`` wrote it, typed and checked. Raises SchemaError."""
        if not isinstance(data, dict):
            raise SchemaError("$: expected a JSON object")
        if data.get("schema") != REPORT_SCHEMA:
            raise SchemaError(f"$.schema: expected {REPORT_SCHEMA!r}, got {data.get('schema')!r}")
        for key in ("tool", "profile", "facts", "findings"):
            if key not in data:
                raise SchemaError(f"$: missing field {key!r}")
        return cls(
            tool=from_jsonable(dict[str, str], data["tool"], "$.tool"),
            profile=from_jsonable(str, data["profile"], "$.profile"),
            facts=Facts.from_json(data["facts"], "$.facts"),
            findings=from_jsonable(list[Finding], data["findings"], "$.findings"),
        )
