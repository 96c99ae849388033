import numpy as np
import pytest

from flowae.baselines import (
    BASELINES,
    GMMLOFDetector,
    LocalOutlierFactorDetector,
    NBaIoTAutoencoderDetector,
)
from flowae.errors import UsageError


def _normal_and_outliers(seed=0):
    rng = np.random.default_rng(seed)
    normal = rng.normal(0.3, 0.03, size=(300, 5))
    outliers = rng.normal(0.9, 0.03, size=(40, 5))
    return normal, outliers


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_contract_score_threshold_predict(name):
    normal, outliers = _normal_and_outliers()
    detector = BASELINES[name](k=3, random_state=0)
    assert not hasattr(detector, "normal_scores_")  # __init__ only stores arguments
    assert detector.fit(normal) is detector
    rule = detector.threshold_rule()
    training_scores = detector.score_samples(normal)
    # N-BaIoT's autoencoder sets its threshold on the half of the normal rows it did not train on
    assert rule.n_rows == (150 if name == "nbaiot_ae" else 300)
    assert detector.threshold_ == rule.value
    # higher = more anomalous: far-away rows outscore the normal ones and are flagged
    assert np.median(detector.score_samples(outliers)) > np.median(training_scores)
    assert detector.predict(outliers).mean() > 0.9
    assert detector.predict(normal, k=3).mean() < 0.1
    # k changes the decision, not the score
    assert detector.threshold_rule(1).value < detector.threshold_rule(3).value


@pytest.mark.parametrize("name", sorted(BASELINES))
def test_seeded_and_shape_checked(name):
    normal, outliers = _normal_and_outliers(1)
    a = BASELINES[name](random_state=3).fit(normal).score_samples(outliers)
    b = BASELINES[name](random_state=3).fit(normal).score_samples(outliers)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(UsageError, match="expected rows with 5 features, got 2"):
        BASELINES[name]().fit(normal).score_samples(np.zeros((3, 2)))
    with pytest.raises(UsageError, match="not fitted"):
        BASELINES[name]().score_samples(outliers)


def test_lof_survives_duplicate_normal_rows():
    normal, outliers = _normal_and_outliers(2)
    duplicated = np.vstack([normal, np.repeat(normal[:5], 60, axis=0)])
    detector = LocalOutlierFactorDetector(k=1).fit(duplicated)
    assert np.isfinite(detector.threshold_)
    assert detector.threshold_ < 10  # without de-duplication the factors explode
    assert detector.predict(outliers).all()


def test_gmm_lof_combines_two_standardised_scores():
    normal, outliers = _normal_and_outliers(3)
    detector = GMMLOFDetector().fit(normal)
    # the average of two scores standardised on the training-normal rows has mean 0 there
    assert abs(detector.normal_scores_.mean) < 1e-9
    assert detector.mixture_.n_components in (1, 2, 3, 4)
    assert detector.score_samples(outliers).min() > detector.threshold_rule(3).value


def test_nbaiot_autoencoder_has_nbaiot_sizes_and_a_held_out_threshold():
    from flowae.model.forward import nbaiot_hidden

    assert nbaiot_hidden(115) == (87, 58, 38, 29)  # 75/50/33/25 % of N-BaIoT's 115 inputs
    assert nbaiot_hidden(4) == (3, 2, 2, 1)
    normal, _ = _normal_and_outliers(4)
    detector = NBaIoTAutoencoderDetector(random_state=1).fit(normal)
    assert detector.model_.hidden == (4, 3, 2, 2)
    trained_on = detector.model_.normal_errors_.n_rows
    assert trained_on + detector.normal_scores_.n_rows == normal.shape[0]
