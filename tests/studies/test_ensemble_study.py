"""The ensemble of ``run_ssl`` as a study: its members give the same bits in this process, through
an in-process runner and on a 2-worker LocalCluster."""

from __future__ import annotations

import numpy as np
import pytest

from twinloc.fingerprint.ssl import SslSettings, run_ssl
from twinloc.studies import Runner

SETTINGS = SslSettings(pretrain_epochs=4, finetune_epochs=2, batch_size=16, hidden=16, layers=2,
                        agreement_m=0.5)


def _samples(count: int = 80):
    """MLP inputs (N, 6): smooth functions of each sample's (x, y), seeded."""
    rng = np.random.default_rng(3)
    positions = np.column_stack([rng.uniform(0.0, 6.0, (count, 2)), np.full(count, 1.0)])
    x, y = positions[:, 0], positions[:, 1]
    inputs = np.column_stack([x, y, np.sin(x), np.cos(y), x * y / 6.0, np.hypot(x - 3, y - 3)])
    return inputs.astype(np.float32), positions


def _ensemble(runner, rounds: int = 1, seed: int = 7):
    inputs, positions = _samples()
    return run_ssl(inputs, positions, 0.3, "ensemble", rounds=rounds, seed=seed, settings=SETTINGS, runner=runner)


def _same_bits(first, second) -> None:
    np.testing.assert_array_equal(first.test, second.test)
    assert first.predictions.tobytes() == second.predictions.tobytes()
    assert first.members == second.members
    assert first.metrics == second.metrics
    assert repr(first.rounds) == repr(second.rounds)  # repr: a round without rejections has NaN errors
    assert first.similarity == second.similarity


@pytest.fixture(scope="module")
def alone():
    """The ensemble trained member after member in this thread, as without a study."""
    return _ensemble(None, rounds=2)


def test_a_cluster_gives_the_bits_of_training_in_this_process(alone, cluster_runner):
    _same_bits(alone, _ensemble(cluster_runner, rounds=2))


def test_an_in_process_runner_gives_the_same_bits_and_tells_each_member(alone):
    told = []
    with Runner() as runner:
        inputs, positions = _samples()
        result = run_ssl(inputs, positions, 0.3, "ensemble", rounds=2, seed=7, settings=SETTINGS, runner=runner,
                         progress=lambda fraction, text: told.append(fraction),
                         on_round=lambda number, found: told.append(number))
    _same_bits(alone, result)
    # One step per finished member, then the two consistency rounds once the members are back, then done.
    assert told == [1 / 3, 2 / 3, 1.0, 1, 2, 1.0]


def test_the_result_holds_all_three_members_and_both_rules(alone):
    assert list(alone.members) == ["supervised", "mean-teacher", "consistency", "weighted-average", "consensus"]
    assert len(alone.rounds) == 2 and alone.similarity is not None
    assert (alone.labelled, alone.unlabelled, len(alone.test)) == (19, 45, 16)
    # The weighted average lies within the members' spread: its mean error is no worse than the worst member's.
    worst = max(alone.members[name].mean_m for name in ("supervised", "mean-teacher", "consistency"))
    assert alone.metrics.mean_m <= worst + 1e-9


def test_sectors_and_their_rotated_labels_reach_the_workers(cluster_runner):
    from twinloc.fingerprint.sectors import SectorApplicability, SectorSamples

    inputs, positions = _samples()
    sectors = SectorSamples(sector=(np.arange(len(inputs)) % 3).astype(np.int8), count=3, centre=(3.0, 3.0),
                            rotation=SectorApplicability(True, "round", 3))
    results = [run_ssl(inputs, positions, 0.3, "ensemble", seed=7, settings=SETTINGS, sectors=sectors,
                       sector_rotation=True, runner=runner) for runner in (None, cluster_runner)]
    _same_bits(*results)
    assert results[1].rotated_labels == 2 * results[1].labelled  # each label into the 2 other sectors
