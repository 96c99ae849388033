"""The reference training backend: the torch module, autograd and torch's Adam.

Starts from the same tensors and sees the same batches as the numpy backend,
so the two can be compared step by step (tests do).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from flowae.model.network import Autoencoder
from flowae.model.training import BETAS, EPSILON, _Trainer


class TorchTrainer(_Trainer):
    """One Adam step per batch on :class:`Autoencoder`, on one CPU thread."""

    def __init__(
        self,
        tensors: dict[str, np.ndarray],
        n_features: int,
        hidden: Sequence[int],
        learning_rate: float,
    ) -> None:
        self.network = Autoencoder(n_features, hidden)
        self.network.load_state_dict(
            {name: torch.from_numpy(t.copy()) for name, t in tensors.items()}
        )
        # fused: the same Adam update in one kernel, about twice as fast for this tiny network
        self.optimizer = torch.optim.Adam(
            self.network.parameters(), lr=learning_rate, betas=BETAS, eps=EPSILON, fused=True
        )

    def __enter__(self) -> TorchTrainer:
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        torch.set_num_threads(self._threads)

    def step(self, batch: np.ndarray) -> float:
        x = torch.from_numpy(batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.mse_loss(self.network(x), x)
        loss.backward()
        self.optimizer.step()
        return loss.item()

    def tensors(self) -> dict[str, np.ndarray]:
        return {name: t.detach().numpy().copy() for name, t in self.network.state_dict().items()}
