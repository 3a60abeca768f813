"""Freezing graphs and converting them to TensorFlow Lite."""
