"""UWB error mitigation trained on twin data (seed 004): datasets, the simulated site, training, mitigated maps, files (uses uwb + learn)."""
