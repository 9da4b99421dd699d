"""Fingerprint positioning (seed 002): features, kNN / MLP / LSTM models, grouped grid search, evaluation and heat maps (uses learn)."""
