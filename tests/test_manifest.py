import json
import shutil

import pytest
from helpers import write_botiot_10best

from flowae.data.reader import read_flows
from flowae.errors import ModelFileError
from flowae.model.detector import FlowDetector
from flowae.persistence import _manifest_digest, load_model, save_model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("manifest")
    flows = read_flows(write_botiot_10best(directory / "f.csv", 40, 20))
    save_model(FlowDetector(feature_set="paper", epochs=1).fit(flows), directory / "model")
    return directory / "model"


def _edit(saved, tmp_path, change, recompute=True):
    target = tmp_path / "model"
    shutil.copytree(saved, target)
    manifest = json.loads((target / "manifest.json").read_text())
    change(manifest)
    if recompute:
        manifest["manifest_sha256"] = _manifest_digest(manifest)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def _set(path, value):
    def change(manifest):
        node = manifest
        *parents, last = path
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _feature(index, key, value):
    def change(manifest):
        manifest["features"][index][key] = value

    return change


# Each edit keeps a valid checksum: only the schema can catch it.
EDITS = [
    (_set(["threshold", "k"], -5), "threshold.k"),
    (_set(["threshold", "mean"], -1), "threshold.mean"),
    (_set(["threshold", "value"], 123.0), "threshold.value"),
    (_set(["threshold", "rule"], "quantile"), "threshold.rule"),
    (_set(["threshold", "mean"], 1e308), "threshold.value"),
    (_set(["architecture", "n_features"], "16"), "architecture.n_features"),
    (_set(["architecture", "n_features"], 16.0), "architecture.n_features"),
    (_set(["architecture", "hidden"], ["12", 8, 5, 2]), "architecture.hidden[0]"),
    (_set(["format_version"], True), "format version True"),
    (_set(["training", "seed"], 1.5), "training.seed"),
    (_set(["training", "epochs"], -3), "training.epochs"),
    (_set(["training", "rows"], None), "training.rows"),
    (_set(["feature_set"], "bogus"), "feature_set"),
    (_feature(1, "vocabulary", "abc"), "features[proto].vocabulary"),
    (_feature(1, "vocabulary", []), "features[proto].vocabulary"),
    (_feature(0, "kind", "auto"), "features[pkSeqID].kind"),
    (_feature(0, "kind", "category"), "features[pkSeqID].vocabulary"),
    (_feature(3, "min", -7), "features[sport]"),
    (_feature(2, "name", "pkSeqID"), "appears twice"),
    # found by a hostile review: each of these loaded, then crashed on use
    (_set(["training", "rows", "x"], [1]), "training.rows"),
    (_feature(2, "name", "attack"), "label column(s) attack as features"),
    (_set(["layout", "label", "column"], "mean"), "label column(s) mean as features"),
    (_set(["layout", "label_columns"], ["mean"]), "label column(s) mean as features"),
    (lambda m: m["features"][6].update(min=-1.7e308, max=1.7e308), "too wide to scale"),
]


@pytest.mark.parametrize(("change", "field"), EDITS, ids=[e[1] for e in EDITS])
def test_schema_refuses_what_a_recomputed_checksum_lets_through(saved, tmp_path, change, field):
    with pytest.raises(ModelFileError) as caught:
        load_model(_edit(saved, tmp_path, change))
    assert field in str(caught.value)


def test_nan_and_infinity_are_not_json(saved, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(saved, target)
    text = (target / "manifest.json").read_text()
    (target / "manifest.json").write_text(text.replace('"std": ', '"std": NaN, "x": ', 1))
    with pytest.raises(ModelFileError, match="NaN is not a number JSON allows"):
        load_model(target)


def test_absurdly_nested_manifest(saved, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(saved, target)
    (target / "manifest.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(ModelFileError, match="nested too deeply|not a flowae model manifest"):
        load_model(target)


def test_the_written_manifest_passes_its_own_schema(saved):
    assert load_model(saved).threshold_ > 0


def test_a_number_too_large_for_a_float_is_refused(saved, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(saved, target)
    text = (target / "manifest.json").read_text()
    (target / "manifest.json").write_text(text.replace('"max": ', '"max": 1e400, "_": ', 1))
    with pytest.raises(ModelFileError, match="not valid JSON .*1e400 is out of the range"):
        load_model(target)


def test_a_calibrated_lognormal_threshold_must_follow_from_its_statistics(tmp_path):
    from flowae.data.splits import stratified_split

    flows = read_flows(write_botiot_10best(tmp_path / "f.csv", 80, 20))
    fit, held_out = stratified_split(flows.is_attack(), 0.3, 0)
    detector = FlowDetector(epochs=1, threshold="lognormal:0.01").fit(
        flows.take(fit), flows.take(held_out)
    )
    save_model(detector, tmp_path / "model")
    for change, fragment in [
        (lambda m: m["calibrated_threshold"].update(parameter=0.02), "does not follow"),
        (lambda m: m["calibrated_threshold"]["statistics"].update(log_std=-5), "log_std"),
        (lambda m: m["calibrated_threshold"].update(extra=1), "unknown field"),
        (lambda m: m["calibrated_threshold"].update(statistics={}), "log_mean and log_std"),
    ]:
        target = _edit(tmp_path / "model", tmp_path / str(len(fragment)), change)
        with pytest.raises(ModelFileError, match=fragment):
            load_model(target)
