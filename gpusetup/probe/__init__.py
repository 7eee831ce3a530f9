"""Probes: the only code that reads the machine. ``collect_facts`` runs them all at once.

Each probe has a deadline and fails on its own: its section of Facts is then empty and
``Facts.failures`` says why, while the others still report.
"""

from __future__ import annotations

import os
import platform
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gpusetup.probe._deadline import DeadlineExceeded, call_with_deadline, join
from gpusetup.probe.paths import sysroot, under

if TYPE_CHECKING:  # the fact types are imported once the children run
    from gpusetup.facts import CudaFacts, Facts, ProbeFailure

#: deadline for the probes that only read files (sysfs, /proc, /dev)
FILE_PROBE_TIMEOUT_S = 5.0
#: the whole library probe, the real loader's answers included
LIBRARY_PROBE_TIMEOUT_S = 45.0


def collect_facts(
    root: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    nvml_timeout_s: float | None = None,
    libs_for: str | None = None,
    ask_loader: bool = False,
    extra_libraries: tuple[str, ...] = (),
) -> Facts:
    """This machine's facts, every probe at once, each under its deadline: the tree at
    ``root`` (default: GPUSETUP_SYSROOT, else /) as seen under ``environ`` (default: this
    process's environment; it also reaches the NVML, CUDA and loader children).
    ``libs_for`` names the TensorFlow release whose libraries to look for (default: the
    installed one, else the newest for this Python), ``extra_libraries`` more sonames, and
    ``ask_loader`` also asks the real dynamic loader (one child per library)."""
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


def driver_in_sight(root: Path, environ: Mapping[str, str]) -> bool:
    """Whether an NVIDIA driver may be here, from what costs nothing to look at: the kernel
    module's /proc entry, or the driver's libcuda on LD_LIBRARY_PATH. (Without either,
    NVML still decides: a driver in the linker cache is found by the NVML child.)"""
    if os.path.exists(under(root, "/proc/driver/nvidia")):
        return True
    paths = [d for d in environ.get("LD_LIBRARY_PATH", "").split(":") if d]
    return any(os.path.exists(os.path.join(d, "libcuda.so.1")) for d in paths)


def _started(start: Callable[[], Any]) -> Callable[[], Any]:
    """Start a child now; the returned call gives it (or raises, in the probe's thread, the
    error that kept it from starting: that probe then fails on its own)."""
    try:
        child = start()
    except Exception as exc:  # noqa: BLE001 - raised again where the probe is run
        error = exc

        def fail() -> Any:
            raise error

        return fail
    return lambda: child


def start_collecting(
    root: str | os.PathLike[str] | None = None,
    environ: dict[str, str] | None = None,
    nvml_timeout_s: float | None = None,
    libs_for: str | None = None,
    ask_loader: bool = False,
    extra_libraries: tuple[str, ...] = (),
) -> PendingFacts:
    """Start every probe (see ``collect_facts``); ``result()`` of the answer waits for them."""
    from gpusetup.probe import cuda, nvml

    env = dict(os.environ if environ is None else environ)
    base = sysroot(root, env)
    nvml_deadline = nvml.nvml_timeout(env) if nvml_timeout_s is None else nvml_timeout_s
    cuda_deadline = cuda.timeout_from(env)
    # the children first: they take longest, and run while this process imports the rest;
    # with a driver in sight CUDA is asked alongside NVML, otherwise after it (and not at
    # all when NVML finds no driver library: nothing to wait for)
    nvml_child = _started(lambda: nvml.start_nvml(env))
    cuda_child = _started(lambda: cuda.start_cuda(env)) if driver_in_sight(base, env) else None

    asked = ask_loader or bool(extra_libraries) or libs_for is not None

    # each probe imports its own module in its own thread: the threads start at once
    def host() -> Any:
        from gpusetup.probe.host import probe_host

        return probe_host(base)

    def pci() -> Any:
        from gpusetup.probe.pci import probe_pci

        return probe_pci(base)

    def kernel() -> Any:
        from gpusetup.probe.kernel import probe_kernel

        return probe_kernel(base)

    def environment() -> Any:
        from gpusetup.probe.environment import probe_env

        return probe_env(env)

    def libraries() -> Any:
        from gpusetup.probe.libraries import probe_libraries
        from gpusetup.probe.pci import nvidia_on_pci

        # /opt is walked for copies only where they can matter: a GPU or a driver in sight,
        # or libraries asked for (a machine without a GPU skips the library checks)
        walk = asked or cuda_child is not None or nvidia_on_pci(base)
        return probe_libraries(
            base,
            env,
            platform.python_version(),
            libs_for,
            ask_loader,
            extra=extra_libraries,
            walk_opt=walk,
        )

    probes: dict[str, tuple[Callable[[], Any], float]] = {
        # the NVML probe kills its own child at its deadline; the margin covers that
        "nvml": (lambda: nvml.finish_nvml(nvml_child(), nvml_deadline), nvml_deadline + 5),
        "host": (host, FILE_PROBE_TIMEOUT_S),
        "pci": (pci, FILE_PROBE_TIMEOUT_S),
        "kernel": (kernel, FILE_PROBE_TIMEOUT_S),
        "env": (environment, FILE_PROBE_TIMEOUT_S),
        "cuda": (lambda: cuda_unless_no_driver(), nvml_deadline + cuda_deadline + 10),
        "libs": (libraries, LIBRARY_PROBE_TIMEOUT_S),
    }
    sections: dict[str, Any] = {}
    failures: dict[str, ProbeFailure] = {}
    lock = threading.Lock()
    nvml_done = threading.Event()

    def cuda_unless_no_driver() -> CudaFacts:
        from gpusetup.facts import CudaFacts

        early = cuda.finish_cuda(cuda_child(), env, cuda_deadline) if cuda_child else None
        nvml_done.wait(nvml_deadline + 5)
        answer = sections.get("nvml")
        error = answer.init_error.error_class if answer is not None and answer.init_error else None
        if error == "NVMLError_LibraryNotFound":
            return CudaFacts(
                None,
                "not probed: no NVIDIA driver (NVML: LibraryNotFound)",
                None,
                visible_devices=env.get("CUDA_VISIBLE_DEVICES"),
                device_order=env.get("CUDA_DEVICE_ORDER"),
            )
        return early if early is not None else cuda.probe_cuda(env, cuda_deadline)

    def run(name: str, fn: Callable[[], Any], seconds: float) -> None:
        from gpusetup.facts import ProbeFailure

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
    from datetime import datetime, timezone

    from gpusetup.facts import FACTS_SCHEMA, Facts

    return PendingFacts(
        threads,
        lambda: Facts(
            schema=FACTS_SCHEMA,
            collected_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            failures=failures,
            **sections,
        ),
    )
