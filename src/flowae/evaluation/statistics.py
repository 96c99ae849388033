"""Summaries over repeated runs (seeds) and bootstrap confidence intervals.

A rate such as recall or FPR is a proportion of test rows; its uncertainty
has two sources: which rows landed in the test set and how training went
(both vary with the seed), and the finite number of rows. The interval here
is a two-level percentile bootstrap: each replicate resamples the seeds with
replacement, then resamples each chosen seed's rows with replacement, and
averages the rate over the chosen seeds. Resampling n rows of which k are
hits with replacement is a Binomial(n, k/n) draw, which is how it is
computed (exactly the row bootstrap, without materialising rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from flowae.evaluation.metrics import METRIC_KEYS

BOOTSTRAP_REPLICATES = 4000
CI_LEVEL = 0.95

# rate -> (numerator, denominator terms) in confusion counts
RATE_COUNTS = {"recall": ("tp", ("tp", "fn")), "fpr": ("fp", ("fp", "tn"))}


def bootstrap_interval(
    hits: Sequence[int],
    totals: Sequence[int],
    *,
    replicates: int = BOOTSTRAP_REPLICATES,
    level: float = CI_LEVEL,
    seed: int = 0,
) -> tuple[float, float] | None:
    """Percentile interval of the mean rate over runs (hits[i] / totals[i]).

    None when no run has rows to compute the rate on.
    """
    hits_array = np.asarray(hits, dtype=np.int64)
    totals_array = np.asarray(totals, dtype=np.int64)
    usable = totals_array > 0
    if not usable.any():
        return None
    hits_array, totals_array = hits_array[usable], totals_array[usable]
    rng = np.random.default_rng(seed)
    runs = rng.integers(0, hits_array.size, size=(replicates, hits_array.size))
    draws = rng.binomial(totals_array[runs], hits_array[runs] / totals_array[runs])
    rates = (draws / totals_array[runs]).mean(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(rates, [tail, 1 - tail])
    return float(low), float(high)


def summarise_runs(per_run: Sequence[dict[str, Any]], seeds: Sequence[int]) -> dict[str, Any]:
    """One entry from the metrics of several runs of the same detector, case and threshold.

    Rates are the mean over runs, with ``std`` (sample standard deviation,
    0 for a single run) and ``ci95`` for recall and FPR. Confusion counts are
    pooled (summed) over runs; ``n_normal`` and ``n_attack`` are the test rows
    of one run, which every run has in equal number.
    """
    if not per_run:
        raise ValueError("no runs to summarise")
    summary: dict[str, Any] = {}
    spread: dict[str, float | None] = {}
    for key in METRIC_KEYS:
        values = [run[key] for run in per_run]
        if any(v is None for v in values):
            summary[key], spread[key] = None, None
            continue
        summary[key] = float(np.mean(values))
        spread[key] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    for key in ("tp", "fp", "tn", "fn"):
        summary[key] = int(sum(run[key] for run in per_run))
    summary["n_normal"] = int(per_run[0]["n_normal"])
    summary["n_attack"] = int(per_run[0]["n_attack"])
    if "threshold" in per_run[0]:
        summary["threshold"] = float(np.mean([run["threshold"] for run in per_run]))
    summary["std"] = spread
    summary["ci95"] = {}
    for rate, (numerator, denominator) in RATE_COUNTS.items():
        interval = bootstrap_interval(
            [run[numerator] for run in per_run],
            [sum(run[term] for term in denominator) for run in per_run],
        )
        summary["ci95"][rate] = list(interval) if interval is not None else None
    summary["n_runs"] = len(per_run)
    summary["seeds"] = list(seeds)
    summary["per_seed"] = [
        {key: run.get(key) for key in (*METRIC_KEYS, "tp", "fp", "tn", "fn", "threshold")}
        for run in per_run
    ]
    return summary
