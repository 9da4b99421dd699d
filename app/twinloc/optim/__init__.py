"""Anchor layout optimisation."""
