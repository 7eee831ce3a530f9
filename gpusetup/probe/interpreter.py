"""The Python interpreter a wheel is judged for: this one (read in-process), or another
given by path, asked in a child process with a deadline to list its supported tags."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping

from gpusetup.probe._deadline import run_command, seconds_from_environment
from gpusetup.render.text import printable
from gpusetup.wheels.compat import Interpreter

PYTHON_TIMEOUT_S = 30.0
#: an hour: a deadline past that is a typo
MAX_PYTHON_TIMEOUT_S = 3600.0
TIMEOUT_VARIABLE = "GPUSETUP_PYTHON_TIMEOUT"
#: the tags of one interpreter fit in well under this (about 1,000 tags)
MAX_ANSWER = 1 << 20

_TAGS_SCRIPT = r"""
import json, platform, sys
try:
    from packaging import tags
except ImportError:
    from pip._vendor.packaging import tags
print(json.dumps({"tags": [str(t) for t in tags.sys_tags()],
                  "python": platform.python_version(),
                  "implementation": sys.implementation.name,
                  "glibc": platform.libc_ver()[1] or None,
                  "executable": sys.executable}))
"""


class InterpreterError(Exception):
    """``--python`` names nothing that answers as a Python interpreter in time."""


def python_timeout_s(environ: Mapping[str, str] | None = None) -> float:
    """How long ``--python`` may take to list its tags (``GPUSETUP_PYTHON_TIMEOUT``, else
    30 s); SettingError for a value that is no deadline (nan, 0, negative, over an hour)."""
    return seconds_from_environment(
        os.environ if environ is None else environ,
        TIMEOUT_VARIABLE,
        PYTHON_TIMEOUT_S,
        MAX_PYTHON_TIMEOUT_S,
    )


def describe_interpreter(python: str | None = None, timeout_s: float | None = None) -> Interpreter:
    """This interpreter's supported tags, or those of ``python`` (asked in a child process
    with a deadline; anything that does not answer as a Python raises InterpreterError)."""
    if python is None:
        import platform
        import sys

        from packaging import tags

        return Interpreter(
            sys.executable,
            platform.python_version(),
            sys.implementation.name,
            platform.libc_ver()[1] or None,
            [str(t) for t in tags.sys_tags()],
        )
    seconds = timeout_s if timeout_s is not None else python_timeout_s()
    if not os.path.exists(python):
        raise InterpreterError(f"--python {python} does not exist")
    if os.path.isdir(python):
        raise InterpreterError(f"--python {python} is a directory, not a Python interpreter")
    try:
        result = run_command([python, "-c", _TAGS_SCRIPT], seconds)
    except PermissionError:
        raise InterpreterError(f"--python {python} cannot be run (permission denied)") from None
    except OSError as exc:
        raise InterpreterError(
            f"--python {python} cannot be run: {exc.strerror or exc} (is it a Python interpreter?)"
        ) from None
    if result.timed_out:
        raise InterpreterError(
            f"--python {python} did not answer within {seconds:g} s (raise the deadline "
            "with GPUSETUP_PYTHON_TIMEOUT=SECONDS)"
        )
    if result.returncode != 0:
        raise InterpreterError(
            f"--python {python} could not list its tags (exit {result.returncode}): "
            f"{printable(result.stderr.strip()[-300:]) or 'no message'}"
        )
    try:
        data = json.loads(result.stdout[-MAX_ANSWER:])
        interp = Interpreter(
            str(data["executable"]),
            str(data["python"]),
            str(data["implementation"]),
            data["glibc"] if isinstance(data["glibc"], str) else None,
            [str(t) for t in data["tags"]],
        )
    except (ValueError, KeyError, TypeError, RecursionError):
        raise InterpreterError(
            f"--python {python} is not a Python interpreter gpusetup can ask (it answered "
            f"{printable(result.stdout.strip()[:80])!r} instead of its tags)"
        ) from None
    if not interp.tags:
        raise InterpreterError(f"--python {python} listed no supported tags")
    return interp
