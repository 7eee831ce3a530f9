"""Probes: the only code that reads the machine. ``collect_facts`` runs them all at once.

Each probe has a deadline and fails on its own: its section of Facts is then empty and
``Facts.failures`` says why, while the others still report.
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from gpusetup.facts import FACTS_SCHEMA, CudaFacts, Facts, ProbeFailure
from gpusetup.probe._deadline import DeadlineExceeded, call_with_deadline, join
from gpusetup.probe.paths import sysroot

#: deadline for the probes that only read files (sysfs, /proc, /dev)
FILE_PROBE_TIMEOUT_S = 5.0


def collect_facts(
    root: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    nvml_timeout_s: float | None = None,
    libs_for: str | None = None,
    ask_loader: bool = False,
    extra_libraries: tuple[str, ...] = (),
) -> Facts:
    return start_collecting(
        root, environ, nvml_timeout_s, libs_for, ask_loader, extra_libraries
    ).result()


class PendingFacts:
    """Probes running in the background; ``result()`` waits for them (each has a deadline).

    Lets the caller do its own start-up work (imports) while the NVML child runs.
    """

    def __init__(self, threads: list[threading.Thread], build: Callable[[], Facts]) -> None:
        self._threads = threads
        self._build = build

    def result(self) -> Facts:
        for t in self._threads:
            join(t)  # in slices: an interrupt must reach the main thread while it waits
        return self._build()


def start_collecting(
    root: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    nvml_timeout_s: float | None = None,
    libs_for: str | None = None,
    ask_loader: bool = False,
    extra_libraries: tuple[str, ...] = (),
) -> PendingFacts:
    """Start every probe; ``libs_for`` names the TensorFlow release whose libraries to
    look for (default: the installed one, else the newest for this Python), and
    ``ask_loader`` also asks the real dynamic loader (slower: one process per library)."""
    from gpusetup.probe.cuda import probe_cuda
    from gpusetup.probe.cuda import timeout_from as cuda_timeout
    from gpusetup.probe.environment import probe_env
    from gpusetup.probe.host import probe_host
    from gpusetup.probe.kernel import probe_kernel
    from gpusetup.probe.libraries import LIBRARY_PROBE_TIMEOUT_S, probe_libraries
    from gpusetup.probe.nvml import nvml_timeout, probe_nvml
    from gpusetup.probe.pci import probe_pci

    base = sysroot(root)
    env = dict(os.environ if environ is None else environ)
    nvml_deadline = nvml_timeout() if nvml_timeout_s is None else nvml_timeout_s
    probes: dict[str, tuple[Callable[[], Any], float]] = {
        # the NVML probe kills its own child at its deadline; the margin covers that
        "nvml": (lambda: probe_nvml(nvml_deadline), nvml_deadline + 5),
        "host": (lambda: probe_host(base), FILE_PROBE_TIMEOUT_S),
        "pci": (lambda: probe_pci(base), FILE_PROBE_TIMEOUT_S),
        "kernel": (lambda: probe_kernel(base), FILE_PROBE_TIMEOUT_S),
        "env": (lambda: probe_env(env), FILE_PROBE_TIMEOUT_S),
        # after NVML: without a driver there is no CUDA to ask (and nothing to wait for)
        "cuda": (lambda: cuda_unless_no_driver(), nvml_deadline + cuda_timeout(env) + 10),
        "libs": (
            lambda: probe_libraries(
                base, env, platform.python_version(), libs_for, ask_loader, extra=extra_libraries
            ),
            LIBRARY_PROBE_TIMEOUT_S,
        ),
    }
    sections: dict[str, Any] = {}
    failures: dict[str, ProbeFailure] = {}
    lock = threading.Lock()
    nvml_done = threading.Event()

    def cuda_unless_no_driver() -> CudaFacts:
        nvml_done.wait(nvml_deadline + 5)
        nvml = sections.get("nvml")
        error = nvml.init_error.error_class if nvml is not None and nvml.init_error else None
        if error == "NVMLError_LibraryNotFound":
            return CudaFacts(
                None,
                "not probed: no NVIDIA driver (NVML: LibraryNotFound)",
                None,
                visible_devices=env.get("CUDA_VISIBLE_DEVICES"),
                device_order=env.get("CUDA_DEVICE_ORDER"),
            )
        return probe_cuda(env)

    def run(name: str, fn: Callable[[], Any], seconds: float) -> None:
        try:
            value = call_with_deadline(fn, seconds, f"the {name} probe")
        except DeadlineExceeded as exc:
            failure = ProbeFailure("timeout", str(exc))
        except Exception as exc:  # noqa: BLE001 - recorded as this section's failure
            failure = ProbeFailure("error", f"{type(exc).__name__}: {exc}")
        else:
            with lock:
                sections[name] = value
            return
        finally:
            if name == "nvml":
                nvml_done.set()
        with lock:
            failures[name] = failure

    threads = [
        threading.Thread(target=run, args=(name, fn, secs), daemon=True)
        for name, (fn, secs) in probes.items()
    ]
    for t in threads:
        t.start()
    return PendingFacts(
        threads,
        lambda: Facts(
            schema=FACTS_SCHEMA,
            collected_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            failures=failures,
            **sections,
        ),
    )
