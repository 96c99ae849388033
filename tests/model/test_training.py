import numpy as np
import pytest

from flowae.errors import TrainingError
from flowae.model.training import train_autoencoder


def _rows(n=190, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.random((n, 2))
    return np.hstack([base, base @ rng.random((2, 6))]).astype(np.float32) / 3


def _train(rows, seed=0, **overrides):
    settings = dict(hidden=(12, 8, 5, 2), epochs=5, batch_size=19, learning_rate=0.01, seed=seed)
    settings.update(overrides)
    return train_autoencoder(rows, **settings)


def test_same_seed_gives_identical_weights_and_other_seed_does_not():
    rows = _rows()
    _, a, _ = _train(rows, seed=7)
    _, b, _ = _train(rows, seed=7)
    _, c, _ = _train(rows, seed=8)
    assert all(np.array_equal(a[name], b[name]) for name in a)
    assert not all(np.array_equal(a[name], c[name]) for name in a)


def test_history_has_one_entry_per_epoch_and_validation_losses():
    rows = _rows()
    validation = (
        np.vstack([rows[:20], np.ones((10, 8), np.float32)]),
        np.array([False] * 20 + [True] * 10),
    )
    _, _, history = _train(rows, epochs=6, validation=validation)
    assert len(history.train_loss) == len(history.val_loss) == len(history.val_normal_loss) == 6
    assert history.train_loss[-1] < history.train_loss[0]
    # the attack rows (all ones) reconstruct worse than the normal ones
    assert history.val_loss[-1] > history.val_normal_loss[-1]


def test_biases_start_at_zero_and_weights_are_small():
    import torch
    from torch import nn

    from flowae.model.network import Autoencoder

    generator = torch.Generator().manual_seed(0)
    network = Autoencoder(8)
    for module in network.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight, generator=generator)
            assert float(module.weight.detach().abs().max()) <= np.sqrt(
                6 / (module.in_features + module.out_features)
            )


def test_no_rows_and_bad_settings_are_refused():
    with pytest.raises(TrainingError, match="no normal rows"):
        _train(np.empty((0, 8), np.float32))
    with pytest.raises(TrainingError, match="at least 1"):
        _train(_rows(), epochs=0)


def test_nan_loss_is_reported():
    rows = _rows()
    rows[3, 2] = np.nan
    with pytest.raises(TrainingError, match="loss became nan"):
        _train(rows, epochs=1)
