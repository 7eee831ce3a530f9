"""Shared libraries: what TensorFlow needs, where the dynamic loader finds it, and why not."""
