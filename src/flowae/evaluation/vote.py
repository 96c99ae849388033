"""The window vote (N-BaIoT's): alert on a flow when most recent decisions of its source did.

A flow is reported as an attack when more than half of the last ``W``
decisions for the same source (address, device or file), up to and including
its own, were attacks; a source with fewer than ``W`` decisions so far counts
the missing ones as normal. ``W = 1`` is the single-flow decision. The vote
needs a source and an order (time or record number) per flow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowae.data.reader import SOURCE_FILE, FlowTable

WINDOWS = (1, 3, 5, 7, 9, 11, 15, 21, 31, 51)  # what --vote auto tries, smallest first


@dataclass(frozen=True)
class VoteKeys:
    """Per-row source and order, and the columns they came from (for reports)."""

    source: np.ndarray
    order: np.ndarray
    description: str


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
    source = np.asarray(flows.table.column(source_name).to_pylist(), dtype=object).astype(str)
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
    order = np.lexsort((keys.order, keys.source))
    sources = keys.source[order]
    hits = decisions[order].astype(np.int64)
    totals = np.concatenate([[0], np.cumsum(hits)])
    position = np.arange(decisions.size)
    group_start = np.zeros(decisions.size, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sources[1:] != sources[:-1]])
    group_start[starts] = starts
    group_start = np.maximum.accumulate(group_start)
    window_start = np.maximum(group_start, position - window + 1)
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
    attack = np.asarray(is_attack, dtype=bool)
    delays, missed = [], 0
    for source in np.unique(keys.source[attack]):
        rows = np.flatnonzero(attack & (keys.source == source))
        rows = rows[np.argsort(keys.order[rows], kind="stable")]
        alerted = np.flatnonzero(voted[rows])
        if alerted.size:
            delays.append(int(alerted[0]) + 1)
        else:
            missed += 1
    return {
        "mean_flows": float(np.mean(delays)) if delays else None,
        "sources": len(delays) + missed,
        "missed": missed,
    }
