"""flowae against PyOD's AutoEncoder (same network and settings), and its own two paths.

    python bench/bench_peers.py      (needs: pip install -e '.[bench]')

Both fit the 12-8-5-2 / 5-8-12 network for 20 epochs, batch 19, Adam lr 0.01,
MSE, on the same scaled normal rows and score the same rows. PyOD's decoder
ends with a linear layer where flowae's has the paper's sigmoid; batch norm,
dropout, weight decay and its own preprocessing are turned off.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
from common import REAL_SUBSET, SCALE_FILE, interleaved, need, write_result

from flowae.data.reader import read_flows
from flowae.model.detector import AutoencoderDetector, FlowDetector
from flowae.model.forward import reconstruction_error


def scaled_rows(path, feature_set, test_rows=None):
    """(normal training rows, rows to score) scaled by a flowae encoder."""
    flows = read_flows(path)
    detector = FlowDetector(feature_set=feature_set, epochs=1).fit(flows)
    normal = flows.take(np.flatnonzero(~flows.is_attack()))
    to_score = flows if test_rows is None else flows.take(np.arange(min(test_rows, flows.n_rows)))
    return detector.transform(normal)[0], detector.transform(to_score, warn_unseen=False)[0]


def pyod_fit_score(normal, rows):
    from pyod.models.auto_encoder import AutoEncoder

    model = AutoEncoder(
        contamination=0.01,
        preprocessing=False,
        lr=0.01,
        epoch_num=20,
        batch_size=19,
        hidden_neuron_list=[12, 8, 5, 2],
        hidden_activation_name="relu",
        batch_norm=False,
        dropout_rate=0.0,
        optimizer_params={},
        verbose=0,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(normal)
        return model.decision_function(rows)


def flowae_fit_score(normal, rows, backend="numpy"):
    detector = AutoencoderDetector(random_state=0, backend=backend).fit(normal)
    return detector.score_samples(rows)


def scoring_paths(normal, rows):
    """torch forward vs numpy float32 forward on the same trained network."""
    import torch

    from flowae.model.network import Autoencoder

    detector = AutoencoderDetector(random_state=0).fit(normal)
    network = Autoencoder(normal.shape[1])
    network.load_state_dict({k: torch.from_numpy(v) for k, v in detector.tensors_.items()})
    tensor = torch.from_numpy(rows)

    def with_torch():
        with torch.no_grad():
            return ((network(tensor) - tensor) ** 2).mean(dim=1).numpy()

    def with_numpy():
        return reconstruction_error(detector.layers_, rows)

    torch_errors, numpy_errors = with_torch(), with_numpy()
    difference = np.abs(torch_errors.astype(np.float64) - numpy_errors)
    agreement = {
        # |a - b| / (1 + |a|): absolute for errors below 1, relative for the huge errors
        # of rows far outside the training range (float32 keeps ~7 significant digits)
        "max_difference_abs_or_rel": float(np.max(difference / (1.0 + np.abs(torch_errors)))),
        "max_abs_difference": float(np.max(difference)),
        "largest_error": float(np.max(torch_errors)),
    }
    return interleaved({"torch_forward": with_torch, "numpy_forward": with_numpy}), agreement


def main() -> int:
    need(REAL_SUBSET, "the real Bot-IoT subset lives in ../shared/data")
    need(SCALE_FILE, "run `python bench/make_botiot_scale.py` first")
    scenarios = {
        "real_subset": scaled_rows(REAL_SUBSET, "sound"),
        "botiot_scale": scaled_rows(SCALE_FILE, "paper", test_rows=733_705),
    }
    result = {"scenarios": {}}
    for name, (normal, rows) in scenarios.items():
        timings = interleaved(
            {
                "flowae": lambda n=normal, r=rows: flowae_fit_score(n, r),
                "flowae_torch_backend": lambda n=normal, r=rows: flowae_fit_score(n, r, "torch"),
                "pyod_autoencoder": lambda n=normal, r=rows: pyod_fit_score(n, r),
            },
            repeats=3,
        )
        paths, agreement = scoring_paths(normal, rows)
        result["scenarios"][name] = {
            "fit_rows": int(normal.shape[0]),
            "scored_rows": int(rows.shape[0]),
            "features": int(rows.shape[1]),
            "fit_and_score": timings,
            "pyod_over_flowae": timings["pyod_autoencoder"]["median_s"]
            / timings["flowae"]["median_s"],
            "torch_backend_over_numpy_backend": timings["flowae_torch_backend"]["median_s"]
            / timings["flowae"]["median_s"],
            "scoring_paths": paths,
            "torch_over_numpy_scoring": paths["torch_forward"]["median_s"]
            / paths["numpy_forward"]["median_s"],
            "torch_vs_numpy_scores": agreement,
        }
    result["goals"] = {"pyod_over_flowae_at_least": 5, "torch_numpy_agreement_within": 1e-6}
    print(f"wrote {write_result('peers', result)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
