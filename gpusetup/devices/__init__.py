"""Pure device rules: which nvidia-smi GPU is which CUDA device and TensorFlow device
(``map``), and which GPUs CUDA_VISIBLE_DEVICES shows (``visibility``)."""
