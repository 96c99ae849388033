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


def test_biases_start_at_zero_and_weights_are_glorot_uniform():
    from flowae.model.training import initial_tensors

    tensors = initial_tensors(16, (12, 8, 5, 2), np.random.default_rng(0))
    first = tensors["encoder.0.weight"]
    assert first.shape == (12, 16) and first.dtype == np.float32
    assert np.abs(first).max() <= np.sqrt(6 / (16 + 12))
    assert np.abs(first).max() > 0.8 * np.sqrt(6 / (16 + 12))
    assert all(not tensors[name].any() for name in tensors if name.endswith(".bias"))


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


@pytest.mark.parametrize("seed", [0, 3])
def test_numpy_backend_matches_the_torch_reference(seed):
    rows = _rows(190, seed)
    validation = (rows[:40], np.zeros(40, dtype=bool))
    _, numpy_tensors, numpy_history = _train(rows, seed=seed, epochs=4, validation=validation)
    _, torch_tensors, torch_history = _train(
        rows, seed=seed, epochs=4, validation=validation, backend="torch"
    )
    for name in numpy_tensors:
        np.testing.assert_allclose(numpy_tensors[name], torch_tensors[name], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(numpy_history.train_loss, torch_history.train_loss, rtol=1e-4)
    np.testing.assert_allclose(numpy_history.val_loss, torch_history.val_loss, rtol=1e-4)


def test_one_step_matches_torch_to_float32_precision():
    from flowae.model.forward import layer_plan
    from flowae.model.torch_training import TorchTrainer
    from flowae.model.training import NumpyTrainer, initial_tensors

    rows = _rows(19, 1)
    start = initial_tensors(8, (12, 8, 5, 2), np.random.default_rng(5))
    numpy_trainer = NumpyTrainer(start, layer_plan(4)[0], 0.01)
    with TorchTrainer(start, 8, (12, 8, 5, 2), 0.01) as torch_trainer:
        for _ in range(3):
            assert numpy_trainer.step(rows) == pytest.approx(torch_trainer.step(rows), rel=1e-6)
        expected = torch_trainer.tensors()
    for name, tensor in numpy_trainer.tensors().items():
        np.testing.assert_allclose(tensor, expected[name], rtol=1e-5, atol=1e-7)


def test_linear_code_layer_gradients_match_torch_autograd():
    import torch

    from flowae.model.forward import layer_plan
    from flowae.model.training import NumpyTrainer, initial_tensors

    rows = _rows(19, 2)
    hidden = (6, 3)
    start = initial_tensors(8, hidden, np.random.default_rng(3))
    names, activations = layer_plan(2, "linear")
    assert activations == ["relu", "linear", "relu", "sigmoid"]
    trainer = NumpyTrainer(start, names, 0.01, activations)
    trainer.step(rows)  # one Adam step from `start`
    # the same step by torch: autograd through linear code, then torch's Adam
    params = {n: torch.tensor(t, requires_grad=True) for n, t in start.items()}
    x = torch.from_numpy(rows)
    h = torch.relu(x @ params["encoder.0.weight"].T + params["encoder.0.bias"])
    code = h @ params["encoder.2.weight"].T + params["encoder.2.bias"]  # linear
    h = torch.relu(code @ params["decoder.0.weight"].T + params["decoder.0.bias"])
    y = torch.sigmoid(h @ params["decoder.2.weight"].T + params["decoder.2.bias"])
    optimizer = torch.optim.Adam(params.values(), lr=0.01)
    torch.nn.functional.mse_loss(y, x).backward()
    optimizer.step()
    for name, tensor in trainer.tensors().items():
        np.testing.assert_allclose(tensor, params[name].detach().numpy(), rtol=1e-5, atol=1e-6)


def test_early_stopping_keeps_the_best_epoch():
    rows = _rows(300, 4)
    validation = (rows[:40] + 0.01, np.zeros(40, dtype=bool))
    _, _, history = _train(
        rows[40:], epochs=60, validation=validation, patience=3, code_activation="linear"
    )
    assert history.best_epoch is not None
    assert len(history.train_loss) <= 60
    best = history.val_normal_loss[history.best_epoch - 1]
    assert best == min(history.val_normal_loss)
    # it stopped because `patience` epochs in a row did not improve on the best
    assert len(history.train_loss) == 60 or len(history.train_loss) - history.best_epoch == 3
    with pytest.raises(TrainingError, match="early stopping needs validation rows"):
        _train(rows, patience=3)
