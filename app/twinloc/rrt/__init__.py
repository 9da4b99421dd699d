"""Reverse ray tracing: forward paths, Monte Carlo launching, mixture fits, fusion."""
