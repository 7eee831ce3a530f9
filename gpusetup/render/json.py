"""Machine-readable views: every command's JSON envelope, with its schema id (the report's
is ``gpusetup.findings.REPORT_SCHEMA``, the library search's ``render.libs.LIBS_SCHEMA``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gpusetup.facts import Facts
from gpusetup.findings import Report
from gpusetup.serde import to_jsonable

if TYPE_CHECKING:
    from gpusetup.devices.map import DeviceMap
    from gpusetup.facts import LibraryFacts
    from gpusetup.findings import Finding
    from gpusetup.wheels.archive import WheelInfo
    from gpusetup.wheels.compat import Interpreter, Verdict

GPUS_SCHEMA = "gpusetup.gpus/1"


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False) + "\n"


def facts_json(facts: Facts, redact: bool = False) -> str:
    """The facts ``gpusetup collect`` records (``redact``: without names and UUIDs)."""
    data = facts.to_json()
    if redact:
        from gpusetup.render.redact import redact_facts_json

        data = redact_facts_json(data)
    return dumps(data)


def report_json(report: Report) -> str:
    return dumps(report.to_json())


def gpus_json(facts: Facts) -> str:
    from gpusetup.devices.map import nvml_faults

    nvml = facts.nvml
    gpus = []
    for g in nvml.gpus if nvml else []:
        row = to_jsonable(g)
        row["pci_bus_id_normalised"] = g.pci_bus_id_normalised
        row["lost"] = g.lost
        gpus.append(row)
    return dumps(
        {
            "schema": GPUS_SCHEMA,
            "driver_version": nvml.driver_version if nvml else None,
            "cuda_driver_version": nvml.cuda_driver_version_text if nvml else None,
            "nvml_error": to_jsonable(nvml.init_error) if nvml and nvml.init_error else None,
            "nvml_hung_call": nvml.hung_call if nvml else None,
            "faults": nvml_faults(facts),
            "gpus": gpus,
            "pci": [to_jsonable(d) for d in (facts.pci.gpus if facts.pci else [])],
        }
    )


MAP_SCHEMA = "gpusetup.map/1"
SMOKE_SCHEMA = "gpusetup.smoke/1"

WHEEL_SCHEMA = "gpusetup.wheel/1"
FLEET_SCHEMA = "gpusetup.fleet/1"
INSTALL_SCHEMA = "gpusetup.install/1"


def libs_json(libs: LibraryFacts, findings: list[Finding]) -> str:
    """``gpusetup libs --json`` (the envelope: ``gpusetup.render.libs.libs_json``)."""
    from gpusetup.render.libs import libs_json as envelope

    return dumps(envelope(libs, findings))


def map_json(dmap: DeviceMap) -> str:
    return dumps({"schema": MAP_SCHEMA, **to_jsonable(dmap)})


def select_json(smi_index: int, line: str) -> str:
    return dumps({"select": smi_index, "line": line})


def smoke_json(result: Any) -> str:
    """``result``: a SmokeResult (gpusetup.tasks.smoke): the run and its findings."""
    return dumps(
        {
            "schema": SMOKE_SCHEMA,
            "run": to_jsonable(result.run),
            "findings": [to_jsonable(f) for f in result.findings],
        }
    )


def triage_json(report: Any) -> str:
    """``gpusetup triage --json`` (``report``: a TriageReport of gpusetup.tasks.triage)."""
    from gpusetup.logtriage import SCHEMA as TRIAGE_SCHEMA  # the engine owns its id
    from gpusetup.logtriage import item_json

    ctx = report.triage.context

    def clue(c: Any) -> dict[str, Any] | None:
        return None if c is None else {"value": c.value, "line": c.line, "evidence": c.evidence}

    items = []
    for item, verdict in zip(report.triage.items, report.verdicts, strict=True):
        row = item_json(item)
        row["here"] = to_jsonable(list(verdict.here)) if verdict else []
        row["fixed_here"] = verdict.fixed_here if verdict else None
        row["here_note"] = verdict.note if verdict else ""
        items.append(row)
    return dumps(
        {
            "schema": TRIAGE_SCHEMA,
            "lines": report.triage.lines,
            "cut": report.cut,
            "mode": report.mode,
            "elsewhere_reason": report.why_elsewhere,
            "platform": clue(ctx.platform),
            "framework": clue(ctx.framework),
            "conda": clue(ctx.conda),
            "versions": {k: clue(v) for k, v in ctx.versions.items()},
            "still_broken": report.still_broken,
            "root_causes": [i.id for i in report.triage.root_causes],
            "more_matches": report.triage.more_matches,
            "items": items,
            # the GPU numbering pasted listings show (null: no nvidia-smi listing)
            "numbering": to_jsonable(report.triage.numbering),
        }
    )


def wheel_json(info: WheelInfo, interp: Interpreter, verdict: Verdict) -> str:
    return dumps(
        {
            "schema": WHEEL_SCHEMA,
            "wheel": to_jsonable(info),
            "interpreter": {
                "executable": interp.executable,
                "python": interp.python_version,
                "glibc": interp.glibc,
            },
            "verdict": to_jsonable(verdict),
        }
    )


def install_json(plan: Any, dry_run: bool) -> str:
    """``plan``: an InstallPlan (gpusetup.tasks.install)."""
    return dumps(
        {
            "schema": INSTALL_SCHEMA,
            "python": plan.python.python_version,
            "choice": to_jsonable(plan.choice),
            "requirement": plan.requirement,
            "dry_run": dry_run,
            "notes": plan.notes,
        }
    )


def fleet_json(summary: Any) -> str:
    """``summary``: a FleetSummary (gpusetup.tasks.fleet)."""
    return dumps({"schema": FLEET_SCHEMA, **to_jsonable(summary)})
