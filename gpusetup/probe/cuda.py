"""CUDA driver facts: the device numbering CUDA (and so TensorFlow) uses here, gathered
in a child process with a deadline (cuInit can hang on a broken driver)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from gpusetup.probe._deadline import Child, child_event, seconds_from_environment

if TYPE_CHECKING:
    from gpusetup.facts import CudaFacts

CHILD = Path(__file__).with_name("cuda_child.py")
DEFAULT_TIMEOUT_S = 15.0
MAX_TIMEOUT_S = 3600.0
TIMEOUT_VARIABLE = "GPUSETUP_CUDA_TIMEOUT"


class CudaProbeError(Exception):
    """The CUDA child died without a verdict (crashed inside libcuda)."""


def timeout_from(environ: Mapping[str, str]) -> float:
    """GPUSETUP_CUDA_TIMEOUT, else 15 s; SettingError for a value that is no deadline."""
    return seconds_from_environment(environ, TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S)


def probe_cuda(environ: Mapping[str, str], timeout_s: float | None = None) -> CudaFacts:
    """The CUDA driver API's devices, asked in a child under ``environ`` (its
    CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER are what the numbering is made under)."""
    return finish_cuda(start_cuda(environ), environ, timeout_s)


def start_cuda(environ: Mapping[str, str]) -> Child:
    return Child(CHILD, (), environ)


def finish_cuda(
    child: Child, environ: Mapping[str, str], timeout_s: float | None = None
) -> CudaFacts:
    """Wait for ``child`` (from ``start_cuda``) at most ``timeout_s`` from now and read it."""
    from gpusetup.facts import CudaDevice, CudaError, CudaFacts
    from gpusetup.probe._deadline import ChildResult
    from gpusetup.serde import from_jsonable

    timeout_s = timeout_from(environ) if timeout_s is None else timeout_s
    try:
        code = child.wait(time.monotonic() + timeout_s)
    finally:
        child.close()
    result = ChildResult(code, child.stdout, child.stderr)
    facts: dict = {"devices": [], "library_path": None, "load_error": None, "init_error": None}
    last_call, done = None, False
    for line in result.stdout.splitlines():
        event = child_event(line)
        if event is None:
            continue
        if "call" in event:
            last_call = event
        for key in ("library_path", "load_error", "driver_version"):
            if key in event:
                facts[key] = event[key]
        if "init_error" in event:
            facts["init_error"] = from_jsonable(CudaError, event["init_error"])
        if "device" in event:
            facts["devices"].append(from_jsonable(CudaDevice, event["device"]))
        done = done or bool(event.get("done"))
    hung = None
    if result.timed_out:
        hung = "starting the CUDA probe"
        if last_call:
            hung = last_call["call"] + (
                f" on device {last_call['gpu']}" if last_call.get("gpu") is not None else ""
            )
    elif not done:
        where = f" during {last_call['call']}" if last_call else ""
        raise CudaProbeError(f"the CUDA probe exited with code {result.returncode}{where}")
    return CudaFacts(
        library_path=facts["library_path"],
        load_error=facts["load_error"],
        init_error=facts["init_error"],
        driver_version=facts.get("driver_version"),
        devices=facts["devices"],
        hung_call=hung,
        timeout_s=timeout_s if result.timed_out else None,
        visible_devices=environ.get("CUDA_VISIBLE_DEVICES"),
        device_order=environ.get("CUDA_DEVICE_ORDER"),
    )
