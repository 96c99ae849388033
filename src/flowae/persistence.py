"""Model directories: weights in safetensors plus a JSON manifest; nothing is pickled.

A model directory holds ``weights.safetensors`` (the network's tensors under
their torch names) and ``manifest.json`` (format version, layout, features
with their encodings and MinMax ranges, architecture, threshold, training
configuration and history, library versions, the sha256 of the weights, and
a sha256 of the manifest itself). Loading checks every one of these and
refuses a directory that is incomplete, truncated, edited or of another
format with a :class:`ModelFileError`. The checksums catch damage and
accidental edits; they are not a signature against a deliberate forger.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from flowae import __version__
from flowae.data.encoding import FeatureEncoder
from flowae.data.layouts import LabelSpec, Layout
from flowae.errors import ModelFileError
from flowae.manifest import ManifestError, check_manifest
from flowae.model.detector import AutoencoderDetector, FlowDetector
from flowae.model.forward import layer_plan, layers_from_tensors
from flowae.model.history import TrainingHistory
from flowae.model.threshold import CalibratedThreshold, MeanStdThreshold
from flowae.output import atomic_directory

FORMAT = "flowae-model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
WEIGHTS = "weights.safetensors"
MODEL_FILES = r"manifest\.json|weights\.safetensors"  # what an earlier model directory holds


def save_model(
    detector: FlowDetector, path: str | Path, *, trained_on: list[dict[str, Any]] | None = None
) -> Path:
    """Write ``detector`` to the directory ``path`` atomically; returns the path.

    ``trained_on`` lists the input files (``path``, ``sha256``) for provenance; a
    model rewritten by calibrate keeps the list it had.
    """
    detector._check_fitted()
    path = Path(path)
    autoencoder = detector.autoencoder_
    weights = save_safetensors(
        {
            name: np.ascontiguousarray(t, dtype=np.float32)
            for name, t in autoencoder.tensors_.items()
        }
    )
    names, activations = layer_plan(len(autoencoder.hidden), autoencoder.code_activation)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "flowae_version": __version__,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "layout": {
            "name": detector.layout_.name,
            "label": (
                {
                    "column": detector.layout_.label.column,
                    "normal_value": detector.layout_.label.normal_value,
                }
                if detector.layout_.label
                else None
            ),
            "label_columns": list(detector.layout_.label_columns),
        },
        "feature_set": detector.feature_set,
        **detector.encoder_.to_dict(),
        "architecture": {
            "name": detector.architecture,
            "code_activation": autoencoder.code_activation,
            "n_features": autoencoder.n_features_in_,
            "hidden": list(autoencoder.hidden),
            "layers": [
                {
                    "name": name,
                    "inputs": layer.weight.shape[0],
                    "outputs": layer.weight.shape[1],
                    "activation": activation,
                }
                for name, activation, layer in zip(
                    names, activations, autoencoder.layers_, strict=True
                )
            ],
        },
        "threshold": autoencoder.normal_errors_.with_k(autoencoder.k).to_dict(),
        "calibrated_threshold": (
            autoencoder.calibrated_.to_dict() if autoencoder.calibrated_ is not None else None
        ),
        "training": {
            "epochs": autoencoder.epochs,
            "batch_size": autoencoder.batch_size,
            "learning_rate": autoencoder.learning_rate,
            "seed": autoencoder.random_state,
            "scale_on": detector.scale_on_,
            "early_stopping_patience": autoencoder.patience,
            "rows": detector.training_rows_,
            "history": autoencoder.history_.to_dict(),
            "files": trained_on if trained_on is not None else getattr(detector, "trained_on_", []),
        },
        "libraries": _library_versions(),
        "weights": {
            "file": WEIGHTS,
            "bytes": len(weights),
            "sha256": hashlib.sha256(weights).hexdigest(),
        },
    }
    manifest["manifest_sha256"] = _manifest_digest(manifest)
    with atomic_directory(path, owned=MODEL_FILES) as temporary:
        (temporary / WEIGHTS).write_bytes(weights)
        (temporary / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def load_model(path: str | Path) -> FlowDetector:
    """Read and verify a model directory written by :func:`save_model`."""
    path = Path(path)
    if not path.is_dir():
        raise ModelFileError(
            path,
            "no such model directory"
            if not path.exists()
            else "is not a directory (a model is a directory with manifest.json)",
        )
    manifest = _read_manifest(path)
    weights_info = manifest["weights"]
    weights_path = path / WEIGHTS
    if not weights_path.is_file():
        raise ModelFileError(path, f"{WEIGHTS} is missing")
    data = weights_path.read_bytes()
    if len(data) != weights_info["bytes"]:
        raise ModelFileError(
            path,
            f"{WEIGHTS} has {len(data)} bytes, the manifest says "
            f"{weights_info['bytes']}: the file is truncated or was replaced",
        )
    if hashlib.sha256(data).hexdigest() != weights_info.get("sha256"):
        raise ModelFileError(
            path,
            f"{WEIGHTS} does not match the sha256 in the manifest: "
            "the weights were altered or damaged",
        )
    try:
        tensors = load_safetensors(data)
    except (SafetensorError, ValueError) as error:
        raise ModelFileError(path, f"{WEIGHTS} is not a valid safetensors file ({error})") from None
    try:
        return _build_detector(manifest, tensors)
    except ValueError as error:
        raise ModelFileError(path, f"weights do not fit the manifest: {error}") from None


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise ModelFileError(path, f"{MANIFEST} is missing: not a flowae model directory")
    try:
        manifest = json.loads(
            manifest_path.read_text(encoding="utf-8"),
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as error:
        raise ModelFileError(path, f"{MANIFEST} is not valid JSON ({error})") from None
    except RecursionError:
        raise ModelFileError(path, f"{MANIFEST} is nested too deeply to be a manifest") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelFileError(path, f"{MANIFEST} is not a flowae model manifest")
    version = manifest.get("format_version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise ModelFileError(
            path,
            f"model format version {version!r}; this flowae {__version__} reads version "
            f"{FORMAT_VERSION} (retrain the model or use the flowae that wrote it)",
        )
    if manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise ModelFileError(
            path, f"{MANIFEST} was edited after it was written (its checksum does not match)"
        )
    try:
        check_manifest(manifest, weights_file=WEIGHTS)
    except ManifestError as error:
        raise ModelFileError(path, str(error)) from None
    return manifest


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of the range of a finite number")
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _build_detector(manifest: dict[str, Any], tensors: dict[str, np.ndarray]) -> FlowDetector:
    architecture = manifest["architecture"]
    hidden = [int(h) for h in architecture["hidden"]]
    n_features = int(architecture["n_features"])
    code_activation = str(architecture.get("code_activation", "relu"))
    names, activations = layer_plan(len(hidden), code_activation)
    sizes = [n_features, *hidden, *reversed(hidden[:-1]), n_features]
    expected: dict[str, tuple[int, ...]] = {}
    for i, name in enumerate(names):
        expected[f"{name}.weight"] = (sizes[i + 1], sizes[i])
        expected[f"{name}.bias"] = (sizes[i + 1],)
    if set(tensors) != set(expected):
        raise ValueError(f"weights hold tensors {sorted(tensors)}, expected {sorted(expected)}")
    for name, shape in expected.items():
        tensor = tensors[name]
        if tensor.shape != shape or tensor.dtype != np.float32:
            raise ValueError(
                f"tensor {name} is {tensor.dtype}{list(tensor.shape)}, "
                f"expected float32{list(shape)}"
            )
        if not np.isfinite(tensor).all():
            raise ValueError(f"tensor {name} holds NaN or infinite values")
    features = manifest["features"]
    encoder = FeatureEncoder.from_dict({"features": features})

    training = manifest["training"]
    layout_state = manifest["layout"]
    label = layout_state["label"]
    layout = Layout(
        name=str(layout_state["name"]),
        description="as stored in the model",
        columns=encoder.columns,
        label=LabelSpec(str(label["column"]), str(label["normal_value"])) if label else None,
        label_columns=tuple(str(c) for c in layout_state["label_columns"]),
    )
    threshold = MeanStdThreshold.from_dict(manifest["threshold"])

    autoencoder = AutoencoderDetector(
        hidden=hidden,
        epochs=int(training["epochs"]),
        batch_size=int(training["batch_size"]),
        learning_rate=float(training["learning_rate"]),
        k=threshold.k,
        random_state=int(training["seed"]),
        code_activation=code_activation,
        patience=training["early_stopping_patience"],
    )
    autoencoder.tensors_ = dict(tensors)
    autoencoder.layers_ = layers_from_tensors(tensors, names, activations)
    autoencoder.n_features_in_ = n_features
    autoencoder.normal_errors_ = threshold
    calibrated = manifest["calibrated_threshold"]
    autoencoder.calibrated_ = CalibratedThreshold.from_dict(calibrated) if calibrated else None
    history = training["history"]
    autoencoder.history_ = TrainingHistory(
        [float(v) for v in history["train_loss"]],
        [float(v) for v in history["val_loss"]],
        [float(v) for v in history["val_normal_loss"]],
        history.get("best_epoch"),
    )

    detector = FlowDetector(
        feature_set=str(manifest["feature_set"]),
        scale_on=str(training["scale_on"]),
        architecture=str(architecture["name"]),
        hidden=hidden,
        epochs=autoencoder.epochs,
        batch_size=autoencoder.batch_size,
        learning_rate=autoencoder.learning_rate,
        k=threshold.k,
        random_state=autoencoder.random_state,
    )
    detector.layout_ = layout
    detector.scale_on_ = str(training["scale_on"])
    detector.encoder_ = encoder
    detector.autoencoder_ = autoencoder
    detector.training_rows_ = {k: int(v) for k, v in training["rows"].items()}
    detector.trained_on_ = [dict(f) for f in training["files"]]
    return detector


def _manifest_digest(manifest: dict[str, Any]) -> str:
    content = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("torch", "numpy", "pyarrow", "safetensors", "scikit-learn"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
