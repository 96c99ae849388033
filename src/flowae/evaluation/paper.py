"""The numbers the paper reports (Apostol et al., Electronics 2021, 10(16):1876).

Table 1 as decoded in PAPER.md, rates as fractions. The paper gives no
accuracy, F1 or ROC-AUC per case and no row counts per figure.
"""

from __future__ import annotations

# case -> threshold k -> metric -> value
TABLE_1: dict[str, dict[str, dict[str, float]]] = {
    "unbalanced": {
        "k=1": {"precision": 0.999, "recall": 0.997, "fpr": 0.0841, "fnr": 0.0021},
        "k=3": {"precision": 0.999, "recall": 0.967, "fpr": 0.018, "fnr": 0.0326},
    },
    "balanced": {
        "k=1": {"precision": 0.916, "recall": 1.000, "fpr": 0.1030, "fnr": 0.0},
        "k=3": {"precision": 0.948, "recall": 1.000, "fpr": 0.0594, "fnr": 0.0},
    },
}

# Table 2: detection rate (recall) and FPR on Case 1.
TABLE_2: dict[str, dict[str, float]] = {
    "GMM + LOF (Alkadi et al. 2019)": {"recall": 0.9657, "fpr": 0.0385},
    "autoencoder, mean + 3 std": {"recall": 0.967, "fpr": 0.018},
    "autoencoder, mean + 1 std": {"recall": 0.997, "fpr": 0.0841},
}

TRAINING_LOSS = 0.02  # "a training loss of about 0.02, both in Case 1 and in Case 2"

CASE_TITLES = {
    "unbalanced": "Case 1 (unbalanced, the data as given)",
    "balanced": "Case 2 (balanced: all normal rows and as many attack rows)",
}
