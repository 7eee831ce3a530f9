"""Inference worker of `gpusetup demo`: loads one image classifier on one device and
classifies the images the server sends, one at a time. Run as a child by path and imports
nothing from gpusetup, so the server never waits on a framework's import or on a device.

Protocol. stdin: requests, each a JSON line ``{"id": N, "bytes": B}`` followed by B bytes of
RGB pixels (size x size x 3, uint8, row-major). stdout: JSON lines, first one event
``{"event": "ready", ...}`` or ``{"event": "failed", "kind": ..., "message": ...}``, then
one answer per request, ``{"id": N, "latency_ms": ..., "top": [[class, score], ...]}`` or
``{"id": N, "error": ...}``. The end of stdin (or the server's death) ends the worker.
Whatever the frameworks print goes to stderr, so download progress bars reach the terminal.
"""

import argparse
import json
import os
import signal
import socket
import sys
import time

TOP_K = 5
CLASSES = 1000
#: Keras application, its module (for ``preprocess_input``); torchvision builder, weights
KERAS_MODELS = {
    "mobilenet_v2": ("MobileNetV2", "mobilenet_v2"),
    "efficientnet_b0": ("EfficientNetB0", "efficientnet"),
}
TORCH_MODELS = {
    "mobilenet_v2": ("mobilenet_v2", "MobileNet_V2_Weights"),
    "efficientnet_b0": ("efficientnet_b0", "EfficientNet_B0_Weights"),
}
#: torchvision's ImageNet normalisation (the transforms of its IMAGENET1K_V1 weights)
TORCH_MEAN, TORCH_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: a download that stalls this long fails instead of hanging the start
DOWNLOAD_SOCKET_TIMEOUT_S = 60


class LoadError(Exception):
    def __init__(self, kind, message, **extra):
        super().__init__(message)
        self.kind = kind
        self.extra = extra


def _die_with_parent():
    """Linux: the kernel kills this worker when the server dies, even mid-inference."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the end of stdin still ends the worker


def _is_download_error(exc):
    import urllib.error

    text = str(exc)
    return (
        isinstance(exc, (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError))
        or "URL fetch failure" in text
        or "HTTP Error" in text
    )


class TensorFlowModel:
    def __init__(self, model, weights, device, ordinal):
        try:
            import keras
            import numpy as np
            import tensorflow as tf
        except ImportError as exc:
            raise LoadError("framework", f"TensorFlow cannot be imported: {exc}") from exc
        self.np = np
        gpus = tf.config.list_physical_devices("GPU")
        self.framework = f"tensorflow {tf.__version__}"
        self.gpus_seen = len(gpus)
        self.cuda_build = bool(tf.test.is_built_with_cuda())
        self.device_name = "CPU"
        if device == "cpu":
            tf.config.set_visible_devices([], "GPU")
            place = "/CPU:0"
        else:
            # TensorFlow lists physical GPUs in CUDA order; the map gave this GPU's ordinal
            if ordinal >= len(gpus):
                build = "a CUDA build" if self.cuda_build else "a CPU-only build"
                raise LoadError(
                    "device",
                    f"TensorFlow {tf.__version__} ({build}) sees {len(gpus)} GPU(s), "
                    f"not CUDA device {ordinal}",
                )
            gpu = gpus[ordinal]
            tf.config.set_visible_devices([gpu], "GPU")
            tf.config.experimental.set_memory_growth(gpu, True)
            try:
                self.device_name = tf.config.experimental.get_device_details(gpu).get("device_name")
            except (ValueError, RuntimeError):
                self.device_name = None
            place = "/GPU:0"
        app_name, module = KERAS_MODELS[model]
        self.preprocess = getattr(keras.applications, module).preprocess_input
        with tf.device(place):
            if weights.endswith(".keras"):
                try:
                    net = keras.models.load_model(weights, compile=False)
                except Exception as exc:  # noqa: BLE001 - any failure is the file's
                    raise LoadError("weights", f"cannot load {weights}: {exc}") from exc
            else:
                try:
                    net = getattr(keras.applications, app_name)(weights=weights)
                except Exception as exc:  # noqa: BLE001 - sorted into download or file
                    if weights == "imagenet" and _is_download_error(exc):
                        raise LoadError("download", str(exc)) from exc
                    raise LoadError(
                        "weights", f"cannot load {weights} into {model}: {exc}"
                    ) from exc
        shape = tuple(net.input_shape)
        if len(shape) != 4 or shape[1] != shape[2] or shape[3] != 3 or not shape[1]:
            raise LoadError("weights", f"{weights}: the model takes {shape}, not square RGB")
        if tuple(net.output_shape)[-1] != CLASSES:
            raise LoadError(
                "weights",
                f"{weights}: the model has {net.output_shape[-1]} outputs; the labels are "
                f"ImageNet's {CLASSES} classes",
            )
        self.size = int(shape[1])
        self.place = place
        self.tf = tf

        @tf.function(input_signature=[tf.TensorSpec([1, self.size, self.size, 3], tf.float32)])
        def forward(x):
            return net(x, training=False)

        self.forward = forward

    def probabilities(self, pixels):
        np = self.np
        x = np.frombuffer(pixels, dtype=np.uint8).reshape(1, self.size, self.size, 3)
        x = self.preprocess(x.astype(np.float32))
        with self.tf.device(self.place):
            return self.forward(x).numpy()[0]


class TorchModel:
    def __init__(self, model, weights, device, ordinal):
        try:
            import torch
            import torchvision.models as models
        except ImportError as exc:
            raise LoadError(
                "framework", f"PyTorch with torchvision cannot be imported: {exc}"
            ) from exc
        self.torch = torch
        self.framework = f"torch {torch.__version__}"
        self.cuda_build = torch.version.cuda is not None
        self.gpus_seen = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if device == "cpu":
            self.dev = torch.device("cpu")
            self.device_name = "CPU"
        else:
            if ordinal >= self.gpus_seen:
                raise LoadError(
                    "device",
                    f"PyTorch {torch.__version__} sees {self.gpus_seen} GPU(s), "
                    f"not CUDA device {ordinal}",
                )
            self.dev = torch.device(f"cuda:{ordinal}")
            self.device_name = torch.cuda.get_device_name(ordinal)
        builder, enum = TORCH_MODELS[model]
        if weights == "imagenet":
            try:
                net = getattr(models, builder)(weights=getattr(models, enum).IMAGENET1K_V1)
            except Exception as exc:  # noqa: BLE001 - sorted into download or file
                if _is_download_error(exc):
                    raise LoadError("download", str(exc)) from exc
                raise LoadError("weights", f"cannot load the ImageNet weights: {exc}") from exc
        else:
            net = getattr(models, builder)(weights=None)
            try:
                # weights_only: a state dict, never arbitrary pickled objects
                state = torch.load(weights, map_location="cpu", weights_only=True)
                net.load_state_dict(state)
            except Exception as exc:  # noqa: BLE001 - any failure is the file's
                raise LoadError("weights", f"cannot load {weights} into {model}: {exc}") from exc
        self.net = net.eval().to(self.dev)
        self.size = 224
        self.mean = torch.tensor(TORCH_MEAN, device=self.dev).view(1, 3, 1, 1)
        self.std = torch.tensor(TORCH_STD, device=self.dev).view(1, 3, 1, 1)

    def probabilities(self, pixels):
        torch = self.torch
        with torch.inference_mode():
            x = torch.frombuffer(bytearray(pixels), dtype=torch.uint8)
            x = x.view(1, self.size, self.size, 3).permute(0, 3, 1, 2).to(self.dev)
            x = (x.float() / 255.0 - self.mean) / self.std
            return self.net(x).softmax(dim=1)[0].cpu().numpy()


def _top(probabilities):
    order = sorted(range(len(probabilities)), key=lambda i: -float(probabilities[i]))
    return [[i, float(probabilities[i])] for i in order[:TOP_K]]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("tensorflow", "torch"), required=True)
    parser.add_argument("--model", choices=sorted(KERAS_MODELS), required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--device", choices=("cpu", "gpu"), required=True)
    parser.add_argument("--cuda-ordinal", type=int, default=0)
    args = parser.parse_args()
    _die_with_parent()
    # the protocol keeps the real stdout; everything printed from here on goes to stderr
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    requests = sys.stdin.buffer

    def send(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    socket.setdefaulttimeout(DOWNLOAD_SOCKET_TIMEOUT_S)
    started = time.perf_counter()
    kind = TensorFlowModel if args.backend == "tensorflow" else TorchModel
    try:
        model = kind(args.model, args.weights, args.device, args.cuda_ordinal)
        blank = bytes(model.size * model.size * 3)
        warm = time.perf_counter()
        model.probabilities(blank)  # traces and places the model: the first call is slow
        warmup_ms = (time.perf_counter() - warm) * 1000
    except LoadError as exc:
        send({"event": "failed", "kind": exc.kind, "message": str(exc), **exc.extra})
        return 1
    except Exception as exc:  # noqa: BLE001 - reported to the server, which explains it
        send({"event": "failed", "kind": "load", "message": f"{type(exc).__name__}: {exc}"})
        return 1
    socket.setdefaulttimeout(None)
    send(
        {
            "event": "ready",
            "framework": model.framework,
            "cuda_build": model.cuda_build,
            "gpus_seen": model.gpus_seen,
            "device_name": model.device_name,
            "input_size": model.size,
            "load_s": round(time.perf_counter() - started, 3),
            "warmup_ms": round(warmup_ms, 3),
        }
    )
    expected = model.size * model.size * 3
    while True:
        line = requests.readline()
        if not line:
            return 0
        request = json.loads(line)
        pixels = requests.read(request["bytes"])
        if len(pixels) != request["bytes"]:
            return 0
        if len(pixels) != expected:
            send({"id": request["id"], "error": f"expected {expected} bytes, got {len(pixels)}"})
            continue
        try:
            begin = time.perf_counter()
            probabilities = model.probabilities(pixels)
            latency_ms = (time.perf_counter() - begin) * 1000
        except Exception as exc:  # noqa: BLE001 - the device's failure goes to the server
            send({"id": request["id"], "error": f"{type(exc).__name__}: {exc}"})
            continue
        send({"id": request["id"], "latency_ms": round(latency_ms, 3), "top": _top(probabilities)})


if __name__ == "__main__":
    sys.exit(main())
