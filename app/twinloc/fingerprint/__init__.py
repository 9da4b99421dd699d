"""Fingerprint positioning: reference-point plans, surveys, preprocessing, virtual surveys."""
