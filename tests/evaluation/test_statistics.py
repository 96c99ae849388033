import numpy as np
import pytest

from flowae.evaluation.statistics import bootstrap_interval, summarise_runs


def _rate(numerator, denominator):
    return numerator / denominator if denominator else None


def _run(tp, fn, fp, tn, **extra):
    total = tp + fn + fp + tn
    return {
        "precision": _rate(tp, tp + fp),
        "recall": _rate(tp, tp + fn),
        "accuracy": (tp + tn) / total,
        "f1": 0.5,
        "fpr": _rate(fp, fp + tn),
        "fnr": _rate(fn, fn + tp),
        "roc_auc": 0.9,
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "tn": tn,
        "n_normal": fp + tn,
        "n_attack": tp + fn,
        "threshold": 0.1,
        **extra,
    }


def test_interval_contains_the_point_estimate():
    for hits, totals in [([8], [10]), ([95, 90, 97], [100, 100, 100]), ([1, 0], [50, 50])]:
        low, high = bootstrap_interval(hits, totals)
        point = np.mean(np.array(hits) / np.array(totals))
        assert low <= point <= high


def test_interval_narrows_with_more_rows_and_is_degenerate_when_forced():
    narrow = bootstrap_interval([900], [1000])
    wide = bootstrap_interval([9], [10])
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    assert bootstrap_interval([10, 10], [10, 10]) == (1.0, 1.0)
    assert bootstrap_interval([0], [0]) is None


def test_interval_is_seeded():
    assert bootstrap_interval([7, 9], [20, 20]) == bootstrap_interval([7, 9], [20, 20])


def test_summary_means_stds_pooled_counts_and_per_seed_values():
    runs = [_run(90, 10, 5, 95), _run(80, 20, 10, 90)]
    summary = summarise_runs(runs, seeds=[0, 1])
    assert summary["recall"] == pytest.approx(0.85)
    assert summary["std"]["recall"] == pytest.approx(np.std([0.9, 0.8], ddof=1))
    assert summary["tp"] == 170 and summary["tn"] == 185
    assert summary["n_normal"] == 100
    assert summary["ci95"]["recall"][0] <= 0.85 <= summary["ci95"]["recall"][1]
    assert summary["seeds"] == [0, 1] and len(summary["per_seed"]) == 2


def test_identical_seeds_have_zero_spread():
    summary = summarise_runs([_run(50, 0, 0, 50)] * 5, seeds=range(5))
    assert summary["std"]["recall"] == 0.0 and summary["std"]["fpr"] == 0.0
    assert summary["ci95"]["recall"] == [1.0, 1.0] and summary["ci95"]["fpr"] == [0.0, 0.0]


def test_undefined_rates_stay_undefined():
    run = _run(5, 5, 0, 0, roc_auc=None)
    summary = summarise_runs([run], seeds=[0])
    assert summary["fpr"] is None and summary["ci95"]["fpr"] is None
    assert summary["std"]["recall"] == 0.0
