"""The trained network as numpy float32 matrix products: scoring needs no torch.

A network is a list of :class:`DenseLayer`. Tensor names follow the torch
module (``encoder.0.weight`` ...), so weights move between the two as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

ACTIVATIONS = ("relu", "sigmoid", "linear")
PAPER_HIDDEN = (12, 8, 5, 2)  # encoder sizes of the paper's Algorithm 1
NBAIOT_SHARES = (0.75, 0.5, 0.33, 0.25)  # N-BaIoT: hidden layers as shares of the inputs
ARCHITECTURES = {
    "paper": "the paper's encoder 12-8-5-2 (or --hidden), decoder mirrored; threshold from "
    "the training-normal errors",
    "nbaiot": "N-BaIoT's encoder at 75/50/33/25 % of the inputs, decoder mirrored; threshold "
    "from held-out normal rows",
}


def nbaiot_hidden(n_features: int) -> tuple[int, ...]:
    """N-BaIoT's encoder sizes (Meidan et al. 2018) for ``n_features`` inputs, rounded up."""
    return tuple(max(1, math.ceil(share * n_features - 1e-9)) for share in NBAIOT_SHARES)


_THREADPOOLS: list[ThreadpoolController] = []


def single_blas_thread() -> AbstractContextManager[Any]:
    """A context in which BLAS uses one thread.

    These matrices are tall and thin: one thread is 10-20x faster than several.
    The controller that finds the BLAS libraries is built once: finding them
    again on every call costs about half a millisecond.
    """
    if not _THREADPOOLS:
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1, user_api="blas")


@dataclass(frozen=True)
class DenseLayer:
    """One affine layer and its activation; ``weight`` is (inputs, outputs), float32."""

    weight: np.ndarray
    bias: np.ndarray
    activation: str

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y = x @ self.weight
        y += self.bias
        if self.activation == "relu":
            np.maximum(y, 0.0, out=y)
        elif self.activation == "sigmoid":
            # 1 / (1 + exp(-y)) without overflow warnings for very negative y
            np.negative(y, out=y)
            np.clip(y, -88.0, 88.0, out=y)
            np.exp(y, out=y)
            y += 1.0
            np.reciprocal(y, out=y)
        return y


def layers_from_tensors(
    tensors: Mapping[str, np.ndarray], layer_names: Sequence[str], activations: Sequence[str]
) -> list[DenseLayer]:
    """Build the layer list from torch-named tensors (``name.weight`` is outputs x inputs)."""
    return [
        DenseLayer(
            np.ascontiguousarray(tensors[f"{name}.weight"].T, dtype=np.float32),
            np.ascontiguousarray(tensors[f"{name}.bias"], dtype=np.float32),
            activation,
        )
        for name, activation in zip(layer_names, activations, strict=True)
    ]


def reconstruct(layers: Sequence[DenseLayer], x: np.ndarray) -> np.ndarray:
    """The network's output for rows ``x`` (rows x features, float32)."""
    y = np.asarray(x, dtype=np.float32)
    for layer in layers:
        y = layer(y)
    return y


def reconstruction_error(
    layers: Sequence[DenseLayer], x: np.ndarray, chunk_rows: int = 16384
) -> np.ndarray:
    """Per-row mean squared error between ``x`` and its reconstruction (float32)."""
    x = np.asarray(x, dtype=np.float32)
    errors = np.empty(x.shape[0], dtype=np.float32)
    with single_blas_thread():
        for start in range(0, x.shape[0], chunk_rows):
            block = x[start : start + chunk_rows]
            diff = reconstruct(layers, block)
            diff -= block
            errors[start : start + chunk_rows] = np.einsum("ij,ij->i", diff, diff) / x.shape[1]
    return errors


def layer_plan(n_hidden: int, code_activation: str = "relu") -> tuple[list[str], list[str]]:
    """Torch names and activations of the dense layers, input to output.

    Hidden layers use ReLU, the output layer a sigmoid; the code layer (the
    encoder's last) uses ``code_activation``: ReLU in the paper, 'linear' in
    flowae's own model.
    """
    if code_activation not in ("relu", "linear"):
        raise ValueError(f"code activation must be relu or linear, got {code_activation!r}")
    names = [f"encoder.{2 * i}" for i in range(n_hidden)]
    names += [f"decoder.{2 * i}" for i in range(n_hidden)]
    activations = ["relu"] * (2 * n_hidden - 1) + ["sigmoid"]
    activations[n_hidden - 1] = code_activation
    return names, activations
