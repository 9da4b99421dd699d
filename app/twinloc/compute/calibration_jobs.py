"""Material calibration jobs: measure the simulated site's ranges, fit the twin's materials to measurements."""

from __future__ import annotations

import numpy as np

from twinloc.cancellation import CancelToken, ProgressFn
from twinloc.compute.jobs import Job
from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.scene import Scene
from twinloc.mitigation.site import SiteSimulation, measure_site
from twinloc.model.analysis import RangingModel
from twinloc.uwb.calibration import MaterialCalibration, calibrate_from_measurements
from twinloc.uwb.measured import MeasuredPoint, MeasuredRanges


def site_ranges_job(scene: Scene, anchors: np.ndarray, tag_height_m: float, resolution_m: float, ranging: RangingModel,
                    simulation: SiteSimulation = SiteSimulation(), geometry: GeometryCache | None = None) -> Job:
    """A job measuring the SIMULATED site's ranges (:func:`~twinloc.mitigation.site.measure_site`), averaged per link."""
    anchors = np.array(anchors, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> MeasuredRanges:
        progress(0.0, "Measuring the simulated site")
        measurement = measure_site(scene, anchors, tag_height_m, resolution_m, ranging, simulation, geometry)
        cancel.raise_if_cancelled()
        return measurement.measured_ranges()

    return Job(name="Simulated site ranges", function=run)


def calibration_job(scene: Scene, anchors: np.ndarray, tag_height_m: float,
                    measurements: MeasuredRanges | list[MeasuredPoint], geometry: GeometryCache | None = None,
                    **options) -> Job:
    """A job running :func:`~twinloc.uwb.calibration.calibrate_from_measurements` (``options`` are its keywords).

    Not cached: a calibration is quick next to the tracing behind it, and the measurements
    would have to be hashed for every look-up.
    """
    anchors = np.array(anchors, dtype=np.float64).reshape(-1, 3)

    def run(progress: ProgressFn, cancel: CancelToken) -> MaterialCalibration:
        return calibrate_from_measurements(scene, anchors, tag_height_m, measurements, geometry=geometry,
                                           progress=progress, cancel=cancel, **options)

    return Job(name="Material calibration", function=run)
