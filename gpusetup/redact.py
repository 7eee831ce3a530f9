"""Redaction for reports that leave the machine: hostnames, GPU/MIG UUIDs, serial numbers
and paths under the home directory are replaced, consistently (the same UUID always
becomes the same placeholder, so joins inside one report still work)."""

from __future__ import annotations

import os
import re
import socket
from typing import Any

_UUID = re.compile(r"\b(GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\b")
SERIAL_KEYS = {"serial", "serial_number", "board_serial"}
HOST_KEYS = {"hostname", "host", "node"}


class Redactor:
    def __init__(self, hostnames: list[str] | None = None, home: str | None = None) -> None:
        names = hostnames if hostnames is not None else [socket.gethostname()]
        self.hostnames = sorted({h for h in names if h}, key=len, reverse=True)
        self.home = (home if home is not None else os.path.expanduser("~")).rstrip("/")
        self.uuids: dict[str, str] = {}

    def _uuid(self, match: re.Match[str]) -> str:
        text = match.group(0)
        if text not in self.uuids:
            self.uuids[text] = f"{match.group(1)}-redacted-{len(self.uuids) + 1}"
        return self.uuids[text]

    def text(self, value: str) -> str:
        value = _UUID.sub(self._uuid, value)
        if self.home and self.home != "/" and self.home in value:
            value = value.replace(self.home + "/", "~/").replace(self.home, "~")
        for host in self.hostnames:
            value = re.sub(rf"\b{re.escape(host)}\b", "<host>", value)
        return value

    def __call__(self, data: Any, key: str | None = None) -> Any:
        if isinstance(data, dict):
            return {self.text(k) if isinstance(k, str) else k: self(v, k) for k, v in data.items()}
        if isinstance(data, list):
            return [self(v, key) for v in data]
        if isinstance(data, str):
            if key in SERIAL_KEYS:
                return "<redacted>"
            if key in HOST_KEYS:
                return "<host>"
            return self.text(data)
        return data
