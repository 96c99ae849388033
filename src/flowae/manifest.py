"""The model manifest's schema: every field's type, range and consistency.

A manifest is data from disk, so nothing in it is trusted: :func:`check_manifest`
refuses a wrong type (a string for a number, a bool for an integer), a value
out of range (negative k, NaN), or fields that contradict each other (feature
count vs network width, threshold vs mean + k * std). The checksum stored in
the manifest catches accidental edits; this catches everything a checksum
recomputed by hand would let through.
"""

from __future__ import annotations

import math
import re
from typing import Any

from flowae.data.layouts import FEATURE_SETS, Kind
from flowae.model.detector import SCALE_ON
from flowae.model.forward import layer_plan
from flowae.model.recipes import RECIPES
from flowae.model.threshold import BASES, ThresholdPolicy, lognormal_threshold

MAX_LAYER_SIZE = 4096
FEATURE_KINDS = (Kind.NUMBER.value, Kind.PORT.value, Kind.CATEGORY.value)


class ManifestError(ValueError):
    """A manifest field that is missing, of the wrong type or inconsistent."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"manifest field '{where}': {problem}")


def check_manifest(manifest: Any, *, weights_file: str) -> None:
    """Raise :class:`ManifestError` unless ``manifest`` is a complete, consistent manifest."""
    root = _dict(manifest, "(top level)")
    layout = _dict(_get(root, "layout"), "layout")
    _text(_get(layout, "name", "layout"), "layout.name")
    label = _get(layout, "label", "layout")
    if label is not None:
        label = _dict(label, "layout.label")
        _text(_get(label, "column", "layout.label"), "layout.label.column")
        _text(_get(label, "normal_value", "layout.label"), "layout.label.normal_value", empty=True)
    _list(_get(layout, "label_columns", "layout"), "layout.label_columns", _text)
    _choice(_get(root, "feature_set"), "feature_set", tuple(FEATURE_SETS))

    features = _list(_get(root, "features"), "features", _feature, minimum=1)
    names = [feature["name"] for feature in features]
    if len(set(names)) != len(names):
        raise ManifestError("features", "a feature name appears twice")
    labels = set(layout["label_columns"]) | ({label["column"]} if label else set())
    if labels & set(names):
        raise ManifestError(
            "features", f"label column(s) {', '.join(sorted(labels & set(names)))} as features"
        )
    _check_architecture(_dict(_get(root, "architecture"), "architecture"), len(features))
    _check_threshold(_dict(_get(root, "threshold"), "threshold"))
    calibrated = _get(root, "calibrated_threshold")
    if calibrated is not None:
        _check_calibrated(_dict(calibrated, "calibrated_threshold"))
    _check_training(_dict(_get(root, "training"), "training"))
    weights = _dict(_get(root, "weights"), "weights")
    if _get(weights, "file", "weights") != weights_file:
        raise ManifestError("weights.file", f"expected {weights_file!r}")
    _integer(_get(weights, "bytes", "weights"), "weights.bytes", minimum=0)
    digest = _get(weights, "sha256", "weights")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ManifestError("weights.sha256", "expected 64 hexadecimal digits")


def _feature(value: Any, where: str) -> dict[str, Any]:
    feature = _dict(value, where)
    name = _text(_get(feature, "name", where), f"{where}.name")
    where = f"features[{name}]"
    kind = _choice(_get(feature, "kind", where), f"{where}.kind", FEATURE_KINDS)
    if not isinstance(_get(feature, "identifier", where), bool):
        raise ManifestError(f"{where}.identifier", "expected true or false")
    low = _number(_get(feature, "min", where), f"{where}.min")
    high = _number(_get(feature, "max", where), f"{where}.max")
    if low > high:
        raise ManifestError(where, f"min {low} is above max {high}")
    if not math.isfinite(high - low):
        raise ManifestError(where, f"range {low}..{high} is too wide to scale")
    if kind == Kind.CATEGORY.value:
        vocabulary = _list(
            _get(feature, "vocabulary", where), f"{where}.vocabulary", _any_text, minimum=1
        )
        if len(set(vocabulary)) != len(vocabulary):
            raise ManifestError(f"{where}.vocabulary", "a value appears twice")
        if low < 0 or high > len(vocabulary):
            raise ManifestError(where, f"codes {low}..{high} do not fit {len(vocabulary)} values")
    elif "vocabulary" in feature:
        raise ManifestError(f"{where}.vocabulary", f"a {kind} feature has no vocabulary")
    transform = _choice(_get(feature, "transform", where), f"{where}.transform", ("none", "log1p"))
    if transform == "log1p" and (kind != Kind.NUMBER.value or low < 0):
        raise ManifestError(f"{where}.transform", "log1p applies to non-negative numbers only")
    if kind == Kind.PORT.value and (low < -1 or high > 65535):
        raise ManifestError(where, f"port range {low}..{high} is outside -1..65535")
    return feature


def _check_architecture(architecture: dict[str, Any], n_features: int) -> None:
    _choice(_get(architecture, "name", "architecture"), "architecture.name", tuple(RECIPES))
    code = _choice(
        _get(architecture, "code_activation", "architecture"),
        "architecture.code_activation",
        ("relu", "linear"),
    )
    width = _integer(_get(architecture, "n_features", "architecture"), "architecture.n_features")
    if width != n_features:
        raise ManifestError(
            "architecture.n_features", f"{n_features} features listed for a {width}-input network"
        )
    hidden = _list(
        _get(architecture, "hidden", "architecture"),
        "architecture.hidden",
        lambda v, w: _integer(v, w, minimum=1, maximum=MAX_LAYER_SIZE),
        minimum=1,
    )
    names, activations = layer_plan(len(hidden), code)
    sizes = [width, *hidden, *reversed(hidden[:-1]), width]
    layers = _list(_get(architecture, "layers", "architecture"), "architecture.layers", _dict)
    expected = [
        {"name": name, "inputs": sizes[i], "outputs": sizes[i + 1], "activation": activation}
        for i, (name, activation) in enumerate(zip(names, activations, strict=True))
    ]
    if layers != expected:
        raise ManifestError("architecture.layers", "do not match the hidden sizes and activations")


def _check_threshold(threshold: dict[str, Any]) -> None:
    _choice(_get(threshold, "rule", "threshold"), "threshold.rule", ("meanstd",))
    k = _number(_get(threshold, "k", "threshold"), "threshold.k", minimum=0)
    mean = _number(_get(threshold, "mean", "threshold"), "threshold.mean", minimum=0)
    std = _number(_get(threshold, "std", "threshold"), "threshold.std", minimum=0)
    _integer(_get(threshold, "n_rows", "threshold"), "threshold.n_rows", minimum=1)
    _choice(_get(threshold, "basis", "threshold"), "threshold.basis", BASES)
    value = _number(_get(threshold, "value", "threshold"), "threshold.value", minimum=0)
    if not math.isclose(value, mean + k * std, rel_tol=1e-9, abs_tol=1e-12):
        raise ManifestError("threshold.value", f"{value} is not mean + k * std = {mean + k * std}")


def _check_calibrated(threshold: dict[str, Any]) -> None:
    where = "calibrated_threshold"
    known = {"rule", "parameter", "value", "n_rows", "basis", "statistics"}
    if set(threshold) - known:
        raise ManifestError(where, f"unknown field(s) {', '.join(sorted(set(threshold) - known))}")
    rule = _choice(
        _get(threshold, "rule", where), f"{where}.rule", ("quantile", "fpr", "lognormal")
    )
    parameter = _number(_get(threshold, "parameter", where), f"{where}.parameter", minimum=0)
    try:
        ThresholdPolicy.parse(f"{rule}:{parameter!r}")
    except ValueError as error:
        raise ManifestError(f"{where}.parameter", str(error)) from None
    value = _number(_get(threshold, "value", where), f"{where}.value", minimum=0)
    _integer(_get(threshold, "n_rows", where), f"{where}.n_rows", minimum=1, maximum=2**53)
    _choice(_get(threshold, "basis", where), f"{where}.basis", BASES)
    if rule != "lognormal":
        if "statistics" in threshold:
            raise ManifestError(f"{where}.statistics", f"a {rule} threshold keeps no statistics")
        return
    statistics = _dict(_get(threshold, "statistics", where), f"{where}.statistics")
    if set(statistics) != {"log_mean", "log_std"}:
        raise ManifestError(f"{where}.statistics", "expected exactly log_mean and log_std")
    mean = _number(statistics["log_mean"], f"{where}.statistics.log_mean")
    spread = _number(statistics["log_std"], f"{where}.statistics.log_std", minimum=0)
    expected = lognormal_threshold(mean, spread, parameter)
    if not math.isclose(value, expected, rel_tol=1e-9, abs_tol=1e-300):
        raise ManifestError(f"{where}.value", f"{value} does not follow from its statistics")


def _check_training(training: dict[str, Any]) -> None:
    _integer(_get(training, "epochs", "training"), "training.epochs", minimum=1)
    _integer(_get(training, "batch_size", "training"), "training.batch_size", minimum=1)
    rate = _number(_get(training, "learning_rate", "training"), "training.learning_rate")
    if rate <= 0:
        raise ManifestError("training.learning_rate", "expected a positive number")
    _integer(_get(training, "seed", "training"), "training.seed", minimum=0)
    _choice(_get(training, "scale_on", "training"), "training.scale_on", SCALE_ON)
    patience = _get(training, "early_stopping_patience", "training")
    if patience is not None:
        _integer(patience, "training.early_stopping_patience", minimum=1)
    rows = _dict(_get(training, "rows", "training"), "training.rows")
    if set(rows) != {"normal", "attack"}:
        raise ManifestError("training.rows", "expected exactly the keys normal and attack")
    for key in ("normal", "attack"):
        _integer(_get(rows, key, "training.rows"), f"training.rows.{key}", minimum=0)
    for i, entry in enumerate(_list(_get(training, "files", "training"), "training.files", _dict)):
        _text(_get(entry, "path", f"training.files[{i}]"), f"training.files[{i}].path")
        digest = _get(entry, "sha256", f"training.files[{i}]")
        if digest is not None and not (
            isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)
        ):
            raise ManifestError(f"training.files[{i}].sha256", "expected 64 hexadecimal digits")
    history = _dict(_get(training, "history", "training"), "training.history")
    for key in ("train_loss", "val_loss", "val_normal_loss"):
        _list(_get(history, key, "training.history"), f"training.history.{key}", _number)


# --------------------------------------------------------------------------- primitives


def _get(container: dict[str, Any], key: str, where: str = "") -> Any:
    if key not in container:
        raise ManifestError(f"{where}.{key}" if where else key, "is missing")
    return container[key]


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(where, f"expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, where: str, item: Any, minimum: int = 0) -> list[Any]:
    if not isinstance(value, list):
        raise ManifestError(where, f"expected a list, got {type(value).__name__}")
    if len(value) < minimum:
        raise ManifestError(where, f"expected at least {minimum} item(s)")
    return [item(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _text(value: Any, where: str, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value):
        raise ManifestError(where, "expected a non-empty string")
    return value


def _any_text(value: Any, where: str) -> str:
    return _text(value, where, empty=True)


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> str:
    if value not in choices or not isinstance(value, str):
        raise ManifestError(where, f"expected one of {', '.join(choices)}, got {value!r}")
    return value


def _integer(value: Any, where: str, minimum: int | None = None, maximum: int | None = None) -> int:
    if type(value) is not int:
        raise ManifestError(where, f"expected an integer, got {value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ManifestError(where, f"{value} is out of range")
    return value


def _number(value: Any, where: str, minimum: float | None = None) -> float:
    if type(value) not in (int, float) or not math.isfinite(value):
        raise ManifestError(where, f"expected a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ManifestError(where, f"{value} is below {minimum}")
    return float(value)
