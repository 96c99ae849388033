"""Streaming scoring: read a flow file in blocks, score each block, write as it goes.

Peak memory depends on the block size, not on the file size. Reading runs in
a background thread (pyarrow parses without holding the GIL) while the main
thread encodes, scores and writes the previous block. Output is CSV or JSON
lines with one row per input row (or per flagged row with
``only_anomalies``), always carrying the input row number.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from flowae.data.reader import FlowTable, iter_flows
from flowae.data.sources import DEFAULT_BLOCK_BYTES
from flowae.model.detector import FlowDetector
from flowae.model.explain import TOP_FEATURES, error_shares, top_features
from flowae.model.threshold import Threshold

FORMATS = ("csv", "jsonl")


@dataclass
class ScoreSummary:
    """What a scoring run saw: rows, flagged rows, unseen categorical values."""

    source: str = ""
    rows: int = 0
    flagged: int = 0
    has_labels: bool = False
    unseen: dict[str, dict[str, int]] = field(default_factory=dict)

    def add_unseen(self, found: dict[str, dict[str, int]]) -> None:
        for column, values in found.items():
            counts = self.unseen.setdefault(column, {})
            for value, count in values.items():
                counts[value] = counts.get(value, 0) + count


def score_file(
    detector: FlowDetector,
    path: str | Path,
    sink: IO[bytes],
    *,
    rule: Threshold,
    output_format: str = "csv",
    only_anomalies: bool = False,
    label_column: str | None = None,
    normal_value: str | None = None,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    on_block: Callable[[ScoreSummary], None] | None = None,
    explain: bool = False,
    keep: Sequence[str] = (),
) -> ScoreSummary:
    """Score every row of ``path`` with ``detector`` and ``rule``, writing to ``sink``.

    ``explain`` adds, for each flagged row, the features with the largest
    shares of its reconstruction error (``explain_1``, ``share_1``, ...).
    ``keep`` copies input columns (as text) into the output, after ``row``.
    """
    if output_format not in FORMATS:
        raise ValueError(f"output format must be one of {FORMATS}, got {output_format!r}")
    summary = ScoreSummary(source=str(path))
    blocks = iter_flows(
        path,
        layout=detector.layout_,
        label_column=label_column,
        normal_value=normal_value,
        require_labels=False,
        block_bytes=block_bytes,
        keep=keep,
    )
    writer: _Writer | None = None
    # closing(): on an error or a signal the reader thread is stopped and joined at
    # once, not when the generator is collected (a pyarrow parse still running when
    # the interpreter exits aborts the process).
    with contextlib.closing(_read_ahead(blocks)) as ready_blocks:
        for flows in ready_blocks:
            summary.source = flows.source
            summary.has_labels = flows.has_labels
            matrix, unseen = detector.transform(flows, warn_unseen=False)
            errors = detector.autoencoder_.score_samples(matrix)
            flagged = rule.predict(errors)
            summary.add_unseen(unseen.counts)
            summary.rows += flows.n_rows
            summary.flagged += int(flagged.sum())
            if writer is None:
                writer = _writer(output_format, sink, flows.has_labels, explain, keep)
            table = _output_table(flows, errors, flagged, only_anomalies, keep)
            if explain:
                table = _with_explanations(table, detector, matrix, flagged, only_anomalies)
            writer.write(table)
            if on_block is not None:
                on_block(summary)
    if writer is None:  # no rows at all: still a well-formed, empty output
        writer = _writer(output_format, sink, has_labels=False, explain=explain, keep=keep)
    writer.close()
    return summary


def _read_ahead(blocks: Iterator[FlowTable], depth: int = 2) -> Generator[FlowTable, None, None]:
    """Iterate ``blocks`` while a background thread reads up to ``depth`` blocks ahead."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        ready.put(block, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            ready.put(done)
        except BaseException as error:  # handed to the consumer, which re-raises it
            ready.put(error)

    reader = threading.Thread(target=produce, name="flowae-reader", daemon=True)
    reader.start()
    try:
        while True:
            item = ready.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while reader.is_alive():
            try:
                ready.get_nowait()
            except queue.Empty:
                reader.join(timeout=0.1)


def _output_table(
    flows: FlowTable,
    errors: np.ndarray,
    flagged: np.ndarray,
    only_anomalies: bool,
    keep: Sequence[str] = (),
) -> pa.Table:
    columns: dict[str, Any] = {"row": pa.array(flows.row_numbers, pa.int64())}
    for name in keep:
        columns[name] = pc.cast(flows.table.column(name), pa.string())
    columns |= {
        "reconstruction_error": pa.array(errors, pa.float32()),
        "is_anomaly": pa.array(flagged.astype(np.int8)),
    }
    if flows.has_labels:
        assert flows.layout.label is not None
        columns["label"] = flows.table.column(flows.layout.label.column)
    table = pa.table(columns)
    if only_anomalies:
        table = table.filter(pa.array(flagged))
    return table


def _with_explanations(
    table: pa.Table,
    detector: FlowDetector,
    matrix: np.ndarray,
    flagged: np.ndarray,
    only_anomalies: bool,
) -> pa.Table:
    """explain_i / share_i columns: empty for rows that were not flagged."""
    rows = np.flatnonzero(flagged)
    names, shares = top_features(
        error_shares(detector.layers_, matrix[rows]), detector.feature_names_in_
    )
    size = table.num_rows
    position = np.arange(rows.size) if only_anomalies else rows
    for i in range(TOP_FEATURES):
        name_column = np.full(size, None, dtype=object)
        share_column = np.full(size, np.nan)
        if i < names.shape[1]:
            name_column[position] = names[:, i]
            share_column[position] = shares[:, i]
        table = table.append_column(f"explain_{i + 1}", pa.array(name_column, pa.string()))
        table = table.append_column(
            f"share_{i + 1}", pa.array(np.round(share_column, 4), pa.float64(), from_pandas=True)
        )
    return table


class _Writer:
    def write(self, table: pa.Table) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (the sink itself is closed by its owner)."""


def _writer(
    output_format: str, sink: IO[bytes], has_labels: bool, explain: bool, keep: Sequence[str]
) -> _Writer:
    if output_format == "csv":
        return _CSVWriter(sink, has_labels, explain, keep)
    return _JSONLinesWriter(sink, keep)


EXPLAIN_COLUMNS = [f"{kind}_{i + 1}" for i in range(TOP_FEATURES) for kind in ("explain", "share")]


class _CSVWriter(_Writer):
    def __init__(
        self, sink: IO[bytes], has_labels: bool, explain: bool, keep: Sequence[str]
    ) -> None:
        self.sink = sink
        names = ["row", *keep, "reconstruction_error", "is_anomaly"]
        names += ["label"] if has_labels else []
        names += EXPLAIN_COLUMNS if explain else []
        self.sink.write((",".join(names) + "\n").encode())

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        # Quote text only when some value needs it: quoting every string costs a third more
        # time, and quoting some columns but not others reads inconsistently.
        quoting = "none"
        for name in table.column_names:
            if pa.types.is_string(table.schema.field(name).type) or pa.types.is_dictionary(
                table.schema.field(name).type
            ):
                values = pc.unique(pc.cast(table.column(name), pa.string()))
                if pc.any(pc.match_substring_regex(values, r'[,"\r\n]')).as_py():
                    quoting = "needed"
        buffer = pa.BufferOutputStream()
        pv.write_csv(table, buffer, pv.WriteOptions(include_header=False, quoting_style=quoting))
        self.sink.write(buffer.getvalue())


class _JSONLinesWriter(_Writer):
    """One JSON object per line, built column-wise by pyarrow (no per-row Python)."""

    def __init__(self, sink: IO[bytes], keep: Sequence[str]) -> None:
        self.sink = sink
        self.keep = keep

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        parts: list[Any] = ['{"row": ', pc.cast(table.column("row"), pa.string())]
        for name in self.keep:
            parts += [f", {json.dumps(name)}: ", _json_strings(table.column(name))]
        parts += [
            ', "reconstruction_error": ',
            pc.cast(table.column("reconstruction_error"), pa.string()),
            ', "is_anomaly": ',
            pc.cast(table.column("is_anomaly"), pa.string()),
        ]
        if "label" in table.column_names:
            parts += [', "label": ', _json_strings(table.column("label"))]
        if "explain_1" in table.column_names:
            parts.append(_json_explanations(table))
        parts.append("}\n")
        lines = pc.binary_join_element_wise(
            *[pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts], ""
        )
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        # The lines end in newlines, so the array's character data is the output as is.
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
        start, end = offsets[lines.offset], offsets[lines.offset + len(lines)]
        self.sink.write(memoryview(lines.buffers()[2])[start:end])


def _json_strings(column: pa.ChunkedArray) -> pa.Array:
    """Each value as a JSON string (null for a missing value), quoting each distinct value once."""
    encoded = pc.dictionary_encode(pc.cast(column, pa.string()).combine_chunks())
    quoted = [json.dumps(value) for value in encoded.dictionary.to_pylist()]
    return pc.fill_null(pc.take(pa.array(quoted, pa.string()), encoded.indices), "null")


def _json_explanations(table: pa.Table) -> pa.Array:
    """', "explain": [{"feature": ..., "share": ...}, ...]' for flagged rows, '' otherwise."""
    names = [table.column(f"explain_{i + 1}").to_pylist() for i in range(TOP_FEATURES)]
    shares = [table.column(f"share_{i + 1}").to_pylist() for i in range(TOP_FEATURES)]
    texts = []
    for row in range(table.num_rows):
        items = [
            {"feature": names[i][row], "share": shares[i][row]}
            for i in range(TOP_FEATURES)
            if names[i][row] is not None
        ]
        texts.append(f', "explain": {json.dumps(items)}' if items else "")
    return pa.array(texts, pa.string())
