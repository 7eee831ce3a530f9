"""The demo's inference side: one worker process per device, each behind a bounded queue.

The event loop only moves bytes: each worker (``worker.py``, a child by path) imports the
framework, loads the model once and answers one image at a time, so the page, ``/healthz``
and the other devices answer while a classification runs. A full queue is refused at once
(the server answers 503 with Retry-After) instead of piling up. Workers run in their own
session and die with the server; stopping closes their stdin, then kills what is left.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import os
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gpusetup.demo.devices import DemoDevice
from gpusetup.serde import record

WORKER = Path(__file__).with_name("worker.py")
#: a start includes the framework's import and may include the weights' download
LOAD_TIMEOUT_S = 900.0
#: one classification, on a device that was warmed up at start
INFERENCE_TIMEOUT_S = 60.0
STOP_GRACE_S = 5.0


@record
class ModelSpec:
    backend: str  # "tensorflow" or "torch"
    model: str  # "mobilenet_v2" or "efficientnet_b0"
    weights: str  # "imagenet" or an absolute path


@record
class Prediction:
    device: str
    latency_ms: float
    top: list[tuple[int, float]]  # (ImageNet class, probability), best first


class QueueFull(Exception):
    def __init__(self, device: str, retry_after_s: int) -> None:
        super().__init__(f"{device} is busy: its queue is full; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class DeviceNotReady(Exception):
    """The device has no working model (still loading, failed, or not usable)."""

    def __init__(self, message: str, loading: bool = False) -> None:
        super().__init__(message)
        self.loading = loading


class InferenceFailed(Exception):
    pass


@record
class LoadFailure:
    kind: str  # framework, download, weights, device, load, timeout, exited
    message: str


@dataclass
class _Job:
    pixels: bytes
    future: asyncio.Future
    queued_at: float = field(default_factory=time.monotonic)


class DeviceWorker:
    """One device's worker process and its queue."""

    def __init__(self, device: DemoDevice, spec: ModelSpec, queue_size: int) -> None:
        self.device = device
        self.spec = spec
        self.state = "waiting"  # waiting, loading, ready, failed, unavailable, stopped
        self.failure: LoadFailure | None = None
        self.info: dict = {}
        self.busy = False
        self.latencies: list[float] = []
        self._queue: asyncio.Queue[_Job] = asyncio.Queue(maxsize=queue_size)
        self._proc: asyncio.subprocess.Process | None = None
        self._ids = itertools.count(1)
        self._serving: asyncio.Task | None = None

    # --- start and stop ------------------------------------------------------------------

    def argv(self) -> list[str]:
        argv = [
            sys.executable,
            str(WORKER),
            "--backend",
            self.spec.backend,
            "--model",
            self.spec.model,
            "--weights",
            self.spec.weights,
            "--device",
            "gpu" if self.device.is_gpu else "cpu",
        ]
        if self.device.is_gpu:
            argv += ["--cuda-ordinal", str(self.device.cuda_ordinal)]
        return argv

    async def start(self, timeout_s: float = LOAD_TIMEOUT_S) -> None:
        """Start the worker and wait until its model is loaded and warm (or it failed)."""
        self.state = "loading"
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ notices
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,
            limit=1 << 20,
        )
        try:
            line = await asyncio.wait_for(self._proc.stdout.readline(), timeout_s)
        except asyncio.TimeoutError:
            self._fail("timeout", f"the model did not load within {timeout_s:g} s")
            await self.stop()
            return
        event = _json(line)
        if event.get("event") == "ready":
            self.info = event
            self.state = "ready"
            self._serving = asyncio.ensure_future(self._serve())
            return
        if event.get("event") == "failed":
            self._fail(event.get("kind", "load"), event.get("message", ""))
        else:
            code = await _returncode(self._proc)
            self._fail("exited", f"the worker exited (code {code}) before loading the model")
        await self.stop()

    def mark_unavailable(self, reason: str) -> None:
        self.state = "unavailable"
        self.failure = LoadFailure("device", reason)

    def _fail(self, kind: str, message: str) -> None:
        self.state = "failed"
        self.failure = LoadFailure(kind, message)

    async def stop(self) -> None:
        if self.state in ("ready", "loading"):
            self.state = "stopped"
        if self._serving is not None:
            self._serving.cancel()
        proc = self._proc
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
            try:
                await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)  # its own session: the worker alone
                await proc.wait()
        self._drain(DeviceNotReady(f"{self.device.id} stopped"))

    def _drain(self, error: Exception) -> None:
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(error)

    # --- classification ------------------------------------------------------------------

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def submit(self, pixels: bytes) -> asyncio.Future:
        """Queue one image; the future gives a Prediction. Raises QueueFull or
        DeviceNotReady at once."""
        if self.state != "ready":
            if self.state in ("waiting", "loading"):
                raise DeviceNotReady(f"{self.device.id} is still loading the model", True)
            reason = self.failure.message if self.failure else self.state
            raise DeviceNotReady(f"{self.device.id} cannot classify: {reason}")
        future = asyncio.get_running_loop().create_future()
        try:
            self._queue.put_nowait(_Job(pixels, future))
        except asyncio.QueueFull:
            raise QueueFull(self.device.id, self.retry_after_s()) from None
        return future

    def retry_after_s(self) -> int:
        """Seconds until the queue has room, from the recent median latency."""
        typical = statistics.median(self.latencies[-20:]) if self.latencies else 100.0
        return max(1, math.ceil((self.queued + 1) * typical / 1000))

    async def _serve(self) -> None:
        proc = self._proc
        while True:
            job = await self._queue.get()
            if job.future.done():  # the client went away
                continue
            self.busy = True
            try:
                prediction = await self._classify(proc, job.pixels)
            except (InferenceFailed, asyncio.TimeoutError, ConnectionError, OSError) as exc:
                if not job.future.done():
                    job.future.set_exception(
                        exc if isinstance(exc, InferenceFailed) else InferenceFailed(str(exc))
                    )
                if proc.returncode is not None or isinstance(exc, asyncio.TimeoutError):
                    self._fail("exited", f"the worker stopped answering ({exc})")
                    self._drain(DeviceNotReady(f"{self.device.id} failed: {exc}"))
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    return
                continue
            finally:
                self.busy = False
            self.latencies.append(prediction.latency_ms)
            del self.latencies[:-100]
            if not job.future.done():
                job.future.set_result(prediction)

    async def _classify(self, proc, pixels: bytes) -> Prediction:
        request_id = next(self._ids)
        header = json.dumps({"id": request_id, "bytes": len(pixels)}).encode() + b"\n"
        proc.stdin.write(header + pixels)
        await proc.stdin.drain()
        line = await asyncio.wait_for(proc.stdout.readline(), INFERENCE_TIMEOUT_S)
        if not line:
            raise InferenceFailed(f"the {self.device.id} worker exited")
        answer = _json(line)
        if answer.get("id") != request_id:
            raise InferenceFailed(f"the {self.device.id} worker answered out of turn")
        if "error" in answer:
            raise InferenceFailed(answer["error"])
        return Prediction(
            self.device.id,
            float(answer["latency_ms"]),
            [(int(c), float(s)) for c, s in answer["top"]],
        )


class Engine:
    """Every device's worker: the CPU's first (it also fetches the weights once and says
    how many GPUs the framework sees), then the GPUs' side by side."""

    def __init__(self, devices: Sequence[DemoDevice], spec: ModelSpec, queue_size: int) -> None:
        self.spec = spec
        self.workers = {d.id: DeviceWorker(d, spec, queue_size) for d in devices}
        for worker in self.workers.values():
            if worker.device.unusable:
                worker.mark_unavailable(worker.device.unusable)

    @property
    def cpu(self) -> DeviceWorker:
        return next(iter(self.workers.values()))

    async def start(self) -> LoadFailure | None:
        """Load the model everywhere it can run; the CPU's failure is the only fatal one
        (returned); a GPU that fails is marked so, with the reason."""
        await self.cpu.start()
        if self.cpu.state != "ready":
            return self.cpu.failure or LoadFailure("load", "the CPU worker did not start")
        seen = int(self.cpu.info.get("gpus_seen", 0))
        framework = self.cpu.info.get("framework", self.spec.backend)
        gpus = [w for w in self.workers.values() if w.device.is_gpu and w.state == "waiting"]
        for worker in gpus:
            if worker.device.cuda_ordinal is not None and worker.device.cuda_ordinal >= seen:
                build = "a CUDA build" if self.cpu.info.get("cuda_build") else "a CPU-only build"
                worker.mark_unavailable(
                    f"{framework} ({build}) sees {seen} GPU(s); this is CUDA device "
                    f"{worker.device.cuda_ordinal} (gpusetup doctor tells why)"
                )
        await asyncio.gather(*(w.start() for w in gpus if w.state == "waiting"))
        return None

    async def stop(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.workers.values()))

    def input_size(self) -> int:
        return int(self.cpu.info.get("input_size", 224))


def _json(line: bytes) -> dict:
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


async def _returncode(proc) -> int | None:
    try:
        return await asyncio.wait_for(proc.wait(), STOP_GRACE_S)
    except asyncio.TimeoutError:
        return None
