"""Compute jobs: pure functions of immutable inputs, a pool that runs them, a result cache."""
