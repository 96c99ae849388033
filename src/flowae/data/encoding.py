"""Turning parsed flow columns into the scaled float32 matrix the model reads.

Numbers pass through; ports are integers (an empty port is -1); categorical
columns (protocol, state, flags, addresses) become their index in a
vocabulary learned in ``fit``, sorted like scikit-learn's LabelEncoder. A
value never seen in training gets the code one past the last known one, so
it is scored (usually as unusual) instead of stopping the run. Every column is
then MinMax-scaled with the minimum and maximum seen in ``fit``; values
outside that range are not clipped.

The state is a few lists and numbers so it can be stored as JSON in a model
manifest; this is why the MinMax step is written out here rather than kept
as a fitted scikit-learn object.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowae.data.layouts import Column, Kind
from flowae.data.reader import PORT_MISSING, FlowTable
from flowae.errors import FlowAEError

log = logging.getLogger(__name__)

SCALED_LIMIT = 1e6  # scaled values beyond this are clipped (training data lies in [0, 1])


@dataclass
class UnseenValues:
    """Categorical values met at transform time that training never saw."""

    counts: dict[str, dict[str, int]]  # column -> value -> rows

    @property
    def n_rows_by_column(self) -> dict[str, int]:
        return {column: sum(values.values()) for column, values in self.counts.items()}

    def summary(self, limit: int = 3) -> str:
        parts = []
        for column, values in self.counts.items():
            shown = ", ".join(f"{v!r} ({n})" for v, n in list(values.items())[:limit])
            more = f" and {len(values) - limit} more" if len(values) > limit else ""
            parts.append(f"{column}: {shown}{more}")
        return "; ".join(parts)


class FeatureEncoder:
    """Encodes and MinMax-scales the feature columns of a flow table.

    Parameters
    ----------
    columns : the feature columns, in model-input order.
    """

    def __init__(self, columns: Sequence[Column], *, log_heavy_tails: bool = False) -> None:
        self.columns = tuple(columns)
        self.log_heavy_tails = log_heavy_tails

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def fit(self, flows: FlowTable) -> FeatureEncoder:
        """Learn vocabularies and per-column minimum and maximum from ``flows``."""
        if flows.n_rows == 0:
            raise FlowAEError(f"{flows.source}: no rows to learn the feature scaling from")
        self.vocabularies_: dict[str, list[str]] = {}
        for column in self.columns:
            if column.kind == Kind.CATEGORY:
                values = pc.unique(flows.table.column(column.name)).to_pylist()
                self.vocabularies_[column.name] = sorted(values)
        self.data_min_ = np.empty(len(self.columns))
        self.data_max_ = np.empty(len(self.columns))
        self.log_columns_: list[str] = []
        for j, column in enumerate(self.columns):
            raw, _ = self._encode_column(flows, column)
            if self.log_heavy_tails and column.kind == Kind.NUMBER and _heavy_tailed(raw):
                self.log_columns_.append(column.name)
                raw = _log(raw)
            self.data_min_[j], self.data_max_[j] = raw.min(), raw.max()
            if not np.isfinite(self.data_max_[j] - self.data_min_[j]):
                raise FlowAEError(
                    f"{flows.source}: column '{column.name}' ranges from {self.data_min_[j]:g} "
                    f"to {self.data_max_[j]:g}, too wide to scale"
                )
        return self

    def transform(
        self, flows: FlowTable, *, warn_unseen: bool = True
    ) -> tuple[np.ndarray, UnseenValues]:
        """The scaled matrix (rows x features, float32) and the unseen categorical values.

        Scaled values are clipped to +-``SCALED_LIMIT``: far outside the training
        range (always anomalous) yet never overflowing float32 arithmetic.
        ``warn_unseen`` logs a warning naming unseen categorical values.
        """
        matrix = np.empty((len(self.columns), flows.n_rows), dtype=np.float32)
        unseen: dict[str, dict[str, int]] = {}
        span = self.data_max_ - self.data_min_
        scale = 1.0 / np.where(span == 0, 1.0, span)  # constant column maps to 0, as in sklearn
        logged = set(getattr(self, "log_columns_", ()))
        for j, column in enumerate(self.columns):
            raw, column_unseen = self._encode_column(flows, column)
            if column_unseen:
                unseen[column.name] = column_unseen
            if column.name in logged:
                raw = _log(raw)
            with np.errstate(over="ignore"):  # overflow to inf is clipped just below
                raw -= self.data_min_[j]
                raw *= scale[j]
            np.clip(raw, -SCALED_LIMIT, SCALED_LIMIT, out=raw)
            matrix[j] = raw
        found = UnseenValues(unseen)
        if unseen and warn_unseen:
            log.warning(
                "%s: categorical values never seen in training, scored as unknown "
                "(rows per value): %s",
                flows.source,
                found.summary(),
            )
        return np.ascontiguousarray(matrix.T), found

    def _encode_column(self, flows: FlowTable, column: Column) -> tuple[np.ndarray, dict[str, int]]:
        """One column as float64 numbers before scaling, and its unseen values."""
        values = flows.table.column(column.name)
        unseen: dict[str, int] = {}
        if column.kind == Kind.CATEGORY:
            vocabulary = self._value_set(column.name)
            codes = pc.index_in(values, value_set=vocabulary)
            is_unseen = pc.is_null(codes)
            if pc.any(is_unseen).as_py():
                counts = pc.value_counts(pc.filter(values, is_unseen)).to_pylist()
                unseen = {c["values"]: c["counts"] for c in counts}
            codes = pc.fill_null(codes, len(vocabulary))
            return codes.to_numpy(zero_copy_only=False).astype(np.float64), unseen
        if column.kind == Kind.PORT:
            ports = pc.fill_null(values, PORT_MISSING).to_numpy(zero_copy_only=False)
            return ports.astype(np.float64), unseen
        return np.array(values.to_numpy(zero_copy_only=False), dtype=np.float64), unseen

    def _value_set(self, name: str) -> pa.Array:
        cache = self.__dict__.setdefault("_value_sets", {})
        if name not in cache:
            cache[name] = pa.array(self.vocabularies_[name], pa.string())
        return cache[name]

    def to_dict(self) -> dict[str, Any]:
        """The fitted state as JSON-ready data (for the model manifest)."""
        return {
            "features": [
                {
                    "name": c.name,
                    "kind": c.kind.value,
                    "identifier": c.identifier,
                    "min": float(self.data_min_[j]),
                    "max": float(self.data_max_[j]),
                    **(
                        {"vocabulary": self.vocabularies_[c.name]}
                        if c.kind == Kind.CATEGORY
                        else {}
                    ),
                    "transform": "log1p" if c.name in self.log_columns_ else "none",
                }
                for j, c in enumerate(self.columns)
            ]
        }

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> FeatureEncoder:
        """Rebuild a fitted encoder from :meth:`to_dict` output (already validated)."""
        features = state["features"]
        encoder = cls([Column(f["name"], Kind(f["kind"]), bool(f["identifier"])) for f in features])
        encoder.vocabularies_ = {
            f["name"]: list(f["vocabulary"]) for f in features if f["kind"] == Kind.CATEGORY.value
        }
        encoder.log_columns_ = [f["name"] for f in features if f.get("transform") == "log1p"]
        encoder.log_heavy_tails = bool(encoder.log_columns_)
        encoder.data_min_ = np.array([f["min"] for f in features], dtype=np.float64)
        encoder.data_max_ = np.array([f["max"] for f in features], dtype=np.float64)
        return encoder


HEAVY_TAIL_RATIO = 100.0  # max / 99th percentile, or 99th percentile / median, above this


def _heavy_tailed(values: np.ndarray) -> bool:
    """A non-negative column whose large values lie decades above its typical ones."""
    if values.size == 0 or values.min() < 0:
        return False
    median, p99, top = np.percentile(values, [50, 99, 100])
    return bool(
        top > HEAVY_TAIL_RATIO * max(p99, 1e-12) or p99 > HEAVY_TAIL_RATIO * max(median, 1e-12)
    )


def _log(values: np.ndarray) -> np.ndarray:
    """log(1 + x), with negatives (unseen at fit time) clipped to 0 first."""
    return np.log1p(np.maximum(values, 0.0))
