"""Triage of a pasted log, text in, result out: the messages of the catalogue
(``checks/data/messages/``) found in it, its root causes with a diagnosis built from the
log's own facts and a fix for the platform and framework the log comes from.

Pure: nothing here probes the machine it runs on (``gpusetup.tasks.triage`` adds that).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gpusetup.logtriage.rules import Item, Triage, judge
from gpusetup.logtriage.scan import scan_chunks, scan_text

__all__ = ["SCHEMA", "Item", "Triage", "item_json", "triage_chunks", "triage_text"]

#: the JSON schema of ``gpusetup triage --json``
SCHEMA = "gpusetup.triage/2"


def triage_text(text: str) -> Triage:
    """The triage of a log held as text."""
    return judge(scan_text(text))


def triage_chunks(chunks: Iterable[bytes]) -> Triage:
    """The triage of a log read as byte chunks (any size; memory stays bounded)."""
    return judge(scan_chunks(chunks))


def item_json(item: Item) -> dict[str, Any]:
    """One item as the JSON report writes it."""
    return {
        "id": item.id,
        "family": item.family,
        "role": item.role,
        "root_cause": item.root_cause,
        "explained_by": list(item.explained_by),
        "line": item.line,
        "count": item.count,
        "text": item.text,
        "facts": dict(item.facts),
        "diagnosis": item.diagnosis,
        "fix": item.fix,
        "platform": item.platform,
        "framework": item.framework,
        "source": dict(item.source),
    }
