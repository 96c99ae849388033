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

    def __init__(self, columns: Sequence[Column]) -> None:
        self.columns = tuple(columns)

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
        raw, _ = self._encode(flows)
        self.data_min_ = raw.min(axis=0)
        self.data_max_ = raw.max(axis=0)
        return self

    def transform(
        self, flows: FlowTable, *, warn_unseen: bool = True
    ) -> tuple[np.ndarray, UnseenValues]:
        """The scaled matrix (rows x features, float32) and the unseen categorical values.

        ``warn_unseen`` logs a warning naming the unseen values (for scoring).
        """
        raw, unseen = self._encode(flows)
        span = self.data_max_ - self.data_min_
        span = np.where(span == 0, 1.0, span)  # constant column: maps to 0, like scikit-learn
        scaled = ((raw - self.data_min_) / span).astype(np.float32)
        if unseen.counts and warn_unseen:
            log.warning(
                "%s: %s rows have categorical values never seen in training, scored as unknown: %s",
                flows.source,
                max(unseen.n_rows_by_column.values()),
                unseen.summary(),
            )
        return scaled, unseen

    def _encode(self, flows: FlowTable) -> tuple[np.ndarray, UnseenValues]:
        matrix = np.empty((flows.n_rows, len(self.columns)), dtype=np.float64)
        unseen: dict[str, dict[str, int]] = {}
        for j, column in enumerate(self.columns):
            values = flows.table.column(column.name)
            if column.kind == Kind.CATEGORY:
                vocabulary = self.vocabularies_[column.name]
                codes = pc.index_in(values, value_set=pa.array(vocabulary, pa.string()))
                is_unseen = pc.is_null(codes)
                if pc.any(is_unseen).as_py():
                    counts = pc.value_counts(pc.filter(values, is_unseen)).to_pylist()
                    unseen[column.name] = {c["values"]: c["counts"] for c in counts}
                matrix[:, j] = pc.fill_null(codes, len(vocabulary)).to_numpy(zero_copy_only=False)
            elif column.kind == Kind.PORT:
                matrix[:, j] = pc.fill_null(values, PORT_MISSING).to_numpy(zero_copy_only=False)
            else:
                matrix[:, j] = values.to_numpy(zero_copy_only=False)
        return matrix, UnseenValues(unseen)

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
        encoder.data_min_ = np.array([f["min"] for f in features], dtype=np.float64)
        encoder.data_max_ = np.array([f["max"] for f in features], dtype=np.float64)
        return encoder
