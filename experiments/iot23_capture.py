"""From IoT-23 captures to verdicts: the report in docs/results/iot-23-capture/.

    python experiments/iot23_capture.py [--seeds 5] [--out docs/results/iot-23-capture/report.md]

Both real captures in ../shared/data/pcap go through `flowae extract` (Argus,
10-best layout) and are read back with flowae's reader. The infected capture's
flows get the labels of its Zeek conn log (flowae.capture.labels: same
protocol and endpoints, overlapping time). Then, for each seed:

- cross-device, as a gateway would meet it: train on the Hue bridge's benign
  capture, score every labelled flow of the infected capture;
- same capture: train on a random half of the infected capture's benign flows,
  score the other half and every malicious flow.

Each for the paper's model (mean + 1 and + 3 std) and flowae's model
(fpr:0.01), on the 10-best 'sound' features, without and with Argus' record
sequence number ``seq`` (a counter of records, so it measures when a flow
started in the capture rather than how it behaved; 'sound' leaves it out).
"""

from __future__ import annotations

import argparse
import logging
import shlex
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

from flowae.capture.files import inspect_capture
from flowae.capture.labels import MALICIOUS_LABEL, match_zeek_labels
from flowae.data.reader import FlowTable, file_sha256, read_flows
from flowae.data.splits import stratified_split
from flowae.evaluation.metrics import detection_metrics
from flowae.model.detector import FlowDetector
from flowae.model.explain import error_shares, top_features
from flowae.output import atomic_write_text

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
BENIGN_PCAP = (
    SHARED / "pcap" / "CTU-Honeypot-Capture-4-1_2018-09-14-13-40-25-Philips-Hue-Bridge.pcap"
)
INFECTED_PCAP = (
    SHARED / "pcap" / "CTU-IoT-Malware-Capture-42-1_2019-01-10-14-34-38-192.168.1.197.pcap"
)
INFECTED_ZEEK = SHARED / "iot-23" / "CTU-IoT-Malware-Capture-42-1.conn.log.labeled"
MODELS = [  # (name, architecture, threshold policies to report)
    ("paper", "paper", ["meanstd:1", "meanstd:3"]),
    ("flowae", "flowae", ["fpr:0.01"]),
]
FEATURES = [  # (name, identifier flags changed from flowae's 'sound' set)
    ("10-best sound", {}),
    ("sound + seq", {"seq": False}),
    ("sound - N_IN_Conn_P_*", {"N_IN_Conn_P_SrcIP": True, "N_IN_Conn_P_DstIP": True}),
]


def flowae(*arguments: str) -> float:
    """Run the flowae command line (as a user would); return its wall time."""
    started = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "flowae"), *arguments, "-q"], check=True)
    return time.perf_counter() - started


def with_identifiers(flows: FlowTable, changes: dict[str, bool]) -> FlowTable:
    """The same flows with some columns' identifier flag changed (so 'sound' drops or keeps
    them)."""
    columns = tuple(
        replace(c, identifier=changes[c.name]) if c.name in changes else c
        for c in flows.layout.columns
    )
    return replace(flows, layout=replace(flows.layout, columns=columns))


def run(
    train: FlowTable,
    test: FlowTable,
    truth: np.ndarray,
    architecture: str,
    policies: list[str],
    seed: int,
) -> dict[str, dict]:
    fit_rows, held_out = stratified_split(np.zeros(train.n_rows, dtype=bool), 0.2, seed + 1)
    results = {}
    for policy in policies:
        detector = FlowDetector(architecture=architecture, threshold=policy, random_state=seed)
        detector.fit(train.take(fit_rows), train.take(held_out))
        errors = detector.score(test)
        results[policy] = detection_metrics(
            truth, detector.threshold_rule().predict(errors), errors
        )
    return results


def explain_malicious(train: FlowTable, test: FlowTable, attack: np.ndarray) -> list[str]:
    """Table rows: each malicious flow's error, verdict and top features (flowae, seed 0)."""
    fit_rows, held_out = stratified_split(np.zeros(train.n_rows, dtype=bool), 0.2, 1)
    detector = FlowDetector(architecture="flowae", random_state=0)
    detector.fit(train.take(fit_rows), train.take(held_out))
    rule = detector.threshold_rule()
    malicious = test.take(np.flatnonzero(attack))
    matrix = detector.transform(malicious, warn_unseen=False)[0]
    errors = detector.autoencoder_.score_samples(matrix)
    names, shares = top_features(error_shares(detector.layers_, matrix), detector.feature_names_in_)
    table = malicious.table
    rows = []
    for i in range(malicious.n_rows):
        features = ", ".join(f"{names[i, j]} {shares[i, j]:.2f}" for j in range(names.shape[1]))
        rows.append(
            f"| {table.column('pkSeqID')[i].as_py():.0f} | "
            f"{table.column('daddr')[i].as_py()}:{table.column('dport')[i].as_py()} | "
            f"{errors[i]:.4f} | {'yes' if errors[i] > rule.value else 'no'} | {features} |"
        )
    return [
        f"Threshold {rule.value:.4f} ({rule.describe()}).",
        "",
        "| flow (pkSeqID) | destination | error | flagged | top features (share of the error) |",
        "|---:|---|---:|---|---|",
        *rows,
    ]


def summarise(runs: list[dict]) -> str:
    recall = np.array([r["recall"] for r in runs])
    fpr = np.array([r["fpr"] for r in runs])
    auc = np.array([r["roc_auc"] if r["roc_auc"] is not None else np.nan for r in runs])
    first = runs[0]
    return (
        f"{recall.mean():.3f} [{recall.min():.3f}, {recall.max():.3f}] | "
        f"{100 * fpr.mean():.1f} [{100 * fpr.min():.1f}, {100 * fpr.max():.1f}] | "
        f"{np.nanmean(auc):.3f} | {first['n_attack']} / {first['n_normal']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=REPO / "docs/results/iot-23-capture/report.md")
    args = parser.parse_args()
    for path in (BENIGN_PCAP, INFECTED_PCAP, INFECTED_ZEEK):
        if not path.exists():
            sys.exit(f"{path} is missing: this report needs ../shared/data (see DEVELOPERS.md)")
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    seeds = list(range(args.seeds))
    packets = {"benign": inspect_capture(BENIGN_PCAP), "infected": inspect_capture(INFECTED_PCAP)}

    with tempfile.TemporaryDirectory() as work:
        benign_csv, infected_csv = Path(work) / "benign.csv", Path(work) / "infected.csv"
        infected_full = Path(work) / "infected-full.csv"
        seconds = {
            "benign": flowae("extract", str(BENIGN_PCAP), "--out", str(benign_csv)),
            "infected": flowae(
                "extract", str(INFECTED_PCAP), "--out", str(infected_csv), "--allow-truncated"
            ),
        }
        flowae(
            "extract",
            str(INFECTED_PCAP),
            "--out",
            str(infected_full),
            "--layout",
            "full",
            "--allow-truncated",
        )
        benign = read_flows(benign_csv, require_labels=False)
        infected = read_flows(infected_csv, require_labels=False)
        full = read_flows(infected_full, require_labels=False)

    zeek = read_flows(INFECTED_ZEEK)
    labels = match_zeek_labels(full.table, zeek)
    matched = labels.matched
    attack = np.array([value == MALICIOUS_LABEL for value in labels.label])
    zeek_bad = np.array(
        [str(v).lower() == "malicious" for v in zeek.table.column("label").to_pylist()]
    )
    protos = full.table.column("proto").to_pylist()
    unmatched = Counter(p for p, m in zip(protos, matched, strict=True) if not m)

    rows: list[str] = []
    for feature_name, changes in FEATURES:

        def prepare(flows: FlowTable, changes: dict[str, bool] = changes) -> FlowTable:
            return with_identifiers(flows, changes)

        train_cross = prepare(benign)
        test = prepare(infected).take(np.flatnonzero(matched))
        truth = attack[matched]
        benign_positions = np.flatnonzero(matched & ~attack)
        for name, architecture, policies in MODELS:
            cross = {p: [] for p in policies}
            same = {p: [] for p in policies}
            for seed in seeds:
                for policy, result in run(
                    train_cross, test, truth, architecture, policies, seed
                ).items():
                    cross[policy].append(result)
                rest, held = stratified_split(
                    np.zeros(benign_positions.size, dtype=bool), 0.5, seed
                )
                train_same = prepare(infected).take(benign_positions[rest])
                test_positions = np.sort(
                    np.concatenate([benign_positions[held], np.flatnonzero(attack)])
                )
                test_same = prepare(infected).take(test_positions)
                for policy, result in run(
                    train_same, test_same, attack[test_positions], architecture, policies, seed
                ).items():
                    same[policy].append(result)
            for policy in policies:
                for test_name, results in (("cross-device", cross), ("same capture", same)):
                    cells = [test_name, feature_name, name, policy, summarise(results[policy])]
                    rows.append("| " + " | ".join(cells) + " |")

    benign_positions = np.flatnonzero(matched & ~attack)
    rest, _ = stratified_split(np.zeros(benign_positions.size, dtype=bool), 0.5, 0)
    why = explain_malicious(infected.take(benign_positions[rest]), infected, attack)

    command = shlex.join(["python", "experiments/iot23_capture.py", *sys.argv[1:]])
    lines = [
        "# IoT-23 captures: extracted with Argus, scored by flowae",
        "",
        f"Generated by `{command}`; do not edit by hand.",
        "",
        "## Inputs",
        "",
        "| file | sha256 | packets | flows (Argus, 10-best) | `flowae extract` wall time |",
        "|---|---|---:|---:|---:|",
        f"| {BENIGN_PCAP.name} (Philips Hue bridge, benign) | "
        f"`{file_sha256(BENIGN_PCAP)[:16]}…` | {packets['benign'].packets:,} | "
        f"{benign.n_rows:,} | {seconds['benign']:.1f} s |",
        f"| {INFECTED_PCAP.name} (infected device, Trojan) | "
        f"`{file_sha256(INFECTED_PCAP)[:16]}…` | "
        f"{packets['infected'].packets:,} complete + 1 cut off | {infected.n_rows:,} | "
        f"{seconds['infected']:.1f} s |",
        "",
        "The infected capture ends inside its last packet, so it is extracted with "
        "`--allow-truncated` (flowae refuses it otherwise). A `flowae extract` run includes "
        "about a second that argus spends on every file, whatever its size (see "
        "docs/PERFORMANCE.md).",
        "",
        "## Labels from the Zeek log",
        "",
        f"The infected capture's {zeek.n_rows:,} Zeek connections ({int(zeek_bad.sum())} "
        f"malicious) matched {int(matched.sum()):,} of its {full.n_rows:,} Argus flows "
        f"({int(attack.sum())} malicious, {int((matched & ~attack).sum()):,} benign). "
        f"{int(labels.zeek_matched.sum()):,} Zeek connections found a flow, "
        f"{int(labels.zeek_matched[zeek_bad].sum())} of the {int(zeek_bad.sum())} malicious ones. "
        "Argus merges a 5-tuple's records over the whole capture, Zeek splits them into "
        "connections, so there are fewer flows than connections.",
        "",
        "Flows left unlabelled (no Zeek connection; not scored below), by protocol: "
        + (", ".join(f"{p} {n}" for p, n in unmatched.most_common()) or "none")
        + ".",
        "",
        "Malicious flows, by Zeek's detailed label: "
        + ", ".join(f"{k} {v}" for k, v in Counter(d for d in labels.detailed if d).most_common())
        + ".",
        "",
        "## Detection",
        "",
        f"Mean over {len(seeds)} seeds, [min, max] across seeds. Recall is over the "
        f"{int(attack.sum())} malicious flows: each one moves it by "
        f"{100 / max(int(attack.sum()), 1):.0f} points, so read it as a count, not a rate.",
        "",
        "| test | features | model | threshold | recall | FPR % | ROC-AUC | attack / normal |",
        "|---|---|---|---|---|---|---:|---|",
        *rows,
        "",
        "## Why the malicious flows stand out",
        "",
        "flowae's model (sound features) trained on half of the infected capture's benign "
        "flows (seed 0), as in the *same capture* rows: each malicious flow's reconstruction "
        "error and the features with the largest shares of it (what `flowae score --explain` "
        "prints).",
        "",
        *why,
        "",
        "## Notes",
        "",
        "- *cross-device*: trained on the Hue bridge's 835 benign flows, tested on the infected "
        "capture, another device on another network: its benign traffic is new to the model, "
        "which is what the FPR measures as much as the detector.",
        "- *same capture*: trained on half of the infected capture's benign flows (seeded), "
        "tested on the other half and on every malicious flow.",
        "- *sound* leaves out addresses, ports, the record id and Argus' record counter `seq`, "
        "which grows with the position in the capture. *+ seq* puts it back (the paper's "
        "10-best features keep it): the difference shows how much of a verdict rests on when "
        "a flow happened.",
        "- *- N_IN_Conn_P_\\** also leaves out the two counts over the last 100 flows. The "
        "malicious flows are among the first flows of the infected capture, where fewer than "
        "100 flows precede them, so their counts are low for that reason alone; the table "
        "above shows these counts carry most of their error. This row measures the detector "
        "without that start-of-capture effect.",
        "",
    ]
    atomic_write_text(args.out, "\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
