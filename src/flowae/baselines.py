"""Other unsupervised detectors behind the autoencoder's contract, for comparison.

Every baseline is fitted on the same scaled training-normal rows as the
autoencoder, returns a raw anomaly score (higher = more anomalous) from
``score_samples``, and decides with the autoencoder's rule: threshold =
mean + k * std of its scores on the training-normal rows (held out from the
model where it allows it), so a baseline at k = 1 or 3 is directly
comparable with the autoencoder at the same k.
All models come from scikit-learn; randomness comes from ``random_state``.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

import numpy as np
from threadpoolctl import threadpool_limits

from flowae.errors import UsageError
from flowae.model.threshold import MeanStdThreshold

if TYPE_CHECKING:
    from sklearn.neighbors import LocalOutlierFactor

# scikit-learn is imported where a baseline is fitted: the command line (and scoring)
# should not pay for it at start-up.

OCSVM_MAX_ROWS = 10_000  # One-Class SVM training is quadratic in rows: subsample above this


class BaselineDetector(ABC):
    """Shared contract: fit on normal rows, score, threshold, predict."""

    name: str = ""
    description: str = ""

    def __init__(self, *, k: float = 1.0, random_state: int = 0) -> None:
        self.k = k
        self.random_state = random_state

    def fit(self, normal_rows: np.ndarray) -> BaselineDetector:
        """Fit the model and the threshold statistics on ``normal_rows`` (scaled)."""
        if normal_rows.ndim != 2 or normal_rows.shape[0] < 2:
            raise UsageError(f"{self.name}: needs at least 2 normal rows to fit")
        rows = np.asarray(normal_rows, dtype=np.float64)
        self.n_features_in_ = rows.shape[1]
        # Normal rows are few: multithreaded BLAS on such small matrices is ~10x slower.
        with threadpool_limits(limits=1):
            training_scores = self._fit(rows)
        self.normal_scores_ = MeanStdThreshold.fit(training_scores, self.k)
        return self

    def score_samples(self, rows: np.ndarray) -> np.ndarray:
        """Anomaly score per row, higher = more anomalous."""
        self._check_fitted()
        if rows.ndim != 2 or rows.shape[1] != self.n_features_in_:
            raise UsageError(
                f"{self.name}: expected rows with {self.n_features_in_} features, "
                f"got {rows.shape[-1]}"
            )
        return self._score(np.asarray(rows, dtype=np.float64))

    def threshold_rule(self, k: float | None = None) -> MeanStdThreshold:
        self._check_fitted()
        return self.normal_scores_.with_k(self.k if k is None else k)

    @property
    def threshold_(self) -> float:
        return self.threshold_rule().value

    def predict(self, rows: np.ndarray, k: float | None = None) -> np.ndarray:
        return self.threshold_rule(k).predict(self.score_samples(rows))

    def _check_fitted(self) -> None:
        if not hasattr(self, "normal_scores_"):
            raise UsageError(f"{self.name}: not fitted yet; call fit() first")

    @abstractmethod
    def _fit(self, rows: np.ndarray) -> np.ndarray:
        """Fit on normal rows; return their anomaly scores (held out from themselves
        where the model allows it)."""

    @abstractmethod
    def _score(self, rows: np.ndarray) -> np.ndarray: ...


class IsolationForestDetector(BaselineDetector):
    name = "isolation_forest"
    description = (
        "Isolation Forest (scikit-learn, 100 trees, 256 rows per tree); score = minus "
        "score_samples (shorter isolation paths score higher)"
    )

    def _fit(self, rows: np.ndarray) -> np.ndarray:
        from sklearn.ensemble import IsolationForest

        self.model_ = IsolationForest(n_estimators=100, random_state=self.random_state)
        self.model_.fit(rows)
        return self._score(rows)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return -self.model_.score_samples(rows)


class LocalOutlierFactorDetector(BaselineDetector):
    name = "lof"
    description = (
        "Local Outlier Factor in novelty mode (scikit-learn, 20 neighbours) fitted on the "
        "distinct normal rows (exact duplicates make local densities infinite); score = the "
        "local outlier factor; training-normal scores leave each row out of its own "
        "neighbourhood"
    )

    def _fit(self, rows: np.ndarray) -> np.ndarray:
        self.model_, training_scores = _lof(rows)
        return training_scores

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return _lof_scores(self.model_, rows)


class OneClassSVMDetector(BaselineDetector):
    name = "ocsvm"
    description = (
        "One-Class SVM (scikit-learn, RBF kernel, gamma 'scale', nu 0.05; at most "
        f"{OCSVM_MAX_ROWS} training rows, sampled with the seed); score = minus the "
        "decision function"
    )

    def _fit(self, rows: np.ndarray) -> np.ndarray:
        if rows.shape[0] > OCSVM_MAX_ROWS:
            rng = np.random.default_rng(self.random_state)
            rows = rows[rng.choice(rows.shape[0], OCSVM_MAX_ROWS, replace=False)]
        from sklearn.svm import OneClassSVM

        self.model_ = OneClassSVM(kernel="rbf", gamma="scale", nu=0.05)
        self.model_.fit(rows)
        return self._score(rows)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return -self.model_.decision_function(rows)


class PCADetector(BaselineDetector):
    name = "pca"
    description = (
        "PCA reconstruction error (scikit-learn, 2 components like the autoencoder's code "
        "layer); score = mean squared error per row, as for the autoencoder"
    )

    def _fit(self, rows: np.ndarray) -> np.ndarray:
        components = min(2, rows.shape[1], rows.shape[0])
        from sklearn.decomposition import PCA

        self.model_ = PCA(n_components=components, random_state=self.random_state)
        self.model_.fit(rows)
        return self._score(rows)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        reconstructed = self.model_.inverse_transform(self.model_.transform(rows))
        return np.mean((rows - reconstructed) ** 2, axis=1)


class GMMLOFDetector(BaselineDetector):
    name = "gmm_lof"
    description = (
        "GMM + LOF in the spirit of Alkadi et al. 2019 (not their code): a Gaussian mixture "
        "(full covariance, 1-4 components chosen by BIC) fitted on the normal rows gives a "
        "negative log-likelihood per row, a Local Outlier Factor (20 neighbours, novelty "
        "mode, distinct rows) gives a local outlier factor; each is standardised by its "
        "mean and std on the training-normal rows and the score is their average"
    )

    def _fit(self, rows: np.ndarray) -> np.ndarray:
        from sklearn.mixture import GaussianMixture

        candidates = [
            GaussianMixture(
                n_components=components,
                covariance_type="full",
                reg_covar=1e-6,
                random_state=self.random_state,
            ).fit(rows)
            for components in range(1, min(4, rows.shape[0]) + 1)
        ]
        self.mixture_ = min(candidates, key=lambda mixture: mixture.bic(rows))
        self.lof_, lof = _lof(rows)
        nll = -self.mixture_.score_samples(rows)
        self.standardise_ = (nll.mean(), _nonzero(nll.std()), lof.mean(), _nonzero(lof.std()))
        return self._combine(nll, lof)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return self._combine(-self.mixture_.score_samples(rows), _lof_scores(self.lof_, rows))

    def _combine(self, nll: np.ndarray, lof: np.ndarray) -> np.ndarray:
        nll_mean, nll_std, lof_mean, lof_std = self.standardise_
        return ((nll - nll_mean) / nll_std + (lof - lof_mean) / lof_std) / 2


class NBaIoTAutoencoderDetector(BaselineDetector):
    name = "nbaiot_ae"
    description = (
        "N-BaIoT's autoencoder (Meidan et al. 2018) as flowae builds it: encoder layers at "
        "75/50/33/25 % of the inputs (rounded up), decoder mirrored, ReLU hidden layers and "
        "sigmoid output, Adam lr 0.01, MSE, 20 epochs, batch size 19; trained on half of the "
        "normal rows (chosen with the seed), its threshold statistics taken from the "
        "reconstruction errors of the other half, as N-BaIoT sets its threshold on a "
        "held-out normal set (DS_opt); score = reconstruction error"
    )

    def _fit(self, rows: np.ndarray) -> np.ndarray:
        from flowae.model.detector import AutoencoderDetector
        from flowae.model.forward import nbaiot_hidden

        order = np.random.default_rng(self.random_state).permutation(rows.shape[0])
        half = rows.shape[0] // 2
        train, held_out = rows[order[half:]], rows[order[:half]]
        self.model_ = AutoencoderDetector(
            hidden=nbaiot_hidden(rows.shape[1]), random_state=self.random_state
        ).fit(train.astype(np.float32))
        return self._score(held_out)

    def _score(self, rows: np.ndarray) -> np.ndarray:
        return self.model_.score_samples(rows.astype(np.float32)).astype(np.float64)


def _lof(rows: np.ndarray) -> tuple[LocalOutlierFactor, np.ndarray]:
    """LOF fitted on the distinct rows, and the leave-self-out factor of every input row.

    Exact duplicates give zero reachability distances and so infinite local
    densities, which makes the factors of their neighbours explode. The LOF
    and GMM + LOF baselines fit the same rows: the last fit is reused.
    """
    from sklearn.neighbors import LocalOutlierFactor

    key = _digest(rows)
    if _LAST_LOF.get("key") == key:
        return _LAST_LOF["model"], _LAST_LOF["training_scores"].copy()
    distinct, inverse = np.unique(rows, axis=0, return_inverse=True)
    if distinct.shape[0] < 3:
        raise UsageError(
            f"Local Outlier Factor needs at least 3 distinct normal rows, got {distinct.shape[0]}"
        )
    neighbours = min(20, distinct.shape[0] - 1)
    model = LocalOutlierFactor(n_neighbors=neighbours, novelty=True).fit(distinct)
    training_scores = -model.negative_outlier_factor_[inverse.ravel()]
    _LAST_LOF.clear()
    _LAST_LOF.update(key=key, model=model, training_scores=training_scores)
    return model, training_scores.copy()


def _lof_scores(model: LocalOutlierFactor, rows: np.ndarray) -> np.ndarray:
    """Local outlier factors of ``rows`` (the neighbour search is the costly part, so the
    last result per model is reused)."""
    key = (id(model), _digest(rows))
    if _LAST_LOF_SCORES.get("key") != key:
        _LAST_LOF_SCORES.clear()
        _LAST_LOF_SCORES.update(key=key, scores=-model.score_samples(rows), model=model)
    return _LAST_LOF_SCORES["scores"].copy()


def _digest(rows: np.ndarray) -> tuple[tuple[int, ...], str]:
    return rows.shape, hashlib.sha1(np.ascontiguousarray(rows).tobytes()).hexdigest()


_LAST_LOF: dict[str, Any] = {}
_LAST_LOF_SCORES: dict[str, Any] = {}


def _nonzero(value: float) -> float:
    return value if value > 0 else 1.0


BASELINES: dict[str, type[BaselineDetector]] = {
    cls.name: cls
    for cls in (
        GMMLOFDetector,
        IsolationForestDetector,
        LocalOutlierFactorDetector,
        OneClassSVMDetector,
        PCADetector,
        NBaIoTAutoencoderDetector,
    )
}

BASELINE_TITLES = {
    "gmm_lof": "GMM + LOF",
    "isolation_forest": "Isolation Forest",
    "lof": "Local Outlier Factor",
    "ocsvm": "One-Class SVM",
    "pca": "PCA reconstruction",
    "nbaiot_ae": "N-BaIoT autoencoder",
}
