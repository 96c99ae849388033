"""The models flowae builds: the paper's, N-BaIoT's, and flowae's own.

A recipe fixes what surrounds the network: its sizes, the code layer's
activation, the preprocessing, how long it trains and how its threshold is
chosen. ``flowae`` was built from measurements on the real Bot-IoT subset,
one change at a time: docs/MODEL.md, and the table that
experiments/model_ablation.py generates (ROC-AUC 0.910 for the paper's
network, 0.981 for flowae's, 5 seeds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flowae.model.forward import PAPER_HIDDEN, nbaiot_hidden

FLOWAE_HIDDEN = (32, 16, 8, 4)


@dataclass(frozen=True)
class Recipe:
    """What a model name stands for, besides the data."""

    name: str
    description: str
    code_activation: str = "relu"
    log_heavy_tails: bool = False
    patience: int | None = None  # early stopping on held-out normal loss
    epochs: int = 20  # the default; with early stopping, the most
    scale_on: str | None = None  # None: the command's default
    threshold: str = "meanstd"  # the default policy ("meanstd" takes --k)
    meanstd_basis: str = "training-normal"

    def hidden(self, n_features: int, given: Sequence[int] | None) -> tuple[int, ...]:
        """Encoder sizes for ``n_features`` inputs (``given`` is --hidden, None: the
        recipe's own)."""
        if self.name == "nbaiot":
            return nbaiot_hidden(n_features)
        if given is not None:
            return tuple(given)
        return FLOWAE_HIDDEN if self.name == "flowae" else PAPER_HIDDEN


RECIPES = {
    "paper": Recipe(
        "paper",
        "the paper's: encoder --hidden (12-8-5-2), ReLU code layer, 20 epochs, threshold "
        "mean + k std of the training-normal errors",
    ),
    "flowae": Recipe(
        "flowae",
        "flowae's: log(1 + x) of heavy-tailed counts, encoder 32-16-8-4 with a linear code "
        "layer, early stopping on held-out normal loss (at most 100 epochs), scaling fitted on "
        "normal rows, threshold fpr:0.01 on held-out normal rows",
        code_activation="linear",
        log_heavy_tails=True,
        patience=5,
        epochs=100,
        scale_on="normal",
        threshold="fpr:0.01",
    ),
    "nbaiot": Recipe(
        "nbaiot",
        "N-BaIoT's: encoder at 75/50/33/25 % of the inputs, threshold mean + k std of "
        "held-out normal errors",
        meanstd_basis="held-out normal",
    ),
}
