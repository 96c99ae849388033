"""The window vote (N-BaIoT's): alert on a flow when most recent decisions of its source did.

A flow is reported as an attack when more than half of the last ``W``
decisions for the same source (address, device or file), up to and including
its own, were attacks; a source with fewer than ``W`` decisions so far counts
the missing ones as normal. ``W = 1`` is the single-flow decision. The vote
needs a source and an order (time or record number) per flow.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow.compute as pc

from flowae.data.reader import SOURCE_FILE, FlowTable

WINDOWS = (1, 3, 5, 7, 9, 11, 15, 21, 31, 51)  # what --vote auto tries, smallest first


@dataclass(frozen=True)
class VoteKeys:
    """Per-row source (as integer codes) and order, sorted once for every vote."""

    source: np.ndarray  # int64 code per row
    order: np.ndarray  # float64 time or record number per row
    description: str

    @cached_property
    def permutation(self) -> np.ndarray:
        """Row positions sorted by source, then order."""
        return np.lexsort((self.order, self.source))

    @cached_property
    def group_start(self) -> np.ndarray:
        """For each sorted position, where its source's run of rows starts."""
        sources = self.source[self.permutation]
        starts = np.zeros(sources.size, dtype=np.int64)
        if sources.size:
            first = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]])
            starts[first] = first
        return np.maximum.accumulate(starts) if sources.size else starts


def vote_keys(flows: FlowTable) -> VoteKeys | None:
    """The source and order of each row, or None when the data has no source."""
    layout = flows.layout
    columns = flows.table.column_names
    if layout.source_column and layout.source_column in columns:
        source_name = layout.source_column
    elif SOURCE_FILE in columns:
        source_name = SOURCE_FILE
    else:
        return None
    codes = pc.dictionary_encode(flows.table.column(source_name).combine_chunks()).indices
    source = codes.to_numpy(zero_copy_only=False).astype(np.int64)
    if layout.order_column and layout.order_column in columns:
        order = flows.table.column(layout.order_column).to_numpy(zero_copy_only=False)
        order_name = layout.order_column
    else:
        order, order_name = flows.row_numbers, "row order"
    return VoteKeys(source, np.asarray(order, dtype=np.float64), f"{source_name}, by {order_name}")


def vote(decisions: np.ndarray, keys: VoteKeys, window: int) -> np.ndarray:
    """The voted decision of every row (same order as ``decisions``)."""
    decisions = np.asarray(decisions, dtype=bool)
    if window <= 1 or decisions.size == 0:
        return decisions.copy()
    order = keys.permutation
    totals = np.concatenate([[0], np.cumsum(decisions[order], dtype=np.int64)])
    position = np.arange(decisions.size)
    window_start = np.maximum(keys.group_start, position - window + 1)
    recent = totals[position + 1] - totals[window_start]
    voted = np.empty(decisions.size, dtype=bool)
    voted[order] = 2 * recent > window
    return voted


def auto_window(decisions: np.ndarray, is_attack: np.ndarray, keys: VoteKeys) -> tuple[int, bool]:
    """The smallest window with no false alarm on the normal rows given (held out),
    and whether one was found (else the largest window tried)."""
    normal = ~np.asarray(is_attack, dtype=bool)
    for window in WINDOWS:
        if not vote(decisions, keys, window)[normal].any():
            return window, True
    return WINDOWS[-1], False


def detection_delay(
    voted: np.ndarray, is_attack: np.ndarray, keys: VoteKeys
) -> dict[str, float | int | None]:
    """Attack flows of each attacking source until its first alert on an attack flow.

    ``mean_flows`` averages over the sources that were alerted on; ``missed``
    counts attacking sources never alerted on.
    """
    attack = np.asarray(is_attack, dtype=bool)[keys.permutation]
    alerted = np.asarray(voted, dtype=bool)[keys.permutation] & attack
    sources = keys.source[keys.permutation]
    # the number of attack flows of its source up to and including each sorted row
    attack_count = np.cumsum(attack) - np.concatenate([[0], np.cumsum(attack)])[keys.group_start]
    delays, missed = [], 0
    for source in np.unique(sources[attack]):
        hits = np.flatnonzero(alerted & (sources == source))
        if hits.size:
            delays.append(int(attack_count[hits[0]]))
        else:
            missed += 1
    return {
        "mean_flows": float(np.mean(delays)) if delays else None,
        "sources": len(delays) + missed,
        "missed": missed,
    }
