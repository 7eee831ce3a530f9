"""Redaction for reports that leave the machine: hostnames, GPU/MIG UUIDs, serial numbers
and paths under the home directory are replaced, consistently (the same UUID always
becomes the same placeholder, so joins inside one report still work).

Values are redacted, never keys or identifiers: check ids, statuses, subjects, schema
names, PCI bus ids and every JSON key keep their text (keys lose UUIDs and home paths
only: a key can be a library path). A hostname is replaced wherever it stands as a word
of its own (not inside ``gpu.present`` or ``cuda-12``); a hostname that is also a word
gpusetup itself writes (``gpu``, ``node``, ``driver``...), is shorter than three
characters or is a number cannot be told apart from that text, so it is replaced in the
host fields only.
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

_UUID = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
SERIAL_KEYS = {"serial", "serial_number", "board_serial"}
HOST_KEYS = {"hostname", "host", "node"}
#: values that are identifiers, not data: redacting them would break joins and parsers
ID_KEYS = {"id", "status", "schema", "subject", "profile", "pci_bus_id", "address"}
HOST_PLACEHOLDER = "<host>"
_WORD = re.compile(r"[a-z0-9]+")


@cache
def own_words() -> frozenset[str]:
    """Every word in gpusetup's own code and data (lower case): its messages' vocabulary."""
    package = Path(__file__).resolve().parent
    words: set[str] = set()
    sources = list(package.rglob("*.py")) + list(package.parent.glob("checks/**/*.toml"))
    sources += list(package.glob("_checks/**/*.toml"))
    for path in sources:
        try:
            words.update(_WORD.findall(path.read_text(errors="replace").lower()))
        except OSError:
            continue
    return frozenset(words)


def _host_variants(names: list[str]) -> list[str]:
    found = set()
    for name in names:
        name = (name or "").strip().rstrip(".")
        if name and name != HOST_PLACEHOLDER:
            found.add(name)
            found.add(name.split(".", 1)[0])  # the short name of an FQDN
    return sorted(found, key=len, reverse=True)


class Redactor:
    def __init__(self, hostnames: list[str] | None = None, home: str | None = None) -> None:
        names = hostnames if hostnames is not None else [socket.gethostname()]
        self.hostnames = _host_variants(names)
        vocabulary = own_words()
        self.text_hostnames = [
            h
            for h in self.hostnames
            if len(h) >= 3 and not h.isdigit() and h.lower() not in vocabulary
        ]
        # a word of its own: not glued to letters, digits, '_', '-', or a dotted name
        self._host_pattern = (
            re.compile(
                r"(?<![\w.-])(?:"
                + "|".join(re.escape(h) for h in self.text_hostnames)
                + r")(?![\w-]|\.\w)",
                re.IGNORECASE,
            )
            if self.text_hostnames
            else None
        )
        self.home = (home if home is not None else os.path.expanduser("~")).rstrip("/")
        # the home directory as a path of its own: /root, not the start of /rootfs
        self._home_pattern = re.compile(re.escape(self.home) + r"(?![\w.-])") if self.home else None
        self.uuids: dict[str, str] = {}

    def _uuid(self, match: re.Match[str]) -> str:
        text = match.group(0)
        if text not in self.uuids:
            self.uuids[text] = f"{match.group(1)}-redacted-{len(self.uuids) + 1}"
        return self.uuids[text]

    def key(self, value: str) -> str:
        """A JSON key: UUIDs and home paths only (keys are names, not prose)."""
        value = _UUID.sub(self._uuid, value)
        if self._home_pattern is not None:
            value = self._home_pattern.sub("~", value)
        return value

    def text(self, value: str) -> str:
        value = self.key(value)
        if self._host_pattern is not None:
            value = self._host_pattern.sub(HOST_PLACEHOLDER, value)
        return value

    def __call__(self, data: Any, key: str | None = None) -> Any:
        if isinstance(data, dict):
            return {self.key(k) if isinstance(k, str) else k: self(v, k) for k, v in data.items()}
        if isinstance(data, list):
            return [self(v, key) for v in data]
        if isinstance(data, str):
            if key in ID_KEYS:
                return data
            if key in SERIAL_KEYS:
                return "<redacted>"
            if key in HOST_KEYS:
                return HOST_PLACEHOLDER
            return self.text(data)
        return data


def redactor_for(hostname: str | None = None) -> Redactor:
    """This machine's names, and the one a replayed facts file was recorded on."""
    names = [socket.gethostname()]  # not getfqdn(): a DNS lookup has no deadline
    if hostname:
        names.append(hostname)
    return Redactor(names)


def redact_facts_json(data: dict[str, Any]) -> dict[str, Any]:
    host = data.get("host") if isinstance(data, dict) else None
    hostname = host.get("hostname") if isinstance(host, dict) else None
    return redactor_for(hostname if isinstance(hostname, str) else None)(data)


def redact_report(report: Any) -> Any:
    """The same Report with its values redacted: every view then renders the redacted one."""
    from gpusetup.facts import Facts
    from gpusetup.findings import Finding
    from gpusetup.serde import from_jsonable, to_jsonable

    host = report.facts.host
    redactor = redactor_for(host.hostname if host else None)
    facts = Facts.from_json(redactor(report.facts.to_json()))
    findings = from_jsonable(list[Finding], redactor(to_jsonable(report.findings)), "$.findings")
    return replace(report, facts=facts, findings=findings)
