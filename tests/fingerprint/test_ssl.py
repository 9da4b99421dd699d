"""Semi-supervised positioning: the consistency rule, the ensemble rules by hand, and the methods
on a synthetic map where the unlabelled samples carry information."""

import numpy as np
import pytest

from twinloc.fingerprint.ssl import (
    SslSettings,
    agreeing_pairs,
    agreement_weights,
    consensus,
    multipath_features,
    run_ssl,
    split_samples,
    weighted_average,
)
from twinloc.fingerprint.ssl import _interpolations


def test_agreeing_pairs_keeps_exactly_the_pairs_within_r():
    a = np.array([[0.0, 0.0], [10.0, 0.0], [5.0, 5.0], [1.0, 1.0]])
    # Distances: 0.6 (3-4-5 scaled), 1.0 exactly, 1.5, 0.0 (identical).
    b = np.array([[0.36, 0.48], [10.0, 1.0], [5.0, 6.5], [1.0, 1.0]])
    mask, mean = agreeing_pairs(a, b, 1.0)
    assert mask.tolist() == [True, True, False, True]
    np.testing.assert_allclose(mean, [[0.18, 0.24], [10.0, 0.5], [1.0, 1.0]])


def test_agreeing_pairs_measures_horizontal_distance_only():
    mask, _ = agreeing_pairs(np.array([[0.0, 0.0, 0.0]]), np.array([[0.0, 0.5, 9.0]]), 1.0)
    assert mask.tolist() == [True]


def test_weighted_average_by_hand():
    predictions = np.array([[[0.0, 0.0]], [[4.0, 8.0]]])  # 2 members, 1 sample
    np.testing.assert_allclose(weighted_average(predictions, [3.0, 1.0]), [[1.0, 2.0]])


def test_agreement_weights_favour_the_members_near_the_median():
    # Members at x = 0, 1 and 4 for one sample; median 1; distances 1, 0 (floored), 3.
    predictions = np.array([[[0.0, 0.0]], [[1.0, 0.0]], [[4.0, 0.0]]])
    weights = agreement_weights(predictions)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[1] > weights[0] > weights[2]
    assert weights[0] / weights[2] == pytest.approx(3.0)


def test_consensus_averages_the_members_near_the_median():
    predictions = np.array([
        [[0.0, 0.0], [0.0, 0.0]],
        [[0.4, 0.0], [5.0, 0.0]],
        [[9.0, 0.0], [10.0, 0.0]],
    ])  # 3 members, 2 samples
    # Sample 0: median (0.4, 0); members 0 and 1 within 1 m -> mean (0.2, 0).
    # Sample 1: median (5, 0); only member 1 within 1 m -> (5, 0).
    np.testing.assert_allclose(consensus(predictions, 1.0), [[0.2, 0.0], [5.0, 0.0]])


def test_multipath_features_flag_missing_paths():
    paths = np.array([[[1.0] * 7, [np.nan] * 7]], dtype=np.float32)  # 1 sample, K=2
    features = multipath_features(paths)
    assert features.shape == (1, 16)
    # Per path: its 7 values, then its presence flag.
    np.testing.assert_array_equal(features[0], [1.0] * 7 + [1.0] + [0.0] * 7 + [0.0])


def test_split_samples_are_disjoint_and_sized():
    labelled, unlabelled, test = split_samples(100, 0.1, 0.2, seed=3)
    assert (len(labelled), len(unlabelled), len(test)) == (8, 72, 20)
    assert len(set(labelled) | set(unlabelled) | set(test)) == 100


def _ranges_dataset(count: int, seed: int):
    """Positions in a 10 m square; each input is, per anchor, its distance (metres) smeared over
    24 range bins by a Gaussian of 1 m width: smooth in position, strongly non-linear."""
    rng = np.random.default_rng(seed)
    positions = rng.uniform(0.0, 10.0, (count, 2))
    anchors = np.array([[-2.0, -2.0], [12.0, -2.0], [5.0, 13.0]])
    distances = np.linalg.norm(positions[:, None] - anchors[None], axis=2)
    inputs = np.exp(-((distances[:, :, None] - np.linspace(0.0, 18.0, 24)) / 1.0) ** 2).reshape(count, -1)
    return (inputs + rng.normal(0.0, 0.02, inputs.shape)).astype(np.float32), positions


def test_interpolations_find_neighbours_by_the_similarity_that_places_the_labelled_samples_best():
    # Direction encodes position (15 degrees per 10 m along x), magnitude is noise (1 or 50):
    # only the angle between inputs finds the right neighbours.
    labelled_angles = np.radians(15.0 * np.arange(6))
    magnitudes = np.array([1.0, 50.0, 1.0, 50.0, 1.0, 50.0])
    labelled_x = magnitudes[:, None] * np.column_stack([np.cos(labelled_angles), np.sin(labelled_angles)])
    unlabelled_x = 50.0 * np.array([[np.cos(np.radians(17.0)), np.sin(np.radians(17.0))]])
    x = np.vstack([labelled_x, unlabelled_x])
    y = np.column_stack([10.0 * np.arange(7.0), np.zeros(7)])
    nearest, weighted, similarity = _interpolations(x, y, np.arange(6), np.array([6]), neighbours=2)
    assert similarity == "cosine"
    np.testing.assert_allclose(nearest, [[10.0, 0.0]])  # 15 degrees is the nearest direction
    # Inverse cosine distances to the 15- and 30-degree samples (2 and 13 degrees away).
    w15, w30 = 1.0 / (1.0 - np.cos(np.radians(2.0))), 1.0 / (1.0 - np.cos(np.radians(13.0)))
    np.testing.assert_allclose(weighted, [[(10.0 * w15 + 20.0 * w30) / (w15 + w30), 0.0]])


def test_consistency_beats_supervised_where_unlabelled_samples_inform():
    inputs, positions = _ranges_dataset(600, seed=1)
    settings = SslSettings(agreement_m=0.5)
    supervised = run_ssl(inputs, positions, 0.1, "supervised", seed=0, settings=settings)
    consistency = run_ssl(inputs, positions, 0.1, "consistency", rounds=2, seed=0, settings=settings)
    assert consistency.metrics.mean_m < 0.9 * supervised.metrics.mean_m
    assert len(consistency.rounds) == 2
    for round_ in consistency.rounds:
        assert round_.accepted + round_.rejected == consistency.unlabelled
        # The point of the rule: kept pseudo-labels are truer than dropped ones.
        assert round_.accepted_error_m < round_.rejected_error_m


def test_small_cnn_learns_a_smooth_map_of_images():
    """A 4 x 6 image whose pixels are smooth functions of (x, y); with 400 labelled samples the
    CNN must beat the best constant guess (the mean position), whose error is computed here."""
    rng = np.random.default_rng(0)
    positions = rng.uniform(0.0, 4.0, (500, 2))
    rows, columns = np.meshgrid(np.arange(4.0), np.arange(6.0), indexing="ij")
    images = np.exp(-((positions[:, 0, None, None] - rows) ** 2 + (positions[:, 1, None, None] - columns / 1.5) ** 2))
    settings = SslSettings(pretrain_epochs=40, channels=8, blocks=2, batch_size=32)
    result = run_ssl(images.astype(np.float32), positions, 1.0, "supervised", seed=0, settings=settings)
    test_positions = positions[result.test]
    constant_error = np.linalg.norm(test_positions - positions[np.setdiff1d(np.arange(500), result.test)].mean(axis=0),
                                    axis=1).mean()
    assert result.metrics.mean_m < 0.2 * constant_error


def test_ensemble_reports_members_and_rules():
    inputs, positions = _ranges_dataset(300, seed=2)
    settings = SslSettings(pretrain_epochs=30, finetune_epochs=15, agreement_m=0.5)
    result = run_ssl(inputs, positions, 0.2, "ensemble", seed=0, settings=settings)
    assert set(result.members) == {"supervised", "mean-teacher", "consistency", "weighted-average", "consensus"}
    assert result.metrics == result.members["weighted-average"]
    assert len(result.rounds) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"method": "magic"}, "unknown method"), ({"method": "consistency", "rounds": 0}, "rounds"),
     ({"method": "supervised", "labelled_fraction": 0.0}, "labelled fraction")],
)
def test_bad_settings_are_refused(kwargs, message):
    inputs, positions = _ranges_dataset(50, seed=0)
    arguments = {"labelled_fraction": 0.1, **kwargs}
    with pytest.raises(ValueError, match=message):
        run_ssl(inputs, positions, arguments.pop("labelled_fraction"), arguments.pop("method"), **arguments)
