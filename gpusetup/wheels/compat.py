"""Is a wheel installable by an interpreter, and if not, which part of its tag is wrong.

pip accepts a wheel when one of the tags in its filename is among the interpreter's
supported tags (``packaging.tags.sys_tags()``, best first). A tag is
``python-abi-platform``; ``manylinux_X_Y`` needs glibc X.Y or newer.
"""

from __future__ import annotations

import re
from dataclasses import field

from gpusetup.serde import record
from gpusetup.wheels.archive import WheelInfo, python_satisfies

_MANYLINUX = re.compile(r"^manylinux_(\d+)_(\d+)_(.+)$")
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}


@record
class Interpreter:
    """A Python interpreter as pip sees it: its version, glibc and supported tags."""

    executable: str
    python_version: str
    implementation: str
    glibc: str | None
    tags: list[str] = field(default_factory=list)  # best first


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


@record
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
