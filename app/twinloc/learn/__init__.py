"""Torch models and the trainer for positioning models trained on twin data."""
