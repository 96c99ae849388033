"""The decision threshold on reconstruction error (the paper's Section 4.4).

The raw score (reconstruction error) stays separate from the decision: a
threshold is fitted once on the training-normal errors and keeps their mean
and standard deviation, so changing ``k`` never needs the network again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

BASES = ("training-normal", "held-out normal")


@dataclass(frozen=True)
class MeanStdThreshold:
    """threshold = mean + k * std of the reconstruction error of training-normal rows.

    The standard deviation is the population one (ddof=0), as numpy and
    TensorFlow compute it. A row is an attack when its error is above the
    threshold (strictly).
    """

    k: float
    mean: float
    std: float
    n_rows: int  # normal rows the statistics rest on
    basis: str = "training-normal"  # or "held-out normal" (N-BaIoT's rule)

    @classmethod
    def fit(
        cls, normal_errors: np.ndarray, k: float, basis: str = "training-normal"
    ) -> MeanStdThreshold:
        errors = np.asarray(normal_errors, dtype=np.float64)
        if errors.size == 0:
            raise ValueError("no reconstruction errors to fit a threshold on")
        if basis not in BASES:
            raise ValueError(f"threshold basis must be one of {BASES}, got {basis!r}")
        return cls(float(k), float(errors.mean()), float(errors.std()), int(errors.size), basis)

    @property
    def value(self) -> float:
        return self.mean + self.k * self.std

    def with_k(self, k: float) -> MeanStdThreshold:
        """The same statistics with another ``k`` (no refitting)."""
        return replace(self, k=float(k))

    def predict(self, errors: np.ndarray) -> np.ndarray:
        """True (attack) where the error is above the threshold."""
        return np.asarray(errors) > self.value

    def describe(self) -> str:
        return f"mean + {self.k:g} * std of {self.n_rows} {self.basis} errors = {self.value:.6g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": "meanstd",
            "k": self.k,
            "mean": self.mean,
            "std": self.std,
            "n_rows": self.n_rows,
            "basis": self.basis,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> MeanStdThreshold:
        threshold = cls(
            float(state["k"]),
            float(state["mean"]),
            float(state["std"]),
            int(state["n_rows"]),
            str(state.get("basis", "training-normal")),
        )
        if threshold.basis not in BASES:
            raise ValueError(f"threshold basis must be one of {BASES}")
        for name in ("k", "mean", "std"):
            if not math.isfinite(getattr(threshold, name)):
                raise ValueError(f"threshold {name} is not a finite number")
        if threshold.std < 0 or threshold.n_rows < 1:
            raise ValueError("threshold std is negative or rests on no rows")
        return threshold
