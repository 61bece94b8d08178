"""Offline jobs beside the product: task-data generation, LoRA training, GGUF export and dev-set scoring.

They import the product; the product never imports them. ``python -m training.train`` trains the adapter.
"""
