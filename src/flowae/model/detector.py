"""Detectors with the scikit-learn outlier contract: fit, score, threshold, predict.

:class:`AutoencoderDetector` works on scaled matrices; :class:`FlowDetector`
adds the feature encoding so it reads flow tables directly. ``__init__`` only
stores arguments; learned state ends in ``_``. Scores are reconstruction
errors (higher = more anomalous); ``k`` can change after fitting without
retraining. Training and scoring run in numpy (torch is the reference training
backend, imported only when asked for).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from flowae.data.encoding import FeatureEncoder, UnseenValues
from flowae.data.layouts import Layout
from flowae.data.reader import FlowTable
from flowae.errors import TrainingError, UsageError
from flowae.model.forward import PAPER_HIDDEN, DenseLayer, reconstruction_error
from flowae.model.recipes import RECIPES
from flowae.model.threshold import (
    CalibratedThreshold,
    MeanStdThreshold,
    Threshold,
    ThresholdPolicy,
)

if TYPE_CHECKING:
    from flowae.model.history import EpochReport, TrainingHistory

log = logging.getLogger(__name__)

SCALE_ON = ("all", "normal")
FEW_NORMAL_ROWS = 20  # below this, training warns that the model rests on little traffic


class AutoencoderDetector:
    """The paper's autoencoder and mean + k * std threshold, on scaled matrices.

    Parameters
    ----------
    hidden : encoder layer sizes; the decoder mirrors them.
    epochs, batch_size, learning_rate : Adam training settings.
    k : threshold = mean + k * std of the training-normal reconstruction error.
    random_state : seed of weight initialisation and batch shuffling.
    backend : 'numpy' (fast, default) or 'torch' (the reference); same arithmetic.
    """

    def __init__(
        self,
        *,
        hidden: Sequence[int] = PAPER_HIDDEN,
        epochs: int = 20,
        batch_size: int = 19,
        learning_rate: float = 0.01,
        k: float = 1.0,
        random_state: int = 0,
        backend: str = "numpy",
        code_activation: str = "relu",
        patience: int | None = None,
    ) -> None:
        self.hidden = tuple(hidden)
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.k = k
        self.random_state = random_state
        self.backend = backend
        self.code_activation = code_activation
        self.patience = patience

    def fit(
        self,
        normal_rows: np.ndarray,
        validation: tuple[np.ndarray, np.ndarray] | None = None,
        on_epoch: Callable[[EpochReport], None] | None = None,
        threshold_rows: np.ndarray | None = None,
    ) -> AutoencoderDetector:
        """Train on ``normal_rows`` (rows x features) and fit the threshold statistics.

        The threshold rests on the errors of the training-normal rows, or of
        ``threshold_rows`` (held-out normal rows, N-BaIoT's rule) when given.
        """
        from flowae.model.training import train_autoencoder  # torch is needed only here

        self.layers_, self.tensors_, self.history_ = train_autoencoder(
            normal_rows,
            hidden=self.hidden,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            seed=self.random_state,
            validation=validation,
            on_epoch=on_epoch,
            backend=self.backend,
            code_activation=self.code_activation,
            patience=self.patience,
        )
        self.n_features_in_ = normal_rows.shape[1]
        if threshold_rows is None:
            self.normal_errors_ = MeanStdThreshold.fit(self.score_samples(normal_rows), self.k)
        else:
            self.normal_errors_ = MeanStdThreshold.fit(
                self.score_samples(threshold_rows), self.k, basis="held-out normal"
            )
        self.calibrated_: CalibratedThreshold | None = None
        return self

    def calibrate(
        self, policy: ThresholdPolicy, held_out_normal: np.ndarray | None = None
    ) -> Threshold:
        """Set the threshold by ``policy`` on held-out normal rows (never training rows);
        a ``meanstd`` policy only sets k on the existing statistics."""
        self._check_fitted()
        if not policy.calibrated:
            self.k = policy.parameter
            self.calibrated_ = None
        elif held_out_normal is None:
            raise UsageError(f"threshold policy {policy} needs held-out normal rows")
        else:
            self.calibrated_ = policy.fit(self.score_samples(held_out_normal))
        return self.threshold_rule()

    @property
    def threshold_(self) -> float:
        """The current threshold (follows ``k``)."""
        return self.threshold_rule().value

    def threshold_rule(self, k: float | None = None) -> Threshold:
        """The threshold in force: the calibrated one if set, else mean + k * std with
        ``self.k``; an explicit ``k`` always gives mean + k * std."""
        self._check_fitted()
        if k is None and getattr(self, "calibrated_", None) is not None:
            assert self.calibrated_ is not None
            return self.calibrated_
        return self.normal_errors_.with_k(self.k if k is None else k)

    def score_samples(self, rows: np.ndarray) -> np.ndarray:
        """Reconstruction error (mean squared error per row), higher = more anomalous."""
        self._check_fitted()
        if rows.ndim != 2 or rows.shape[1] != self.n_features_in_:
            raise UsageError(
                f"expected rows with {self.n_features_in_} features, got {rows.shape[-1]}"
            )
        return reconstruction_error(self.layers_, rows)

    def predict(self, rows: np.ndarray, k: float | None = None) -> np.ndarray:
        """True (attack) where the reconstruction error is above the threshold."""
        return self.threshold_rule(k).predict(self.score_samples(rows))

    def _check_fitted(self) -> None:
        if not hasattr(self, "layers_"):
            raise UsageError("this detector is not trained yet: call fit() or load a model")


class FlowDetector:
    """Feature encoding plus :class:`AutoencoderDetector`, working on flow tables.

    Parameters
    ----------
    feature_set : 'paper' (every non-label column) or 'sound' (identifiers dropped).
    scale_on : fit the encoder (vocabularies, MinMax) on 'all' training rows, as
        the paper scaled its data before separating classes, or on 'normal' rows only.
    architecture : the model recipe (:data:`flowae.model.recipes.RECIPES`): 'paper'
        (``hidden`` as given, threshold from the training-normal errors), 'nbaiot'
        (N-BaIoT: encoder at 75/50/33/25 % of the inputs, threshold statistics
        from the validation rows' normal part) or 'flowae' (log of heavy-tailed
        counts, 32-16-8-4 with a linear code, early stopping, threshold fpr:0.01).
    scale_on, epochs : None takes the recipe's default ('normal'; 20, or 100 at
        most with early stopping).
    threshold : a policy such as 'fpr:0.01' (see
        :class:`~flowae.model.threshold.ThresholdPolicy`); None takes the recipe's.
        Calibrated policies are set on the validation rows' normal part.
    The remaining parameters are those of :class:`AutoencoderDetector`.
    """

    trained_on_: list[dict[str, Any]]  # input files and their sha256, set by persistence

    def __init__(
        self,
        *,
        feature_set: str = "sound",
        scale_on: str | None = None,
        architecture: str = "paper",
        hidden: Sequence[int] | None = None,
        epochs: int | None = None,
        batch_size: int = 19,
        learning_rate: float = 0.01,
        k: float = 1.0,
        threshold: str | None = None,
        random_state: int = 0,
    ) -> None:
        self.feature_set = feature_set
        self.scale_on = scale_on
        self.architecture = architecture
        self.hidden = tuple(hidden) if hidden is not None else None
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.k = k
        self.threshold = threshold
        self.random_state = random_state

    def fit(
        self,
        train: FlowTable,
        validation: FlowTable | None = None,
        on_epoch: Callable[[EpochReport], None] | None = None,
    ) -> FlowDetector:
        """Learn the encoding from ``train``, then train on its normal rows only.

        Rows count as normal when the file has no labels.
        """
        if self.architecture not in RECIPES:
            raise UsageError(
                f"unknown model '{self.architecture}': expected one of " + ", ".join(RECIPES)
            )
        recipe = RECIPES[self.architecture]
        scale_on = self.scale_on or recipe.scale_on or "normal"
        if scale_on not in SCALE_ON:
            raise UsageError(f"scale_on must be one of {SCALE_ON}, got '{scale_on}'")
        text = self.threshold or recipe.threshold
        try:
            policy = ThresholdPolicy.parse(f"meanstd:{self.k!r}" if text == "meanstd" else text)
        except ValueError as error:
            raise UsageError(str(error)) from None
        columns = train.layout.feature_columns(self.feature_set)
        if not columns:
            raise UsageError(
                f"{train.source}: no feature columns left in feature set '{self.feature_set}'"
            )
        is_attack = train.is_attack(unlabelled_as_normal=True)
        normal = train.take(np.flatnonzero(~is_attack))
        if normal.n_rows == 0:
            raise TrainingError(_no_normal_rows_message(train))

        self.layout_: Layout = train.layout
        self.scale_on_ = scale_on
        self.encoder_ = FeatureEncoder(columns, log_heavy_tails=recipe.log_heavy_tails).fit(
            train if scale_on == "all" else normal
        )
        normal_rows, _ = self.encoder_.transform(normal, warn_unseen=False)
        validation_rows = None
        if validation is not None and validation.n_rows:
            matrix, _ = self.encoder_.transform(validation, warn_unseen=False)
            validation_rows = (matrix, validation.is_attack(unlabelled_as_normal=True))
        held_out = None
        if validation_rows is not None and not validation_rows[1].all():
            held_out = validation_rows[0][~validation_rows[1]]
        needs_held_out = [
            why
            for why, needed in (
                (
                    f"the {recipe.name} model's threshold statistics",
                    recipe.meanstd_basis != "training-normal",
                ),
                (f"threshold policy {policy}", policy.calibrated),
                ("early stopping", recipe.patience is not None),
            )
            if needed
        ]
        if needs_held_out and held_out is None:
            raise UsageError(
                f"{train.source}: {', '.join(needs_held_out)} "
                f"{'needs' if len(needs_held_out) == 1 else 'need'} held-out normal rows and the "
                f"validation split has none ({normal.n_rows} normal rows in all); keep a "
                "validation fraction above 0 and give more normal rows"
            )
        self.autoencoder_ = AutoencoderDetector(
            hidden=recipe.hidden(len(columns), self.hidden),
            epochs=self.epochs or recipe.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            k=policy.parameter if not policy.calibrated else self.k,
            random_state=self.random_state,
            code_activation=recipe.code_activation,
            patience=recipe.patience,
        ).fit(
            normal_rows,
            validation_rows,
            on_epoch,
            threshold_rows=held_out if recipe.meanstd_basis != "training-normal" else None,
        )
        if policy.calibrated:
            assert held_out is not None
            self.autoencoder_.calibrate(policy, held_out)
        self.training_rows_ = {"normal": int(normal.n_rows), "attack": int(is_attack.sum())}
        threshold = self.autoencoder_.normal_errors_
        if normal.n_rows < FEW_NORMAL_ROWS:
            log.warning(
                "%s: only %d normal rows to train on: the network and its threshold rest on "
                "very little traffic",
                train.source,
                normal.n_rows,
            )
        calibrated = self.autoencoder_.calibrated_
        if calibrated is not None and calibrated.n_rows < FEW_NORMAL_ROWS:
            log.warning(
                "%s: the threshold %s rests on only %d held-out normal rows",
                train.source,
                calibrated.policy,
                calibrated.n_rows,
            )
        if threshold.std == 0 and calibrated is None:
            log.warning(
                "%s: every %s row has the same reconstruction error, so the threshold is that "
                "error and any other row is flagged (the normal rows are identical or constant)",
                train.source,
                threshold.basis,
            )
        return self

    @property
    def feature_names_in_(self) -> list[str]:
        return self.encoder_.feature_names

    @property
    def history_(self) -> TrainingHistory:
        return self.autoencoder_.history_

    @property
    def threshold_(self) -> float:
        return self.threshold_rule().value

    def threshold_rule(self, k: float | None = None) -> Threshold:
        """The threshold in force (see :meth:`AutoencoderDetector.threshold_rule`)."""
        return self.autoencoder_.threshold_rule(k)

    def transform(
        self, flows: FlowTable, *, warn_unseen: bool = True
    ) -> tuple[np.ndarray, UnseenValues]:
        """The scaled model-input matrix of ``flows`` and its unseen categorical values."""
        self._check_fitted()
        return self.encoder_.transform(flows, warn_unseen=warn_unseen)

    def score(self, flows: FlowTable) -> np.ndarray:
        """Reconstruction error of every row of ``flows``."""
        return self.autoencoder_.score_samples(self.transform(flows)[0])

    def predict(self, flows: FlowTable, k: float | None = None) -> np.ndarray:
        """True (attack) for rows whose error is above the threshold."""
        return self.threshold_rule(k).predict(self.score(flows))

    @property
    def layers_(self) -> list[DenseLayer]:
        return self.autoencoder_.layers_

    def _check_fitted(self) -> None:
        if not hasattr(self, "encoder_"):
            raise UsageError("this detector is not trained yet: call fit() or load a model")


def _no_normal_rows_message(train: FlowTable) -> str:
    label = train.layout.label
    if train.n_rows == 0 or label is None:
        return f"{train.source}: has no rows to train on, expected a header and flow rows"
    seen = sorted({str(v) for v in train.label_values()[:100000]})
    shown = ", ".join(repr(v) for v in seen[:10]) + (" ..." if len(seen) > 10 else "")
    return (
        f"{train.source}: no normal rows to train on: no row has {label.column} = "
        f"{label.normal_value!r} (values seen: {shown}); the autoencoder learns from normal "
        "traffic only, so train on a file with normal rows or name the right label with "
        "--label-column and --normal-value"
    )
