"""The demo's web server (Tornado): the page, the JSON API and the upload checks.

Tornado serves on asyncio with no other dependency and streams request bodies, so an
upload's size is enforced while it arrives rather than after it was buffered. Handlers
never compute: decoding runs in a small thread pool and inference in the device workers.

Requests must name this server in ``Host`` (a page on another site that resolves its own
name to 127.0.0.1 is refused: DNS rebinding) and a POST from a browser must come from
this server's own page (``Origin``): another site cannot make a visitor's browser use it.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

import tornado.httputil
import tornado.web

from gpusetup.demo import SCHEMA
from gpusetup.demo.compare import compare_top
from gpusetup.demo.devices import DemoDevice, DeviceTable
from gpusetup.demo.engine import (
    DeviceNotReady,
    DeviceWorker,
    Engine,
    InferenceFailed,
    Prediction,
    QueueFull,
)
from gpusetup.demo.images import (
    DecodedImage,
    ImageRejected,
    UploadStore,
    check_content_type,
    check_file_name,
)
from gpusetup.demo.labels import Labels
from gpusetup.serde import record

STATIC = Path(__file__).with_name("static")
PAGES = {
    "/": ("index.html", "text/html; charset=utf-8"),
    "/static/demo.js": ("demo.js", "text/javascript; charset=utf-8"),
    "/static/demo.css": ("demo.css", "text/css; charset=utf-8"),
}
#: the multipart envelope around the image (boundaries, part headers, a device field)
MULTIPART_SLACK = 64 * 1024
#: bodies over the limit but under this are read and dropped, so that a client that does
#: not wait for "100 Continue" still reads the 413; beyond it the connection is closed
DISCARD_LIMIT = 64 * 1024 * 1024
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob:; "
    "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@record
class DemoSettings:
    max_upload: int  # bytes of the image file
    lang: str  # "en" or "zh": the page's language
    weights_label: str  # "imagenet" or the weights file's name (never its path)
    allowed_hosts: frozenset[str]  # Host header values accepted; empty: any


class _Base(tornado.web.RequestHandler):
    def initialize(self, demo: DemoApp) -> None:
        self.demo = demo

    def set_default_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def prepare(self) -> None:
        allowed = self.demo.settings.allowed_hosts
        host = self.request.headers.get("Host", "")
        if allowed and host.lower() not in allowed:
            self.fail(403, f"this server answers to {', '.join(sorted(allowed))}, not {host!r}")
            return
        origin = self.request.headers.get("Origin")
        if self.request.method == "POST" and origin is not None and origin != f"http://{host}":
            self.fail(403, f"a page from {origin} may not post to this server")

    def fail(self, status: int, reason: str, **headers: str) -> None:
        self.clear()
        self.set_default_headers()
        self.set_status(status)
        for name, value in headers.items():
            self.set_header(name, value)
        self.json({"schema": SCHEMA, "status": status, "error": reason})

    def json(self, data: dict) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(data, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs) -> None:
        reason = self._reason if status_code != 500 else "internal error in gpusetup demo"
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps({"schema": SCHEMA, "status": status_code, "error": reason}))

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, tornado.web.HTTPError):
            return
        self.demo.say(
            f"gpusetup demo: internal error in {self.request.path}: {typ.__name__}: {value}"
        )


class PageHandler(_Base):
    def get(self) -> None:
        name, content_type = PAGES[self.request.path]
        self.set_header("Content-Type", content_type)
        self.finish((STATIC / name).read_bytes())


class HealthHandler(_Base):
    def get(self) -> None:
        default = self.demo.engine.workers[self.demo.default_device]
        status = {"ready": "ok", "waiting": "loading", "loading": "loading"}.get(
            default.state, "failed"
        )
        self.set_status(200 if status == "ok" else 503)
        self.json(
            {
                "schema": SCHEMA,
                "status": status,
                "devices": {
                    w.device.id: {"state": w.state, "busy": w.busy, "queued": w.queued}
                    for w in self.demo.engine.workers.values()
                },
            }
        )


class DevicesHandler(_Base):
    def get(self) -> None:
        demo = self.demo
        self.json(
            {
                "schema": SCHEMA,
                "backend": demo.engine.spec.backend,
                "framework": demo.engine.cpu.info.get("framework"),
                "model": demo.engine.spec.model,
                "weights": demo.settings.weights_label,
                "default_device": demo.default_device,
                "lang": demo.settings.lang,
                "max_upload": demo.settings.max_upload,
                "tf_source": demo.table.tf_source,
                "notes": demo.table.notes,
                "devices": [device_json(w) for w in demo.engine.workers.values()],
            }
        )


def device_json(worker: DeviceWorker) -> dict:
    d = worker.device
    return {
        "device": d.id,
        "name": d.name,
        "smi_index": d.smi_index,
        "pci_bus_id": d.pci_bus_id,
        "uuid": d.uuid,
        "compute_capability": d.compute_capability,
        "cuda_ordinal": d.cuda_ordinal,
        "tf_device": d.tf_device,
        "state": worker.state,
        "reason": worker.failure.message if worker.failure else None,
        "framework_device_name": worker.info.get("device_name"),
        "load_s": worker.info.get("load_s"),
        "warmup_ms": worker.info.get("warmup_ms"),
        "busy": worker.busy,
        "queued": worker.queued,
        "notes": d.notes,
    }


@tornado.web.stream_request_body
class _Upload(_Base):
    """Reads a multipart upload with the size limit applied while it arrives."""

    def prepare(self) -> None:
        self._chunks: list[bytes] = []
        self._received = 0
        self._too_big = False
        limit = self.demo.settings.max_upload + MULTIPART_SLACK
        length = self.request.headers.get("Content-Length")
        declared = int(length) if length and length.isdigit() else None
        discard = max(DISCARD_LIMIT, limit)
        # at least the declared length, even when refused here: tornado would otherwise
        # append a bare 400 of its own to the answer
        self.request.connection.set_max_body_size(max(discard, declared or 0))
        super().prepare()
        if self._finished:
            return
        content_type = self.request.headers.get("Content-Type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            self.fail(
                415,
                f"send the image as multipart/form-data (field 'image'), not "
                f"{content_type.split(';')[0] or 'a body without a content type'!r}",
            )
            return
        if declared is not None and declared > limit:
            expects = self.request.headers.get("Expect", "").lower() == "100-continue"
            if expects or declared > discard:
                self._refuse_size()  # the client has not sent the body (or too much of it)
            else:
                self._too_big = True

    def _refuse_size(self) -> None:
        self.fail(
            413,
            f"the upload is larger than the limit of {_size(self.demo.settings.max_upload)} "
            "(--max-upload)",
        )

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        self._received += len(chunk)
        if self._received > self.demo.settings.max_upload + MULTIPART_SLACK:
            self._too_big = True
        if self._too_big:
            self._chunks.clear()
        else:
            self._chunks.append(chunk)

    async def read_image(self) -> tuple[DecodedImage, str | None] | None:
        """The decoded image and the requested device; None when refused (answered)."""
        if self._too_big:
            self._refuse_size()
            return None
        files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        arguments: dict[str, list[bytes]] = {}
        body = b"".join(self._chunks)
        self._chunks.clear()
        content_type = self.request.headers.get("Content-Type", "")
        tornado.httputil.parse_body_arguments(content_type, body, arguments, files)
        del body
        parts = files.get("image") or []
        if not parts:
            what = "an empty form" if not (files or arguments) else "no field named 'image'"
            self.fail(400, f"the upload has {what}: send the file in the multipart field 'image'")
            return None
        part = parts[0]
        try:
            check_file_name(part.filename)
            check_content_type(part.content_type)
            if not part.body:
                raise ImageRejected("the uploaded file is empty")
            if len(part.body) > self.demo.settings.max_upload:
                raise ImageRejected(
                    f"the image has {_size(len(part.body))}, over the limit of "
                    f"{_size(self.demo.settings.max_upload)} (--max-upload)",
                    status=413,
                )
            decoded = await asyncio.get_running_loop().run_in_executor(
                self.demo.decoders, self.demo.store.decode, part.body, self.demo.engine.input_size()
            )
        except ImageRejected as exc:
            self.fail(exc.status, str(exc))
            return None
        device = self.get_query_argument("device", None)
        if device is None and arguments.get("device"):
            device = arguments["device"][0].decode("utf-8", "replace")
        return decoded, device

    def worker_for(self, device: str | None) -> DeviceWorker | None:
        name = (device or self.demo.default_device).strip().lower()
        worker = self.demo.engine.workers.get(name)
        if worker is None:
            known = ", ".join(self.demo.engine.workers)
            self.fail(400, f"there is no device {name!r} here (devices: {known})")
        return worker


class ClassifyHandler(_Upload):
    async def post(self) -> None:
        begun = time.perf_counter()
        upload = await self.read_image()
        if upload is None:
            return
        image, device = upload
        worker = self.worker_for(device)
        if worker is None:
            return
        try:
            prediction = await worker.submit(image.pixels)
        except QueueFull as exc:
            self.fail(503, str(exc), **{"Retry-After": str(exc.retry_after_s)})
            return
        except DeviceNotReady as exc:
            if exc.loading:
                self.fail(503, str(exc), **{"Retry-After": "5"})
            else:
                self.fail(409, str(exc))
            return
        except InferenceFailed as exc:
            self.fail(500, f"{worker.device.id} failed to classify the image: {exc}")
            return
        self.json(
            {
                "schema": SCHEMA,
                **self.demo.answer(worker, prediction),
                "total_ms": round((time.perf_counter() - begun) * 1000, 3),
                "image": image_json(image),
            }
        )


class CompareHandler(_Upload):
    async def post(self) -> None:
        upload = await self.read_image()
        if upload is None:
            return
        image, _ = upload
        workers = list(self.demo.engine.workers.values())
        outcomes = await asyncio.gather(
            *(_run(w, image.pixels) for w in workers), return_exceptions=False
        )
        cpu = outcomes[0] if isinstance(outcomes[0], Prediction) else None
        results = []
        for worker, outcome in zip(workers, outcomes, strict=True):
            if isinstance(outcome, Prediction):
                entry = self.demo.answer(worker, outcome)
                if worker.device.is_gpu and cpu is not None:
                    entry["agreement"] = asdict(compare_top(cpu.top, outcome.top))
                results.append(entry)
            else:
                results.append({**self.demo.device_fields(worker), "error": outcome})
        self.json(
            {"schema": SCHEMA, "reference": "cpu", "image": image_json(image), "results": results}
        )


async def _run(worker: DeviceWorker, pixels: bytes) -> Prediction | str:
    """A device's prediction, or why there is none."""
    try:
        return await worker.submit(pixels)
    except (QueueFull, DeviceNotReady, InferenceFailed) as exc:
        return str(exc)


def image_json(image: DecodedImage) -> dict:
    return {
        "format": image.format,
        "width": image.width,
        "height": image.height,
        "mode": image.mode,
    }


def _size(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n >= 1 << 20 else f"{n} bytes"


class DemoApp:
    """What the handlers share: the engine, the devices, the labels, the upload store."""

    def __init__(
        self,
        engine: Engine,
        table: DeviceTable,
        labels: Labels,
        settings: DemoSettings,
        default_device: str,
        say: Callable[[str], None],
    ) -> None:
        self.engine = engine
        self.table = table
        self.labels = labels
        self.settings = settings
        #: "cpu" or "gpu:N"; the CPU when an automatically chosen GPU fails to load
        self.default_device = default_device
        self.say = say
        self.store = UploadStore()
        # decoding a 12-megapixel JPEG takes a while; two at a time bounds memory and CPU
        self.decoders = ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-decode")

    def application(self) -> tornado.web.Application:
        args = {"demo": self}
        return tornado.web.Application(
            [
                (r"/", PageHandler, args),
                (r"/static/demo\.(?:js|css)", PageHandler, args),
                (r"/healthz", HealthHandler, args),
                (r"/api/devices", DevicesHandler, args),
                (r"/api/classify", ClassifyHandler, args),
                (r"/api/compare", CompareHandler, args),
            ],
            log_function=lambda handler: None,
            default_handler_class=NotFoundHandler,
            default_handler_args=args,
        )

    def device_fields(self, worker: DeviceWorker) -> dict:
        d: DemoDevice = worker.device
        return {
            "device": d.id,
            "name": d.name,
            "smi_index": d.smi_index,
            "pci_bus_id": d.pci_bus_id,
            "cuda_ordinal": d.cuda_ordinal,
            "tf_device": d.tf_device,
        }

    def answer(self, worker: DeviceWorker, prediction: Prediction) -> dict:
        return {
            **self.device_fields(worker),
            "framework_device_name": worker.info.get("device_name"),
            "backend": self.engine.spec.backend,
            "framework": worker.info.get("framework"),
            "model": self.engine.spec.model,
            "weights": self.settings.weights_label,
            "latency_ms": prediction.latency_ms,
            "top": [
                {
                    "rank": rank,
                    "class": index,
                    "label": self.labels.en[index],
                    "label_zh": self.labels.zh[index],
                    "score": score,
                }
                for rank, (index, score) in enumerate(prediction.top, 1)
            ],
        }

    def close(self) -> None:
        self.decoders.shutdown(wait=False, cancel_futures=True)
        self.store.close()


class NotFoundHandler(_Base):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished:
            self.fail(404, f"no such page: {self.request.path}")
