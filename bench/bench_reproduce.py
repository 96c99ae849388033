"""`flowae reproduce` on a Bot-IoT-sized file: the paper's protocol, then the full report.

    python bench/bench_reproduce.py

The first run is the paper's protocol alone (both cases, both thresholds, one
seed, no baselines); the second is the default report (5 seeds, 5 baselines).
"""

from __future__ import annotations

import sys
import tempfile

from common import FLOWAE, SCALE_FILE, need, run_command, write_result


def main() -> int:
    need(SCALE_FILE, "run `python bench/make_botiot_scale.py` first")
    out = tempfile.mkdtemp()
    runs = {
        "paper_protocol": ["--seeds", "1", "--baselines", "none"],
        "default_report": [],
    }
    result = {"file": SCALE_FILE.name, "runs": {}}
    for name, options in runs.items():
        command = [
            *FLOWAE,
            "reproduce",
            str(SCALE_FILE),
            "--out",
            f"{out}/{name}",
            "--quiet",
            *options,
        ]
        measured = run_command(command)
        result["runs"][name] = {"options": " ".join(options) or "(defaults)", **measured}
    result["goal"] = "both cases at both thresholds well under a minute"
    print(f"wrote {write_result('reproduce', result)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
