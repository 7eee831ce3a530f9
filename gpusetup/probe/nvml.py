"""NVML facts, gathered in a child process so a hung driver call cannot hang gpusetup.

A GPU that fell off the bus can make an NVML call block for minutes. The child reports
each call before making it; at the deadline it is killed and the facts keep everything
answered so far plus the call that hung.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gpusetup.probe._deadline import Child, child_event, seconds_from_environment

if TYPE_CHECKING:
    from gpusetup.facts import NvmlFacts

DEFAULT_TIMEOUT_S = 15.0
#: an hour: a deadline past that is a typo, not a slow driver
MAX_TIMEOUT_S = 3600.0
TIMEOUT_VARIABLE = "GPUSETUP_NVML_TIMEOUT"
CHILD = Path(__file__).with_name("nvml_child.py")


class NvmlProbeError(Exception):
    """The NVML child died without a verdict (crashed inside the driver library)."""


def nvml_timeout(environ: Mapping[str, str] | None = None) -> float:
    """GPUSETUP_NVML_TIMEOUT, else 15 s; SettingError for a value that is no deadline."""
    env = os.environ if environ is None else environ
    return seconds_from_environment(env, TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S)


def probe_nvml(
    timeout_s: float | None = None, environ: Mapping[str, str] | None = None
) -> NvmlFacts:
    """NVML's view of the driver and every GPU, asked in a child under ``environ`` (default:
    this process's environment: LD_LIBRARY_PATH decides which libnvidia-ml loads)."""
    timeout_s = nvml_timeout(environ) if timeout_s is None else timeout_s
    return finish_nvml(start_nvml(environ), timeout_s)


#: the NVML child ``start_early`` started, with the environment it runs under, until the
#: probe adopts it
_early: tuple[dict[str, str], Child] | None = None


def start_early() -> None:
    """Start the NVML child now, before the CLI has even loaded: on a probing command it is
    the longest wait, and it then runs while typer and rich are imported. ``start_nvml``
    adopts it when asked under the same environment; otherwise it is stopped (at the latest
    with every other child, when gpusetup exits). A child that cannot start is no error
    here: the probe starts its own and reports why."""
    global _early
    env = dict(os.environ)
    try:
        _early = (env, Child(CHILD, (), env))
    except Exception:  # noqa: BLE001 - the probe's own start reports it
        _early = None


def start_nvml(environ: Mapping[str, str] | None = None) -> Child:
    """The NVML child, started (the first thing ``collect_facts`` does: it takes longest);
    the one ``start_early`` started, if it runs under this same environment."""
    global _early
    env = dict(os.environ if environ is None else environ)
    if _early is not None:
        (early_env, child), _early = _early, None
        if early_env == env:
            return child
        child.close()
    return Child(CHILD, (), env)


def finish_nvml(child: Child, timeout_s: float) -> NvmlFacts:
    """Wait for ``child`` (from ``start_nvml``) until ``timeout_s`` after now, kill it then,
    and read its answer. The thread that calls this is the one that reads the child."""
    try:
        code = child.wait(time.monotonic() + timeout_s)
    finally:
        child.close()
    return parse_child_output(child.stdout, code is None, code, child.stderr, timeout_s)


def parse_child_output(
    stdout: str, timed_out: bool, returncode: int | None, stderr: str, timeout_s: float
) -> NvmlFacts:
    from gpusetup.facts import NvmlError, NvmlFacts, NvmlGpu
    from gpusetup.serde import from_jsonable

    binding = library = None
    init_error = None
    system: dict = {}
    gpus: list[NvmlGpu] = []
    last_call = None
    done = False
    for line in stdout.splitlines():
        event = child_event(line)
        if event is None:
            continue
        if "call" in event:
            last_call = event
        binding = event.get("binding_path", binding)
        library = event.get("library_path", library)
        if event.get("init_error"):
            init_error = from_jsonable(NvmlError, event["init_error"])
        if "system" in event:
            system = event["system"]
        if "device" in event:
            gpus.append(from_jsonable(NvmlGpu, event["device"]))
        done = done or bool(event.get("done"))
    hung = None
    if timed_out:
        hung = "starting the NVML probe"
        if last_call:
            hung = last_call["call"]
            if last_call.get("gpu") is not None:
                hung += f" on GPU {last_call['gpu']}"
    elif not done:
        where = f" during {last_call['call']}" if last_call else ""
        tail = " | ".join(stderr.strip().splitlines()[-3:])
        raise NvmlProbeError(f"the NVML probe exited with code {returncode}{where}: {tail}")
    return NvmlFacts(
        binding_path=binding,
        library_path=library,
        init_error=init_error,
        driver_version=system.get("driver_version"),
        cuda_driver_version=system.get("cuda_driver_version"),
        nvml_version=system.get("nvml_version"),
        device_count=system.get("device_count"),
        gpus=gpus,
        hung_call=hung,
        timeout_s=timeout_s if timed_out else None,
    )
