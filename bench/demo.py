"""Latency of `gpusetup demo` on this machine's CPU (and GPUs, where it has them).

    python bench/demo.py [--runs 30] [--model mobilenet_v2 efficientnet_b0]

For each model: makes a randomly initialised weights file (the timing does not depend on
the weights' values), starts the real server, and reports the time to ready, then the
median of ``--runs`` sequential classifications of a 640x480 and a 4000x3000 JPEG: the
worker's inference time (latency_ms) and the whole request as a client sees it.
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
APPS = {"mobilenet_v2": "MobileNetV2", "efficientnet_b0": "EfficientNetB0"}


def jpeg(width: int, height: int) -> bytes:
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def weights_file(model: str, directory: Path) -> Path:
    path = directory / f"{model}.weights.h5"
    code = (
        "import sys, keras\n"
        f"keras.applications.{APPS[model]}(weights=None).save_weights(sys.argv[1])\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True, env=env, timeout=600)
    return path


def bench(model: str, runs: int, directory: Path) -> None:
    weights = weights_file(model, directory)
    log = directory / f"{model}.log"
    begin = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gpusetup", "demo", "--port", "0", "--model", model]
            + ["--weights", str(weights)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)),
        )
    try:
        url = None
        while proc.poll() is None and time.perf_counter() - begin < 600:
            text = log.read_text()
            if "ready on " in text:
                url = text.split("ready on ", 1)[1].split()[0]
                break
            time.sleep(0.05)
        if url is None:
            sys.exit(f"{model}: the demo did not start:\n{log.read_text()[-2000:]}")
        ready = time.perf_counter() - begin
        devices = [
            d["device"]
            for d in requests.get(url + "api/devices", timeout=10).json()["devices"]
            if d["state"] == "ready"
        ]
        print(f"{model}: ready in {ready:.1f} s; devices {', '.join(devices)}")
        for label, data in (("640x480", jpeg(640, 480)), ("4000x3000", jpeg(4000, 3000))):
            for device in devices:
                inference, request = [], []
                for _ in range(runs):
                    t = time.perf_counter()
                    answer = requests.post(
                        url + "api/classify",
                        files={"image": ("a.jpg", data, "image/jpeg")},
                        params={"device": device},
                        timeout=60,
                    ).json()
                    request.append((time.perf_counter() - t) * 1000)
                    inference.append(answer["latency_ms"])
                mid, whole = statistics.median(inference), statistics.median(request)
                print(
                    f"  {device:6} {label:9} inference median {mid:6.1f} ms "
                    f"(min {min(inference):.1f}), request median {whole:6.1f} ms"
                )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--model", nargs="+", default=list(APPS), choices=list(APPS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.model:
            bench(model, args.runs, Path(tmp))


if __name__ == "__main__":
    main()
