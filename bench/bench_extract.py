"""`flowae extract` against Argus alone, on the same capture (packets per second).

    python bench/bench_extract.py [--copies 300]

The capture is synthetic: the real Philips Hue capture in ../shared/data/pcap
repeated COPIES times, each copy shifted in time and with the last byte of its
IPv4 addresses changed, so the copies make new flows instead of merging into
the first one's (checksums are left as they are; Argus does not check them).
It is written once to bench/data/ (git-ignored).

Runs, alternating: argus alone (flow records), argus + racluster to CSV (the
whole Argus side), and `flowae extract` (which adds the capture check, the
Bot-IoT columns and the CSV writing).
"""

from __future__ import annotations

import argparse
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from common import DATA, FLOWAE, SHARED, interleaved, need, write_result

from flowae.capture.argus import ARGUS_FIELDS, STATUS_INTERVAL_SECONDS, find_tools
from flowae.capture.extract import extract
from flowae.capture.files import inspect_capture

SOURCE = SHARED / "pcap" / "CTU-Honeypot-Capture-4-1_2018-09-14-13-40-25-Philips-Hue-Bridge.pcap"


def make_capture(copies: int) -> Path:
    """SOURCE repeated ``copies`` times (little-endian microsecond pcap, as SOURCE is)."""
    path = DATA / f"hue_x{copies}.pcap"
    if path.is_file():
        return path
    data = SOURCE.read_bytes()
    header, body = data[:24], data[24:]
    records = []
    offset = 0
    while offset + 16 <= len(body):
        seconds, micros, captured, original = struct.unpack_from("<IIII", body, offset)
        records.append((seconds, micros, original, body[offset + 16 : offset + 16 + captured]))
        offset += 16 + captured
    span = records[-1][0] - records[0][0] + 10
    DATA.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with temporary.open("wb") as out:
        out.write(header)
        for copy in range(copies):
            for seconds, micros, original, frame in records:
                frame = bytearray(frame)
                if len(frame) >= 34 and frame[12:14] == b"\x08\x00":  # Ethernet + IPv4
                    frame[29] = (frame[29] + copy) % 256
                    frame[33] = (frame[33] + copy) % 256
                out.write(struct.pack("<IIII", seconds + copy * span, micros, len(frame), original))
                out.write(frame)
    temporary.replace(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=300)
    args = parser.parse_args()
    need(SOURCE, "the real IoT-23 captures live in ../shared/data/pcap")
    tools = find_tools()
    capture = make_capture(args.copies)
    info = inspect_capture(capture)
    scratch = tempfile.TemporaryDirectory(prefix="flowae-bench-")
    work = Path(scratch.name)
    records, flows_csv, out = work / "r.argus", work / "argus.csv", work / "flowae.csv"

    def argus_only() -> None:
        records.unlink(missing_ok=True)
        subprocess.run(
            [tools.argus, "-X", "-S", str(STATUS_INTERVAL_SECONDS), "-m", "-r", str(capture),
             "-w", str(records)],
            check=True,
        )  # fmt: skip

    def argus_and_racluster() -> None:
        argus_only()
        with flows_csv.open("wb") as stream:
            subprocess.run(
                [tools.racluster, "-r", str(records), "-u", "-n", "-p", "6", "-c", ",", "-s",
                 *ARGUS_FIELDS],
                stdout=stream,
                check=True,
            )  # fmt: skip

    def flowae_extract() -> None:
        subprocess.run([*FLOWAE, "extract", str(capture), "--out", str(out), "-q"], check=True)

    timings = interleaved(
        {"argus": argus_only, "argus+racluster": argus_and_racluster, "flowae": flowae_extract},
        repeats=3,
    )
    stages = extract(capture).seconds  # one in-process run, for the split by stage
    flows = sum(1 for _ in out.open()) - 1
    scratch.cleanup()
    rates = {name: info.packets / t["median_s"] for name, t in timings.items()}
    result = {
        "capture": {"copies": args.copies, "packets": info.packets, "bytes": info.size},
        "flows": flows,
        "timings": timings,
        "packets_per_second": rates,
        "ratios": {
            "flowae_vs_argus_racluster": rates["flowae"] / rates["argus+racluster"],
            "flowae_vs_argus": rates["flowae"] / rates["argus"],
        },
        "stages_s": stages,
    }
    write_result("extract", result)
    print(
        f"{info.packets:,} packets -> {flows:,} flows; packets/s: "
        + ", ".join(f"{name} {rate:,.0f}" for name, rate in rates.items())
        + f"; stages {', '.join(f'{k} {v:.2f} s' for k, v in stages.items())}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
