"""Reading what gpusetup recorded: a facts file (``gpusetup collect``) or a JSON report
(``doctor --json``, ``validate --json FILE``), bounded and typed, from a file or stdin."""

from __future__ import annotations

import os
from typing import Any

from gpusetup.facts import Facts
from gpusetup.probe.inputs import InputError, read_input
from gpusetup.serde import JsonDocumentError, SchemaError, load_json_document


class FactsFileError(Exception):
    """A facts file that cannot be read or is not gpusetup facts."""


#: the most gpusetup reads of a facts file or a report (a real one is well under 1 MiB)
FACTS_FILE_LIMIT = 32 << 20


def load_document(
    path: str | os.PathLike[str], what: str = "a facts file", allow_stdin: bool = True
) -> Any:
    """The JSON in ``path`` (``-``: standard input), bounded. Raises FactsFileError."""
    shown = "standard input" if allow_stdin and str(path) == "-" else str(path)
    try:
        raw = read_input(path, FACTS_FILE_LIMIT, what, allow_stdin)
    except InputError as exc:
        raise FactsFileError(str(exc)) from exc
    try:
        return load_json_document(raw)
    except JsonDocumentError as exc:
        raise FactsFileError(f"{shown} is {exc}") from exc


def load_facts(path: str | os.PathLike[str]) -> Facts:
    """Read facts written by ``collect``, or the facts inside a ``doctor --json`` report
    (``-``: standard input). Raises FactsFileError naming the file and what is wrong."""
    data = load_document(path)
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        data = data["facts"]
    try:
        return Facts.from_json(data)
    except SchemaError as exc:
        shown = "standard input" if str(path) == "-" else str(path)
        raise FactsFileError(f"{shown} is not a gpusetup facts file: {exc}") from exc
