"""Training time: the paper's configuration on ~300 normal rows, and epochs on 100,000 rows.

    python bench/bench_training.py

Compares flowae's numpy training backend with its torch reference backend
(same arithmetic, same start, same batches).
"""

from __future__ import annotations

import sys

import numpy as np
from common import REAL_SUBSET, interleaved, need, write_result

from flowae.data.reader import read_flows
from flowae.model.detector import FlowDetector
from flowae.model.training import train_autoencoder


def normal_rows() -> np.ndarray:
    flows = read_flows(REAL_SUBSET)
    detector = FlowDetector(epochs=1).fit(flows)
    normal = flows.take(np.flatnonzero(~flows.is_attack()))
    return detector.transform(normal)[0]


def main() -> int:
    need(REAL_SUBSET, "the real Bot-IoT subset lives in ../shared/data")
    rows = normal_rows()
    rng = np.random.default_rng(0)
    paper_rows = rows[rng.choice(rows.shape[0], 296, replace=False)]  # Bot-IoT's 64 % of 463
    big = rows[rng.integers(0, rows.shape[0], 100_000)]
    big = np.clip(big + rng.normal(0, 0.01, big.shape).astype(np.float32), 0, None)

    def fit(data, backend, epochs):
        return lambda: train_autoencoder(
            data,
            hidden=(12, 8, 5, 2),
            epochs=epochs,
            batch_size=19,
            learning_rate=0.01,
            seed=0,
            backend=backend,
        )

    paper = interleaved(
        {"numpy": fit(paper_rows, "numpy", 20), "torch": fit(paper_rows, "torch", 20)}, repeats=5
    )
    epoch = interleaved({"numpy": fit(big, "numpy", 1), "torch": fit(big, "torch", 1)}, repeats=3)
    result = {
        "paper_configuration": {
            "rows": int(paper_rows.shape[0]),
            "epochs": 20,
            "batch_size": 19,
            "timings": paper,
            "torch_over_numpy": paper["torch"]["median_s"] / paper["numpy"]["median_s"],
        },
        "epoch_on_100k_rows": {
            "rows": int(big.shape[0]),
            "batch_size": 19,
            "timings": epoch,
            "torch_over_numpy": epoch["torch"]["median_s"] / epoch["numpy"]["median_s"],
        },
    }
    print(f"wrote {write_result('training', result)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
