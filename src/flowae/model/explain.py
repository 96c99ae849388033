"""Why a flow was flagged: each feature's share of its reconstruction error.

The reconstruction error is the mean of the squared differences between the
scaled input and the network's output; a feature's share is its squared
difference over their sum, so the shares of a row add up to 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from flowae.model.forward import DenseLayer, reconstruct, single_blas_thread

TOP_FEATURES = 3


def error_shares(layers: Sequence[DenseLayer], rows: np.ndarray) -> np.ndarray:
    """Per-row, per-feature share of the reconstruction error (rows x features)."""
    rows = np.asarray(rows, dtype=np.float32)
    with single_blas_thread():
        squared = (reconstruct(layers, rows) - rows).astype(np.float64) ** 2
    total = squared.sum(axis=1, keepdims=True)
    return np.divide(squared, total, out=np.zeros_like(squared), where=total > 0)


def top_features(
    shares: np.ndarray, names: Sequence[str], top: int = TOP_FEATURES
) -> tuple[np.ndarray, np.ndarray]:
    """The ``top`` features with the largest shares per row, largest first:
    (names, rows x top, object) and (shares, rows x top)."""
    top = min(top, shares.shape[1])
    order = np.argsort(-shares, axis=1, kind="stable")[:, :top]
    return np.asarray(names, dtype=object)[order], np.take_along_axis(shares, order, axis=1)
