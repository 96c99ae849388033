"""Training the autoencoder on normal rows (the paper's Section 4.3).

Adam (lr 0.01, betas 0.9/0.999, eps 1e-8), MSE loss, mini-batches shuffled
every epoch, Glorot-uniform weights and zero biases (TensorFlow's defaults,
which the paper used). The initial weights and every epoch's batch order come
from one numpy ``Generator`` seeded by ``seed``; nothing global is seeded.

Two backends run the same arithmetic from the same start. ``numpy`` (the
default) does the forward and backward passes and the Adam update by hand on
float32 arrays: for a network this small, per-operation overhead dominates
and numpy's is about ten times lower than torch's. ``torch`` runs the
:class:`~flowae.model.network.Autoencoder` module with autograd and
``torch.optim.Adam``; it is the reference the numpy backend is tested
against.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from flowae.errors import TrainingError
from flowae.model.forward import (
    DenseLayer,
    layer_plan,
    layers_from_tensors,
    reconstruction_error,
    single_blas_thread,
)
from flowae.model.history import EpochReport, TrainingHistory

BACKENDS = ("numpy", "torch")
BETAS = (0.9, 0.999)
EPSILON = 1e-8

# One training step: (batch) -> loss; a backend also exposes its current tensors.
StepFunction = Callable[[np.ndarray], float]


def train_autoencoder(
    normal_rows: np.ndarray,
    *,
    hidden: Sequence[int],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
    backend: str = "numpy",
    code_activation: str = "relu",
    patience: int | None = None,
) -> tuple[list[DenseLayer], dict[str, np.ndarray], TrainingHistory]:
    """Fit the autoencoder to ``normal_rows`` (rows x features, scaled).

    ``validation`` is (rows, is_attack); its loss is reported every epoch, over
    all its rows and over its normal rows. With ``patience``, training stops
    once the loss on the validation normal rows has not improved for that many
    epochs, and the weights of its best epoch are kept. Returns the numpy
    layers, the tensors under torch's names (``encoder.0.weight`` is outputs x
    inputs) and the history.
    """
    if normal_rows.ndim != 2 or normal_rows.shape[0] == 0:
        raise TrainingError("no normal rows to train on")
    if epochs < 1 or batch_size < 1 or not learning_rate > 0:
        raise TrainingError(
            f"epochs and batch size must be at least 1 and the learning rate positive "
            f"(got {epochs}, {batch_size}, {learning_rate})"
        )
    if backend not in BACKENDS:
        raise TrainingError(f"unknown training backend {backend!r}: expected one of {BACKENDS}")
    if patience is not None and (validation is None or np.asarray(validation[1], dtype=bool).all()):
        raise TrainingError("early stopping needs validation rows with normal rows among them")
    rows = np.ascontiguousarray(normal_rows, dtype=np.float32)
    rng = np.random.default_rng(seed)
    tensors = initial_tensors(rows.shape[1], hidden, rng)
    names, activations = layer_plan(len(hidden), code_activation)
    if backend == "numpy":
        trainer: _Trainer = NumpyTrainer(tensors, names, learning_rate, activations)
    elif code_activation != "relu":
        raise TrainingError("the torch reference backend builds the paper's ReLU code layer only")
    else:
        from flowae.model.torch_training import TorchTrainer

        trainer = TorchTrainer(tensors, rows.shape[1], hidden, learning_rate)

    history = TrainingHistory()
    with trainer:
        best = _run_epochs(
            trainer,
            rows,
            rng,
            epochs,
            batch_size,
            names,
            activations,
            validation,
            on_epoch,
            history,
            patience,
        )
    final = best if best is not None else trainer.tensors()
    return layers_from_tensors(final, names, activations), final, history


def _run_epochs(
    trainer: _Trainer,
    rows: np.ndarray,
    rng: np.random.Generator,
    epochs: int,
    batch_size: int,
    names: list[str],
    activations: list[str],
    validation: tuple[np.ndarray, np.ndarray] | None,
    on_epoch: Callable[[EpochReport], None] | None,
    history: TrainingHistory,
    patience: int | None = None,
) -> dict[str, np.ndarray] | None:
    """Train for ``epochs`` (fewer with ``patience``); the best epoch's tensors, if
    early stopping kept them."""
    best: dict[str, np.ndarray] | None = None
    best_loss, since_best = math.inf, 0
    for epoch in range(1, epochs + 1):
        shuffled = rows[rng.permutation(rows.shape[0])]
        loss_sum = 0.0
        with single_blas_thread():
            for start in range(0, shuffled.shape[0], batch_size):
                batch = shuffled[start : start + batch_size]
                loss_sum += trainer.step(batch) * batch.shape[0]
        train_loss = loss_sum / rows.shape[0]
        if not math.isfinite(train_loss):
            raise TrainingError(
                f"the training loss became {train_loss} in epoch {epoch}; try a lower learning rate"
            )
        history.train_loss.append(train_loss)
        tensors = trainer.tensors()
        layers = layers_from_tensors(tensors, names, activations)
        val_loss = _validation_losses(layers, validation, history)
        if on_epoch is not None:
            on_epoch(EpochReport(epoch, epochs, train_loss, val_loss))
        if patience is not None:
            if history.val_normal_loss[-1] < best_loss:
                best, best_loss, since_best = tensors, history.val_normal_loss[-1], 0
                history.best_epoch = epoch
            else:
                since_best += 1
                if since_best >= patience:
                    break
    return best


def initial_tensors(
    n_features: int, hidden: Sequence[int], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Glorot-uniform weights and zero biases, under torch's tensor names."""
    names, _ = layer_plan(len(hidden))
    sizes = [n_features, *hidden, *reversed(hidden[:-1]), n_features]
    tensors = {}
    for i, name in enumerate(names):
        fan_in, fan_out = sizes[i], sizes[i + 1]
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        tensors[f"{name}.weight"] = rng.uniform(-limit, limit, (fan_out, fan_in)).astype(np.float32)
        tensors[f"{name}.bias"] = np.zeros(fan_out, dtype=np.float32)
    return tensors


def _validation_losses(
    layers: list[DenseLayer],
    validation: tuple[np.ndarray, np.ndarray] | None,
    history: TrainingHistory,
) -> float | None:
    """Mean squared error per value over the validation rows and over their normal part."""
    if validation is None or validation[0].shape[0] == 0:
        return None
    errors = reconstruction_error(layers, validation[0]).astype(np.float64)
    val_loss = float(errors.mean())
    history.val_loss.append(val_loss)
    normal = ~np.asarray(validation[1], dtype=bool)
    if normal.any():
        history.val_normal_loss.append(float(errors[normal].mean()))
    return val_loss


class _Trainer:
    """A training backend: one optimisation step per batch; usable as a context."""

    def __enter__(self) -> _Trainer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def step(self, batch: np.ndarray) -> float:
        raise NotImplementedError

    def tensors(self) -> dict[str, np.ndarray]:
        raise NotImplementedError


class NumpyTrainer(_Trainer):
    """Forward, backward and Adam by hand, all parameters in one float32 vector.

    Layer l computes z = a @ W + b with W of shape (inputs, outputs); hidden
    layers apply ReLU, the output layer a sigmoid; the loss is the mean of the
    squared differences over the batch and the features (torch's ``mse_loss``).
    """

    def __init__(
        self,
        tensors: dict[str, np.ndarray],
        names: list[str],
        learning_rate: float,
        activations: list[str] | None = None,
    ):
        self.names = names
        self.activations = activations or layer_plan(len(names) // 2)[1]
        shapes = [tensors[f"{name}.weight"].T.shape for name in names]
        total = sum(n_in * n_out + n_out for n_in, n_out in shapes)
        self.params = np.zeros(total, dtype=np.float32)
        self.grads = np.zeros(total, dtype=np.float32)
        self.first_moment = np.zeros(total, dtype=np.float32)
        self.second_moment = np.zeros(total, dtype=np.float32)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        self.weight_grads: list[np.ndarray] = []
        self.bias_grads: list[np.ndarray] = []
        offset = 0
        for name, (n_in, n_out) in zip(names, shapes, strict=True):
            for store, grad_store, size, shape in (
                (self.weights, self.weight_grads, n_in * n_out, (n_in, n_out)),
                (self.biases, self.bias_grads, n_out, (n_out,)),
            ):
                store.append(self.params[offset : offset + size].reshape(shape))
                grad_store.append(self.grads[offset : offset + size].reshape(shape))
                offset += size
            self.weights[-1][...] = tensors[f"{name}.weight"].T
            self.biases[-1][...] = tensors[f"{name}.bias"]
        self.learning_rate = learning_rate
        self.steps = 0

    def step(self, batch: np.ndarray) -> float:
        activations = [batch]
        last = len(self.weights) - 1
        for layer, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            z = activations[-1] @ weight
            z += bias
            if layer < last:
                if self.activations[layer] == "relu":
                    np.maximum(z, 0.0, out=z)
            else:
                np.negative(z, out=z)
                np.clip(z, -88.0, 88.0, out=z)  # exp stays finite; the sigmoid is flat there
                np.exp(z, out=z)
                z += 1.0
                np.reciprocal(z, out=z)
            activations.append(z)
        output = activations[-1]
        difference = output - batch
        loss = float(np.mean(difference * difference))
        # d loss / d output, through the sigmoid: 2 (y - x) / n * y (1 - y)
        delta = difference * np.float32(2.0 / difference.size)
        delta *= output * (1.0 - output)
        for layer in range(last, -1, -1):
            np.matmul(activations[layer].T, delta, out=self.weight_grads[layer])
            np.sum(delta, axis=0, out=self.bias_grads[layer])
            if layer > 0:
                delta = delta @ self.weights[layer].T
                if self.activations[layer - 1] == "relu":
                    delta *= activations[layer] > 0  # ReLU passes gradient where it was positive
        self._adam()
        return loss

    def _adam(self) -> None:
        beta1, beta2 = BETAS
        self.steps += 1
        m, v, g = self.first_moment, self.second_moment, self.grads
        m *= beta1
        m += (1.0 - beta1) * g
        v *= beta2
        v += (1.0 - beta2) * g * g
        correction1 = 1.0 - beta1**self.steps
        correction2 = 1.0 - beta2**self.steps
        denominator = np.sqrt(v)
        denominator /= math.sqrt(correction2)
        denominator += EPSILON
        self.params -= (self.learning_rate / correction1) * (m / denominator)

    def tensors(self) -> dict[str, np.ndarray]:
        tensors = {}
        for name, weight, bias in zip(self.names, self.weights, self.biases, strict=True):
            tensors[f"{name}.weight"] = np.ascontiguousarray(weight.T)
            tensors[f"{name}.bias"] = bias.copy()
        return tensors
