import json
import subprocess
import sys

import numpy as np
import pytest
from helpers import write_botiot_10best

from flowae.data.reader import read_flows
from flowae.errors import ModelFileError
from flowae.model.detector import FlowDetector
from flowae.persistence import load_model, save_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("m")
    flows = read_flows(write_botiot_10best(directory / "f.csv", 60, 30))
    detector = FlowDetector(feature_set="paper", epochs=2, k=3, random_state=1).fit(flows)
    save_model(detector, directory / "model")
    return detector, flows, directory / "model"


def _copy(saved, tmp_path):
    import shutil

    target = tmp_path / "model"
    shutil.copytree(saved[2], target)
    return target


def test_round_trip_gives_identical_scores_and_threshold(saved):
    detector, flows, path = saved
    loaded = load_model(path)
    np.testing.assert_array_equal(loaded.score(flows), detector.score(flows))
    assert loaded.threshold_ == detector.threshold_
    assert loaded.k == 3
    assert loaded.feature_names_in_ == detector.feature_names_in_
    assert loaded.layout_.label == detector.layout_.label
    assert loaded.history_.train_loss == detector.history_.train_loss


def test_manifest_records_what_the_issue_lists(saved):
    manifest = json.loads((saved[2] / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert [f["name"] for f in manifest["features"]][:3] == ["pkSeqID", "proto", "saddr"]
    assert "vocabulary" in manifest["features"][1]
    assert {"min", "max", "kind"} <= set(manifest["features"][0])
    assert manifest["threshold"]["k"] == 3
    assert manifest["training"]["seed"] == 1
    assert {"torch", "numpy", "python"} <= set(manifest["libraries"])
    assert len(manifest["weights"]["sha256"]) == 64


def test_only_safetensors_and_json_are_written(saved):
    assert sorted(p.name for p in saved[2].iterdir()) == ["manifest.json", "weights.safetensors"]


def test_loading_does_not_import_torch(saved):
    code = (
        "import sys; from flowae.persistence import load_model; "
        f"load_model({str(saved[2])!r}); print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_altered_weights_are_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    data = bytearray((path / "weights.safetensors").read_bytes())
    data[-5] ^= 0x01
    (path / "weights.safetensors").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="does not match the sha256"):
        load_model(path)


def test_truncated_weights_are_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    data = (path / "weights.safetensors").read_bytes()
    (path / "weights.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="truncated"):
        load_model(path)


def test_edited_manifest_is_refused(saved, tmp_path):
    path = _copy(saved, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["threshold"]["value"] = 0.0
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="edited after it was written"):
        load_model(path)


def test_inconsistent_manifest_with_valid_checksum_is_refused(saved, tmp_path):
    from flowae.persistence import _manifest_digest

    path = _copy(saved, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["features"] = manifest["features"][:-1]
    manifest["manifest_sha256"] = _manifest_digest(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="15 features listed for a 16-input network"):
        load_model(path)


def test_other_format_version_and_missing_pieces(saved, tmp_path):
    path = _copy(saved, tmp_path)
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = 99
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelFileError, match="format version 99"):
        load_model(path)
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)
    (path / "manifest.json").unlink()
    with pytest.raises(ModelFileError, match="manifest.json is missing"):
        load_model(path)
    with pytest.raises(ModelFileError, match="no such model directory"):
        load_model(tmp_path / "nothing")


def test_saving_over_a_non_model_directory_is_refused(saved, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    from flowae.errors import FlowAEError

    with pytest.raises(FlowAEError, match="holds files flowae did not write"):
        save_model(saved[0], precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    save_model(saved[0], tmp_path / "model")
    save_model(saved[0], tmp_path / "model")  # replacing an earlier model is fine
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_flowae_model_round_trips_with_its_calibrated_threshold(tmp_path):
    flows = read_flows(write_botiot_10best(tmp_path / "f.csv", 200, 40))
    from flowae.data.splits import stratified_split

    fit, held_out = stratified_split(flows.is_attack(), 0.2, 0)
    detector = FlowDetector(architecture="flowae", epochs=10).fit(
        flows.take(fit), flows.take(held_out)
    )
    save_model(detector, tmp_path / "model")
    loaded = load_model(tmp_path / "model")
    np.testing.assert_array_equal(loaded.score(flows), detector.score(flows))
    assert loaded.threshold_rule() == detector.threshold_rule()
    assert str(loaded.threshold_rule().policy) == "fpr:0.01"
    assert loaded.encoder_.log_columns_ == detector.encoder_.log_columns_
