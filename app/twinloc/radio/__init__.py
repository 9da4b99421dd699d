"""Radio maps from the twin: path gain, RSS, range and multipath features per transmitter."""
