"""The real dynamic loader's answer for each soname (dlopen with LD_DEBUG=libs), one
child process per soname so nothing one library pulls in affects the next, all with a
deadline. What it tried comes from the loader's own debug output."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from gpusetup.facts import LoaderResult
from gpusetup.probe._deadline import spawn

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
    procs = {}
    answers = []
    for soname in sonames:
        try:
            procs[soname] = spawn([sys.executable, str(CHILD), soname], env)
        except OSError as exc:
            answers.append(
                LoaderResult(soname, False, None, f"could not start the loader probe: {exc}")
            )
    deadline = time.monotonic() + timeout_s
    for soname, proc in procs.items():
        try:
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            answers.append(
                LoaderResult(soname, False, None, f"dlopen did not return within {timeout_s:g} s")
            )
            continue
        try:
            data = json.loads(out.strip().splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            data = {
                "ok": False,
                "path": None,
                "error": f"the loader child exited with {proc.returncode} (crashed in the "
                "library's initialisation?)",
            }
        answers.append(
            LoaderResult(
                soname,
                bool(data.get("ok")),
                data.get("path"),
                data.get("error"),
                parse_ld_debug(err, soname),
            )
        )
    return answers
