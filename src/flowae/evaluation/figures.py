"""The paper's figures (4-11) and ROC, precision-recall and confusion plots, as PNG files.

Every figure is drawn from the first seed's run (the one kept whole). Uses
matplotlib's object API with the Agg canvas: no pyplot state, no display.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from flowae.baselines import BASELINE_TITLES
from flowae.evaluation.paper import CASE_TITLES
from flowae.evaluation.protocol import CASES, CaseResult, ProtocolRun, threshold_key
from flowae.model.forward import reconstruct

MAX_POINTS_PER_CLASS = 5000  # per-row error plots subsample larger test sets (seeded)
NORMAL_COLOUR, ATTACK_COLOUR = "#1f77b4", "#d62728"


@dataclass(frozen=True)
class FigureFile:
    """A written figure: its file name, a title and what it shows."""

    filename: str
    title: str
    caption: str


def write_figures(run: ProtocolRun, directory: Path) -> list[FigureFile]:
    """Draw every figure of the report into ``directory``; returns them in report order."""
    case1 = run.first[CASES[0]]
    normal_row, attack_row = _representative_rows(case1)
    figures = [
        _record_values(case1, normal_row, "fig04_normal_record.png", "normal"),
        _record_values(case1, attack_row, "fig05_attack_record.png", "attack"),
        _reconstruction(case1, normal_row, "fig06_normal_reconstruction.png", "normal"),
        _reconstruction(case1, attack_row, "fig07_attack_reconstruction.png", "attack"),
        _row_errors(case1, run.config.ks, "fig08_errors.png", with_thresholds=False),
        _row_errors(case1, run.config.ks, "fig09_errors_thresholds.png", with_thresholds=True),
        _losses(run.first[CASES[0]], "fig10_loss_unbalanced.png"),
        _losses(run.first[CASES[1]], "fig11_loss_balanced.png"),
        _curves(run, "roc.png", kind="roc"),
        _curves(run, "precision_recall.png", kind="pr"),
        _confusions(run, "confusion.png"),
    ]
    for figure, file in figures:
        figure.savefig(directory / file.filename, dpi=110, bbox_inches="tight")
    return [file for _, file in figures]


def _representative_rows(result: CaseResult) -> tuple[int, int]:
    """Positions of the test normal and attack rows with the median error of their class."""
    truth = result.rows.test.is_attack()
    chosen = []
    for label in (False, True):
        members = np.flatnonzero(truth == label)
        if members.size == 0:
            chosen.append(-1)
            continue
        order = members[np.argsort(result.test_errors[members], kind="stable")]
        chosen.append(int(order[order.size // 2]))
    return chosen[0], chosen[1]


def _record_values(
    result: CaseResult, position: int, filename: str, kind: str
) -> tuple[Figure, FigureFile]:
    figure = Figure(figsize=(8, 3.6))
    axes = figure.subplots()
    names = result.detector.feature_names_in_
    if position >= 0:
        values = result.detector.transform(result.rows.test.take(np.array([position])))[0][0]
        colour = NORMAL_COLOUR if kind == "normal" else ATTACK_COLOUR
        axes.bar(range(len(names)), values, color=colour)
        row = int(result.rows.test.row_numbers[position])
        axes.set_title(f"Scaled feature values of one {kind} test record (input row {row})")
    else:
        axes.set_title(f"No {kind} test record in this case")
    _feature_axis(axes, names)
    axes.set_ylabel("MinMax-scaled value")
    number = filename[3:5]
    return figure, FigureFile(
        filename,
        f"Figure {int(number)}: one {kind} record",
        f"The model inputs of the {kind} test row with the median reconstruction error of its "
        "class (Case 1, first seed), after MinMax scaling. Values above 1 lie outside the "
        "training range.",
    )


def _reconstruction(
    result: CaseResult, position: int, filename: str, kind: str
) -> tuple[Figure, FigureFile]:
    figure = Figure(figsize=(8, 3.6))
    axes = figure.subplots()
    names = result.detector.feature_names_in_
    if position >= 0:
        inputs = result.detector.transform(result.rows.test.take(np.array([position])))[0]
        output = reconstruct(result.detector.layers_, inputs)[0]
        x = np.arange(len(names))
        axes.bar(x - 0.2, inputs[0], width=0.4, label="input", color="#7f7f7f")
        colour = NORMAL_COLOUR if kind == "normal" else ATTACK_COLOUR
        axes.bar(x + 0.2, output, width=0.4, label="reconstruction", color=colour)
        error = float(np.mean((inputs[0] - output) ** 2))
        axes.set_title(f"Reconstruction of one {kind} test row (error {error:.3g})")
        axes.legend(loc="upper right")
    _feature_axis(axes, names)
    axes.set_ylabel("MinMax-scaled value")
    number = filename[3:5]
    return figure, FigureFile(
        filename,
        f"Figure {int(number)}: reconstruction of one {kind} row",
        f"Input and autoencoder output per feature for the same {kind} row as above; the "
        "reconstruction error is the mean squared difference.",
    )


def _feature_axis(axes, names: list[str]) -> None:  # type: ignore[no-untyped-def]
    axes.set_xticks(range(len(names)))
    axes.set_xticklabels(names, rotation=60, ha="right", fontsize=8)
    axes.set_xlabel("feature")


def _row_errors(
    result: CaseResult, ks: tuple[float, ...], filename: str, *, with_thresholds: bool
) -> tuple[Figure, FigureFile]:
    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    truth = result.rows.test.is_attack()
    rng = np.random.default_rng(0)
    shown = {}
    for label, name, colour in ((False, "normal", NORMAL_COLOUR), (True, "attack", ATTACK_COLOUR)):
        errors = result.test_errors[truth == label]
        if errors.size > MAX_POINTS_PER_CLASS:
            errors = rng.choice(errors, MAX_POINTS_PER_CLASS, replace=False)
        shown[name] = errors.size
        axes.scatter(
            np.arange(errors.size),
            np.maximum(errors, 1e-12),
            s=4,
            alpha=0.5,
            color=colour,
            label=f"{name} ({int((truth == label).sum())} rows)",
        )
    if with_thresholds:
        for k, style in zip(ks, ("--", ":", "-."), strict=False):
            value = result.detector.threshold_rule(k).value
            axes.axhline(value, color="black", linestyle=style, label=f"mean + {k:g} std")
    axes.set_yscale("log")
    axes.set_xlabel("test row (in file order within its class)")
    axes.set_ylabel("reconstruction error (log scale)")
    axes.legend(loc="upper right", fontsize=8, markerscale=3)
    title = "with the thresholds" if with_thresholds else "normal vs attack"
    axes.set_title(f"Reconstruction error per test row, {title} (Case 1)")
    sampled = any(shown[name] < n for name, n in _class_sizes(truth).items())
    note = f" At most {MAX_POINTS_PER_CLASS} rows per class are drawn." if sampled else ""
    return figure, FigureFile(
        filename,
        "Figure 9: the thresholds" if with_thresholds else "Figure 8: error per row",
        "Reconstruction error of every test row of Case 1 (first seed), log scale"
        + (
            ", with the thresholds mean + k std of the training-normal errors."
            if with_thresholds
            else "."
        )
        + note,
    )


def _class_sizes(truth: np.ndarray) -> dict[str, int]:
    return {"normal": int((~truth).sum()), "attack": int(truth.sum())}


def _losses(result: CaseResult, filename: str) -> tuple[Figure, FigureFile]:
    figure = Figure(figsize=(7, 3.8))
    axes = figure.subplots()
    history = result.detector.history_
    epochs = np.arange(1, len(history.train_loss) + 1)
    axes.plot(epochs, history.train_loss, marker="o", label="training (normal rows)")
    if history.val_loss:
        axes.plot(epochs, history.val_loss, marker="s", label="validation (all rows)")
    if history.val_normal_loss:
        axes.plot(epochs, history.val_normal_loss, marker="^", label="validation (normal rows)")
    axes.set_yscale("log")
    axes.set_xlabel("epoch")
    axes.set_ylabel("MSE loss (log scale)")
    axes.legend(fontsize=8)
    axes.set_title(f"Training and validation loss, {CASE_TITLES[result.name].split(' (')[0]}")
    number = 10 if result.name == CASES[0] else 11
    return figure, FigureFile(
        filename,
        f"Figure {number}: losses, {CASE_TITLES[result.name].split(' (')[0]}",
        "Loss per epoch on the training-normal rows, the whole validation subset and its "
        "normal rows (first seed).",
    )


def _curves(run: ProtocolRun, filename: str, *, kind: str) -> tuple[Figure, FigureFile]:
    figure = Figure(figsize=(11, 4.4))
    panels = figure.subplots(1, len(CASES))
    for axes, case in zip(panels, CASES, strict=True):
        result = run.first[case]
        truth = result.rows.test.is_attack()
        scores = {"autoencoder": result.test_errors, **result.baseline_scores}
        both_classes = 0 < truth.sum() < truth.size
        for name, values in scores.items():
            label = BASELINE_TITLES.get(name, name)
            if not both_classes:
                continue
            if kind == "roc":
                fpr, tpr, _ = roc_curve(truth, values)
                axes.plot(fpr, tpr, label=label, linewidth=2 if name == "autoencoder" else 1)
            else:
                precision, recall, _ = precision_recall_curve(truth, values)
                axes.plot(
                    recall, precision, label=label, linewidth=2 if name == "autoencoder" else 1
                )
        if kind == "roc":
            axes.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
            axes.set_xlabel("false-positive rate")
            axes.set_ylabel("true-positive rate (recall)")
        else:
            axes.set_xlabel("recall")
            axes.set_ylabel("precision")
        axes.set_title(
            CASE_TITLES[case].split(" (")[0] + ("" if both_classes else ": needs both classes")
        )
        axes.legend(fontsize=7, loc="lower right" if kind == "roc" else "lower left")
    title = "ROC curves" if kind == "roc" else "Precision-recall curves"
    return figure, FigureFile(
        filename,
        title,
        f"{title} of the autoencoder and the baselines on the test rows (first seed).",
    )


def _confusions(run: ProtocolRun, filename: str) -> tuple[Figure, FigureFile]:
    ks = run.config.ks
    figure = Figure(figsize=(3.2 * len(ks), 3.0 * len(CASES)))
    grid = np.atleast_2d(figure.subplots(len(CASES), len(ks), squeeze=False))
    for i, case in enumerate(CASES):
        for j, k in enumerate(ks):
            m = run.first[case].metrics[threshold_key(k)]
            matrix = np.array([[m["tn"], m["fp"]], [m["fn"], m["tp"]]])
            axes = grid[i, j]
            axes.imshow(matrix, cmap="Blues")
            for (r, c), value in np.ndenumerate(matrix):
                axes.text(
                    c,
                    r,
                    str(value),
                    ha="center",
                    va="center",
                    color="white" if value > matrix.max() / 2 else "black",
                )
            axes.set_xticks([0, 1], ["normal", "attack"])
            axes.set_yticks([0, 1], ["normal", "attack"])
            axes.set_xlabel("predicted")
            axes.set_ylabel("true")
            axes.set_title(f"{CASE_TITLES[case].split(' (')[0]}, mean + {k:g} std", fontsize=9)
    figure.tight_layout()
    return figure, FigureFile(
        filename,
        "Confusion matrices",
        "Autoencoder verdicts on the test rows per case and threshold (first seed).",
    )
