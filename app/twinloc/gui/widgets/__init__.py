"""Widgets the features share: form helpers, plots, the task progress area and dialogs."""
