import numpy as np
import pytest

from flowae.evaluation.metrics import detection_metrics


def test_counts_and_rates():
    truth = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)
    guess = np.array([1, 1, 1, 0, 1, 0, 0, 0, 0, 0], dtype=bool)
    m = detection_metrics(truth, guess, scores=np.arange(10)[::-1].astype(float))
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (3, 1, 5, 1)
    assert m["precision"] == pytest.approx(0.75)
    assert m["recall"] == pytest.approx(0.75)
    assert m["fpr"] == pytest.approx(1 / 6)
    assert m["fnr"] == pytest.approx(0.25)
    assert m["accuracy"] == pytest.approx(0.8)
    assert m["f1"] == pytest.approx(0.75)
    assert m["roc_auc"] == pytest.approx(1.0)
    assert (m["n_normal"], m["n_attack"]) == (6, 4)


def test_undefined_rates_are_none_not_zero():
    m = detection_metrics(np.array([True, True]), np.array([True, False]), np.array([1.0, 0.0]))
    assert m["fpr"] is None and m["roc_auc"] is None
    assert m["recall"] == 0.5
    m = detection_metrics(np.array([False, False]), np.array([False, False]))
    assert m["precision"] is None and m["recall"] is None and m["f1"] is None
    assert m["fpr"] == 0.0
