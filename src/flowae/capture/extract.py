"""A capture file in, Bot-IoT-layout flows out: check, run Argus, derive, write.

``flowae extract`` writes the flows to a file; ``flowae train`` and ``flowae
score`` call :func:`extracted_csv` to read a capture as if it were a flow file.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from flowae.capture.argus import argus_records, cluster_flows, find_tools, no_flows
from flowae.capture.features import botiot_flows, has_ip_traffic, select_layout
from flowae.capture.files import CaptureInfo, inspect_capture, looks_like_capture
from flowae.errors import FlowAEError, InputError, UsageError
from flowae.output import output_stream

log = logging.getLogger(__name__)


@dataclass
class Extraction:
    """The flows of one capture, with what was seen on the way."""

    capture: CaptureInfo
    flows: pa.Table  # every column of both layouts
    unknown_states: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # argus, racluster, features
    labels: pa.Table | None = None  # attack, category, subcategory (null: no label found)

    @property
    def n_flows(self) -> int:
        return self.flows.num_rows


def extract(capture: str | Path, *, allow_truncated: bool = False) -> Extraction:
    """Run Argus on ``capture`` and compute Bot-IoT's flow columns.

    A capture cut off inside a packet, or whose packets Argus did not all read
    (libpcap stops at a damaged record), is refused unless ``allow_truncated``,
    which keeps the flows of the packets read and warns. A capture with no
    packets, or no IP traffic, gives a warning (and, with no packets, no flows).
    """
    tools = find_tools()
    if not looks_like_capture(capture):
        inspect_capture(capture)  # says what the file is instead
    seconds: dict[str, float] = {}
    # The structure check reads the whole file; it runs while argus does.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checking = pool.submit(inspect_capture, capture)
        started = time.perf_counter()
        try:
            with argus_records(capture, tools) as records:
                seconds["argus"] = time.perf_counter() - started
                started = time.perf_counter()
                argus = cluster_flows(records, capture, tools)
                seconds["racluster"] = time.perf_counter() - started
        except FlowAEError:
            info = checking.result()  # a damaged capture explains argus' failure better
            if info.truncated_at is not None:
                raise InputError(capture, f"{_cut_off(info)}; argus cannot read it") from None
            if info.packets:
                raise
            argus = no_flows()  # libpcap refuses a pcapng file without packets
        info = checking.result()
    if info.truncated_at is not None:
        _partial(capture, _cut_off(info), info.packets, allow_truncated)
    started = time.perf_counter()
    flows, unknown = botiot_flows(argus, str(capture))
    seconds["features"] = time.perf_counter() - started
    counted = int(pc.sum(pc.cast(flows.column("pkts"), pa.int64())).as_py() or 0)
    if counted < info.packets:
        _partial(
            capture,
            f"Argus' flows hold {counted:,} of the capture's {info.packets:,} packets (it "
            "skipped or could not read the others: a damaged record stops libpcap, and Argus "
            "skips frames too short to parse)",
            counted,
            allow_truncated,
        )
    if info.packets == 0:
        log.warning("%s holds no packets: no flows", capture)
    elif flows.num_rows == 0:
        log.warning("%s: Argus found no flows in its %s packets", capture, f"{info.packets:,}")
    elif not has_ip_traffic(flows):
        log.warning(
            "%s holds no IP traffic: its %d flows are all link-level (%s)",
            capture,
            flows.num_rows,
            ", ".join(sorted(set(flows.column("proto").to_pylist()))),
        )
    if unknown:
        shown = ", ".join(f"{state} {count}" for state, count in sorted(unknown.items()))
        log.info(
            "%s: %d flows have a state Bot-IoT never shows, state_number 0 (%s)",
            capture,
            sum(unknown.values()),
            shown,
        )
    return Extraction(info, flows, unknown, seconds)


def _cut_off(info: CaptureInfo) -> str:
    return (
        f"the capture is cut off at byte {info.truncated_at:,} of {info.size:,}, inside "
        f"packet {info.packets + 1:,}"
    )


def _partial(capture: str | Path, problem: str, packets: int, allowed: bool) -> None:
    """Refuse flows of only part of a capture, or (when allowed) warn about them."""
    if not allowed:
        raise InputError(
            capture,
            f"{problem}; give --allow-truncated to extract the flows of the {packets:,} "
            "packets read",
        )
    log.warning("%s: %s: flows come from the %s packets read", capture, problem, f"{packets:,}")


def write_flows(extraction: Extraction, out: str | Path, layout: str = "10best") -> None:
    """Write the flows in ``layout`` ('10best' or 'full') as CSV, atomically.

    With labels, Bot-IoT's attack, category and subcategory columns follow, and
    flows without a label are left out (``label_flows`` reported them).
    """
    table = select_layout(extraction.flows, layout)
    if extraction.labels is not None:
        for name in extraction.labels.column_names:
            table = table.append_column(name, extraction.labels.column(name))
        table = table.filter(pc.is_valid(extraction.labels.column("attack")))
    # Argus' text is written as it is, quoted only if some value needs it.
    quoting = "none"
    for name in table.column_names:
        text = pa.types.is_string(table.schema.field(name).type)
        if text and pc.any(pc.match_substring_regex(table.column(name), r'[,"\r\n]')).as_py():
            quoting = "needed"
    with output_stream(out) as stream:  # atomic for a file; "-" is standard output
        stream.write((",".join(table.column_names) + "\n").encode())
        pv.write_csv(table, stream, pv.WriteOptions(include_header=False, quoting_style=quoting))


def label_flows(extraction: Extraction, zeek_log: str | Path) -> Extraction:
    """Add Bot-IoT label columns from a labelled Zeek conn log of the same capture."""
    from flowae.capture.labels import (
        BENIGN,
        MALICIOUS,
        MALICIOUS_LABEL,
        botiot_label_columns,
        match_zeek_labels,
    )
    from flowae.data.layouts import ZEEK_CONN
    from flowae.data.reader import read_flows

    expected = (
        f"--labels {zeek_log}: expected a labelled Zeek conn log (IoT-23's conn.log.labeled, "
        "with a label column)"
    )
    try:
        zeek = read_flows(zeek_log, require_labels=False)
    except UsageError as error:  # another kind of flow file
        raise UsageError(f"{expected}: {error}") from None
    if zeek.layout.name != ZEEK_CONN.name or not zeek.has_labels:
        raise UsageError(expected)
    if zeek.n_rows == 0:
        raise UsageError(f"--labels {zeek_log}: the log holds no connections")
    values = set(pc.unique(pc.cast(zeek.table.column("label"), pa.string())).to_pylist())
    others = sorted(str(v) for v in values if str(v).lower() not in (BENIGN, MALICIOUS))
    if others:
        raise UsageError(
            f"--labels {zeek_log}: label value(s) {', '.join(map(repr, others))}; expected "
            "Benign or Malicious, as IoT-23 writes them"
        )
    labels = match_zeek_labels(extraction.flows, zeek)
    matched = labels.matched
    if extraction.n_flows and not matched.any():
        raise UsageError(
            f"--labels {zeek_log}: none of its {zeek.n_rows:,} connections matches a flow of "
            f"{extraction.capture.path}: is it the log of this capture?"
        )
    unmatched = ~matched
    if unmatched.any():
        protocols = Counter(
            p
            for p, m in zip(extraction.flows.column("proto").to_pylist(), unmatched, strict=True)
            if m
        )
        log.warning(
            "%s: %d of %d flows match no connection of %s and are left out (%s)",
            extraction.capture.path,
            int(unmatched.sum()),
            extraction.n_flows,
            zeek_log,
            ", ".join(f"{proto} {count}" for proto, count in protocols.most_common()),
        )
    missed = int((~labels.zeek_matched).sum())
    if missed:
        log.warning(
            "%s: %d of its %d connections match no flow of %s: is it the log of this capture?",
            zeek_log,
            missed,
            zeek.n_rows,
            extraction.capture.path,
        )
    attack = int(sum(1 for value in labels.label if value == MALICIOUS_LABEL))
    log.info(
        "%s: labelled %d flows from %s (%d malicious)",
        extraction.capture.path,
        int(matched.sum()),
        zeek_log,
        attack,
    )
    return replace(extraction, labels=botiot_label_columns(labels))


@contextlib.contextmanager
def extracted_csv(
    capture: str | Path, *, layout: str = "full", allow_truncated: bool = False
) -> Iterator[tuple[Path, Extraction]]:
    """Extract ``capture`` to a temporary CSV in ``layout``; yield its path (then delete it)."""
    extraction = extract(capture, allow_truncated=allow_truncated)
    log.info(
        "%s: %s packets, %s flows extracted with Argus",
        capture,
        f"{extraction.capture.packets:,}",
        f"{extraction.n_flows:,}",
    )
    with tempfile.TemporaryDirectory(prefix="flowae-flows-") as work:
        path = Path(work) / (Path(capture).stem + ".flows.csv")
        write_flows(extraction, path, layout)
        yield path, extraction
