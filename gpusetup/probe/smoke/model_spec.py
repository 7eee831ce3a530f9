"""The smoke model's fixed weights and input, shared by every backend.

A small convolutional network (conv 3x3x3->8, ReLU, conv 3x3x8->16 stride 2, ReLU, global
average pool, dense 16->10) with weights from a fixed seed: nothing is downloaded, and
every device must compute the same output. Plain Python (no NumPy), so each backend's
child imports only its framework. Layouts: NHWC input, HWIO kernels (TensorFlow's).
"""

import random

SEED = 20261126
BATCH, HEIGHT, WIDTH, CHANNELS = 16, 32, 32, 3
CONV1, CONV2, CLASSES = 8, 16, 10


def _values(rng, count, scale):
    return [rng.uniform(-scale, scale) for _ in range(count)]


def parameters():
    """{name: (shape, flat values)} in TensorFlow's layouts."""
    rng = random.Random(SEED)
    return {
        "w1": ((3, 3, CHANNELS, CONV1), _values(rng, 3 * 3 * CHANNELS * CONV1, 0.4)),
        "b1": ((CONV1,), _values(rng, CONV1, 0.1)),
        "w2": ((3, 3, CONV1, CONV2), _values(rng, 3 * 3 * CONV1 * CONV2, 0.2)),
        "b2": ((CONV2,), _values(rng, CONV2, 0.1)),
        "wd": ((CONV2, CLASSES), _values(rng, CONV2 * CLASSES, 0.5)),
        "bd": ((CLASSES,), _values(rng, CLASSES, 0.1)),
    }


def batch():
    rng = random.Random(SEED + 1)
    return (BATCH, HEIGHT, WIDTH, CHANNELS), _values(rng, BATCH * HEIGHT * WIDTH * CHANNELS, 1.0)


def classify_error(message):
    """The kind of a device failure, from the framework's message."""
    text = message.lower()
    if "out of memory" in text or "resourceexhausted" in text or "oom" in text.split():
        return "out-of-memory"
    if "illegal memory access" in text or "illegal address" in text:
        return "illegal-address"
    if "cudnn" in text or "dnn library" in text:
        return "cudnn"
    if "no kernel image" in text or "ptx" in text:
        return "unsupported-architecture"
    return "other"


def result_event(device, seconds, output, reference, batch_size):
    """The protocol line for a device that ran: latency, throughput, difference from the
    CPU's output (the first device's)."""
    diff = max(abs(a - b) for a, b in zip(output, reference, strict=True))
    return {
        "result": device,
        "latency_ms": seconds * 1000,
        "throughput": batch_size / seconds,
        "max_abs_diff": diff,
        "max_abs_value": max(abs(v) for v in reference),
    }


def error_event(device, exc):
    """The protocol line for a device that failed, with the kind of failure."""
    message = f"{type(exc).__name__}: {exc}"
    return {"error": device, "message": message[:2000], "kind": classify_error(message)}
