"""Anchor layout optimization of a scene: the problem, the slime mould search, the study the GUI shows (uses optim + uwb)."""
