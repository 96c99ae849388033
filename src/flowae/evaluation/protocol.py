"""The paper's evaluation protocol: two cases, two thresholds, repeated over seeds.

With a training and a test file, the test file is the test set and a seeded,
stratified 20 % of the training file is validation. With one file, a seeded
stratified 64/16/20 split gives training, validation and test rows. Case 1
uses the rows as given; Case 2 keeps all normal rows and as many attack rows
(sampled with the seed) and splits them the same way. The network trains on
the normal rows of the training split only; every threshold is evaluated on
the same trained network. The baselines are fitted on the same scaled
training-normal rows and scored on the same test rows.

The whole protocol (splits, sampling, training, baselines) is repeated for
``seeds`` consecutive seeds; the first seed's run is kept whole for figures.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowae.baselines import BASELINES, BaselineDetector
from flowae.data.reader import FlowTable, file_sha256
from flowae.data.sources import is_regular_file
from flowae.data.splits import balanced_rows, stratified_split
from flowae.errors import TrainingError, UsageError
from flowae.evaluation.comparison import compare_case, summarise_comparison, vote_source
from flowae.evaluation.metrics import detection_metrics, roc_auc_or_none
from flowae.evaluation.paper import TABLE_1
from flowae.evaluation.statistics import summarise_runs
from flowae.logs import configure_plain
from flowae.model.detector import FlowDetector
from flowae.model.explain import error_shares
from flowae.model.history import EpochReport
from flowae.model.recipes import RECIPES
from flowae.output import deferred_signals

log = logging.getLogger(__name__)

CASES = ("unbalanced", "balanced")
# Threshold policies the comparison evaluates for every model.
COMPARED_POLICIES = ("meanstd:1", "meanstd:3", "quantile:0.99", "fpr:0.01", "lognormal:0.01")
VALIDATION_FRACTION = 0.2  # of the training file (or of the non-test rows)
TEST_FRACTION = 0.2  # of a single file


@dataclass(frozen=True)
class ProtocolConfig:
    """Everything that decides a protocol run besides the data."""

    epochs: int | None = None  # None: the recipe's (20; flowae at most 100)
    batch_size: int = 19
    learning_rate: float = 0.01
    hidden: tuple[int, ...] | None = None  # None: the model's own sizes
    architecture: str = "paper"
    seed: int = 0
    seeds: int = 5  # repeats with seeds seed, seed + 1, ...
    ks: tuple[float, ...] = (1.0, 3.0)
    feature_set: str = "paper"
    scale_on: str | None = None  # None: the recipe's, else all rows (as the paper)
    baselines: tuple[str, ...] = tuple(BASELINES)
    compare: bool = True  # the comparison of models and threshold policies
    compare_models: tuple[str, ...] = ("paper", "flowae")
    policies: tuple[str, ...] = COMPARED_POLICIES
    vote: str = "auto"  # window of the vote in the comparison: a number, auto or none

    @property
    def seed_list(self) -> list[int]:
        return [self.seed + i for i in range(self.seeds)]

    def for_model(self, model: str) -> ProtocolConfig:
        """This configuration with another model recipe (the recipe's own defaults)."""
        return replace(self, architecture=model)

    @property
    def resolved_epochs(self) -> int:
        return self.epochs or RECIPES[self.architecture].epochs

    @property
    def resolved_scale_on(self) -> str:
        return self.scale_on or RECIPES[self.architecture].scale_on or "all"

    def to_dict(self) -> dict[str, Any]:
        state = asdict(self)
        state["epochs"] = self.resolved_epochs
        state["scale_on"] = self.resolved_scale_on
        state["recipe"] = RECIPES[self.architecture].description
        state["compare_models"] = list(self.compare_models)
        state["policies"] = list(self.policies)
        state["hidden"] = list(self.hidden) if self.hidden is not None else None
        state["ks"] = list(self.ks)
        state["baselines"] = list(self.baselines)
        state["seed_list"] = self.seed_list
        state["threshold_rule"] = (
            "mean + k * std of the reconstruction error of the validation split's normal rows "
            "(N-BaIoT's held-out rule)"
            if self.architecture == "nbaiot"
            else "mean + k * std of the training-normal reconstruction error"
        )
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
    """One case trained with one seed: detectors, test scores and metrics per threshold.

    ``metrics`` and ``baseline_metrics`` map "k=1"-style keys to metric dicts
    (each with its ``threshold``).
    """

    name: str
    seed: int
    split: CaseSplit | None  # None once lightened (seeds that are not plotted)
    detector: FlowDetector
    test_errors: np.ndarray
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    baselines: dict[str, BaselineDetector] = field(default_factory=dict)
    baseline_scores: dict[str, np.ndarray] = field(default_factory=dict)
    baseline_metrics: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # label-like column -> attack value -> {"n_attack": rows, "detected": {"k=1": rows}}
    class_counts: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    baselines_skipped: dict[str, str] = field(default_factory=dict)  # name -> why
    comparison: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    @property
    def rows(self) -> CaseSplit:
        """The split's rows; only the first (plotted) seed keeps them."""
        if self.split is None:
            raise ValueError(f"the rows of seed {self.seed} were not kept")
        return self.split


@dataclass
class ProtocolRun:
    """Every case for every seed; ``results[i]`` holds the cases of seed ``seeds[i]``."""

    config: ProtocolConfig
    seeds: list[int]
    results: list[dict[str, CaseResult]]

    @property
    def first(self) -> dict[str, CaseResult]:
        """The first seed's cases, kept whole (detectors, splits, scores) for figures."""
        return self.results[0]


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
    seed: int | None = None,
    on_epoch: Callable[[EpochReport], None] | None = None,
) -> CaseResult:
    """Train on the split's normal training rows; evaluate every ``k`` and every baseline."""
    seed = config.seed if seed is None else seed
    if not (~split.train.is_attack()).any():
        raise TrainingError(
            f"{name} case: the training split has no normal rows to train on "
            f"({_describe_counts(split.train)}); the data has too few normal rows for the "
            "protocol's split"
        )
    if split.test.n_rows == 0:
        raise TrainingError(
            f"{name} case: the test split is empty; the data has too few rows for the "
            "protocol (the balanced case needs normal rows in the test data too)"
        )
    detector = _fit_detector(split, config, seed, on_epoch)
    test_rows = detector.transform(split.test, warn_unseen=False)[0]
    errors = detector.autoencoder_.score_samples(test_rows)
    truth = split.test.is_attack()
    result = CaseResult(name, seed, split, detector, errors)
    result.metrics = _metrics_per_k(truth, errors, detector.threshold_rule, config.ks)
    result.class_counts = _class_detections(split.test, truth, errors, detector, config.ks)

    normal_train = split.train.take(np.flatnonzero(~split.train.is_attack()))
    normal_rows = detector.transform(normal_train, warn_unseen=False)[0]
    for baseline_name in config.baselines:
        if baseline_name not in BASELINES:
            raise UsageError(
                f"unknown baseline {baseline_name!r}: expected one of {', '.join(BASELINES)}"
            )
        baseline = BASELINES[baseline_name](k=config.ks[0], random_state=seed)
        try:
            baseline.fit(normal_rows)
        except UsageError as error:  # too few (distinct) normal rows for this detector
            result.baselines_skipped[baseline_name] = str(error)
            continue
        scores = baseline.score_samples(test_rows)
        result.baselines[baseline_name] = baseline
        result.baseline_scores[baseline_name] = scores
        result.baseline_metrics[baseline_name] = _metrics_per_k(
            truth, scores, baseline.threshold_rule, config.ks
        )
    if config.compare:
        result.comparison = compare_case(
            split,
            config,
            {config.architecture: detector},
            train=lambda other, validation: _fit_detector(
                replace(split, validation=validation), other, seed, None
            ),
        )
    return result


def _fit_detector(
    split: CaseSplit,
    config: ProtocolConfig,
    seed: int,
    on_epoch: Callable[[EpochReport], None] | None,
) -> FlowDetector:
    return FlowDetector(
        feature_set=config.feature_set,
        scale_on=config.resolved_scale_on,
        architecture=config.architecture,
        hidden=config.hidden,
        epochs=config.resolved_epochs,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        k=config.ks[0],
        random_state=seed,
    ).fit(split.train, split.validation, on_epoch)


MAX_CLASSES = 30  # label-like columns with more distinct attack values are not broken down


def _class_detections(
    test: FlowTable,
    truth: np.ndarray,
    errors: np.ndarray,
    detector: FlowDetector,
    ks: Sequence[float],
) -> dict[str, dict[str, dict[str, Any]]]:
    """Attack test rows and detected ones per value of each label-like column (category,
    subcategory, detailed-label, source file): which kinds of attack the model misses."""
    flagged = {threshold_key(k): detector.threshold_rule(k).predict(errors) for k in ks}
    breakdown: dict[str, dict[str, dict[str, Any]]] = {}
    for column in test.layout.label_columns:
        if column not in test.table.column_names:
            continue
        encoded = pc.dictionary_encode(pc.cast(test.table.column(column), pa.string()))
        encoded = encoded.combine_chunks() if isinstance(encoded, pa.ChunkedArray) else encoded
        codes = encoded.indices.to_numpy(zero_copy_only=False)[truth]
        names = [str(v) for v in encoded.dictionary.to_pylist()]
        present = np.unique(codes)
        if not 2 <= present.size <= MAX_CLASSES:  # one kind says nothing recall does not
            continue
        totals = np.bincount(codes, minlength=len(names))
        hits = {
            key: np.bincount(codes, weights=decisions[truth], minlength=len(names))
            for key, decisions in flagged.items()
        }
        breakdown[column] = {
            names[code]: {
                "n_attack": int(totals[code]),
                "detected": {key: int(counts[code]) for key, counts in hits.items()},
            }
            for code in sorted(present, key=lambda code: names[code])
        }
    return breakdown


def _metrics_per_k(
    truth: np.ndarray,
    scores: np.ndarray,
    rule_for: Callable[[float], Any],
    ks: Sequence[float],
) -> dict[str, dict[str, Any]]:
    metrics = {}
    auc = roc_auc_or_none(truth, scores)  # one ranking, whatever the threshold
    for k in ks:
        rule = rule_for(k)
        metrics[threshold_key(k)] = {
            **detection_metrics(truth, rule.predict(scores), auc=auc),
            "threshold": rule.value,
        }
    return metrics


def reproduce(
    train_file: FlowTable,
    test_file: FlowTable | None,
    config: ProtocolConfig,
    *,
    on_epoch: Callable[[str, EpochReport], None] | None = None,
    jobs: int = 1,
) -> ProtocolRun:
    """Run both cases for every seed; ``on_epoch(task, report)`` follows training.

    With ``jobs`` > 1 the seeds after the first run in that many worker
    processes while this process runs the first one (which is kept whole for
    the figures). Every seed's numbers are the same whichever process ran it.
    """
    if config.seeds < 1:
        raise UsageError(f"seeds must be at least 1, got {config.seeds}")
    for flows in (train_file, test_file):
        if flows is not None and flows.n_rows == 0:
            raise TrainingError(f"{flows.source}: has a header but no rows")
    if not train_file.is_attack().any() and (test_file is None or not test_file.is_attack().any()):
        raise UsageError(
            f"{train_file.source}: no attack rows to evaluate detection on "
            f"({_describe_counts(train_file)}); give attack rows (e.g. --attack FILE)"
        )
    if not (~train_file.is_attack()).any():
        counts = _describe_counts(train_file)
        label = train_file.layout.label
        meaning = f"; normal means {label.column} = {label.normal_value!r}" if label else ""
        raise TrainingError(f"{train_file.source}: no normal rows to train on ({counts}{meaning})")
    first_seed, *other_seeds = config.seed_list
    inputs = (train_file, test_file, config)
    if jobs > 1 and other_seeds:
        with _SeedWorkers(inputs, min(jobs, len(other_seeds)), on_epoch) as workers:
            pending = workers.start(other_seeds)
            first = _run_seed(inputs, first_seed, on_epoch)
            others = pending.get()
    else:
        first = _run_seed(inputs, first_seed, on_epoch)
        others = [_light(_run_seed(inputs, seed, on_epoch)) for seed in other_seeds]
    return ProtocolRun(config, config.seed_list, [first, *others])


Inputs = tuple[FlowTable, "FlowTable | None", ProtocolConfig]


def _run_seed(
    inputs: Inputs, seed: int, on_epoch: Callable[[str, EpochReport], None] | None
) -> dict[str, CaseResult]:
    train_file, test_file, config = inputs
    cases = {}
    for case in CASES:
        split = make_split(train_file, test_file, case=case, seed=seed)
        callback = None
        if on_epoch is not None:
            task = f"seed {seed}, {case}" if config.seeds > 1 else case
            callback = _bind_task(on_epoch, task)
        cases[case] = run_case(split, config, name=case, seed=seed, on_epoch=callback)
    return cases


def _light(cases: dict[str, CaseResult]) -> dict[str, CaseResult]:
    """Drop what only the plotted (first) seed needs: rows, scores, fitted baselines."""
    for result in cases.values():
        result.split = None
        result.test_errors = result.test_errors[:0]
        result.baseline_scores = {}
        result.baselines = {}
    return cases


# A worker's copy of the parsed data and where it sends progress (set once per worker).
_WORKER: dict[str, Any] = {}


def _worker_init(inputs: Inputs, events: Any, log_level: int) -> None:
    configure_plain(log_level)
    _WORKER.update(inputs=inputs, events=events)


def _worker_run(seed: int) -> dict[str, CaseResult]:
    events = _WORKER["events"]
    return _light(_run_seed(_WORKER["inputs"], seed, lambda task, r: events.put((task, r))))


class _SeedWorkers:
    """Worker processes that run seeds and stream their epoch reports back.

    Workers start from a fresh interpreter (spawn): forking a process whose
    thread pools (BLAS, arrow, torch's OpenMP) are in use can hang the child.
    The parsed data reaches each worker once, pickled through arrow's buffers.
    """

    def __init__(
        self,
        inputs: Inputs,
        processes: int,
        on_epoch: Callable[[str, EpochReport], None] | None,
    ) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.events = self.context.Queue()
        with _signals_held():
            self.pool = self.context.Pool(
                processes=processes,
                initializer=_worker_init,
                initargs=(inputs, self.events, logging.getLogger("flowae").getEffectiveLevel()),
            )
        self.on_epoch = on_epoch
        self.stop = threading.Event()
        self.relay = threading.Thread(target=self._relay, name="flowae-progress", daemon=True)
        self.relay.start()

    def start(self, seeds: list[int]) -> Any:
        return self.pool.map_async(_worker_run, seeds, chunksize=1)

    def _relay(self) -> None:
        while not self.stop.is_set():
            try:
                task, report = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            except (EOFError, OSError):
                return
            if self.on_epoch is not None:
                self.on_epoch(task, report)

    def __enter__(self) -> _SeedWorkers:
        return self

    def __exit__(self, kind: object, *exc_info: object) -> None:
        if kind is None:
            self.pool.close()
        else:
            self.pool.terminate()
        self.pool.join()
        self.stop.set()
        self.relay.join()
        self.events.close()
        self.events.join_thread()


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM while worker processes start.

    The workers inherit a blocked SIGINT (a signal mask survives exec), so a
    Ctrl-C reaches only this process, which terminates them, instead of every
    worker printing a traceback from wherever its imports had got to. A signal
    that arrives meanwhile is raised here once the pool exists, so the pool is
    never left half-built with orphaned workers.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with deferred_signals():
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            yield
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _bind_task(
    on_epoch: Callable[[str, EpochReport], None], task: str
) -> Callable[[EpochReport], None]:
    return lambda report: on_epoch(task, report)


def results_document(run: ProtocolRun, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON-ready ``results.json`` content.

    ``{"cases": {case: {"k=1": summary, ...}}, "baselines": {name: {case: {"k=1":
    summary}}}, "config", "data", "training", "paper"}``, where a summary holds
    the metric keys (rates averaged over seeds, counts pooled), their ``std``,
    ``ci95`` for recall and FPR, and the per-seed values.
    """
    cases: dict[str, Any] = {}
    for case in CASES:
        cases[case] = {}
        for key in run.first[case].metrics:
            summary = summarise_runs([r[case].metrics[key] for r in run.results], run.seeds)
            summary["paper"] = TABLE_1.get(case, {}).get(key)
            cases[case][key] = summary
    baselines: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in run.config.baselines:
        reasons = [r[case].baselines_skipped[name] for r in run.results for case in CASES
                   if name in r[case].baselines_skipped]  # fmt: skip
        if reasons:  # could not be fitted in some run: left out of every table
            skipped[name] = reasons[0]
            log.warning("baseline %s left out: %s", name, reasons[0])
            continue
        baselines[name] = {
            "description": BASELINES[name].description,
            **{
                case: {
                    key: summarise_runs(
                        [r[case].baseline_metrics[name][key] for r in run.results], run.seeds
                    )
                    for key in run.first[case].baseline_metrics[name]
                }
                for case in CASES
            },
        }
    comparison: dict[str, Any] = {}
    if run.config.compare:
        comparison = {
            case: summarise_comparison([r[case].comparison for r in run.results], run.seeds)
            for case in CASES
        }
        comparison["vote"] = {case: vote_source(run.first[case].rows) for case in CASES}
    per_class: dict[str, Any] = {
        case: _summarise_classes([r[case].class_counts for r in run.results]) for case in CASES
    }
    first = run.first["unbalanced"]
    shares = error_shares(
        first.detector.layers_, first.detector.transform(first.rows.test, warn_unseen=False)[0]
    )
    attack = first.rows.test.is_attack()
    error_profile = {
        "seed": first.seed,
        "features": first.detector.feature_names_in_,
        "normal": shares[~attack].mean(axis=0).tolist() if (~attack).any() else None,
        "attack": shares[attack].mean(axis=0).tolist() if attack.any() else None,
        "n_normal": int((~attack).sum()),
        "n_attack": int(attack.sum()),
    }
    training: dict[str, Any] = {}
    rows: dict[str, Any] = {}
    for case, result in run.first.items():
        statistics = result.detector.autoencoder_.normal_errors_
        training[case] = {
            **result.detector.history_.to_dict(),
            "hidden": list(result.detector.autoencoder_.hidden),
            "seed": result.seed,
            "normal_error_mean": statistics.mean,
            "normal_error_std": statistics.std,
            "normal_rows": statistics.n_rows,
            "threshold_basis": statistics.basis,
            "final_train_loss_per_seed": [
                r[case].detector.history_.train_loss[-1] for r in run.results
            ],
        }
        rows[case] = result.rows.row_counts()
    return {
        "cases": cases,
        "baselines": baselines,
        "baselines_skipped": skipped,
        "comparison": comparison,
        "per_class": per_class,
        "error_profile": error_profile,
        "config": run.config.to_dict(),
        "data": {**data, "rows": rows},
        "training": training,
        "paper": {"table_1": TABLE_1},
    }


def _summarise_classes(
    runs: list[dict[str, dict[str, dict[str, Any]]]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per label-like column and attack value: attack test rows and recall per k, pooled
    over the seeds (detected rows over attack rows)."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for counts in runs:
        for column, values in counts.items():
            for value, entry in values.items():
                pooled = summary.setdefault(column, {}).setdefault(
                    value, {"n_attack": 0, "detected": {}}
                )
                pooled["n_attack"] += entry["n_attack"]
                for key, hits in entry["detected"].items():
                    pooled["detected"][key] = pooled["detected"].get(key, 0) + hits
    for values in summary.values():
        for entry in values.values():
            entry["recall"] = {
                key: hits / entry["n_attack"] if entry["n_attack"] else None
                for key, hits in entry["detected"].items()
            }
            entry["n_runs"] = len(runs)
    return summary


def describe_data(
    train_file: FlowTable, test_file: FlowTable | None, config: ProtocolConfig
) -> dict[str, Any]:
    """Provenance of a protocol run: files, checksums, class counts, features, split rule."""
    seeds = ", ".join(str(s) for s in config.seed_list)
    if test_file is None:
        what = "the files labelled by name, together" if train_file.files else "one file"
        split = (
            f"{what}: seeded stratified split, 20 % test, then 20 % of the rest validation "
            f"(64/16/20), repeated with seeds {seeds}"
        )
    else:
        split = (
            "test file as given; 20 % of the training file (stratified) is validation, "
            f"repeated with seeds {seeds}"
        )
    return {
        "train": _describe_file(train_file),
        "test": _describe_file(test_file) if test_file is not None else None,
        "features": [c.name for c in train_file.layout.feature_columns(config.feature_set)],
        "identifier_features": [
            c.name for c in train_file.layout.feature_columns(config.feature_set) if c.identifier
        ],
        "split": split,
    }


def _describe_file(flows: FlowTable) -> dict[str, Any]:
    label = flows.layout.label
    files = [
        {**part, "sha256": file_sha256(part["path"]) if is_regular_file(part["path"]) else None}
        for part in flows.file_counts()
    ]
    return {
        "path": flows.source,
        "sha256": files[0]["sha256"] if len(files) == 1 else None,  # per file, in "files"
        **({"files": files} if flows.files else {}),
        "rows": flows.n_rows,
        **_class_counts(flows),
        "layout": flows.layout.name,
        "label_column": label.column if label else None,
        "normal_value": label.normal_value if label else None,
    }


def _class_counts(flows: FlowTable) -> dict[str, int]:
    is_attack = flows.is_attack()
    return {"normal": int((~is_attack).sum()), "attack": int(is_attack.sum())}


def _describe_counts(flows: FlowTable) -> str:
    counts = _class_counts(flows)
    return f"{counts['normal']} normal and {counts['attack']} attack rows"


def feature_set_summary(run: ProtocolRun, flows: FlowTable) -> dict[str, Any]:
    """The autoencoder's summaries per case and threshold, for the side-by-side table."""
    columns = flows.layout.feature_columns(run.config.feature_set)
    return {
        "features": [c.name for c in columns],
        "identifier_features": [c.name for c in columns if c.identifier],
        "cases": {
            case: {
                key: summarise_runs([r[case].metrics[key] for r in run.results], run.seeds)
                for key in run.first[case].metrics
            }
            for case in CASES
        },
    }
