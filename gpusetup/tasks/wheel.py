"""Wheels as tasks: why pip accepts or rejects one here (``inspect``), and a copy with new
tags that is safe to install (``retag``)."""

from __future__ import annotations

import os
from pathlib import Path

from gpusetup.serde import record
from gpusetup.tasks.errors import BadInput
from gpusetup.wheels.archive import WheelInfo
from gpusetup.wheels.compat import Interpreter, Verdict
from gpusetup.wheels.retag import RetagResult


@record
class WheelInspection:
    info: WheelInfo
    python: Interpreter
    verdict: Verdict


def _local_wheel(path_or_url: str, scratch: Path) -> Path:
    """A wheel on disk: the path itself, or a URL downloaded into ``scratch``."""
    if "://" not in path_or_url:
        return Path(path_or_url)
    from gpusetup.wheels.index import CacheProblem, IndexProblem, ReleaseFile, download

    name = path_or_url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        # only read, never installed: there is no index hash to check it against
        return download(
            ReleaseFile("", name, path_or_url, None, None, None, False), scratch, verify=False
        )
    except (IndexProblem, CacheProblem) as exc:
        raise BadInput(str(exc)) from exc


def inspect_wheel(path_or_url: str, python: str | None = None) -> WheelInspection:
    """A wheel (a path, or a URL read into a scratch directory and removed) checked as pip
    checks it, and judged for ``python`` (default: this one). Raises WheelError for a file
    that is not a usable wheel."""
    import shutil
    import tempfile

    from gpusetup.tasks.install import interpreter
    from gpusetup.wheels.archive import read_wheel
    from gpusetup.wheels.compat import judge

    interp = interpreter(python)
    scratch = Path(tempfile.mkdtemp(prefix="gpusetup-wheel-"))
    try:
        info = read_wheel(_local_wheel(path_or_url, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return WheelInspection(info, interp, judge(info, interp))


def retag_wheel(
    wheel: str | os.PathLike[str],
    python_tag: str | None = None,
    abi_tag: str | None = None,
    platform_tag: str | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    force: bool = False,
) -> RetagResult:
    """A copy of ``wheel`` with new tags, verified by reading it back. Raises RetagRefused
    for an unsafe retag (unless ``force``), WheelError for a file that is not a wheel."""
    from gpusetup.wheels.retag import retag

    if python_tag is None and abi_tag is None and platform_tag is None:
        raise BadInput("give at least one of --python-tag, --abi-tag, --platform-tag")
    return retag(Path(wheel), python_tag, abi_tag, platform_tag, out_dir, force)
