"""Lucid-style feature visualization pieces in TensorFlow 2: param, transform, objectives, adam."""
