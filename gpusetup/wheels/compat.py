"""Is a wheel installable by an interpreter, and if not, which part of its tag is wrong.

pip accepts a wheel when one of the tags in its filename is among the interpreter's
supported tags (``packaging.tags.sys_tags()``, best first). A tag is
``python-abi-platform``; ``manylinux_X_Y`` needs glibc X.Y or newer.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field

from gpusetup.render.text import printable
from gpusetup.wheels.archive import WheelInfo, python_satisfies

_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(.+)$")
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
PYTHON_TIMEOUT_S = 30.0
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
    pass


@dataclass(frozen=True)
class Interpreter:
    executable: str
    python_version: str
    implementation: str
    glibc: str | None
    tags: list[str] = field(default_factory=list)  # best first


def python_timeout_s() -> float:
    """How long ``--python`` may take to list its tags (``GPUSETUP_PYTHON_TIMEOUT``)."""
    try:
        value = float(os.environ.get("GPUSETUP_PYTHON_TIMEOUT", PYTHON_TIMEOUT_S))
    except ValueError:
        return PYTHON_TIMEOUT_S
    return value if value > 0 else PYTHON_TIMEOUT_S


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
    from gpusetup.probe._deadline import run_command

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


def _glibc_needed(platform_tag: str) -> tuple[int, int] | None:
    if m := _MANYLINUX.match(platform_tag):
        return int(m[1]), int(m[2])
    for legacy, version in LEGACY_MANYLINUX.items():
        if platform_tag.startswith(legacy + "_"):
            return version
    return None


def _arch(platform_tag: str) -> str:
    if m := _MANYLINUX.match(platform_tag):
        return m[3]
    for prefix in ("linux_", *(k + "_" for k in LEGACY_MANYLINUX), "musllinux_"):
        if platform_tag.startswith(prefix):
            rest = platform_tag[len(prefix) :]
            return rest.split("_", 2)[-1] if prefix == "musllinux_" else rest
    return platform_tag


@dataclass(frozen=True)
class Verdict:
    compatible: bool
    matching_tag: str | None  # the best supported tag the wheel has
    #: which part does not match: "python", "abi", "platform", "glibc", "requires-python"
    mismatch: str | None = None
    reason: str = ""
    #: the tag this interpreter would need
    needed_tag: str | None = None


def judge(wheel: WheelInfo, interp: Interpreter) -> Verdict:
    supported = {t: i for i, t in enumerate(interp.tags)}
    hits = sorted((supported[t], t) for t in wheel.tags if t in supported)
    if hits and python_satisfies(wheel.requires_python, interp.python_version) is False:
        return Verdict(
            False,
            hits[0][1],
            "requires-python",
            f"its tag {hits[0][1]} fits, but its Requires-Python {wheel.requires_python} "
            f"excludes Python {interp.python_version} (pip refuses it)",
        )
    if hits:
        return Verdict(
            True,
            hits[0][1],
            reason=f"{hits[0][1]} is supported by Python "
            f"{interp.python_version} (rank {hits[0][0] + 1} of {len(interp.tags)})",
        )
    parts = [t.split("-") for t in interp.tags]
    best = interp.tags[0] if interp.tags else None
    wheel_parts = [t.split("-") for t in wheel.tags]
    # cp3X-abi3 tags make every older cp3X look accepted; only the stable ABI is, so the
    # python part is judged on the tags with another ABI
    pythons = {p[0] for p in parts if p[1] != "abi3"}
    abi3_ok = any(
        w[1] == "abi3" and (w[0], "abi3") in {(p[0], p[1]) for p in parts} for w in wheel_parts
    )
    if not abi3_ok and not any(w[0] in pythons for w in wheel_parts):
        wanted = sorted({w[0] for w in wheel_parts})
        return Verdict(
            False,
            None,
            "python",
            f"built for {', '.join(wanted)}; this is {interp.implementation} "
            f"{interp.python_version}, which accepts "
            f"{', '.join(list(dict.fromkeys(p[0] for p in parts if p[1] != 'abi3'))[:4])}",
            best,
        )
    pairs = {(p[0], p[1]) for p in parts}
    if not any((w[0], w[1]) in pairs for w in wheel_parts):
        abis = sorted({p[1] for p in parts if p[0] in {w[0] for w in wheel_parts}})
        return Verdict(
            False,
            None,
            "abi",
            f"ABI {', '.join(sorted({w[1] for w in wheel_parts}))} is not one this "
            f"interpreter accepts ({', '.join(abis)})",
            best,
        )
    platforms = [p[2] for p in parts]
    glibc = tuple(int(x) for x in interp.glibc.split(".")[:2]) if interp.glibc else None
    for w in wheel_parts:
        need = _glibc_needed(w[2])
        if need and glibc and need > glibc and any(_arch(p) == _arch(w[2]) for p in platforms):
            return Verdict(
                False,
                None,
                "glibc",
                f"{w[2]} needs glibc {need[0]}.{need[1]} or newer; this system has "
                f"glibc {interp.glibc}",
                f"{w[0]}-{w[1]}-manylinux_{glibc[0]}_{glibc[1]}_{_arch(w[2])}",
            )
    same_family = [p for p in interp.tags if p.split("-")[0] == wheel_parts[0][0]]
    return Verdict(
        False,
        None,
        "platform",
        f"platform {', '.join(sorted({w[2] for w in wheel_parts}))} is not this "
        f"machine's (it accepts e.g. {platforms[0] if platforms else '?'})",
        same_family[0] if same_family else best,
    )
