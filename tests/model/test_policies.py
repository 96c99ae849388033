import numpy as np
import pytest

from flowae.model.threshold import CalibratedThreshold, ThresholdPolicy


@pytest.mark.parametrize("share", [0.0, 0.01, 0.05, 0.2])
def test_fpr_policy_keeps_the_held_out_false_alarm_rate_at_or_below_x(share):
    errors = np.random.default_rng(0).lognormal(size=997)
    threshold = ThresholdPolicy.parse(f"fpr:{share}").fit(errors)
    assert (errors > threshold.value).mean() <= share
    # and it is the lowest such threshold among the errors: one step lower breaks it
    lower = np.sort(errors)[np.sort(errors) < threshold.value]
    if lower.size:
        assert (errors > lower[-1]).mean() > share


def test_quantile_and_lognormal_policies():
    rng = np.random.default_rng(1)
    errors = rng.lognormal(mean=-4, sigma=0.5, size=20000)
    assert ThresholdPolicy.parse("quantile:0.99").fit(errors).value == pytest.approx(
        np.quantile(errors, 0.99)
    )
    fitted = ThresholdPolicy.parse("lognormal:0.01").fit(errors)
    assert fitted.statistics["log_mean"] == pytest.approx(-4, abs=0.02)
    assert (errors > fitted.value).mean() == pytest.approx(0.01, abs=0.003)


def test_policy_text_is_checked_and_round_trips():
    for bad in ("fpr:1", "fpr:-0.1", "quantile:0", "meanstd:-1", "median:3", "fpr:x", "fpr"):
        with pytest.raises(ValueError):
            ThresholdPolicy.parse(bad)
    assert str(ThresholdPolicy.parse(" meanstd:3 ")) == "meanstd:3"
    threshold = ThresholdPolicy.parse("lognormal:0.001").fit(np.linspace(0.01, 1, 50))
    assert CalibratedThreshold.from_dict(threshold.to_dict()) == threshold
    with pytest.raises(ValueError, match="meanstd is fitted by MeanStdThreshold"):
        ThresholdPolicy.parse("meanstd:1").fit(np.ones(3))


def test_policy_parameters_keep_every_digit_and_extreme_tails_do_not_overflow():
    assert str(ThresholdPolicy.parse("fpr:0.9999999")) == "fpr:0.9999999"
    assert (
        ThresholdPolicy.parse(str(ThresholdPolicy.parse("quantile:0.1234567"))).parameter
        == 0.1234567
    )
    errors = np.logspace(-12, 12, 200)
    huge = ThresholdPolicy.parse("lognormal:1e-300").fit(errors)
    assert np.isfinite(huge.value)
    assert not huge.predict(errors.astype(np.float32)).any()
