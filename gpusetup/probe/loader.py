"""The real dynamic loader's answer for each soname (dlopen with LD_DEBUG=libs), one
child process per soname so nothing one library pulls in affects the next, all with a
deadline. What it tried comes from the loader's own debug output."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path

from gpusetup.facts import LoaderResult
from gpusetup.probe._deadline import Child, ShuttingDown

CHILD = Path(__file__).with_name("loader_child.py")
TIMEOUT_S = 30.0
_FIND = re.compile(r"^\s*\d+:\s+find library=(\S+) \[\d+\]; searching")
_TRYING = re.compile(r"^\s*\d+:\s+trying file=(.+)$")


def parse_ld_debug(text: str, soname: str) -> list[str]:
    """The files the loader tried while looking for ``soname`` (not its dependencies)."""
    tried, current = [], None
    for line in text.splitlines():
        if m := _FIND.match(line):
            current = m.group(1)
        elif (m := _TRYING.match(line)) and current == soname:
            tried.append(m.group(1).strip())
    return tried


def ask_loader(
    sonames: list[str], environ: Mapping[str, str], timeout_s: float = TIMEOUT_S
) -> list[LoaderResult]:
    env = dict(environ)
    env["LD_DEBUG"] = "libs"
    env.pop("LD_DEBUG_OUTPUT", None)
    children: dict[str, Child] = {}
    answers = []
    try:
        for soname in sonames:
            try:
                children[soname] = Child(CHILD, (soname,), env)
            except (OSError, ShuttingDown) as exc:
                answers.append(
                    LoaderResult(soname, False, None, f"could not start the loader probe: {exc}")
                )
        deadline = time.monotonic() + timeout_s
        for soname, child in children.items():
            code = child.wait(deadline)
            child.close()
            if code is None:
                answers.append(
                    LoaderResult(
                        soname, False, None, f"dlopen did not return within {timeout_s:g} s"
                    )
                )
                continue
            try:
                data = json.loads(child.stdout.strip().splitlines()[-1])
            except (json.JSONDecodeError, IndexError):
                data = {
                    "ok": False,
                    "path": None,
                    "error": f"the loader child exited with {code} (crashed in the "
                    "library's initialisation?)",
                }
            answers.append(
                LoaderResult(
                    soname,
                    bool(data.get("ok")),
                    data.get("path"),
                    data.get("error"),
                    parse_ld_debug(child.stderr, soname),
                )
            )
    finally:
        for child in children.values():
            child.close()
    return answers
