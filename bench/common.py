"""Shared helpers of the benchmarks: machine description, timing, results files.

Benchmarks are not tests: they measure, side by side in one run, and report
ratios (this machine's timings vary by about 30 % from run to run).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
DATA = REPO / "bench" / "data"
SHARED = REPO.parent / "shared" / "data"
SCALE_FILE = DATA / "synthetic_botiot_10best.csv"
REAL_SUBSET = SHARED / "bot-iot" / "sakshi450_pre_pocessed_data_full_colsubset.csv"
FLOWAE = [sys.executable, "-m", "flowae"]


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {}
    for package in ("flowae", "numpy", "pyarrow", "torch", "scikit-learn", "pyod"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": versions,
    }


def timed(function: Callable[[], Any], repeats: int = 3) -> tuple[float, list[float]]:
    """Median wall time of ``function`` over ``repeats`` runs, and every run's time."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def interleaved(
    functions: dict[str, Callable[[], Any]], repeats: int = 3
) -> dict[str, dict[str, Any]]:
    """Time several functions in alternation (A B A B ...) so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            started = time.perf_counter()
            function()
            times[name].append(time.perf_counter() - started)
    return {
        name: {"median_s": statistics.median(values), "runs_s": values}
        for name, values in times.items()
    }


# Runs a command and prints its own peak RSS: a child inherits the high-water mark
# of the process that spawned it, so the benchmark's own memory must not leak in.
_MEASURE = (
    "import resource, subprocess, sys; "
    "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def run_command(command: Sequence[str]) -> dict[str, float]:
    """Run a command in a small launcher process; its wall time and peak resident memory (MB).

    The launcher keeps the high-water mark of this (possibly large) process out of
    the child's ``ru_maxrss``.
    """
    started = time.perf_counter()
    process = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True
    )
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {process.stderr.strip()[-500:]}")
    peak_kb = int(process.stderr.strip().splitlines()[-1])
    return {"seconds": elapsed, "peak_rss_mb": peak_kb / 1024}


def write_result(name: str, result: dict[str, Any]) -> Path:
    """Save one benchmark's result as bench/results/NAME.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": name,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "machine": machine(),
        **result,
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path


def need(path: Path, how: str) -> None:
    if not path.is_file():
        sys.exit(f"benchmark needs {path}: {how}")
