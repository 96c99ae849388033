"""The paper's evaluation protocol: two cases, two thresholds, one training per case.

With a training and a test file, the test file is the test set and a seeded,
stratified 20 % of the training file is validation. With one file, a seeded
stratified 64/16/20 split gives training, validation and test rows. Case 1
uses the rows as given; Case 2 keeps all normal rows and as many attack rows
(sampled with the seed) and splits them the same way. The network trains on
the normal rows of the training split only; every threshold is evaluated on
the same trained network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from flowae.data.reader import FlowTable, file_sha256
from flowae.data.splits import balanced_rows, stratified_split
from flowae.errors import TrainingError
from flowae.evaluation.metrics import detection_metrics
from flowae.evaluation.paper import TABLE_1
from flowae.model.detector import FlowDetector
from flowae.model.forward import PAPER_HIDDEN
from flowae.model.history import EpochReport

CASES = ("unbalanced", "balanced")
VALIDATION_FRACTION = 0.2  # of the training file (or of the non-test rows)
TEST_FRACTION = 0.2  # of a single file


@dataclass(frozen=True)
class ProtocolConfig:
    """Everything that decides a protocol run besides the data."""

    epochs: int = 20
    batch_size: int = 19
    learning_rate: float = 0.01
    hidden: tuple[int, ...] = PAPER_HIDDEN
    seed: int = 0
    ks: tuple[float, ...] = (1.0, 3.0)
    feature_set: str = "paper"
    scale_on: str = "all"

    def to_dict(self) -> dict[str, Any]:
        state = asdict(self)
        state["hidden"] = list(self.hidden)
        state["ks"] = list(self.ks)
        state["threshold_rule"] = "mean + k * std of the training-normal reconstruction error"
        return state


@dataclass
class CaseSplit:
    """The training, validation and test rows of one case."""

    train: FlowTable
    validation: FlowTable
    test: FlowTable

    def row_counts(self) -> dict[str, dict[str, int]]:
        return {name: _class_counts(part) for name, part in self.parts().items()}

    def parts(self) -> dict[str, FlowTable]:
        return {"train": self.train, "validation": self.validation, "test": self.test}


@dataclass
class CaseResult:
    """One trained case: the detector, its split, test scores and metrics per threshold."""

    name: str
    split: CaseSplit
    detector: FlowDetector
    test_errors: np.ndarray
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)  # "k=1" -> metrics


def threshold_key(k: float) -> str:
    return f"k={k:g}"


def make_split(
    train_file: FlowTable, test_file: FlowTable | None, *, case: str, seed: int
) -> CaseSplit:
    """Select and split the rows of ``case`` ('unbalanced' or 'balanced')."""
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}")
    train_rows = train_file
    test_rows = test_file
    if case == "balanced":
        train_rows = train_file.take(balanced_rows(train_file.is_attack(), seed))
        if test_file is not None:
            test_rows = test_file.take(balanced_rows(test_file.is_attack(), seed))
    if test_rows is None:
        rest, held_out = stratified_split(train_rows.is_attack(), TEST_FRACTION, seed)
        test_rows = train_rows.take(held_out)
        train_rows = train_rows.take(rest)
    fit, validation = stratified_split(train_rows.is_attack(), VALIDATION_FRACTION, seed + 1)
    return CaseSplit(train_rows.take(fit), train_rows.take(validation), test_rows)


def run_case(
    split: CaseSplit,
    config: ProtocolConfig,
    *,
    name: str,
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> CaseResult:
    """Train on the split's normal training rows and evaluate every ``k`` on its test rows."""
    if not (~split.train.is_attack()).any():
        raise TrainingError(
            f"{name} case: the training split has no normal rows to train on "
            f"({_describe_counts(split.train)})"
        )
    detector = FlowDetector(
        feature_set=config.feature_set,
        scale_on=config.scale_on,
        hidden=config.hidden,
        epochs=config.epochs,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        k=config.ks[0],
        random_state=config.seed,
    ).fit(split.train, split.validation, on_epoch)
    errors = detector.score(split.test)
    truth = split.test.is_attack()
    result = CaseResult(name, split, detector, errors)
    for k in config.ks:
        predicted = detector.threshold_rule(k).predict(errors)
        result.metrics[threshold_key(k)] = detection_metrics(truth, predicted, errors)
    return result


def results_document(
    results: Sequence[CaseResult],
    config: ProtocolConfig,
    data: dict[str, Any],
) -> dict[str, Any]:
    """The JSON-ready ``results.json`` content.

    Shape: ``{"cases": {case: {"k=1": metrics, ...}}, "config": ..., "data": ...,
    "training": {case: history and threshold statistics}, "paper": Table 1}``.
    """
    cases: dict[str, Any] = {}
    training: dict[str, Any] = {}
    rows: dict[str, Any] = {}
    for result in results:
        case_metrics = {}
        for key, metrics in result.metrics.items():
            k = float(key.split("=", 1)[1])
            case_metrics[key] = {
                **metrics,
                "threshold": result.detector.threshold_rule(k).value,
                "paper": TABLE_1.get(result.name, {}).get(key),
            }
        cases[result.name] = case_metrics
        statistics = result.detector.threshold_rule()
        training[result.name] = {
            **result.detector.history_.to_dict(),
            "normal_error_mean": statistics.mean,
            "normal_error_std": statistics.std,
            "normal_rows": statistics.n_rows,
        }
        rows[result.name] = result.split.row_counts()
    return {
        "cases": cases,
        "config": config.to_dict(),
        "data": {**data, "rows": rows},
        "training": training,
        "paper": {"table_1": TABLE_1},
    }


def _class_counts(flows: FlowTable) -> dict[str, int]:
    is_attack = flows.is_attack()
    return {"normal": int((~is_attack).sum()), "attack": int(is_attack.sum())}


def _describe_counts(flows: FlowTable) -> str:
    counts = _class_counts(flows)
    return f"{counts['normal']} normal and {counts['attack']} attack rows"


def reproduce(
    train_file: FlowTable,
    test_file: FlowTable | None,
    config: ProtocolConfig,
    *,
    on_epoch: Callable[[str, EpochReport], None] | None = None,
) -> list[CaseResult]:
    """Run both cases of the protocol; ``on_epoch(case, report)`` follows training."""
    for flows in (train_file, test_file):
        if flows is not None and flows.n_rows == 0:
            raise TrainingError(f"{flows.source}: has a header but no rows")
    if not (~train_file.is_attack()).any():
        counts = _describe_counts(train_file)
        raise TrainingError(
            f"{train_file.source}: no normal rows to train on ({counts}; normal means "
            f"{train_file.layout.label.column} = {train_file.layout.label.normal_value!r})"
            if train_file.layout.label
            else f"{train_file.source}: no normal rows to train on"
        )
    results = []
    for case in CASES:
        split = make_split(train_file, test_file, case=case, seed=config.seed)
        callback = None
        if on_epoch is not None:
            callback = _bind_case(on_epoch, case)
        results.append(run_case(split, config, name=case, on_epoch=callback))
    return results


def _bind_case(
    on_epoch: Callable[[str, EpochReport], None], case: str
) -> Callable[[EpochReport], None]:
    return lambda report: on_epoch(case, report)


def describe_data(
    train_file: FlowTable, test_file: FlowTable | None, config: ProtocolConfig
) -> dict[str, Any]:
    """Provenance of a protocol run: files, checksums, class counts, features, split rule."""
    if test_file is None:
        split = (
            f"one file: seeded stratified split, 20 % test, then 20 % of the rest validation "
            f"(64/16/20), seed {config.seed}"
        )
    else:
        split = (
            f"test file as given; 20 % of the training file (stratified, seed {config.seed}) "
            "is validation"
        )
    return {
        "train": _describe_file(train_file),
        "test": _describe_file(test_file) if test_file is not None else None,
        "features": [c.name for c in train_file.layout.feature_columns(config.feature_set)],
        "split": split,
    }


def _describe_file(flows: FlowTable) -> dict[str, Any]:
    label = flows.layout.label
    return {
        "path": flows.source,
        "sha256": file_sha256(flows.source),
        "rows": flows.n_rows,
        **_class_counts(flows),
        "layout": flows.layout.name,
        "label_column": label.column if label else None,
        "normal_value": label.normal_value if label else None,
    }
