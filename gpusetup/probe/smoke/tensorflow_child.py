"""Smoke child for TensorFlow: run the fixed model on the CPU and on every GPU TensorFlow
registers; one JSON event per line on stdout. Imports nothing from gpusetup."""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
os.environ.setdefault("TF_CPP_VMODULE", "gpu_device=1")

import model_spec  # noqa: E402


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def main():
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    import tensorflow as tf

    # full fp32 on every device, so outputs compare within a tight tolerance
    tf.config.experimental.enable_tensor_float_32_execution(False)
    emit({"framework": f"tensorflow {tf.__version__}"})
    devices = [{"device": "CPU:0", "name": "CPU"}]
    for i, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        try:
            details = tf.config.experimental.get_device_details(gpu)
        except Exception:  # noqa: BLE001 - details are optional
            details = {}
        cc = details.get("compute_capability")
        devices.append(
            {
                "device": f"GPU:{i}",
                "name": details.get("device_name"),
                "compute_capability": f"{cc[0]}.{cc[1]}" if cc else None,
            }
        )
    emit({"devices": devices})

    params = {
        k: tf.constant(v, shape=s, dtype=tf.float32)
        for k, (s, v) in model_spec.parameters().items()
    }
    shape, values = model_spec.batch()

    def forward(x, p):
        y = tf.nn.relu(tf.nn.conv2d(x, p["w1"], 1, "SAME") + p["b1"])
        y = tf.nn.relu(tf.nn.conv2d(y, p["w2"], 2, "SAME") + p["b2"])
        return tf.matmul(tf.reduce_mean(y, axis=[1, 2]), p["wd"]) + p["bd"]

    reference = None
    for dev in devices:
        emit({"begin": dev["device"]})
        try:
            with tf.device(dev["device"]):
                x = tf.constant(values, shape=shape, dtype=tf.float32)
                p = {k: tf.identity(v) for k, v in params.items()}
                for _ in range(3):
                    out = forward(x, p).numpy()
                start = time.perf_counter()
                for _ in range(iterations):
                    out = forward(x, p).numpy()
                seconds = (time.perf_counter() - start) / iterations
            flat = [float(v) for v in out.reshape(-1)]
            if reference is None:
                reference = flat
            emit(model_spec.result_event(dev["device"], seconds, flat, reference, shape[0]))
        except Exception as exc:  # noqa: BLE001 - every device failure is reported
            emit(model_spec.error_event(dev["device"], exc))
    emit({"done": True})


if __name__ == "__main__":
    main()
