"""The smoke inference as a task: run the model on the CPU and every GPU, then judge the
run against the GPUs the framework should use here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from gpusetup.serde import record
from gpusetup.tasks.errors import BadInput

if TYPE_CHECKING:
    from gpusetup.devices.map import UsableGpus
    from gpusetup.facts import SmokeRun
    from gpusetup.findings import Finding

#: what a progress display hears: ("devices" | "begin" | "result", the child's event)
SmokeEvents = Callable[[str, dict], None]


@record
class SmokeResult:
    findings: list[Finding]
    run: SmokeRun

    @property
    def failed(self) -> bool:
        from gpusetup.findings import Status

        return any(f.status is Status.FAIL for f in self.findings)


def check_backend(backend: str) -> str:
    """``backend`` if it is one gpusetup runs; BadInput otherwise."""
    from gpusetup.probe.smoke import BACKENDS

    if backend not in BACKENDS:
        raise BadInput(f"--backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    return backend


def device_timeout(seconds: float) -> float:
    """A per-device deadline (SettingError for nan, 0, negative or over a day)."""
    from gpusetup.probe._deadline import parse_seconds
    from gpusetup.probe.smoke import MAX_DEVICE_TIMEOUT_S

    return parse_seconds(seconds, "--timeout", MAX_DEVICE_TIMEOUT_S)


def smoke(
    backend: str = "tensorflow",
    timeout_s: float = 120.0,
    expect: UsableGpus | None = None,
    on_event: SmokeEvents | None = None,
) -> SmokeResult:
    """Run the smoke model and judge it. ``expect``: the GPUs the framework should use;
    None: found out here, by probing this machine while the framework starts."""
    from gpusetup.diagnose.smoke import smoke_findings
    from gpusetup.probe.smoke import run_smoke

    check_backend(backend)
    pending = None
    if expect is None:
        from gpusetup.probe import start_collecting

        pending = start_collecting()
    run = run_smoke(backend, device_timeout_s=timeout_s, on_event=on_event)
    if pending is not None:
        from gpusetup.devices.map import usable_gpus
        from gpusetup.diagnose import tensorflow_minimum
        from gpusetup.knowledge import load_profile

        facts = pending.result()
        # TensorFlow's minimum compute capability; PyTorch ships its own architecture list
        minimum = tensorflow_minimum(facts, load_profile()) if backend == "tensorflow" else None
        expect = usable_gpus(facts, minimum)
    return SmokeResult(smoke_findings(run, expect.count, expect.left_out), run)
