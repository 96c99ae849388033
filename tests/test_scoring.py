import gzip
import io
import json
import subprocess
import sys

import numpy as np
import pyarrow.csv as pv
import pyarrow.parquet as pq
import pytest
from helpers import botiot_10best_rows, shared_file, write_botiot_10best, write_delimited

from flowae.data.layouts import BOTIOT_10BEST_HEADER
from flowae.data.reader import read_flows
from flowae.errors import InputError
from flowae.model.detector import FlowDetector
from flowae.persistence import load_model, save_model
from flowae.scoring import score_file


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    directory = tmp_path_factory.mktemp("scoring")
    data = write_botiot_10best(directory / "train.csv", 120, 80, seed=2)
    detector = FlowDetector(feature_set="paper", epochs=3).fit(read_flows(data))
    save_model(detector, directory / "model")
    return load_model(directory / "model"), data


def _score(detector, path, **options):
    sink = io.BytesIO()
    summary = score_file(detector, path, sink, rule=detector.threshold_rule(), **options)
    return sink.getvalue().decode(), summary


def _csv_rows(text):
    return list(csv_reader(text))


def csv_reader(text):
    import csv

    return csv.DictReader(io.StringIO(text))


def test_streaming_in_small_blocks_equals_scoring_in_memory(model, tmp_path):
    detector, _ = model
    data = write_botiot_10best(tmp_path / "f.csv", 300, 700, seed=7)
    expected = detector.score(read_flows(data, layout=detector.layout_, require_labels=False))
    text, summary = _score(detector, data, block_bytes=4096)  # dozens of blocks
    rows = _csv_rows(text)
    assert summary.rows == 1000 and len(rows) == 1000
    assert [int(r["row"]) for r in rows] == list(range(1, 1001))
    got = np.array([float(r["reconstruction_error"]) for r in rows], dtype=np.float32)
    # the same scores up to float32 rounding (BLAS may round a row differently in
    # another block size), and the same verdicts
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-9)
    flagged = detector.threshold_rule().predict(expected)
    assert [r["is_anomaly"] == "1" for r in rows] == list(flagged)


def test_json_lines_and_only_anomalies(model, tmp_path):
    detector, _ = model
    rows = botiot_10best_rows(30, 30, seed=3)
    category = BOTIOT_10BEST_HEADER.index("attack")
    rows[0][category] = 'odd, "quoted" label'
    data = write_delimited(
        tmp_path / "f.csv",
        BOTIOT_10BEST_HEADER,
        [[f'"{v}"' if "," in v else v for v in r] for r in rows],
    )
    data.write_text(data.read_text().replace('"odd, "quoted" label"', '"odd, ""quoted"" label"'))
    text, _summary = _score(detector, data, output_format="jsonl")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 60
    assert records[0]["label"] == 'odd, "quoted" label'
    assert set(records[0]) == {"row", "reconstruction_error", "is_anomaly", "label"}
    flagged_rows = [r["row"] for r in records if r["is_anomaly"] == 1]
    only, _ = _score(detector, data, output_format="jsonl", only_anomalies=True)
    assert [json.loads(line)["row"] for line in only.splitlines()] == flagged_rows
    csv_only, _ = _score(detector, data, only_anomalies=True)
    assert [int(r["row"]) for r in _csv_rows(csv_only)] == flagged_rows


def test_parquet_and_gzip_inputs_score_like_csv(model, tmp_path):
    detector, _ = model
    data = write_botiot_10best(tmp_path / "f.csv", 50, 50, seed=4)
    plain, _ = _score(detector, data)
    packed = tmp_path / "f.csv.gz"
    packed.write_bytes(gzip.compress(data.read_bytes()))
    assert _score(detector, packed, block_bytes=2048)[0] == plain
    table = pv.read_csv(
        data,
        convert_options=pv.ConvertOptions(
            column_types={"sport": "string", "dport": "string", "attack": "string"}
        ),
    )
    pq.write_table(table, tmp_path / "f.parquet")
    assert _score(detector, tmp_path / "f.parquet")[0] == plain


def test_standard_input_and_output(model, tmp_path):
    detector, data = model
    model_dir = data.parent / "model"
    expected, _ = _score(detector, data)
    result = subprocess.run(
        [sys.executable, "-m", "flowae", "score", str(model_dir), "-", "--quiet"],
        stdin=data.open("rb"),
        capture_output=True,
        check=True,
    )
    assert result.stdout.decode() == expected


def test_a_bad_value_deep_in_the_file_names_its_row(model, tmp_path):
    detector, _ = model
    rows = botiot_10best_rows(200, 300, seed=5)
    rows[417][BOTIOT_10BEST_HEADER.index("srate")] = " lots "
    data = write_delimited(tmp_path / "bad.csv", BOTIOT_10BEST_HEADER, rows)
    with pytest.raises(
        InputError, match=r"row 418, column 'srate': expected a number, got ' lots '"
    ):
        _score(detector, data, block_bytes=4096)


def test_invalid_utf8_and_a_later_ragged_row(model, tmp_path):
    detector, _ = model
    rows = botiot_10best_rows(100, 100, seed=6)
    data = write_delimited(tmp_path / "bad.csv", BOTIOT_10BEST_HEADER, rows)
    blob = data.read_bytes().replace(b"\n", b"\n", 1)
    lines = blob.split(b"\n")
    lines[150] = lines[150].replace(b"udp", b"ud\xff", 1).replace(b"tcp", b"tc\xff", 1)
    lines[170] = lines[170] + b",extra"
    data.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=r"row 150, column 'proto': expected UTF-8 text"):
        _score(detector, data)
    lines[120] = lines[120] + b",extra"
    data.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError, match=r"row 120: has 20 fields, expected 19"):
        _score(detector, data)


def test_damaged_gzip_names_the_file(model, tmp_path):
    detector, _ = model
    data = write_botiot_10best(tmp_path / "f.csv", 400, 400)
    packed = gzip.compress(data.read_bytes())
    truncated = tmp_path / "cut.csv.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(InputError, match=r"cut.csv.gz.*truncated or damaged"):
        _score(detector, truncated)
    junk = tmp_path / "junk.csv.gz"
    junk.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"not deflate data" * 10)
    with pytest.raises(InputError, match=r"junk.csv.gz"):
        _score(detector, junk)


def test_huge_values_are_scored_not_nan(model, tmp_path):
    detector, _ = model
    rows = botiot_10best_rows(5, 5, seed=8)
    rows[2][BOTIOT_10BEST_HEADER.index("mean")] = "1e308"
    rows[3][BOTIOT_10BEST_HEADER.index("srate")] = "-1e300"
    data = write_delimited(tmp_path / "big.csv", BOTIOT_10BEST_HEADER, rows)
    records = _csv_rows(_score(detector, data)[0])
    errors = np.array([float(r["reconstruction_error"]) for r in records])
    assert np.isfinite(errors).all()
    assert records[2]["is_anomaly"] == "1" and records[3]["is_anomaly"] == "1"


def test_scores_of_real_rows_stream_like_in_memory(tmp_path):
    path = shared_file("bot-iot/sakshi450_pre_pocessed_data_full_colsubset.csv")
    flows = read_flows(path)
    detector = FlowDetector(epochs=2).fit(flows)
    expected = detector.score(flows)
    text, summary = _score(detector, path, block_bytes=64 * 1024)
    records = _csv_rows(text)
    got = np.array([float(r["reconstruction_error"]) for r in records], dtype=np.float32)
    assert summary.rows == 18867
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-9)
    flagged = detector.threshold_rule().predict(expected)
    assert [r["is_anomaly"] == "1" for r in records] == list(flagged)
    assert [int(r["label"] == "Normal") for r in records] == list(~flows.is_attack())
