"""Verb groups of the ``twinloc`` command, one module each; each has ``register(subparsers)``."""
