"""The paper's autoencoder as a plain PyTorch module (no I/O, no training)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from torch import nn

from flowae.model.forward import PAPER_HIDDEN


class Autoencoder(nn.Module):
    """Dense autoencoder: inputs -> hidden... -> code -> mirrored hidden... -> inputs.

    Every hidden layer (the code layer too) uses ReLU and the output layer a
    sigmoid, as in the paper's Algorithm 1. With ``hidden=(12, 8, 5, 2)`` the
    decoder is 2 -> 5 -> 8 -> 12 -> n_features.
    """

    def __init__(self, n_features: int, hidden: Sequence[int] = PAPER_HIDDEN) -> None:
        super().__init__()
        if n_features < 1 or not hidden or min(hidden) < 1:
            raise ValueError(f"bad shape: {n_features} inputs, hidden layers {list(hidden)}")
        encoder_sizes = [n_features, *hidden]
        decoder_sizes = [*reversed(hidden), n_features]
        self.encoder = _dense_stack(encoder_sizes, last_activation=nn.ReLU())
        self.decoder = _dense_stack(decoder_sizes, last_activation=nn.Sigmoid())

    def forward(self, x):  # type: ignore[no-untyped-def]
        return self.decoder(self.encoder(x))


def _dense_stack(sizes: Sequence[int], last_activation: nn.Module) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        layers.append(last_activation if i == len(sizes) - 2 else nn.ReLU())
    return nn.Sequential(*layers)
