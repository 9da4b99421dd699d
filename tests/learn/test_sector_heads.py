"""Seed 003's decoupled mapping heads: each sample is mapped by its own sector's head."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from twinloc.fingerprint.sectors import MAX_SECTORS as STATION_SECTORS
from twinloc.learn.models import MAX_SECTORS, create_model
from twinloc.learn.trainer import predict


def _with_constant_heads(model, heads):
    """Make head k output (10 k, -k) whatever the features: zero weights, those biases."""
    with torch.no_grad():
        for k, head in enumerate(heads):
            head.weight.zero_()
            head.bias.copy_(torch.tensor([10.0 * k, -float(k)]))
    return model


@pytest.mark.parametrize("name, kwargs, features", [
    ("angle_delay_resnet", {"antennas": 4, "delay_bins": 6, "channels": 4, "blocks": 1}, 24),
    ("position_mlp", {"inputs": 5, "hidden": 8, "layers": 2}, 5),
])
def test_each_sample_goes_through_its_own_sectors_head(name, kwargs, features):
    model = create_model(name, seed=1, sectors=3, **kwargs)
    heads = model.regress.heads if name == "angle_delay_resnet" else model.heads.heads
    assert len(heads) == 3
    _with_constant_heads(model, heads)
    rows = np.random.default_rng(0).normal(size=(5, features + 1)).astype(np.float32)
    rows[:, -1] = [2, 0, 1, 2, 0]  # the sector, last in each row
    # Normalisation at its identity (mean 0, std 1): outputs are the heads' own values.
    np.testing.assert_allclose(predict(model, rows), [[20, -2], [0, 0], [10, -1], [20, -2], [0, 0]], atol=1e-6)
    # A mean teacher's noise on the sector value still picks the nearest sector's head.
    rows[:, -1] += np.float32(0.2)
    np.testing.assert_allclose(predict(model, rows)[:, 0], [20, 0, 10, 20, 0], atol=1e-6)


def test_one_sector_keeps_the_single_head_and_its_state_dict():
    model = create_model("angle_delay_resnet", seed=1, antennas=4, delay_bins=6, channels=4, blocks=1)
    assert "regress.weight" in model.state_dict() and "sectors" not in model.kwargs
    with pytest.raises(ValueError, match="'sectors' must be between 1 and 12"):
        create_model("position_mlp", inputs=3, sectors=13)
    assert MAX_SECTORS == STATION_SECTORS  # a model has a head for every sector a station may have
