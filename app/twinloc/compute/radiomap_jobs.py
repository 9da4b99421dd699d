"""The radio map job: path gain, RSS, range and LOS of each transmitter over a scene's floor."""

from __future__ import annotations

from dataclasses import dataclass

from twinloc.cancellation import CancelToken, ProgressFn, scaled_progress
from twinloc.compute.jobs import Job, input_key
from twinloc.geometry.cache import GeometryCache, cache_or_new
from twinloc.geometry.grid import FloorGrid
from twinloc.geometry.scene import Scene
from twinloc.radio.radiomap import RadioMap, RadioSettings, compute_radio_map, radio_map_study
from twinloc.radio.transmitters import Transmitter
from twinloc.studies import Runner


@dataclass(frozen=True, eq=False)
class FloorRadioMap:
    """A radio map over a floor grid: ``radio_map.points`` are ``grid.points`` in order."""

    grid: FloorGrid
    radio_map: RadioMap


def radio_map_job(
    scene: Scene,
    transmitters: tuple[Transmitter, ...],
    resolution_m: float,
    settings: RadioSettings = RadioSettings(),
    geometry: GeometryCache | None = None,
    runner: Runner | None = None,
) -> Job:
    """A job computing the radio map of ``transmitters`` over ``scene``'s evaluation regions.

    Parameters
    ----------
    scene : Scene
        The effective scene (material overrides applied); immutable, so the job can hold it.
    transmitters : tuple of Transmitter (immutable).
    resolution_m : float
        Floor grid cell size, metres; the grid lies ``settings.receiver_height_m`` above the floor.
    settings : RadioSettings
    geometry : GeometryCache or None
        The application's ray engines and floor grids (None: the job builds its own).
    runner : Runner or None
        Computes one transmitter per task (None: all in this process, on ``geometry``'s engine).
        The map is the same either way, so the key leaves it out.

    Returns
    -------
    Job
        Its result is a :class:`FloorRadioMap`; its key hashes the scene's content, the
        transmitters, the resolution and the settings.
    """
    transmitters = tuple(transmitters)
    resolution_m = float(resolution_m)

    def run(progress: ProgressFn, cancel: CancelToken) -> FloorRadioMap:
        progress(0.0, "Preparing ray engine")
        cache = cache_or_new(geometry)
        engine = cache.ray_engine(scene)
        cancel.raise_if_cancelled()
        progress(0.05, "Building floor grid")
        grid = cache.floor_grid(scene, resolution_m, settings.receiver_height_m)
        cancel.raise_if_cancelled()
        step = scaled_progress(progress, 0.1, 1.0)
        if runner is None:
            radio_map = compute_radio_map(scene, transmitters, grid.points, settings, engine=engine, cancel=cancel,
                                          progress=step)
        else:
            radio_map = radio_map_study(runner, scene, transmitters, grid.points, settings, step, cancel)
        return FloorRadioMap(grid=grid, radio_map=radio_map)

    key = input_key("radio_map", scene.content_hash(), transmitters, resolution_m, settings)
    return Job(name="Radio map", function=run, key=key)
