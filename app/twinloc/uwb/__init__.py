"""UWB positioning: line-of-sight maps, ranging error model, multilateration, error maps."""
