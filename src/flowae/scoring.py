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
from collections.abc import Callable, Generator, Iterator
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
) -> ScoreSummary:
    """Score every row of ``path`` with ``detector`` and ``rule``, writing to ``sink``."""
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
                writer = _writer(output_format, sink, flows.has_labels)
            writer.write(_output_table(flows, errors, flagged, only_anomalies))
            if on_block is not None:
                on_block(summary)
    if writer is None:  # no rows at all: still a well-formed, empty output
        writer = _writer(output_format, sink, has_labels=False)
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
    flows: FlowTable, errors: np.ndarray, flagged: np.ndarray, only_anomalies: bool
) -> pa.Table:
    columns: dict[str, Any] = {
        "row": pa.array(flows.row_numbers, pa.int64()),
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


class _Writer:
    def write(self, table: pa.Table) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (the sink itself is closed by its owner)."""


def _writer(output_format: str, sink: IO[bytes], has_labels: bool) -> _Writer:
    return _CSVWriter(sink, has_labels) if output_format == "csv" else _JSONLinesWriter(sink)


class _CSVWriter(_Writer):
    def __init__(self, sink: IO[bytes], has_labels: bool) -> None:
        self.sink = sink
        names = ["row", "reconstruction_error", "is_anomaly"] + (["label"] if has_labels else [])
        self.sink.write((",".join(names) + "\n").encode())

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        # Quote labels only when one needs it: quoting every string costs a third more time.
        quoting = "needed"
        if "label" in table.column_names:
            special = pc.match_substring_regex(pc.unique(table.column("label")), r'[,"\r\n]')
            quoting = "needed" if pc.any(special).as_py() else "none"
        buffer = pa.BufferOutputStream()
        pv.write_csv(table, buffer, pv.WriteOptions(include_header=False, quoting_style=quoting))
        self.sink.write(buffer.getvalue())


class _JSONLinesWriter(_Writer):
    """One JSON object per line, built column-wise by pyarrow (no per-row Python)."""

    def __init__(self, sink: IO[bytes]) -> None:
        self.sink = sink

    def write(self, table: pa.Table) -> None:
        if not table.num_rows:
            return
        parts: list[Any] = [
            '{"row": ',
            pc.cast(table.column("row"), pa.string()),
            ', "reconstruction_error": ',
            pc.cast(table.column("reconstruction_error"), pa.string()),
            ', "is_anomaly": ',
            pc.cast(table.column("is_anomaly"), pa.string()),
        ]
        if "label" in table.column_names:
            labels = pc.dictionary_encode(table.column("label").combine_chunks())
            quoted = [json.dumps(value) for value in labels.dictionary.to_pylist()]
            parts += [', "label": ', pc.take(pa.array(quoted, pa.string()), labels.indices)]
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
