"""Write a SYNTHETIC Bot-IoT-scale file in the 10-best layout, for speed and memory only.

Rows are resampled from the real rows in ../shared/data/bot-iot/ and jittered:
attack rows from the real 10-best sample, normal rows (477 of 3,668,522, the
official share) from the Normal rows of the real Bot-IoT subset for the columns
it shares (proto, mean, stddev, min, max) with plausible values elsewhere. The
result looks like the official Training + Testing files (comma-separated,
quoted strings, hex ICMP ports) but is NOT data: never use it to judge
detection quality.

    python bench/make_botiot_scale.py [--rows 3668522] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "bot-iot"
TENBEST = SHARED / "minmin0111_bot_iot_sample_10best_attack_only.tsv"
SUBSET = SHARED / "sakshi450_pre_pocessed_data_full_colsubset.csv"
OFFICIAL_ROWS = 3_668_522
OFFICIAL_NORMAL = 477
DEFAULT_OUT = REPO / "bench" / "data" / "synthetic_botiot_10best.csv"
JITTERED = ["stddev", "min", "mean", "max", "drate", "srate"]


def generate(rows: int, seed: int = 0) -> pa.Table:
    """A table of ``rows`` synthetic flows in the 10-best layout."""
    rng = np.random.default_rng(seed)
    attacks = pv.read_csv(
        TENBEST,
        parse_options=pv.ParseOptions(delimiter="\t"),
        convert_options=pv.ConvertOptions(
            column_types={"sport": pa.string(), "dport": pa.string()}
        ),
    )
    normal_source = pv.read_csv(SUBSET)
    normal_source = normal_source.filter(pc.equal(normal_source.column("category"), "Normal"))
    n_normal = max(1, round(rows * OFFICIAL_NORMAL / OFFICIAL_ROWS)) if rows > 1000 else rows // 4
    n_attack = rows - n_normal

    picked = rng.integers(0, attacks.num_rows, n_attack)
    columns: dict[str, np.ndarray] = {}
    for name in attacks.column_names:
        columns[name] = attacks.column(name).to_numpy(zero_copy_only=False)[picked]
    factor = rng.normal(1.0, 0.05, n_attack).clip(0.5, 1.5)
    for name in JITTERED:
        columns[name] = np.round(columns[name] * factor, 6)
    columns["seq"] = rng.integers(1, 262_000, n_attack)

    normal_picked = rng.integers(0, normal_source.num_rows, n_normal)
    normal = {
        name: normal_source.column(name).to_numpy(zero_copy_only=False)[normal_picked]
        for name in ("proto", "mean", "stddev", "min", "max")
    }
    hosts = np.array([f"192.168.100.{i}" for i in (1, 3, 5, 6, 7, 27, 46, 55, 149, 150)])
    normal_columns = {
        "proto": normal["proto"],
        "saddr": rng.choice(hosts, n_normal),
        "sport": rng.integers(1024, 65535, n_normal).astype(str),
        "daddr": rng.choice(hosts, n_normal),
        "dport": rng.choice(["53", "80", "123", "443", "1883", "8883"], n_normal),
        "seq": rng.integers(1, 262_000, n_normal),
        "stddev": normal["stddev"],
        "N_IN_Conn_P_SrcIP": rng.integers(1, 12, n_normal),
        "min": normal["min"],
        "state_number": rng.choice([1, 2, 3, 4], n_normal),
        "mean": normal["mean"],
        "N_IN_Conn_P_DstIP": rng.integers(1, 20, n_normal),
        "drate": np.round(rng.exponential(0.05, n_normal), 6),
        "srate": np.round(rng.exponential(0.05, n_normal), 6),
        "max": normal["max"],
        "attack": np.zeros(n_normal, dtype=np.int64),
        "category": np.full(n_normal, "Normal"),
        "subcategory": np.full(n_normal, "Normal"),
    }
    order = rng.permutation(rows)
    table = {}
    for name in attacks.column_names:
        if name == "pkSeqID":
            table[name] = np.arange(1, rows + 1)
            continue
        merged = (
            np.concatenate([columns[name], normal_columns[name]]) if n_normal else columns[name]
        )
        table[name] = merged[order]
    return pa.table(table)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=OFFICIAL_ROWS)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for source in (TENBEST, SUBSET):
        if not source.is_file():
            print(
                f"make_botiot_scale: real rows needed to resample from: {source} is absent",
                file=sys.stderr,
            )
            return 1
    started = time.perf_counter()
    table = generate(args.rows, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.out.with_name(f".{args.out.name}.tmp")
    pv.write_csv(table, temporary)
    temporary.replace(args.out)
    print(
        f"wrote {table.num_rows} synthetic rows ({args.out.stat().st_size / 1e6:.0f} MB) to "
        f"{args.out} in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
