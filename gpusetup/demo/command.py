"""The `gpusetup demo` command: its options and help. Imports only typer, so that
`gpusetup --help` stays fast; the server and its dependencies load when the command runs."""

from __future__ import annotations

from typing import Annotated

import typer


def demo(
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on (another than loopback: no authentication)."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on; 0: a free one.")] = 8000,
    model: Annotated[
        str, typer.Option("--model", help="mobilenet_v2 or efficientnet_b0.")
    ] = "mobilenet_v2",
    weights: Annotated[
        str,
        typer.Option(
            "--weights",
            metavar="imagenet|PATH",
            help="imagenet (downloaded once into the framework's cache) or a local weights "
            "or model file (.h5, .weights.h5, .keras; torch: .pth).",
        ),
    ] = "imagenet",
    device: Annotated[
        str,
        typer.Option(
            "--device",
            metavar="auto|cpu|gpu:N",
            help="The page's device; N is the nvidia-smi index.",
        ),
    ] = "auto",
    lang: Annotated[str, typer.Option("--lang", help="The page's language: en or zh.")] = "en",
    backend: Annotated[
        str, typer.Option("--backend", help="tensorflow (Keras) or torch (torchvision).")
    ] = "tensorflow",
    max_upload: Annotated[
        str,
        typer.Option("--max-upload", metavar="SIZE", help="Largest image file, e.g. 10M, 512K."),
    ] = "10M",
    queue_size: Annotated[
        int,
        typer.Option(
            "--queue-size", metavar="N", help="Images that may wait per device (then 503)."
        ),
    ] = 8,
) -> None:
    """Serve a local page that classifies an uploaded image on the CPU or a chosen GPU.

    Shows the top-5 ImageNet labels in English and Chinese, the device (its nvidia-smi
    index, bus id, CUDA ordinal and TensorFlow /GPU:k), the latency, and a comparison of
    every GPU with the CPU. JSON API: POST /api/classify, POST /api/compare,
    GET /api/devices, GET /healthz. Ctrl-C stops it.
    """
    from gpusetup.demo.run import DemoError, DemoOptions, run_demo

    options = DemoOptions(host, port, model, weights, device, lang, backend, max_upload, queue_size)
    try:
        code = run_demo(options, say=typer.echo, warn=lambda text: typer.echo(text, err=True))
    except DemoError as exc:
        typer.echo(f"gpusetup: error: {exc}", err=True)
        raise typer.Exit(exc.exit_code) from exc
    raise typer.Exit(code)
