"""Running `gpusetup demo`: check the options, find the devices, bind the port, serve until
Ctrl-C (or SIGTERM), then stop the workers and remove the uploads' directory.

Everything a user can get wrong is found before any model loads: a bad option, a missing
dependency, a weights file that is not there, a device that does not exist, a port in use.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib.util
import ipaddress
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gpusetup.demo import BACKENDS, LANGS, MODELS
from gpusetup.serde import record

if TYPE_CHECKING:
    from gpusetup.demo.devices import DeviceTable
    from gpusetup.demo.engine import LoadFailure, ModelSpec
    from gpusetup.demo.labels import Labels
    from gpusetup.demo.server import DemoSettings

EXIT_FAILED, EXIT_USAGE = 1, 2
INSTALL = {
    "tensorflow": "python -m pip install 'tensorflow[and-cuda]'   (CPU only: tensorflow-cpu)",
    "torch": "python -m pip install torch torchvision",
}
FRAMEWORK_MODULES = {"tensorflow": ("tensorflow", "keras"), "torch": ("torch", "torchvision")}
WEIGHT_SUFFIXES = {"tensorflow": (".h5", ".hdf5", ".keras"), "torch": (".pth", ".pt")}
WEIGHTS_CACHE = {"tensorflow": "~/.keras/models", "torch": "~/.cache/torch/hub/checkpoints"}
SERVER_SHUTDOWN_S = 5.0


class DemoError(Exception):
    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@record
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    model: str = "mobilenet_v2"
    weights: str = "imagenet"
    device: str = "auto"
    lang: str = "en"
    backend: str = "tensorflow"
    max_upload: str = "10M"
    queue_size: int = 8


def parse_size(text: str) -> int:
    """Bytes from ``10M``, ``512K``, ``10MiB`` or a plain number (K and M are 1024-based)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(?:i?[bB])?\s*", text)
    if not match:
        raise DemoError(f"--max-upload {text!r} is not a size (examples: 10M, 512K, 1048576)")
    scale = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[match.group(2).lower()]
    size = int(float(match.group(1)) * scale)
    if size < 1:
        raise DemoError("--max-upload must be at least 1 byte")
    return size


def check_options(options: DemoOptions) -> tuple[int, str]:
    """The upload limit in bytes and the weights (``imagenet`` or an absolute path)."""
    for name, value, allowed in (
        ("--model", options.model, MODELS),
        ("--backend", options.backend, BACKENDS),
        ("--lang", options.lang, LANGS),
    ):
        if value not in allowed:
            raise DemoError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    if not 0 <= options.port <= 65535:
        raise DemoError(f"--port {options.port} is not a port (0-65535; 0: a free one)")
    if options.queue_size < 1:
        raise DemoError("--queue-size must be at least 1")
    return parse_size(options.max_upload), check_weights(options.weights, options.backend)


def check_weights(weights: str, backend: str) -> str:
    if weights == "imagenet":
        return weights
    path = Path(weights).expanduser()
    suffixes = WEIGHT_SUFFIXES[backend]
    if not path.exists():
        raise DemoError(f"--weights {weights}: no such file")
    if not path.is_file():
        raise DemoError(f"--weights {weights}: not a regular file")
    if not os.access(path, os.R_OK):
        raise DemoError(f"--weights {weights}: not readable")
    if not path.name.endswith(suffixes):
        raise DemoError(
            f"--weights {weights}: a {backend} weights or model file ends in {', '.join(suffixes)}"
        )
    return str(path.resolve())


def missing_dependencies(backend: str) -> str | None:
    """Why the demo cannot run in this Python, with the install command; None: it can."""
    for module in ("tornado", "PIL"):
        if importlib.util.find_spec(module) is None:
            return (
                f"the demo's web dependencies are not installed ({module} is missing): "
                "python -m pip install 'gpusetup[demo]'"
            )
    for module in FRAMEWORK_MODULES[backend]:
        if importlib.util.find_spec(module) is None:
            return (
                f"{module} is not installed in this Python ({sys.executable}); the "
                f"{backend} backend needs it: {INSTALL[backend]}"
            )
    return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> list[socket.socket]:
    from tornado.netutil import bind_sockets

    try:
        return bind_sockets(port, address=host.strip("[]"), reuse_port=False)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise DemoError(
                f"port {port} on {host} is in use (another server, or another gpusetup demo): "
                "choose another with --port, or --port 0 for a free one"
            ) from exc
        if exc.errno == errno.EACCES:
            raise DemoError(
                f"port {port} needs more privileges (ports below 1024 do): choose another "
                "with --port"
            ) from exc
        raise DemoError(
            f"cannot listen on {host} port {port}: {exc.strerror or exc} (--host)"
        ) from exc


def url_of(host: str, port: int) -> str:
    shown = (
        "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host in ("::", "[::]") else host)
    )
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers a loopback server answers to; another address answers to any."""
    if not is_loopback(host):
        return frozenset()
    names = {
        "127.0.0.1",
        "localhost",
        "[::1]",
        host if ":" not in host else f"[{host.strip('[]')}]",
    }
    hosts = {f"{name}:{port}" for name in names}
    if port == 80:
        hosts |= names
    return frozenset(h.lower() for h in hosts)


def run_demo(options: DemoOptions, say: Callable[[str], None], warn: Callable[[str], None]) -> int:
    max_upload, weights = check_options(options)
    missing = missing_dependencies(options.backend)
    if missing:
        raise DemoError(missing, EXIT_FAILED)
    from gpusetup.demo.devices import DeviceChoiceError, choose_device, probe_devices

    table = probe_devices(options.backend)
    try:
        chosen = choose_device(table, options.device)
    except DeviceChoiceError as exc:
        raise DemoError(f"--device {options.device}: {exc}") from exc
    sockets = bind(options.host, options.port)
    port = sockets[0].getsockname()[1]
    if not is_loopback(options.host):
        warn(
            f"gpusetup demo: warning: listening on {options.host}: anyone who can reach this "
            "machine can use the page, upload images and run them on its GPUs; the demo "
            "has no authentication"
        )
    from gpusetup.demo.engine import ModelSpec
    from gpusetup.demo.labels import imagenet_labels
    from gpusetup.demo.server import DemoSettings

    settings = DemoSettings(
        max_upload,
        options.lang,
        weights if weights == "imagenet" else Path(weights).name,
        allowed_hosts(options.host, port),
    )
    spec = ModelSpec(options.backend, options.model, weights)
    try:
        return asyncio.run(
            _serve(
                sockets,
                table,
                chosen.id,
                options.device.strip().lower() == "auto",
                spec,
                settings,
                imagenet_labels(),
                options.queue_size,
                url_of(options.host, port),
                say,
                warn,
            )
        )
    finally:
        for sock in sockets:
            sock.close()


async def _serve(
    sockets: list[socket.socket],
    table: DeviceTable,
    default: str,
    automatic: bool,
    spec: ModelSpec,
    settings: DemoSettings,
    labels: Labels,
    queue_size: int,
    url: str,
    say: Callable[[str], None],
    warn: Callable[[str], None],
) -> int:
    import tornado.httpserver

    from gpusetup.demo.devices import describe
    from gpusetup.demo.engine import Engine
    from gpusetup.demo.server import DISCARD_LIMIT, DemoApp

    # tornado logs a malformed request as a warning; the client already has its answer
    logging.getLogger("tornado.general").setLevel(logging.ERROR)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    engine = Engine(table.devices, spec, queue_size)
    demo = DemoApp(engine, table, labels, settings, default, warn)
    server = tornado.httpserver.HTTPServer(
        demo.application(),
        max_body_size=DISCARD_LIMIT,
        body_timeout=120,
        idle_connection_timeout=120,
    )
    server.add_sockets(sockets)
    say(f"gpusetup demo: {url}  (loading {spec.model} with {spec.backend}; Ctrl-C stops)")
    starting = asyncio.ensure_future(engine.start())
    stopping = asyncio.ensure_future(stop.wait())
    code = 0
    try:
        await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if starting.done():
            failure = starting.result()
            if failure is not None:
                message, code = explain_failure(failure, spec)
                warn(f"gpusetup: error: {message}")
                return code
            for worker in engine.workers.values():
                line = f"  {worker.device.id:7} {describe(worker.device)}: {worker.state}"
                if worker.state == "ready":
                    line += f" (warm-up {worker.info.get('warmup_ms', 0):.0f} ms)"
                elif worker.failure:
                    line += f": {worker.failure.message}"
                say(line)
            if engine.workers[default].state != "ready":
                reason = engine.workers[default].failure
                why = reason.message if reason else engine.workers[default].state
                if not automatic:
                    warn(f"gpusetup: error: {default} cannot run the model: {why}")
                    return EXIT_FAILED
                warn(
                    f"gpusetup demo: {default} cannot run the model ({why}); the page uses the CPU"
                )
                demo.default_device = "cpu"
            say(f"gpusetup demo: ready on {url} (default device {demo.default_device})")
            await stopping
        return code
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        starting.cancel()
        stopping.cancel()
        server.stop()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.close_all_connections(), SERVER_SHUTDOWN_S)
        await engine.stop()
        demo.close()
        if stop.is_set():
            say("gpusetup demo: stopped")


def explain_failure(failure: LoadFailure, spec: ModelSpec) -> tuple[str, int]:
    """The message and exit code for a model that did not load on the CPU."""
    if failure.kind == "framework":
        return f"{failure.message}. Install it: {INSTALL[spec.backend]}", EXIT_FAILED
    if failure.kind == "download":
        return (
            f"could not download the ImageNet weights of {spec.model}: {failure.message}. "
            "On a machine without internet access, copy the weights file from one that has "
            f"it ({WEIGHTS_CACHE[spec.backend]}) and pass it with --weights PATH",
            EXIT_FAILED,
        )
    if failure.kind == "weights":
        return f"{failure.message} (--weights)", EXIT_USAGE
    return f"the model did not load on the CPU: {failure.message}", EXIT_FAILED
