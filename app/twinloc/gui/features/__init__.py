"""The features of the main window, one folder each, registered here.

Each folder holds ``dock.py`` (the widget), ``controller.py`` (the Qt-side logic) and what
else the feature needs (``section.py``, ``plots.py``), and exports ``FEATURE``, a
:class:`~twinloc.gui.feature.Feature`. Adding a feature is a folder and a line below.
"""

from __future__ import annotations

from twinloc.gui.features import anchors, calibration, error_map, fingerprint, layout, los, ray_launch, scene, training

FEATURES = (
    scene.FEATURE,
    anchors.FEATURE,
    los.FEATURE,
    error_map.FEATURE,
    layout.FEATURE,
    ray_launch.FEATURE,
    training.FEATURE,
    fingerprint.FEATURE,
    calibration.FEATURE,
)
