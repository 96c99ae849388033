import numpy as np
import pytest
from helpers import botiot_10best_rows, write_botiot_10best, write_delimited

from flowae.data.encoding import FeatureEncoder
from flowae.data.layouts import BOTIOT_10BEST_HEADER
from flowae.data.reader import read_flows


@pytest.fixture
def flows(tmp_path):
    return read_flows(write_botiot_10best(tmp_path / "f.csv", 40, 40))


def test_fit_scales_training_rows_into_unit_range(flows):
    encoder = FeatureEncoder(flows.layout.feature_columns("paper")).fit(flows)
    matrix, unseen = encoder.transform(flows)
    assert matrix.shape == (80, 16)
    assert matrix.dtype == np.float32
    assert matrix.min() >= 0.0 and matrix.max() <= 1.0
    assert not unseen.counts


def test_vocabulary_is_sorted_and_unseen_values_get_the_next_code(tmp_path, flows):
    encoder = FeatureEncoder(flows.layout.feature_columns("sound")).fit(flows)
    assert encoder.vocabularies_["proto"] == sorted(set(flows.table.column("proto").to_pylist()))
    rows = botiot_10best_rows(2, 0)
    rows[0][BOTIOT_10BEST_HEADER.index("proto")] = "sctp"
    other = read_flows(write_delimited(tmp_path / "o.csv", BOTIOT_10BEST_HEADER, rows))
    matrix, unseen = encoder.transform(other)
    assert unseen.counts == {"proto": {"sctp": 1}}
    j = encoder.feature_names.index("proto")
    vocabulary_size = len(encoder.vocabularies_["proto"])
    expected = (vocabulary_size - encoder.data_min_[j]) / (
        encoder.data_max_[j] - encoder.data_min_[j]
    )
    assert matrix[0, j] == pytest.approx(expected)
    assert matrix[0, j] > 1.0


def test_constant_column_maps_to_zero(tmp_path):
    rows = botiot_10best_rows(10, 0)
    for row in rows:
        row[BOTIOT_10BEST_HEADER.index("state_number")] = "4"
    flows = read_flows(write_delimited(tmp_path / "c.csv", BOTIOT_10BEST_HEADER, rows))
    encoder = FeatureEncoder(flows.layout.feature_columns("sound")).fit(flows)
    matrix, _ = encoder.transform(flows)
    assert np.all(matrix[:, encoder.feature_names.index("state_number")] == 0.0)


def test_empty_port_is_below_every_real_port(tmp_path):
    rows = botiot_10best_rows(3, 0)
    rows[0][BOTIOT_10BEST_HEADER.index("sport")] = ""
    rows[1][BOTIOT_10BEST_HEADER.index("sport")] = "0"
    rows[2][BOTIOT_10BEST_HEADER.index("sport")] = "0x0303"
    flows = read_flows(write_delimited(tmp_path / "p.csv", BOTIOT_10BEST_HEADER, rows))
    encoder = FeatureEncoder(flows.layout.feature_columns("paper")).fit(flows)
    column = encoder.transform(flows)[0][:, encoder.feature_names.index("sport")]
    assert column[0] < column[1] < column[2]
    assert encoder.data_min_[encoder.feature_names.index("sport")] == -1


def test_state_round_trips_through_json_ready_dict(flows):
    encoder = FeatureEncoder(flows.layout.feature_columns("paper")).fit(flows)
    copy = FeatureEncoder.from_dict(encoder.to_dict())
    np.testing.assert_array_equal(copy.transform(flows)[0], encoder.transform(flows)[0])
