"""Tiny hand-made flow files for tests (synthetic; never real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowae.data.layouts import BOTIOT_10BEST_HEADER, BOTIOT_FULL_HEADER

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def botiot_10best_rows(n_normal: int, n_attack: int, seed: int = 0) -> list[list[str]]:
    """Rows in the 10-best layout: normal flows are small and slow, attacks are floods."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_normal + n_attack):
        attack = i >= n_normal
        proto = rng.choice(["udp", "tcp"]) if attack else rng.choice(["udp", "tcp", "arp"])
        sport = "" if proto == "arp" else str(rng.integers(1024, 65535))
        dport = "" if proto == "arp" else str(rng.choice([53, 80, 443, 1883]))
        if attack:
            mean, stddev, n_src, n_dst = rng.uniform(3, 5), rng.uniform(0, 2.5), 100, 100
            srate, drate = rng.uniform(0.3, 1.0), 0.0
            state = 4 if proto == "udp" else 1
            category, subcategory = ("DDoS", proto.upper()) if i % 2 else ("DoS", proto.upper())
        else:
            mean, stddev = rng.uniform(0.0, 0.3), rng.uniform(0, 0.1)
            n_src, n_dst = int(rng.integers(1, 10)), int(rng.integers(1, 10))
            srate, drate = rng.uniform(0, 0.02), rng.uniform(0, 0.02)
            state = int(rng.choice([2, 3]))
            category, subcategory = "Normal", "Normal"
        low, high = max(mean - stddev, 0.0), mean + stddev
        rows.append(
            [
                str(i + 1),
                proto,
                f"192.168.100.{rng.integers(2, 250)}",
                sport,
                f"192.168.100.{rng.integers(2, 9)}",
                dport,
                str(rng.integers(1, 260000)),
                f"{stddev:.6f}",
                str(n_src),
                f"{low:.6f}",
                str(state),
                f"{mean:.6f}",
                str(n_dst),
                f"{drate:.6f}",
                f"{srate:.6f}",
                f"{high:.6f}",
                "1" if attack else "0",
                category,
                subcategory,
            ]
        )
    return rows


def write_delimited(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    delimiter: str = ",",
    quote_all: bool = False,
    newline_at_end: bool = True,
) -> Path:
    def field(value: str) -> str:
        return f'"{value}"' if quote_all else value

    lines = [delimiter.join(field(v) for v in header)]
    lines += [delimiter.join(field(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + ("\n" if newline_at_end else ""), encoding="utf-8")
    return path


def write_botiot_10best(
    path: Path, n_normal: int = 120, n_attack: int = 120, seed: int = 0, **options: object
) -> Path:
    return write_delimited(
        path, BOTIOT_10BEST_HEADER, botiot_10best_rows(n_normal, n_attack, seed), **options
    )


def botiot_full_rows(n_normal: int, n_attack: int, seed: int = 0) -> list[list[str]]:
    """Rows in the full layout, derived from the 10-best generator."""
    index = {name: i for i, name in enumerate(BOTIOT_10BEST_HEADER)}
    rng = np.random.default_rng(seed + 1)
    rows = []
    for row in botiot_10best_rows(n_normal, n_attack, seed):
        attack = row[index["attack"]] == "1"
        pkts = int(rng.integers(50, 200)) if attack else int(rng.integers(1, 12))
        values = {
            **{name: row[i] for name, i in index.items()},
            "stime": f"{1526344121 + rng.uniform(0, 1000):.6f}",
            "ltime": f"{1526345121 + rng.uniform(0, 1000):.6f}",
            "flgs": "e" if not attack else str(rng.choice(["e", "e s"])),
            "pkts": str(pkts),
            "bytes": str(pkts * int(rng.integers(60, 600))),
            "state": "INT" if attack else str(rng.choice(["CON", "FIN", "RST"])),
            "dur": f"{rng.uniform(0, 30):.6f}",
            "smac": "",
            "dmac": "",
            "soui": "",
            "doui": "",
            "sco": "",
            "dco": "",
            "sum": f"{rng.uniform(0, 40):.6f}",
            "spkts": str(pkts),
            "dpkts": "0" if attack else str(pkts // 2),
            "sbytes": str(pkts * 60),
            "dbytes": "0" if attack else str(pkts * 30),
            "rate": f"{rng.uniform(0.1, 3) if attack else rng.uniform(0, 0.1):.6f}",
        }
        rows.append([values[name] for name in BOTIOT_FULL_HEADER])
    return rows


def write_generic(path: Path, n_normal: int = 120, n_attack: int = 120, seed: int = 0) -> Path:
    """A generic flow CSV (label column 'verdict', normal value 'benign')."""
    rng = np.random.default_rng(seed)
    header = ["service", "duration", "bytes_out", "packets", "verdict"]
    rows = []
    for i in range(n_normal + n_attack):
        attack = i >= n_normal
        rows.append(
            [
                str(rng.choice(["dns", "http"] if not attack else ["telnet", "http"])),
                f"{rng.uniform(0, 2) if not attack else rng.uniform(20, 60):.4f}",
                str(rng.integers(40, 900) if not attack else rng.integers(5000, 90000)),
                str(rng.integers(1, 10) if not attack else rng.integers(100, 1000)),
                "malicious" if attack else "benign",
            ]
        )
    return write_delimited(path, header, rows)


def shared_file(relative: str) -> Path:
    """A real data file under ../shared/data, or skip the calling test saying why."""
    import pytest

    path = SHARED_DATA / relative
    if not path.is_file():
        pytest.skip(f"real data not available: {path} is absent (it lives outside the repo)")
    return path
