"""The comparison beyond the paper: models x threshold policies, with and without the vote.

For one case and seed, every model in ``compare_models`` is trained on the
same training-normal rows; every threshold policy is applied to its test
scores (``meanstd`` on the training-normal statistics, the others calibrated
on the validation split's normal rows, which no network trained on), once per
flow and once through the window vote where the data has a source and an
order (the window ``vote``: a number, ``auto`` to choose it on the validation
rows, or ``none``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from flowae.evaluation.metrics import detection_metrics, roc_auc_or_none
from flowae.evaluation.vote import auto_window, detection_delay, vote, vote_keys
from flowae.model.detector import FlowDetector
from flowae.model.threshold import ThresholdPolicy

if TYPE_CHECKING:
    from flowae.data.reader import FlowTable
    from flowae.evaluation.protocol import CaseSplit, ProtocolConfig

VOTED = " + vote"  # suffix of the voted variant of a policy


def compare_case(
    split: CaseSplit,
    config: ProtocolConfig,
    trained: dict[str, FlowDetector],
    *,
    train: Callable[[ProtocolConfig, FlowTable], FlowDetector],
) -> dict[str, dict[str, dict[str, Any]]]:
    """model -> policy (and 'policy + vote') -> metrics, for one case and seed.

    ``trained`` holds models already fitted on this split (reused); ``train``
    fits another model recipe on the split's training rows, with the given
    validation rows.
    """
    truth = split.test.is_attack()
    validation_attack = split.validation.is_attack()
    normal_validation = split.validation.take(np.flatnonzero(~validation_attack))
    test_keys, validation_keys = vote_keys(split.test), vote_keys(split.validation)
    comparison: dict[str, dict[str, dict[str, Any]]] = {}
    for model in config.compare_models:
        # a model trained only for this table follows its loss on the validation normal
        # rows alone (early stopping needs no more): the whole split costs an epoch's worth
        detector = trained.get(model) or train(config.for_model(model), normal_validation)
        test_errors, validation_errors = (
            detector.autoencoder_.score_samples(detector.transform(part, warn_unseen=False)[0])
            for part in (split.test, split.validation)
        )
        held_out = validation_errors[~validation_attack]
        auc = roc_auc_or_none(truth, test_errors)
        entries: dict[str, dict[str, Any]] = {}
        for text in config.policies:
            policy = ThresholdPolicy.parse(text)
            if policy.calibrated:
                if held_out.size == 0:
                    continue
                rule: Any = policy.fit(held_out)
            else:
                rule = detector.autoencoder_.normal_errors_.with_k(policy.parameter)
            flagged = rule.predict(test_errors)
            entries[text] = {
                **detection_metrics(truth, flagged, auc=auc),
                "threshold": rule.value,
                "n_held_out": int(held_out.size) if policy.calibrated else None,
            }
            if test_keys is None or validation_keys is None or config.vote == "none":
                continue
            if config.vote == "auto":
                window, found = auto_window(
                    rule.predict(validation_errors), validation_attack, validation_keys
                )
            else:
                window, found = int(config.vote), True
            voted = vote(flagged, test_keys, window)
            entries[text + VOTED] = {
                **detection_metrics(truth, voted, auc=auc),
                "threshold": rule.value,
                "vote_window": window,
                "vote_window_clean": found,
                "detection_delay": detection_delay(voted, truth, test_keys),
            }
        comparison[model] = entries
    return comparison


def vote_source(split: CaseSplit) -> str | None:
    """What the vote groups and orders by on this data, or None when it cannot apply."""
    keys = vote_keys(split.test)
    return keys.description if keys is not None else None


def summarise_comparison(
    runs: Sequence[dict[str, dict[str, dict[str, Any]]]], seeds: Sequence[int]
) -> dict[str, dict[str, dict[str, Any]]]:
    """model -> policy -> summary over seeds (means, std, bootstrap 95 % intervals)."""
    from flowae.evaluation.statistics import summarise_runs

    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for model in runs[0]:
        summary[model] = {}
        for policy in runs[0][model]:
            per_run = [run[model][policy] for run in runs if policy in run.get(model, {})]
            if len(per_run) != len(runs):
                continue  # not computable in every seed
            entry = summarise_runs(per_run, seeds)
            if policy.endswith(VOTED):
                entry["vote_window"] = [run["vote_window"] for run in per_run]
                delays = [run["detection_delay"]["mean_flows"] for run in per_run]
                known = [d for d in delays if d is not None]
                entry["detection_delay_flows"] = float(np.mean(known)) if known else None
                entry["sources_missed"] = int(
                    sum(run["detection_delay"]["missed"] for run in per_run)
                )
            summary[model][policy] = entry
    return summary
