"""Converters from public measured data sets to TwinLoc scenes and survey CSVs (see each module)."""
