"""Detection metrics with the row counts they rest on.

Attack is the positive class. A rate whose denominator is zero (e.g. FPR on
a test set without normal rows) is ``None``, never a made-up 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

METRIC_KEYS = ("precision", "recall", "accuracy", "f1", "fpr", "fnr", "roc_auc")
COUNT_KEYS = ("tp", "fp", "tn", "fn")


def detection_metrics(
    is_attack: np.ndarray,
    predicted: np.ndarray,
    scores: np.ndarray | None = None,
    *,
    auc: float | None = None,
) -> dict[str, Any]:
    """Confusion counts and rates of ``predicted`` against ``is_attack``.

    ``scores`` (higher = more anomalous) gives the threshold-free ROC-AUC, or
    pass it precomputed as ``auc`` when scoring one vector at several
    thresholds. Keys: precision, recall, accuracy, f1, fpr, fnr, roc_auc, tp,
    fp, tn, fn, n_normal, n_attack.
    """
    truth = np.asarray(is_attack, dtype=bool)
    guess = np.asarray(predicted, dtype=bool)
    if truth.shape != guess.shape:
        raise ValueError(f"{truth.size} labels for {guess.size} verdicts")
    tp = int(np.count_nonzero(truth & guess))
    fp = int(np.count_nonzero(guess)) - tp
    fn = int(np.count_nonzero(truth)) - tp
    tn = truth.size - tp - fp - fn
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = None
    if precision is not None and recall is not None:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    roc_auc = auc if auc is not None or scores is None else roc_auc_or_none(truth, scores)
    return {
        "precision": precision,
        "recall": recall,
        "accuracy": _ratio(tp + tn, truth.size),
        "f1": f1,
        "fpr": _ratio(fp, fp + tn),
        "fnr": _ratio(fn, fn + tp),
        "roc_auc": roc_auc,
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "n_normal": tn + fp,
        "n_attack": tp + fn,
    }


def roc_auc_or_none(is_attack: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC-AUC of ``scores`` (scikit-learn), or None when one class is absent."""
    truth = np.asarray(is_attack, dtype=bool)
    if not 0 < truth.sum() < truth.size:
        return None
    return float(roc_auc_score(truth, np.asarray(scores, dtype=np.float64)))


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
