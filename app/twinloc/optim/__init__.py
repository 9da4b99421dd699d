"""Anchor layout search: the slime mould algorithm, mounting spaces, baselines, installation sheets."""
