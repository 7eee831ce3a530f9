"""Make the demo tests' weights file: MobileNetV2 initialised at random from a fixed seed.

Keras' own initialisation (Glorot kernels, batch normalisation at its identity statistics)
shrinks the activations to zero over 50 layers, so every class would score 1/1000 and no
test could tell two images apart; He-normal kernels keep them alive. With ``--expect
IMAGE JSON`` it also writes what Keras itself computes for IMAGE (through the demo's
crop), for the server's answer to be checked against.

    python tests/demo_model.py OUT.weights.h5 [--expect IMAGE OUT.json]
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

SEED = 20261201


def random_mobilenet():
    keras.utils.set_random_seed(SEED)
    model = keras.applications.MobileNetV2(weights=None)
    rng = np.random.default_rng(SEED)
    for layer in model.layers:
        if isinstance(
            layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
        ):
            weights = layer.get_weights()
            kernel = weights[0]
            depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
            fan_in = (
                kernel.shape[0] * kernel.shape[1] if depthwise else int(np.prod(kernel.shape[:-1]))
            )
            weights[0] = rng.normal(0.0, np.sqrt(2.0 / fan_in), kernel.shape).astype("float32")
            layer.set_weights(weights)
    return model


def main():
    model = random_mobilenet()
    model.save_weights(sys.argv[1])
    if len(sys.argv) == 5 and sys.argv[2] == "--expect":
        from pathlib import Path

        from gpusetup.demo.images import decode_image

        pixels = decode_image(Path(sys.argv[3]), 224).pixels
        x = np.frombuffer(pixels, dtype=np.uint8).reshape(1, 224, 224, 3).astype("float32")
        scores = model.predict(keras.applications.mobilenet_v2.preprocess_input(x), verbose=0)[0]
        top = np.argsort(-scores)[:5]
        Path(sys.argv[4]).write_text(json.dumps([[int(c), float(scores[c])] for c in top]))


if __name__ == "__main__":
    main()
