"""`gpusetup demo`: a local web page that classifies an uploaded image with an ImageNet
CNN on a chosen device (the CPU or an nvidia-smi GPU), with the labels in English and
Chinese, and compares every GPU's answer with the CPU's.

The web side (``server``) and the inference side (``engine``, one ``worker`` process per
device) meet in ``run``; ``devices`` is the one module that reads the rest of gpusetup.
"""

SCHEMA = "gpusetup.demo/1"
MODELS = ("mobilenet_v2", "efficientnet_b0")
BACKENDS = ("tensorflow", "torch")
LANGS = ("en", "zh")
