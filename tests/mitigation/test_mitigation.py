"""Mitigation data from the twin, the simulated site, and the pre-train/fine-tune comparison."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from twinloc.cancellation import CancelToken, JobCancelled
from twinloc.compute.mitigation_jobs import mitigated_map_job, virtual_dataset_job
from twinloc.geometry.cache import GeometryCache
from twinloc.geometry.loaders import load_scene
from twinloc.learn.models import create_model
from twinloc.learn.runs import TrainingSettings
from twinloc.learn.trainer import load_checkpoint, predict
from twinloc.mitigation.datasets import check_virtual_data, measured_dataset, virtual_dataset
from twinloc.mitigation.files import load_dataset, save_dataset, save_mitigation_model
from twinloc.mitigation.maps import mitigated_map
from twinloc.mitigation.site import SiteSimulation, simulate_site
from twinloc.mitigation.training import train_mitigation
from twinloc.uwb.measured import MeasuredPoint

ANCHORS = np.array([[3.8, 0.0, 2.0], [9.4, 7.2, 2.0], [14.4, 0.1, 2.0]])
#: The paper's network evaluated as the paper did (the defaults are the per-link model, held-out points).
PAPER_PER_SAMPLE = {"architecture": "mitigation_net", "split": "samples"}


@pytest.fixture(scope="module")
def hall():
    return load_scene("uwb_hall")


def test_virtual_data_has_groups_of_eight_fixes_per_cell_and_its_provenance(hall):
    data = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 1.0, groups=3, seed=4)
    assert data.inputs.shape == (len(data), 16) and data.true.shape == (len(data), 2)
    assert len(data) == 3 * len(np.unique(data.point))
    assert data.nlos.any() and not data.nlos.all()
    # Fixes scatter around the true point: the mean error is small in LOS cells.
    assert np.median(np.linalg.norm(data.raw - data.true, axis=1)[~data.nlos]) < 0.2
    assert data.provenance["scene_hash"] == hall.content_hash()
    assert data.provenance["seed"] == 4 and data.provenance["anchors"] == ANCHORS.tolist()
    again = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 1.0, groups=3, seed=4)
    assert np.array_equal(again.inputs, data.inputs)


def test_virtual_data_job_is_keyed_by_its_inputs_and_cancellable(hall):
    job = virtual_dataset_job(hall, ANCHORS, hall.tag_height_m, 1.0, 3, seed=4)
    assert job.key == virtual_dataset_job(hall, ANCHORS, hall.tag_height_m, 1.0, 3, seed=4).key
    assert job.key != virtual_dataset_job(hall, ANCHORS, hall.tag_height_m, 1.0, 3, seed=5).key
    token = CancelToken()
    token.cancel()
    with pytest.raises(JobCancelled):
        job.function(lambda fraction, text: None, token)


def test_loaded_virtual_data_must_belong_to_the_open_scene_and_anchors(hall):
    data = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 2.0, groups=1)
    check_virtual_data(data, hall, ANCHORS + 1e-12, "v.npz")  # the same layout, as read back from JSON
    with pytest.raises(ValueError, match=r"^v\.npz holds simulated site data, not virtual data of the twin\.$"):
        check_virtual_data(dataclasses.replace(data, provenance={"kind": "simulated site"}), hall, ANCHORS, "v.npz")
    concrete = hall.materials["concrete"]
    wetter = hall.with_materials({"concrete": dataclasses.replace(concrete, relative_permittivity=9.0)})
    with pytest.raises(ValueError, match=r"^v\.npz was generated for another scene or other materials\.$"):
        check_virtual_data(data, wetter, ANCHORS, "v.npz")
    for other in (ANCHORS[:2], ANCHORS + [0.1, 0.0, 0.0]):
        with pytest.raises(ValueError, match=r"^v\.npz was generated for another anchor layout\.$"):
            check_virtual_data(data, hall, other, "v.npz")


def test_each_sample_is_at_the_centre_of_the_cell_it_names(hall):
    geometry = GeometryCache()
    data = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 2.0, groups=1, geometry=geometry)
    grid = geometry.floor_grid(hall, 2.0, hall.tag_height_m)
    np.testing.assert_array_equal(data.true, grid.points[data.point, :2])


def test_datasets_round_trip_through_compressed_npz(hall, tmp_path):
    data = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 1.5, groups=2)
    save_dataset(data, tmp_path / "virtual.npz")
    loaded = load_dataset(tmp_path / "virtual.npz")
    assert np.array_equal(loaded.inputs, data.inputs) and np.array_equal(loaded.nlos, data.nlos)
    assert loaded.provenance == data.provenance


def test_a_broken_data_file_is_refused_with_its_name(tmp_path):
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="broken.npz"):
        load_dataset(path)
    np.savez(path, inputs=np.zeros((3, 16)), true=np.zeros((2, 2)), nlos=np.zeros(3, bool), point=np.zeros(3, int),
             provenance=np.array("{}"))
    with pytest.raises(ValueError, match="do not match"):
        load_dataset(path)


def test_measured_points_are_grouped_into_samples_of_eight():
    points = [MeasuredPoint(np.array([1.0, 2.0]), np.arange(40.0).reshape(20, 2)),
              MeasuredPoint(np.array([3.0, 4.0]), np.ones((7, 2)))]
    data = measured_dataset(points, np.array([True, False]))
    assert data.inputs.shape == (2, 16)
    assert np.array_equal(data.inputs[1], np.arange(16.0, 32.0))
    assert data.nlos.all() and data.provenance == {"kind": "measured"}


def test_simulated_site_differs_from_the_twin(hall):
    simulation = SiteSimulation(points=10, fixes=40)
    points, nlos = simulate_site(hall, ANCHORS, hall.tag_height_m, 0.5, simulation=simulation)
    assert len(points) == 10 and nlos.sum() == 5
    assert all(p.measured.shape == (40, 2) for p in points)
    twin = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 0.5, groups=5)
    site_error = np.mean([np.linalg.norm(p.mean_error) for p, flag in zip(points, nlos) if flag])
    twin_error = np.linalg.norm(twin.raw - twin.true, axis=1)[twin.nlos].mean()
    assert site_error != pytest.approx(twin_error, rel=0.05)


def test_pretrain_then_fine_tune_reports_los_and_nlos_errors(hall):
    virtual = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 1.0, groups=4)
    points, nlos = simulate_site(hall, ANCHORS, hall.tag_height_m, 0.5, simulation=SiteSimulation(points=12, fixes=80))
    measured = measured_dataset(points, nlos, {"kind": "simulated site"})
    result = train_mitigation(virtual, measured, TrainingSettings(epochs=2), TrainingSettings(epochs=2), seed=0,
                              **PAPER_PER_SAMPLE)
    assert set(result.errors) == {"los", "nlos"}
    assert set(result.errors["nlos"]) == {"raw", "nn_pretrained", "nn", "poly"}
    assert result.samples["measured_test"] == round(len(measured) * 0.2)
    assert result.provenance["measured"] == {"kind": "simulated site"}


@pytest.fixture(scope="module")
def small_data(hall):
    virtual = virtual_dataset(hall, ANCHORS, hall.tag_height_m, 1.0, groups=4)
    points, nlos = simulate_site(hall, ANCHORS, hall.tag_height_m, 0.5, simulation=SiteSimulation(points=12, fixes=80))
    return virtual, measured_dataset(points, nlos, {"kind": "simulated site"})


def test_the_stages_report_each_epoch_in_order_and_their_histories_are_kept(small_data, tmp_path):
    virtual, measured = small_data
    seen = []
    result = train_mitigation(virtual, measured, TrainingSettings(epochs=2, patience=5), TrainingSettings(epochs=3, patience=5),
                              **PAPER_PER_SAMPLE, epoch_listener=lambda stage, epoch, history: seen.append((stage, epoch)))
    assert seen == [("pretrain", 0), ("pretrain", 1), ("fine_tune", 0), ("fine_tune", 1), ("fine_tune", 2)]
    assert len(result.training["fine_tune"].history.validation_loss) == 3
    assert result.stopped == "completed"
    # The held-out positions are the ones the errors were computed from.
    distance = np.linalg.norm(result.corrected["nn"] - result.test.true, axis=1)
    assert result.errors["nlos"]["nn"] == pytest.approx(distance[result.test.nlos].mean())
    save_mitigation_model(tmp_path / "model.pt", result)
    loaded = load_checkpoint(tmp_path / "model.pt")
    assert loaded.extra["history"]["pretrain"]["train_loss"] == result.training["pretrain"].history.train_loss
    assert loaded.extra["errors"] == result.errors
    assert np.array_equal(predict(loaded.model, result.test.inputs), result.corrected["nn"])


def test_a_cancelled_run_still_gives_a_usable_model_and_its_comparison(small_data):
    virtual, measured = small_data
    token = CancelToken()
    result = train_mitigation(virtual, measured, TrainingSettings(epochs=50), TrainingSettings(epochs=50), cancel=token,
                              **PAPER_PER_SAMPLE,
                              epoch_listener=lambda stage, epoch, history: token.cancel())
    assert result.stopped == "cancelled"
    assert len(result.training["pretrain"].history.train_loss) == 1
    assert result.training["fine_tune"].history.train_loss == []
    assert np.isfinite(result.corrected["nn"]).all()
    assert result.errors["los"]["nn"] is not None


def test_the_mitigated_map_averages_each_cells_errors(hall, small_data):
    virtual, _ = small_data
    # A linear model that returns the mean of the eight fixes: the "corrected" map is the raw map.
    averaging = create_model("linear", inputs=16, outputs=2)
    with torch.no_grad():
        averaging.linear.weight.copy_(torch.as_tensor(np.tile(np.eye(2), 8) / 8))
        averaging.linear.bias.zero_()
    result = mitigated_map(hall, averaging, virtual)
    assert result.raw.shape == (len(result.grid.points),)
    assert np.allclose(result.nn, result.raw, atol=1e-5, equal_nan=True)
    cell = int(virtual.point[virtual.nlos][0])
    mine = virtual.point == cell
    by_hand = np.mean([np.linalg.norm(row.reshape(8, 2).mean(axis=0) - true) for row, true in zip(virtual.inputs[mine], virtual.true[mine])])
    assert result.raw[cell] == pytest.approx(by_hand)
    assert result.nlos[cell]
    means = result.area_means()
    assert means["nlos"]["raw"] > means["los"]["raw"]


def test_the_mitigated_map_refuses_data_of_another_scene(hall, small_data):
    virtual, _ = small_data
    other = dataclasses.replace(virtual, provenance={**virtual.provenance, "scene_hash": "other"})
    with pytest.raises(ValueError, match="another scene"):
        mitigated_map(hall, create_model("linear", inputs=16, outputs=2), other)


def test_too_few_measured_samples_are_refused(small_data):
    virtual, measured = small_data
    with pytest.raises(ValueError, match="at least 2 measured samples"):
        train_mitigation(virtual, measured.subset(np.array([0])), TrainingSettings(epochs=1), TrainingSettings(epochs=1),
                         **PAPER_PER_SAMPLE)


def test_the_site_floor_map_uses_the_sites_scene_and_noise(hall, small_data):
    virtual, _ = small_data
    model = create_model("linear", inputs=16, outputs=2)
    no_cancel = CancelToken()
    twin = mitigated_map_job(hall, model, virtual).function(lambda f, t: None, no_cancel)
    site = mitigated_map_job(hall, model, virtual, SiteSimulation()).function(lambda f, t: None, no_cancel)
    assert twin.source == "twin" and site.source == "simulated site"
    # Permittivities x1.3 and noise x1.3: the site's uncorrected NLOS error is larger than the twin's.
    assert site.area_means()["nlos"]["raw"] > twin.area_means()["nlos"]["raw"]


def test_a_point_split_holds_out_whole_measuring_points(small_data):
    virtual, measured = small_data
    result = train_mitigation(virtual, measured, TrainingSettings(epochs=1), TrainingSettings(epochs=1), split="points",
                              architecture="mitigation_net")
    test_points = set(result.test.point.tolist())
    # 12 points of 80 fixes (10 samples each); 20% of the points, rounded: 2 whole points, 20 samples.
    assert len(test_points) == 2 and len(result.test) == 2 * 10
    assert result.samples["measured_train"] == len(measured) - 20
    assert result.provenance["split"] == "points"
    with pytest.raises(ValueError, match="'samples' or 'points'"):
        train_mitigation(virtual, measured, TrainingSettings(epochs=1), TrainingSettings(epochs=1), split="rows")
