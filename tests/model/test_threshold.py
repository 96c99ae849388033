import numpy as np
import pytest

from flowae.model.threshold import MeanStdThreshold


def test_mean_plus_k_std_and_strictly_above():
    errors = np.array([1.0, 2.0, 3.0, 4.0])
    rule = MeanStdThreshold.fit(errors, k=1)
    assert rule.value == pytest.approx(2.5 + np.std(errors))
    assert rule.with_k(3).value == pytest.approx(2.5 + 3 * np.std(errors))
    assert rule.with_k(3).n_rows == 4
    exact = MeanStdThreshold(k=0, mean=2.0, std=1.0, n_rows=1)
    assert list(exact.predict(np.array([1.9, 2.0, 2.1]))) == [False, False, True]


def test_round_trip_and_validation():
    rule = MeanStdThreshold.fit(np.arange(10.0), k=3)
    assert MeanStdThreshold.from_dict(rule.to_dict()) == rule
    bad = rule.to_dict() | {"std": float("nan")}
    with pytest.raises(ValueError):
        MeanStdThreshold.from_dict(bad)
    with pytest.raises(ValueError):
        MeanStdThreshold.fit(np.array([]), 1)
