"""Tiny hand-made flow files for tests (synthetic; never real data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from flowae.data.layouts import BOTIOT_10BEST_HEADER, BOTIOT_FULL_HEADER, ZEEK_CONN_FIELDS

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


ZEEK_FIELDS = [*ZEEK_CONN_FIELDS, "tunnel_parents"]  # as IoT-23 writes them


def zeek_conn_rows(n_benign: int, n_malicious: int, seed: int = 0) -> list[list[str]]:
    """conn.log rows: benign DNS lookups, malicious long TCP downloads (synthetic)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_benign + n_malicious):
        malicious = i >= n_benign
        if malicious:
            values = [
                "tcp",
                "http",
                f"{rng.uniform(3, 6):.6f}",
                str(rng.integers(80, 200)),
                str(rng.integers(60000, 70000)),
                "SF",
                "ShADadttFf",
                str(rng.integers(40, 60)),
                str(rng.integers(3000, 4000)),
                str(rng.integers(40, 60)),
                str(rng.integers(60000, 70000)),
            ]
        else:
            duration = "-" if i % 5 == 0 else f"{rng.uniform(0.01, 0.05):.6f}"
            values = [
                "udp",
                "dns",
                duration,
                str(rng.integers(30, 60)),
                str(rng.integers(60, 200)),
                "SF",
                "Dd",
                "1",
                "76",
                "1",
                "120",
            ]
        proto, service, duration, ob, rb, state, history, op, oib, rp, rib = values
        rows.append(
            [
                f"{1547127288 + i:.6f}",
                f"C{i:017d}",
                "192.168.1.197",
                str(rng.integers(1024, 65535)),
                "8.8.8.8" if not malicious else "104.24.96.120",
                "53" if not malicious else "80",
                proto,
                service,
                duration,
                ob,
                rb,
                state,
                "-",
                "-",
                "0",
                history,
                op,
                oib,
                rp,
                rib,
                "-",
                "Malicious" if malicious else "benign",
                "FileDownload" if malicious else "-",
            ]
        )
    return rows


def write_zeek_conn(
    path: Path, n_benign: int = 60, n_malicious: int = 20, seed: int = 0, *, labelled: bool = True
) -> Path:
    """A conn.log(.labeled) as IoT-23 writes it: '#' header lines, CRLF line ends, the
    last fields separated by three spaces, and a '#close' line."""
    fields = ZEEK_FIELDS + (["label", "detailed-label"] if labelled else [])
    rows = zeek_conn_rows(n_benign, n_malicious, seed)
    if not labelled:
        rows = [row[:-2] for row in rows]

    def line(values: list[str]) -> str:
        return "\t".join(values[:20]) + "\t" + "   ".join(values[20:])

    header = [
        "#separator \\x09",
        "#set_separator\t,",
        "#empty_field\t(empty)",
        "#unset_field\t-",
        "#path\tconn",
        "#open\t2019-01-11-05-34-44",
        "#fields\t" + line(fields)[0:],
        "#types\t" + "\t".join(["time"] * 20) + "\t" + "   ".join(["string"] * (len(fields) - 20)),
    ]
    text = "\r\n".join([*header, *(line(row) for row in rows), "#close\t2019-01-11-05-34-45"])
    path.write_bytes((text + "\r\n").encode())
    return path


def write_nbaiot(path: Path, n_rows: int = 80, seed: int = 0, attack: bool = False) -> Path:
    """A file with the 115 N-BaIoT columns: benign rows near 1, attack rows near 50."""
    from flowae.data.layouts import NBAIOT_HEADER

    rng = np.random.default_rng(seed)
    centre = 50.0 if attack else 1.0
    values = rng.normal(centre, 0.1 * centre, size=(n_rows, len(NBAIOT_HEADER)))
    rows = [[f"{v:.6f}" for v in row] for row in values]
    return write_delimited(path, NBAIOT_HEADER, rows)
