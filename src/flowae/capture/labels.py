"""Labels for extracted flows from a labelled Zeek conn log of the same capture.

IoT-23 labels its captures' flows in Zeek's conn.log.labeled, not the
captures. An Argus flow gets the labels of the Zeek connections with the same
protocol and endpoints (in either direction; ICMP and ICMPv6 by addresses
only, as the two tools write ICMP types differently) whose time span overlaps
the flow's.
Argus merges a 5-tuple's records over the whole capture while Zeek splits
them into connections, so one Argus flow may match several Zeek connections:
it is malicious when any of them is. Flows no Zeek connection matches (ARP,
traffic Zeek did not log) stay unlabelled and are counted, never guessed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from flowae.data.reader import FlowTable

TOLERANCE_SECONDS = 1.0  # clock and boundary slack between the two tools
_PROTOCOLS = {"ipv6-icmp": "icmp"}  # Argus' name -> Zeek's (Zeek logs ICMPv6 as icmp)
BENIGN, MALICIOUS = "benign", "malicious"  # IoT-23's labels, in any case
MALICIOUS_LABEL = "Malicious"  # how a malicious flow's label is written


@dataclass(frozen=True)
class FlowLabels:
    """One entry per extracted flow: its Zeek label and detailed label, or None."""

    label: np.ndarray  # object: e.g. "Benign", "Malicious", or None when unmatched
    detailed: np.ndarray  # object: the detailed labels of the matched malicious connections
    zeek_matched: np.ndarray  # bool per Zeek connection: matched by some flow

    @property
    def matched(self) -> np.ndarray:
        return np.array([value is not None for value in self.label], dtype=bool)


def _key(proto: str, a: str, a_port: int | None, b: str, b_port: int | None) -> Hashable:
    proto = _PROTOCOLS.get(proto, proto)
    if proto == "icmp":  # the tools write ICMP types and ids differently: addresses only
        a_port = b_port = None
    ends = sorted([(a, a_port), (b, b_port)], key=lambda end: (end[0], end[1] or 0))
    return (proto, ends[0], ends[1])


def _port(value: object) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value), 0)
    except ValueError:
        return None


def match_zeek_labels(
    flows: pa.Table,
    zeek: FlowTable,
    *,
    tolerance: float = TOLERANCE_SECONDS,
) -> FlowLabels:
    """Labels for ``flows`` (columns stime, ltime, proto, saddr, sport, daddr, dport)."""
    z = zeek.table
    starts = z.column("ts").to_numpy(zero_copy_only=False)
    durations = np.clip(np.nan_to_num(z.column("duration").to_numpy(zero_copy_only=False)), 0, None)
    labels = np.asarray(z.column("label").to_pylist(), dtype=object)
    detailed_column = "detailed-label" if "detailed-label" in z.column_names else "label"
    detailed = np.asarray(z.column(detailed_column).to_pylist(), dtype=object)
    by_key: dict[Hashable, list[int]] = defaultdict(list)
    for i, row in enumerate(
        zip(
            z.column("proto").to_pylist(),
            z.column("id.orig_h").to_pylist(),
            z.column("id.orig_p").to_pylist(),
            z.column("id.resp_h").to_pylist(),
            z.column("id.resp_p").to_pylist(),
            strict=True,
        )
    ):
        by_key[_key(*row)].append(i)

    n = flows.num_rows
    flow_label = np.full(n, None, dtype=object)
    flow_detailed = np.full(n, None, dtype=object)
    zeek_matched = np.zeros(z.num_rows, dtype=bool)
    columns = [
        flows.column(name).to_pylist()
        for name in ("stime", "ltime", "proto", "saddr", "sport", "daddr", "dport")
    ]
    for i, (stime, ltime, proto, saddr, sport, daddr, dport) in enumerate(
        zip(*columns, strict=True)
    ):
        candidates = by_key.get(_key(proto, saddr, _port(sport), daddr, _port(dport)), [])
        first, last = float(stime) - tolerance, float(ltime) + tolerance
        hits = [j for j in candidates if starts[j] <= last and starts[j] + durations[j] >= first]
        if not hits:
            continue
        zeek_matched[hits] = True
        bad = [j for j in hits if str(labels[j]).lower() == MALICIOUS]
        if bad:
            flow_label[i] = MALICIOUS_LABEL
            named = {str(detailed[j]) for j in bad if detailed[j] not in (None, "", "-")}
            flow_detailed[i] = ";".join(sorted(named)) or None
        else:
            flow_label[i] = str(labels[hits[0]])
    return FlowLabels(flow_label, flow_detailed, zeek_matched)


def botiot_label_columns(labels: FlowLabels) -> pa.Table:
    """Bot-IoT's label columns for the matched flows (the unmatched rows are null).

    attack is 1 for a malicious flow and 0 otherwise; category is Normal, or the
    Zeek label of a malicious flow; subcategory is Normal, or its detailed labels.
    """
    rows: list[tuple[str | None, str | None, str | None]] = []
    for label, detailed in zip(labels.label, labels.detailed, strict=True):
        if label is None:
            rows.append((None, None, None))
        elif label == MALICIOUS_LABEL:
            rows.append(("1", MALICIOUS_LABEL, detailed or MALICIOUS_LABEL))
        else:
            rows.append(("0", "Normal", "Normal"))
    return pa.table(
        {
            name: pa.array([row[i] for row in rows], pa.string())
            for i, name in enumerate(("attack", "category", "subcategory"))
        }
    )
