"""Smoke inference: a small fixed model on the CPU and on every GPU, in a child process.

Each backend (TensorFlow by default, PyTorch for machines that only have it) is a child
script speaking the same line protocol; the parent gives the framework's import a deadline
and each device its own, compares every device's output with the CPU's, and turns what
happened into findings. A device that runs past its deadline ends the child; the devices
after it are reported as not run.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

from gpusetup.facts import SmokeDevice, SmokeRun
from gpusetup.knowledge import SMOKE_ATOL, SMOKE_RTOL
from gpusetup.probe._deadline import Child, child_event
from gpusetup.probe.modules import find_module

HERE = Path(__file__).parent
BACKENDS = {"tensorflow": "tensorflow_child.py", "torch": "torch_child.py"}
MODULES = {"tensorflow": "tensorflow", "torch": "torch"}
IMPORT_TIMEOUT_S = 180.0
DEVICE_TIMEOUT_S = 120.0
#: a day: a per-device deadline past that is a typo
MAX_DEVICE_TIMEOUT_S = 86400.0
ITERATIONS = 20


def backend_missing(backend: str) -> str | None:
    """Why ``backend`` cannot run here, or None. Looks without importing the framework."""
    if find_module(MODULES[backend]) is None:
        return f"{backend} is not installed in this Python ({sys.executable})"
    return None


def run_smoke(
    backend: str = "tensorflow",
    environ: Mapping[str, str] | None = None,
    device_timeout_s: float = DEVICE_TIMEOUT_S,
    import_timeout_s: float = IMPORT_TIMEOUT_S,
    on_event: Callable[[str, dict], None] | None = None,
    iterations: int = ITERATIONS,
) -> SmokeRun:
    missing = backend_missing(backend)
    if missing:
        return SmokeRun(backend, available=False, unavailable_reason=missing)
    env = dict(os.environ if environ is None else environ)
    child = Child(HERE / BACKENDS[backend], (str(iterations),), env)
    framework = None
    devices: dict[str, SmokeDevice] = {}
    order: list[str] = []
    deadline = time.monotonic() + import_timeout_s
    current = None
    error = None
    returncode = None
    try:
        while True:
            line = child.read_line(deadline)
            if line is None:
                break
            event = child_event(line)
            if event is None:
                continue
            if "framework" in event:
                framework = event["framework"]
            elif "devices" in event:
                for d in event["devices"]:
                    devices[d["device"]] = SmokeDevice(
                        d["device"], d.get("name"), d.get("compute_capability"), d.get("pci_bus_id")
                    )
                    order.append(d["device"])
                if on_event:
                    on_event("devices", event)
            elif "begin" in event:
                current = event["begin"]
                deadline = time.monotonic() + device_timeout_s
                if on_event:
                    on_event("begin", event)
            elif "result" in event or "error" in event:
                name = event.get("result") or event.get("error")
                if name not in devices:
                    continue
                devices[name] = _judge(devices[name], event)
                current = None
                if on_event:
                    on_event("result", {"device": devices[name]})
            elif event.get("done"):
                break
    except TimeoutError:
        if current is not None:
            devices[current] = replace(
                devices[current],
                status="timeout",
                error_kind="timeout",
                error=f"no answer within {device_timeout_s:g} s",
            )
        else:
            error = f"{backend} did not start within {import_timeout_s:g} s"
    else:
        # a normal end: a moment to exit by itself (the framework tears down its devices)
        returncode = child.wait(time.monotonic() + 10)
    finally:
        child.close()
    stderr = child.stderr
    tail = "\n".join(stderr.strip().splitlines()[-15:])
    if not order and error is None:
        error = f"{backend} exited with {returncode} before listing devices"
    run = SmokeRun(backend, True, framework, None, [devices[d] for d in order], error, tail)
    return _attach_bus_ids(run, stderr) if backend == "tensorflow" else run


def _judge(dev: SmokeDevice, event: dict) -> SmokeDevice:
    if "error" in event:
        return replace(
            dev, status="fail", error=event.get("message"), error_kind=event.get("kind", "other")
        )
    diff = float(event["max_abs_diff"])
    bound = SMOKE_ATOL + SMOKE_RTOL * float(event.get("max_abs_value", 0.0))
    ok = diff <= bound
    return replace(
        dev,
        status="pass" if ok else "fail",
        latency_ms=event["latency_ms"],
        throughput=event["throughput"],
        max_abs_diff=diff,
        error=None if ok else f"output differs from the CPU's by {diff:.3g} (allowed {bound:.3g})",
        error_kind=None if ok else "mismatch",
    )


def _attach_bus_ids(run: SmokeRun, stderr: str) -> SmokeRun:
    """TensorFlow's log: each GPU's description (its PCI bus id), and the libraries it
    could not load."""
    from gpusetup.probe.tfruntime import read_tf_log

    log = read_tf_log(stderr)
    buses = {f"GPU:{gpu.tf_index}": gpu.pci_bus_id for gpu in log.gpus}
    failures: list[str] = []
    for failure in log.dlopen_failures:
        text = f"{failure.library}: {failure.error}"
        if text not in failures:
            failures.append(text)
    devices = [replace(d, pci_bus_id=buses.get(d.device, d.pci_bus_id)) for d in run.devices]
    return replace(run, devices=devices, dlopen_failures=failures)
