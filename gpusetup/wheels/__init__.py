"""Wheels: why pip rejects one, retagging it correctly, and choosing TensorFlow's."""
