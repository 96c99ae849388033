"""The decision threshold on reconstruction error (the paper's Section 4.4).

The raw score (reconstruction error) stays separate from the decision: a
threshold is fitted once on the training-normal errors and keeps their mean
and standard deviation, so changing ``k`` never needs the network again.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

BASES = ("training-normal", "held-out normal")
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def above(errors: np.ndarray, threshold: float) -> np.ndarray:
    """True where ``errors`` (float32 scores) exceed ``threshold``, without casting a
    threshold beyond float32's range to infinity (no error is that large)."""
    return np.asarray(errors) > np.float32(min(threshold, _FLOAT32_MAX))


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
        return above(errors, self.value)

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


# --------------------------------------------------------------------- calibrated policies

POLICIES = {
    "meanstd": "mean + k * std of the training-normal errors (the paper's)",
    "quantile": "the q-quantile of held-out normal errors",
    "fpr": "the lowest threshold that flags at most a share x of held-out normal rows",
    "lognormal": "a log-normal fitted to held-out normal errors; flag when the tail "
    "probability is below p",
}


@dataclass(frozen=True)
class ThresholdPolicy:
    """How a threshold is chosen: ``meanstd:k``, ``quantile:q``, ``fpr:x`` or ``lognormal:p``.

    Every policy but the paper's ``meanstd`` is calibrated on held-out normal
    rows: rows the network was not trained on.
    """

    name: str
    parameter: float

    @classmethod
    def parse(cls, text: str) -> ThresholdPolicy:
        name, _, value = text.strip().partition(":")
        if name not in POLICIES or not value:
            raise ValueError(
                f"expected a threshold policy like meanstd:1, quantile:0.99, fpr:0.01 or "
                f"lognormal:0.001, got {text!r}"
            )
        try:
            parameter = float(value)
        except ValueError:
            raise ValueError(f"threshold policy {text!r}: {value!r} is not a number") from None
        low, high = (0.0, math.inf) if name == "meanstd" else (0.0, 1.0)
        inside = (
            math.isfinite(parameter)
            and low <= parameter
            and (parameter < high or name == "meanstd")
        )
        if name in ("quantile", "lognormal") and parameter <= 0:
            inside = False
        if not inside:
            what = "k >= 0" if name == "meanstd" else "a share between 0 and 1"
            raise ValueError(f"threshold policy {text!r}: expected {what}")
        return cls(name, parameter)

    @property
    def calibrated(self) -> bool:
        """True when the policy is set on held-out normal rows."""
        return self.name != "meanstd"

    def __str__(self) -> str:
        return f"{self.name}:{self.parameter:.15g}"  # exact for what a user types

    def fit(self, normal_errors: np.ndarray, basis: str = "held-out normal") -> CalibratedThreshold:
        """The threshold this policy gives on ``normal_errors`` (not for meanstd)."""
        if not self.calibrated:
            raise ValueError("meanstd is fitted by MeanStdThreshold on the training-normal errors")
        errors = np.sort(np.asarray(normal_errors, dtype=np.float64))
        if errors.size == 0:
            raise ValueError(f"{self}: no held-out normal errors to calibrate on")
        statistics: dict[str, float] | None = None
        if self.name == "quantile":
            value = float(np.quantile(errors, self.parameter))
        elif self.name == "fpr":
            allowed = math.floor(self.parameter * errors.size)  # rows that may lie above
            value = float(errors[errors.size - allowed - 1])
        else:
            logs = np.log(np.maximum(errors, np.finfo(np.float64).tiny))
            mu, sigma = float(logs.mean()), float(logs.std())
            value = lognormal_threshold(mu, sigma, self.parameter)
            statistics = {"log_mean": mu, "log_std": sigma}
        return CalibratedThreshold(self, value, int(errors.size), basis, statistics)


def lognormal_threshold(log_mean: float, log_std: float, tail: float) -> float:
    """exp(mu + sigma * z) with P(Z > z) = ``tail``; beyond float64's range it is capped
    at the largest float (no error reaches it)."""
    from scipy.stats import norm

    exponent = log_mean + log_std * float(norm.isf(tail))
    return math.exp(min(exponent, math.log(sys.float_info.max)))


@dataclass(frozen=True)
class CalibratedThreshold:
    """A threshold set by a calibrated :class:`ThresholdPolicy` on held-out normal errors."""

    policy: ThresholdPolicy
    value: float
    n_rows: int
    basis: str = "held-out normal"
    statistics: dict[str, float] | None = None

    @property
    def k(self) -> None:
        return None

    def predict(self, errors: np.ndarray) -> np.ndarray:
        """True (attack) where the error is above the threshold."""
        return above(errors, self.value)

    def describe(self) -> str:
        return f"{self.policy} on {self.n_rows} {self.basis} errors = {self.value:.6g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.policy.name,
            "parameter": self.policy.parameter,
            "value": self.value,
            "n_rows": self.n_rows,
            "basis": self.basis,
            **({"statistics": self.statistics} if self.statistics else {}),
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> CalibratedThreshold:
        policy = ThresholdPolicy.parse(f"{state['rule']}:{float(state['parameter'])!r}")
        value = float(state["value"])
        if not math.isfinite(value) or value < 0 or int(state["n_rows"]) < 1:
            raise ValueError("calibrated threshold value or row count out of range")
        statistics = state.get("statistics")
        return cls(
            policy,
            value,
            int(state["n_rows"]),
            str(state["basis"]),
            {str(k): float(v) for k, v in statistics.items()} if statistics else None,
        )


Threshold = MeanStdThreshold | CalibratedThreshold  # what a detector decides with
