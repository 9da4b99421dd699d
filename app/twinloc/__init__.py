"""TwinLoc: a desktop digital twin for indoor wireless positioning."""

__version__ = "0.1.0"
