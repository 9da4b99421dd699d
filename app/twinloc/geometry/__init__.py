"""Scenes, materials, loaders and the ray engine."""
