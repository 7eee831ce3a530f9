"""Child process: import TensorFlow with its GPU and library-loading logs turned up, list
its GPUs (which creates them, so it logs each one's description) and print a summary.
The parent reads the logs from stderr. Imports nothing from gpusetup."""

import json
import os
import sys

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"
# verbose logs only from the modules that load libraries and create GPU devices
os.environ["TF_CPP_VMODULE"] = "dso_loader=3,dlopen_checker=3,gpu_device=1,cuda_dnn=1"


def main():
    try:
        import tensorflow as tf
    except Exception as exc:  # noqa: BLE001 - any import failure is the answer
        print(json.dumps({"import_error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return
    try:
        info = dict(tf.sysconfig.get_build_info())
    except Exception:  # noqa: BLE001 - older releases lack it; the summary says None
        info = {}
    physical = tf.config.list_physical_devices("GPU")
    logical = tf.config.list_logical_devices("GPU")
    print(
        json.dumps(
            {
                "version": tf.__version__,
                "is_cuda_build": bool(info.get("is_cuda_build")),
                "cuda_version": info.get("cuda_version"),
                "cudnn_version": info.get("cudnn_version"),
                "physical_gpus": [d.name for d in physical],
                "logical_gpus": [d.name for d in logical],
            }
        ),
        flush=True,
    )
    sys.stderr.flush()


if __name__ == "__main__":
    main()
