import numpy as np
import pytest
from helpers import write_botiot_10best

from flowae.data.reader import read_flows
from flowae.errors import TrainingError, UsageError
from flowae.evaluation.metrics import detection_metrics
from flowae.model.detector import AutoencoderDetector, FlowDetector


def test_init_only_stores_arguments():
    detector = AutoencoderDetector(epochs=3, k=2.0, random_state=5)
    assert (detector.epochs, detector.k, detector.random_state) == (3, 2.0, 5)
    assert not hasattr(detector, "layers_")
    with pytest.raises(UsageError, match="not trained"):
        detector.score_samples(np.zeros((1, 3), np.float32))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    path = write_botiot_10best(tmp_path_factory.mktemp("d") / "f.csv", 190, 150, seed=4)
    flows = read_flows(path)
    detector = FlowDetector(feature_set="sound", epochs=20, random_state=0).fit(flows)
    return detector, flows


def test_trains_on_normal_rows_only_and_separates_floods(trained):
    detector, flows = trained
    assert detector.training_rows_ == {"normal": 190, "attack": 150}
    errors = detector.score(flows)
    metrics = detection_metrics(flows.is_attack(), detector.predict(flows, k=3), errors)
    assert metrics["roc_auc"] > 0.95  # quality floor on clearly separated synthetic flows
    assert metrics["recall"] > 0.8


def test_changing_k_moves_the_threshold_without_retraining(trained):
    detector, flows = trained
    layers_before = [layer.weight.copy() for layer in detector.layers_]
    t1, t3 = detector.threshold_rule(1).value, detector.threshold_rule(3).value
    assert t3 > t1
    assert detector.predict(flows, k=3).sum() <= detector.predict(flows, k=1).sum()
    assert all(np.array_equal(a.weight, b) for a, b in zip(detector.layers_, layers_before))


def test_threshold_rests_on_training_normal_errors(trained):
    detector, flows = trained
    normal = flows.take(np.flatnonzero(~flows.is_attack()))
    errors = detector.score(normal)
    assert detector.threshold_rule(1).value == pytest.approx(errors.mean() + errors.std(), rel=1e-5)


def test_same_seed_same_scores(tmp_path):
    flows = read_flows(write_botiot_10best(tmp_path / "f.csv", 60, 20))
    a = FlowDetector(epochs=3, random_state=11).fit(flows).score(flows)
    b = FlowDetector(epochs=3, random_state=11).fit(flows).score(flows)
    np.testing.assert_array_equal(a, b)


def test_feature_count_mismatch_names_both_numbers(trained):
    detector, _ = trained
    with pytest.raises(UsageError, match="expected rows with 10 features, got 4"):
        detector.autoencoder_.score_samples(np.zeros((2, 4), np.float32))


def test_no_normal_rows_is_a_clear_error(tmp_path):
    flows = read_flows(write_botiot_10best(tmp_path / "f.csv", 0, 30))
    with pytest.raises(TrainingError, match="no normal rows to train on.*attack = '0'"):
        FlowDetector(epochs=1).fit(flows)


def test_identifier_features_are_named_in_a_warning(tmp_path):
    flows = read_flows(write_botiot_10best(tmp_path / "f.csv", 30, 5))
    warning = flows.layout.identifier_warning("paper")
    assert "identifier columns pkSeqID, saddr, sport, daddr, dport" in warning
    assert flows.layout.identifier_warning("sound") is None
