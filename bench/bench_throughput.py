"""Throughput and memory of `flowae score` at Bot-IoT scale, against pyarrow reading alone.

    python bench/bench_throughput.py

Needs the synthetic file from bench/make_botiot_scale.py (speed only, not data).
Every program runs as its own process (interpreter start-up included on both
sides), alternating A B A B so machine drift hits all alike.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
from pathlib import Path

from common import DATA, FLOWAE, SCALE_FILE, need, run_command, write_result

REPEATS = 3


def scale_model() -> Path:
    """A model trained on the synthetic file (10-best layout, paper settings)."""
    from flowae.errors import FlowAEError
    from flowae.persistence import load_model

    model = DATA / "scale_model"
    try:
        load_model(model)  # a model cached by an older flowae may not load: retrain it
    except FlowAEError:
        run_command([*FLOWAE, "train", str(SCALE_FILE), "--out", str(model), "--quiet"])
    return model


def floor_script(path: Path, model: Path, columns_only: bool) -> str:
    """A python -c program that reads ``path`` with pyarrow and does nothing else."""
    if not columns_only:
        return f"import pyarrow.csv as pv; pv.read_csv({str(path)!r})"
    manifest = json.loads((model / "manifest.json").read_text())
    types = {"number": "float64", "port": "int64", "category": "string"}
    column_types = {f["name"]: types[f["kind"]] for f in manifest["features"]}
    label = manifest["layout"]["label"]["column"]
    column_types[label] = "string"
    return (
        "import pyarrow.csv as pv; "
        f"pv.read_csv({str(path)!r}, convert_options=pv.ConvertOptions("
        f"include_columns={list(column_types)!r}, column_types={column_types!r}))"
    )


def tenth_of(path: Path) -> Path:
    """The first tenth of the rows of ``path`` (header kept), cached next to it."""
    target = path.with_name(path.stem + "_tenth.csv")
    if not target.is_file():
        with path.open("rb") as source:
            rows = sum(1 for _ in source) - 1
        with path.open("rb") as source, target.open("wb") as sink:
            for _ in range(1 + rows // 10):
                sink.write(source.readline())
    return target


def main() -> int:
    need(SCALE_FILE, "run `python bench/make_botiot_scale.py` first")
    model = scale_model()
    rows = sum(1 for _ in SCALE_FILE.open("rb")) - 1
    out = Path(tempfile.mkdtemp()) / "scores"
    commands = {
        "flowae_score_csv": [
            *FLOWAE,
            "score",
            str(model),
            str(SCALE_FILE),
            "--out",
            f"{out}.csv",
            "--quiet",
        ],
        "flowae_score_jsonl": [
            *FLOWAE,
            "score",
            str(model),
            str(SCALE_FILE),
            "--format",
            "jsonl",
            "--out",
            f"{out}.jsonl",
            "--quiet",
        ],
        "pyarrow_read_whole_file": [
            sys.executable,
            "-c",
            floor_script(SCALE_FILE, model, columns_only=False),
        ],
        "pyarrow_read_model_columns": [
            sys.executable,
            "-c",
            floor_script(SCALE_FILE, model, columns_only=True),
        ],
    }
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for _ in range(REPEATS):
        for name, command in commands.items():
            runs[name].append(run_command(command))
    seconds = {
        name: statistics.median(r["seconds"] for r in values) for name, values in runs.items()
    }
    rates = {name: rows / value for name, value in seconds.items()}

    tenth = tenth_of(SCALE_FILE)
    memory = {"tenth": [], "whole": []}
    for _ in range(REPEATS):
        for name, path in (("tenth", tenth), ("whole", SCALE_FILE)):
            memory[name].append(
                run_command(
                    [*FLOWAE, "score", str(model), str(path), "--out", f"{out}.m.csv", "--quiet"]
                )["peak_rss_mb"]
            )
    peak = {name: statistics.median(values) for name, values in memory.items()}

    result = {
        "file": str(SCALE_FILE.relative_to(SCALE_FILE.parents[2])),
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rates,
        "runs": runs,
        "ratios": {
            "score_csv_vs_whole_file_read": rates["flowae_score_csv"]
            / rates["pyarrow_read_whole_file"],
            "score_csv_vs_model_columns_read": rates["flowae_score_csv"]
            / rates["pyarrow_read_model_columns"],
            "score_jsonl_vs_whole_file_read": rates["flowae_score_jsonl"]
            / rates["pyarrow_read_whole_file"],
        },
        "memory": {
            "peak_rss_mb_tenth": peak["tenth"],
            "peak_rss_mb_whole": peak["whole"],
            "whole_over_tenth": peak["whole"] / peak["tenth"],
            "runs_mb": memory,
        },
        "goals": {
            "throughput_ratio_at_least": 0.7,
            "memory_ratio_within": 1.2,
            "memory_mb_under": 400,
        },
    }
    path = write_result("throughput", result)
    print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
