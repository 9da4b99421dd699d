"""Settings of the analyses a project runs: the UWB ranging error model and error maps.

Plain data kept with the project (see :mod:`twinloc.model.project_file`); the algorithms in
:mod:`twinloc.uwb` read them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Largest seed of random draws, the same everywhere (numpy takes any non-negative integer,
#: but scikit-learn and scipy take at most 2**32 - 1).
MAX_SEED = 2**32 - 1
#: Most virtual training samples per floor cell (error-mitigation data).
MAX_GROUPS = 1000


@dataclass(frozen=True)
class RangingModel:
    """Statistics of UWB ranging errors, metres.

    The defaults describe a DW1000-class system as seed 004 measured it: line-of-sight ranges
    within a few centimetres (its LOS fixes scatter within about 10 cm, Fig. 8a) and
    non-line-of-sight ranges biased and spread by tens of centimetres (Fig. 8b) beyond the
    permittivity excess the geometry explains. Calibrate them per site from measured data.

    los_mean_m, los_std_m : bias and spread of a line-of-sight range.
    nlos_mean_m, nlos_std_m : statistical bias and spread of a non-line-of-sight range, added
        to the physical excess path of the obstacles crossed.
    incidence_correction : thin surfaces count thickness / |cos(incidence)| instead of thickness.
    """

    los_mean_m: float = 0.02
    los_std_m: float = 0.03
    nlos_mean_m: float = 0.10
    nlos_std_m: float = 0.15
    incidence_correction: bool = False

    def __post_init__(self) -> None:
        for name in ("los_mean_m", "los_std_m", "nlos_mean_m", "nlos_std_m"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}")
        if self.los_std_m < 0 or self.nlos_std_m < 0:
            raise ValueError("ranging standard deviations must be >= 0 m")


@dataclass(frozen=True)
class ErrorMapSettings:
    """How an error map is computed.

    dimensions : 2 (known tag height, >= 3 anchors) or 3 (>= 4 anchors).
    physics_only : ranges carry only the obstacles' excess path (no statistical bias or noise).
    monte_carlo_draws : noisy draws per cell (0: the deterministic map only).
    seed : seed of the Monte Carlo draws.
    refine_iterations : Gauss-Newton steps after the linearised least squares.
    ranging : ranging error statistics.
    """

    dimensions: int = 2
    physics_only: bool = False
    monte_carlo_draws: int = 0
    seed: int = 0
    refine_iterations: int = 0
    ranging: RangingModel = field(default_factory=RangingModel)

    def __post_init__(self) -> None:
        if self.dimensions not in (2, 3):
            raise ValueError(f"dimensions must be 2 or 3, got {self.dimensions!r}")
        if not (0 <= self.monte_carlo_draws <= 100_000):
            raise ValueError(f"Monte Carlo draws must be between 0 and 100000, got {self.monte_carlo_draws!r}")
        if not (0 <= self.refine_iterations <= 50):
            raise ValueError(f"Gauss-Newton iterations must be between 0 and 50, got {self.refine_iterations!r}")
        if not (0 <= self.seed <= MAX_SEED):
            raise ValueError(f"the seed must be between 0 and 2**32 - 1, got {self.seed!r}")
