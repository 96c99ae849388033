"""Training the autoencoder on normal rows (the paper's Section 4.3).

Adam (lr 0.01, betas 0.9/0.999, eps 1e-8), MSE loss, mini-batches shuffled
every epoch, Glorot-uniform weights and zero biases (TensorFlow's defaults,
which the paper used). All randomness comes from one ``torch.Generator``
seeded by ``seed``; nothing global is seeded. Training runs on one CPU thread:
for a network this small that is fastest, and it makes a seed reproduce the
same weights bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from flowae.errors import TrainingError
from flowae.model.forward import DenseLayer, layer_plan, layers_from_tensors
from flowae.model.history import EpochReport, TrainingHistory
from flowae.model.network import Autoencoder


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
) -> tuple[list[DenseLayer], dict[str, np.ndarray], TrainingHistory]:
    """Fit an :class:`Autoencoder` to ``normal_rows`` (rows x features, scaled).

    ``validation`` is (rows, is_attack); its loss is reported every epoch, over
    all its rows and over its normal rows. Returns the numpy layers, the raw
    tensors (torch names) and the history.
    """
    if normal_rows.ndim != 2 or normal_rows.shape[0] == 0:
        raise TrainingError("no normal rows to train on")
    if epochs < 1 or batch_size < 1 or not learning_rate > 0:
        raise TrainingError(
            f"epochs and batch size must be at least 1 and the learning rate positive "
            f"(got {epochs}, {batch_size}, {learning_rate})"
        )
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(
            normal_rows, hidden, epochs, batch_size, learning_rate, seed, validation, on_epoch
        )
    finally:
        torch.set_num_threads(threads)


def _train(
    normal_rows: np.ndarray,
    hidden: Sequence[int],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    validation: tuple[np.ndarray, np.ndarray] | None,
    on_epoch: Callable[[EpochReport], None] | None,
) -> tuple[list[DenseLayer], dict[str, np.ndarray], TrainingHistory]:
    generator = torch.Generator().manual_seed(seed)
    network = Autoencoder(normal_rows.shape[1], hidden)
    for module in network.modules():
        if isinstance(module, nn.Linear):
            nn.init.xavier_uniform_(module.weight, generator=generator)
            nn.init.zeros_(module.bias)
    # fused: the same Adam update in one kernel, about twice as fast for this tiny network
    optimizer = torch.optim.Adam(
        network.parameters(), lr=learning_rate, betas=(0.9, 0.999), eps=1e-8, fused=True
    )
    x = torch.from_numpy(np.ascontiguousarray(normal_rows, dtype=np.float32))
    val_x = val_normal_x = None
    if validation is not None and validation[0].shape[0] > 0:
        val_x = torch.from_numpy(np.ascontiguousarray(validation[0], dtype=np.float32))
        normal_mask = ~np.asarray(validation[1], dtype=bool)
        if normal_mask.any():
            val_normal_x = val_x[torch.from_numpy(normal_mask)]

    history = TrainingHistory()
    n_rows = x.shape[0]
    for epoch in range(1, epochs + 1):
        network.train()
        shuffled = x[torch.randperm(n_rows, generator=generator)]
        loss_sum = 0.0
        for start in range(0, n_rows, batch_size):
            batch = shuffled[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.mse_loss(network(batch), batch)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * batch.shape[0]
        train_loss = loss_sum / n_rows
        if not math.isfinite(train_loss):
            raise TrainingError(
                f"the training loss became {train_loss} in epoch {epoch}; try a lower learning rate"
            )
        history.train_loss.append(train_loss)
        network.eval()
        with torch.no_grad():
            val_loss = _mean_loss(network, val_x)
            if val_loss is not None:
                history.val_loss.append(val_loss)
            val_normal_loss = _mean_loss(network, val_normal_x)
            if val_normal_loss is not None:
                history.val_normal_loss.append(val_normal_loss)
        if on_epoch is not None:
            on_epoch(EpochReport(epoch, epochs, train_loss, val_loss))

    tensors = {name: t.detach().numpy().copy() for name, t in network.state_dict().items()}
    names, activations = layer_plan(len(hidden))
    return layers_from_tensors(tensors, names, activations), tensors, history


def _mean_loss(network: nn.Module, rows: torch.Tensor | None, chunk: int = 262144) -> float | None:
    if rows is None or rows.shape[0] == 0:
        return None
    total = 0.0
    for start in range(0, rows.shape[0], chunk):
        block = rows[start : start + chunk]
        total += float(nn.functional.mse_loss(network(block), block, reduction="sum"))
    return total / rows.numel()
