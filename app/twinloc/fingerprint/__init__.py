"""Fingerprint positioning (seed 002): reference-point plans, surveys, preprocessing, virtual surveys;
features, kNN / MLP / LSTM models, grouped grid search, evaluation and heat maps (uses learn)."""
