"""Reading what gpusetup recorded: a facts file (``gpusetup collect``) or a JSON report
(``doctor --json``, ``validate --json FILE``), bounded and typed, from a file or stdin; and
an input that may be either that or pasted command output (``--from``)."""

from __future__ import annotations

import codecs
import os
from typing import Any

from gpusetup.facts import Facts
from gpusetup.probe.inputs import InputError, describe_size, read_input
from gpusetup.serde import JsonDocumentError, SchemaError, load_json_document, record


class FactsFileError(Exception):
    """A facts file that cannot be read or is not gpusetup facts."""


#: the most gpusetup reads of a facts file or a report (a real one is well under 1 MiB)
FACTS_FILE_LIMIT = 32 << 20
#: the most pasted text (not JSON) that is read for command outputs: a hundred GPUs'
#: worth of nvidia-smi -q (one GPU: about 6 KiB), far beyond any paste; read in seconds
PASTED_TEXT_LIMIT = 1 << 20


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
    return _facts_of(load_document(path), _shown(path))


def _shown(path: str | os.PathLike[str]) -> str:
    return "standard input" if str(path) == "-" else str(path)


def _facts_of(data: Any, shown: str) -> Facts:
    if isinstance(data, dict) and isinstance(data.get("facts"), dict):
        data = data["facts"]
    try:
        return Facts.from_json(data)
    except SchemaError as exc:
        raise FactsFileError(f"{shown} is not a gpusetup facts file: {exc}") from exc


@record
class InputFile:
    """What ``--from FILE`` holds: recorded facts, or text (pasted command output)."""

    shown: str  # the file as messages name it ("standard input" for -)
    facts: Facts | None = None
    text: str | None = None
    #: why the text, which looks like JSON, is not (said when it holds no output either)
    json_error: str | None = None


def _decoded(raw: bytes) -> str:
    """Text as editors and shells save it: UTF-8 (a byte-order mark dropped), UTF-16 with
    its mark (PowerShell's ``nvidia-smi > out.txt``); bytes that decode to nothing stand
    as U+FFFD, so a stray byte never loses the rest."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16", errors="replace")
    return raw.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")


def read_input_file(path: str | os.PathLike[str]) -> InputFile:
    """``path`` (``-``: standard input) read once, bounded: a facts file or report when it
    is a JSON object, else its text. Raises FactsFileError for a file that cannot be read
    or a JSON object that is not gpusetup facts."""
    shown = _shown(path)
    try:
        raw = read_input(path, FACTS_FILE_LIMIT, "an input (facts or pasted output)", True)
    except InputError as exc:
        raise FactsFileError(str(exc)) from exc
    text = _decoded(raw)
    start = text.lstrip()[:1]
    if start not in ("{", "[") and len(raw) > PASTED_TEXT_LIMIT:
        raise FactsFileError(
            f"{shown} is larger than the {describe_size(PASTED_TEXT_LIMIT)} gpusetup reads "
            "for pasted command output (give the outputs themselves, or `gpusetup triage` "
            "for a long log)"
        )
    if start not in ("{", "["):
        return InputFile(shown, text=text)
    try:
        data = load_json_document(raw)
    except JsonDocumentError as exc:
        if start == "{":  # an object is meant as JSON; "[name: ..." is a device list
            raise FactsFileError(f"{shown} is {exc}") from exc
        return InputFile(shown, text=text, json_error=str(exc))
    return InputFile(shown, facts=_facts_of(data, shown))
