"""Limits of reference-point plans, in a module of its own so the CLI can check its options
against them without loading numpy."""

#: Most outer markers of a plan.
MAX_MARKERS = 1000
#: Most inner loops of a plan.
MAX_LOOPS = 100
#: Most RPs between two vertices of a loop.
MAX_BETWEEN = 1000
#: Most reference points a plan may have (a survey of 10 samples each stays below a million rows).
MAX_REFERENCE_POINTS = 20_000
#: RP spacings a plan may ask for, metres.
MIN_SPACING_M, MAX_SPACING_M = 0.01, 100.0
