"""Reading flow files into a validated, typed table.

One reader for every delimited layout: it sniffs the delimiter (comma,
semicolon, tab or pipe), recognises the layout from the header, parses with
pyarrow and validates every value. A value that cannot be used stops the read
with an :class:`InputError` naming the file, row and column. Rows are
numbered from 1, header excluded, blank lines skipped: the same numbers the
score output uses.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowae.data.layouts import DEFAULT_LABELS, Column, Kind, LabelSpec, Layout, recognise_layout
from flowae.data.sources import DEFAULT_BLOCK_BYTES, FlowSource, open_source
from flowae.errors import InputError, UsageError

log = logging.getLogger(__name__)

PORT_MISSING = -1  # encoded value of an empty port field (ARP and other port-less flows)


@dataclass(frozen=True)
class FlowTable:
    """Parsed rows of one flow file.

    ``table`` holds one typed column per feature column of ``layout`` (float64
    numbers, int64 ports, strings for categories) plus the label columns the
    file has. ``row_numbers`` are the 1-based input row numbers of the rows,
    which survive any subsetting.
    """

    source: str
    layout: Layout
    table: pa.Table
    row_numbers: np.ndarray
    files: tuple[str, ...] = ()  # the input files, when the rows come from several

    @property
    def n_rows(self) -> int:
        return self.table.num_rows

    @property
    def has_labels(self) -> bool:
        label = self.layout.label
        return label is not None and label.column in self.table.column_names

    def label_values(self) -> np.ndarray:
        """The raw label column as strings (e.g. '0'/'1' or 'Normal'/'DoS')."""
        if not self.has_labels:
            raise UsageError(f"{self.source}: has no label column")
        assert self.layout.label is not None
        return np.asarray(self.table.column(self.layout.label.column).to_pylist(), dtype=object)

    def is_attack(self, *, unlabelled_as_normal: bool = False) -> np.ndarray:
        """Ground truth as booleans: True where the label is not the normal value.

        A file without labels raises, unless ``unlabelled_as_normal`` (training
        on unlabelled traffic, which is presumed normal).
        """
        if not self.has_labels and unlabelled_as_normal:
            return np.zeros(self.n_rows, dtype=bool)
        if not self.has_labels:
            raise UsageError(
                f"{self.source}: has no label column, so normal and attack rows cannot be told "
                "apart; name it with --label-column and --normal-value"
            )
        assert self.layout.label is not None
        return ~is_normal_label(
            self.table.column(self.layout.label.column), self.layout.label.normal_value
        )

    def file_counts(self) -> list[dict[str, Any]]:
        """Rows per input file (with its label when labelled by file), for provenance."""
        if not self.files:
            return [{"path": self.source, "rows": self.n_rows}]
        names = self.table.column(SOURCE_FILE).to_numpy(zero_copy_only=False)
        labels = self.table.column(FILE_LABEL.column).to_numpy(zero_copy_only=False)
        return [
            {
                "path": path,
                "rows": int((names == path).sum()),
                "label": str(labels[names == path][0]) if (names == path).any() else "",
            }
            for path in self.files
        ]

    def take(self, indices: np.ndarray) -> FlowTable:
        """The rows at ``indices`` (positions in this table), keeping their row numbers."""
        indices = np.asarray(indices, dtype=np.int64)
        return replace(self, table=self.table.take(indices), row_numbers=self.row_numbers[indices])

    def concat(self, other: FlowTable) -> FlowTable:
        """This table's rows followed by ``other``'s (same layout)."""
        return replace(
            self,
            source=f"{self.source} + {other.source}"
            if other.source != self.source
            else self.source,
            table=pa.concat_tables(
                [self.table, other.table.select(self.table.column_names)]
            ).unify_dictionaries(),
            row_numbers=np.concatenate([self.row_numbers, other.row_numbers]),
        )


# Files labelled by name (--normal FILE, --attack FILE) get these two columns.
FILE_LABEL = LabelSpec("file_label", "normal")
SOURCE_FILE = "source_file"


def read_labelled_files(
    normal: Sequence[str | Path],
    attack: Sequence[str | Path],
    *,
    layout: Layout | None = None,
    categorical: Sequence[str] = (),
) -> FlowTable:
    """Read files whose label is the file itself (N-BaIoT: one file per device and attack).

    Every row of a ``normal`` file is normal, every row of an ``attack`` file an
    attack; the table gets a ``file_label`` column (``normal`` / ``attack``) as its
    label and a ``source_file`` column, neither ever a feature. All files must
    share the first file's layout (or ``layout``). Row numbers stay per file.
    """
    inputs = [(path, "normal") for path in normal] + [(path, "attack") for path in attack]
    if not inputs:
        raise UsageError("give at least one --normal FILE (and --attack FILE for attacks)")
    tables: list[FlowTable] = []
    for path, label in inputs:
        flows = read_flows(
            path,
            layout=layout if layout is not None else (tables[0].layout if tables else None),
            categorical=categorical if not tables and layout is None else (),
            require_labels=False,
        )
        if flows.has_labels:
            own = flows.is_attack()
            disagree = int((own if label == "normal" else ~own).sum())
            if disagree:
                assert flows.layout.label is not None
                log.warning(
                    "%s: %d of %d rows are %s by the file's own '%s' column; labelled by "
                    "file, they count as %s",
                    flows.source,
                    disagree,
                    flows.n_rows,
                    "attacks" if label == "normal" else "normal",
                    flows.layout.label.column,
                    label,
                )
        if not tables and layout is None:
            flows = replace(flows, layout=flows.layout.with_label(None))
        base = tables[0].layout if tables else (layout or flows.layout)
        features = [c.name for c in base.columns]
        table = flows.table.select(features)
        size = flows.n_rows
        table = table.append_column(
            FILE_LABEL.column, pa.array([label] * size, pa.string()).dictionary_encode()
        ).append_column(
            SOURCE_FILE, pa.array([flows.source] * size, pa.string()).dictionary_encode()
        )
        tables.append(FlowTable(flows.source, base, table, flows.row_numbers))
    first = tables[0]
    layout = first.layout.with_label(FILE_LABEL)
    layout = replace(layout, label_columns=(*layout.label_columns, SOURCE_FILE))
    combined = pa.concat_tables([t.table for t in tables]).unify_dictionaries()
    return FlowTable(
        " + ".join(t.source for t in tables),
        layout,
        combined,
        np.concatenate([t.row_numbers for t in tables]),
        files=tuple(t.source for t in tables),
    )


def is_normal_label(labels: pa.ChunkedArray, normal_value: str) -> np.ndarray:
    """True where a label means normal: equal to ``normal_value`` once surrounding spaces
    are trimmed, ignoring case (IoT-23 writes both ``benign`` and ``Benign``), or
    numerically equal when both are numbers (``0.0`` matches ``0``)."""
    if pa.types.is_dictionary(labels.type):  # decide once per distinct label
        return np.concatenate(
            [
                np.asarray(is_normal_label(pa.chunked_array([c.dictionary]), normal_value))[
                    c.indices.to_numpy(zero_copy_only=False)
                ]
                for c in labels.chunks
            ]
            or [np.zeros(0, dtype=bool)]
        )
    trimmed = pc.utf8_trim_whitespace(labels)
    wanted = normal_value.strip()
    equal = pc.equal(pc.utf8_lower(trimmed), wanted.lower()).to_numpy(zero_copy_only=False)
    if _NUMERIC_TEXT.match(wanted) and not equal.all():
        numeric = pc.match_substring_regex(trimmed, _NUMERIC_TEXT.pattern)
        as_numbers = pc.cast(pc.if_else(numeric, trimmed, None), pa.float64())
        same = pc.fill_null(pc.equal(as_numbers, float(wanted)), False)
        return np.asarray(equal, dtype=bool) | same.to_numpy(zero_copy_only=False)
    return np.asarray(equal, dtype=bool)


def read_flows(
    path: str | Path,
    *,
    layout: Layout | None = None,
    label_column: str | None = None,
    normal_value: str | None = None,
    categorical: Sequence[str] = (),
    require_labels: bool = True,
) -> FlowTable:
    """Read and validate a whole flow file (CSV, gzip CSV, Parquet, or ``-`` for stdin).

    With ``layout`` (e.g. the one stored in a model) the file must contain
    its feature columns; labels are read when present. Without it, the layout
    is recognised from the header. ``require_labels`` makes a missing or empty
    label an error (training and evaluation); scoring passes False.
    """
    with open_source(path) as source:
        layout, columns, column_types = _plan(
            source, layout, label_column, normal_value, categorical, require_labels
        )
        tables = list(source.blocks(columns, column_types))
    table = _concat(tables, columns, column_types)
    layout = _resolve_auto_columns(layout, table, source.name)
    table = _convert_auto_columns(layout, table, source.name)
    # a label column that is there is checked even when labels are optional: an empty
    # label must not silently count as an attack (or as normal) in training
    _validate(layout, table, source.name, check_labels=True, rows_before=0)
    table = _dictionary_encode_text(table, layout)
    log.debug("read %d rows from %s as layout %s", table.num_rows, source.name, layout.name)
    return FlowTable(source.name, layout, table, np.arange(1, table.num_rows + 1, dtype=np.int64))


def iter_flows(
    path: str | Path,
    *,
    layout: Layout,
    label_column: str | None = None,
    normal_value: str | None = None,
    require_labels: bool = False,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    keep: Sequence[str] = (),
) -> Iterator[FlowTable]:
    """Read a flow file block by block (constant memory) with a known ``layout``.

    Yields validated tables whose ``row_numbers`` continue across blocks. The
    layout's columns must all have a fixed kind (as in a saved model). ``keep``
    names further columns read as text and carried along (e.g. addresses).
    """
    if any(c.kind == Kind.AUTO for c in layout.columns):
        raise UsageError("streaming needs a layout with known column kinds (from a model)")
    with open_source(path) as source:
        layout, columns, column_types = _plan(
            source, layout, label_column, normal_value, (), require_labels, label_like=False
        )
        missing = [name for name in keep if name not in source.header]
        if missing:
            raise UsageError(
                f"{source.name}: no column {', '.join(missing)} to keep "
                f"(header has: {', '.join(source.header)})"
            )
        extra = [name for name in keep if name not in columns]
        columns = [*columns, *extra]
        column_types = {**column_types, **{name: pa.string() for name in extra}}
        rows_before = 0
        for table in source.blocks(columns, column_types, block_bytes=block_bytes):
            _validate(
                layout, table, source.name, check_labels=require_labels, rows_before=rows_before
            )
            numbers = np.arange(rows_before + 1, rows_before + table.num_rows + 1, dtype=np.int64)
            rows_before += table.num_rows
            yield FlowTable(source.name, layout, table, numbers)


def open_layout(
    path: str | Path,
    *,
    layout: Layout | None = None,
    label_column: str | None = None,
    normal_value: str | None = None,
) -> Layout:
    """The layout a file would be read with (reads only its header)."""
    with open_source(path) as source:
        return _plan(source, layout, label_column, normal_value, (), False)[0]


_ARROW_TYPES = {Kind.NUMBER: pa.float64(), Kind.PORT: pa.int64(), Kind.CATEGORY: pa.string()}


def _plan(
    source: FlowSource,
    layout: Layout | None,
    label_column: str | None,
    normal_value: str | None,
    categorical: Sequence[str],
    require_labels: bool,
    *,
    label_like: bool = True,
) -> tuple[Layout, list[str], dict[str, pa.DataType]]:
    """The layout, the columns to read and their arrow types.

    ``label_like`` also reads the file's other label-like columns (category,
    subcategory, detailed-label) for reports; streaming scoring skips them.
    """
    header = source.header
    if layout is None:
        layout = recognise_layout(
            header,
            source=source.name,
            label_column=label_column,
            normal_value=normal_value,
            categorical=categorical,
            require_label=require_labels,
        )
    else:
        layout = _layout_for_scoring(layout, header, source.name, label_column, normal_value)
    if require_labels and (layout.label is None or layout.label.column not in header):
        raise UsageError(
            f"{source.name}: no label column"
            + (f" '{layout.label.column}'" if layout.label else "")
            + "; give --label-column and --normal-value, or label rows by file with "
            "--normal FILE and --attack FILE"
        )
    columns = [c.name for c in layout.columns]
    if layout.label is not None and layout.label.column in header:
        columns.append(layout.label.column)
    if label_like:
        columns += [c for c in layout.label_columns if c in header and c not in columns]
    missing = [name for name in columns if name not in header]
    if missing:
        raise InputError(
            source.name,
            f"missing column(s) {', '.join(missing)} needed by layout '{layout.name}' "
            f"(header has: {', '.join(header)})",
        )
    column_types = {c.name: _ARROW_TYPES.get(c.kind, pa.string()) for c in layout.columns}
    column_types.update({name: pa.string() for name in columns if name in layout.label_columns})
    return layout, columns, column_types


def _concat(
    tables: list[pa.Table], columns: list[str], column_types: dict[str, pa.DataType]
) -> pa.Table:
    if tables:
        return pa.concat_tables(tables)
    schema = pa.schema([(name, column_types.get(name, pa.string())) for name in columns])
    return schema.empty_table()


def _dictionary_encode_text(table: pa.Table, layout: Layout) -> pa.Table:
    """Text columns as dictionaries: selecting rows (splits) and encoding them gets cheap."""
    text = {c.name for c in layout.columns if c.kind == Kind.CATEGORY} | set(layout.label_columns)
    for index, name in enumerate(table.column_names):
        if name in text and pa.types.is_string(table.schema.field(name).type):
            table = table.set_column(index, name, pc.dictionary_encode(table.column(name)))
    return table


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, as hex (for provenance in reports)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _layout_for_scoring(
    layout: Layout,
    header: Sequence[str],
    source: str,
    label_column: str | None,
    normal_value: str | None,
) -> Layout:
    """A model's layout applied to a new file: labels optional, maybe renamed."""
    if label_column is None and normal_value is not None:
        if layout.label is None:
            raise UsageError("--normal-value needs --label-column: the model has no label column")
        label_column = layout.label.column
    if label_column is not None:
        if label_column not in header:
            raise UsageError(f"{source}: no label column '{label_column}' in the header")
        if normal_value is None and layout.label and layout.label.column == label_column:
            normal_value = layout.label.normal_value
        if normal_value is None:
            raise UsageError(f"{source}: give --normal-value for label column '{label_column}'")
        return layout.with_label(LabelSpec(label_column, normal_value))
    if layout.label is not None and layout.label.column not in header:
        return replace(layout, label=None)
    if layout.label is None:  # a model trained on unlabelled flows, e.g. from a capture
        default = DEFAULT_LABELS.get(layout.name)
        if default is not None and default.column in header:
            return layout.with_label(default)
    return layout


_NUMERIC_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _resolve_auto_columns(layout: Layout, table: pa.Table, source: str) -> Layout:
    """Decide the kind of generic columns: numeric, or categorical when no value is a number."""
    if not any(c.kind == Kind.AUTO for c in layout.columns):
        return layout
    resolved: list[Column] = []
    for column in layout.columns:
        if column.kind != Kind.AUTO:
            resolved.append(column)
            continue
        numeric = pc.any(pc.match_substring_regex(table.column(column.name), _NUMERIC_TEXT.pattern))
        if numeric.as_py():
            resolved.append(replace(column, kind=Kind.NUMBER))
        else:
            log.info(
                "%s: column '%s' has no numeric value: read as categorical", source, column.name
            )
            resolved.append(replace(column, kind=Kind.CATEGORY))
    return replace(layout, columns=tuple(resolved))


def _convert_auto_columns(layout: Layout, table: pa.Table, source: str) -> pa.Table:
    """Generic numeric columns were read as text: convert them, naming the first bad value."""
    for column in layout.columns:
        if column.kind != Kind.NUMBER or table.schema.field(column.name).type != pa.string():
            continue
        text = pc.utf8_trim_whitespace(table.column(column.name))
        usable = pc.match_substring_regex(text, _NUMERIC_TEXT.pattern)
        first = _first_true(pc.invert(usable))
        if first is not None:
            raise InputError(
                source,
                f"expected a finite number, got {text[first].as_py()!r}",
                row=first + 1,
                column=column.name,
            )
        index = table.column_names.index(column.name)
        table = table.set_column(index, column.name, pc.cast(text, pa.float64()))
    return table


def _validate(
    layout: Layout, table: pa.Table, source: str, *, check_labels: bool, rows_before: int
) -> None:
    """Refuse non-finite numbers, impossible ports and empty labels, naming the row."""
    for column in layout.columns:
        values = table.column(column.name)
        if column.kind == Kind.NUMBER:
            _check_finite(values, column.name, source, rows_before)
        elif column.kind == Kind.PORT:
            _check_ports(values, column.name, source, rows_before)
    label = layout.label
    if check_labels and label is not None and label.column in table.column_names:
        empty = pc.equal(pc.utf8_trim_whitespace(table.column(label.column)), "")
        first = _first_true(empty)
        if first is not None:
            raise InputError(
                source,
                "empty label, expected a value",
                row=rows_before + first + 1,
                column=label.column,
            )


def _first_true(mask: pa.ChunkedArray | pa.Array) -> int | None:
    array = mask.to_numpy(zero_copy_only=False)
    hits = np.flatnonzero(np.asarray(array, dtype=bool))
    return int(hits[0]) if hits.size else None


def _check_finite(values: pa.ChunkedArray, name: str, source: str, rows_before: int) -> None:
    numbers = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if not bad.size:
        return
    row = int(bad[0])
    if not values[row].is_valid:
        shown = "an empty field"
    elif np.isinf(numbers[row]):
        shown = "an infinite value (or one beyond ±1.8e308)"
    else:
        shown = repr(str(numbers[row]))
    raise InputError(
        source, f"expected a finite number, got {shown}", row=rows_before + row + 1, column=name
    )


def _check_ports(values: pa.ChunkedArray, name: str, source: str, rows_before: int) -> None:
    ports = pc.fill_null(values, 0).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero((ports < 0) | (ports > 65535))
    if bad.size:
        row = int(bad[0])
        raise InputError(
            source,
            f"expected a port 0-65535 (decimal or 0x hex) or empty, got {int(ports[row])}",
            row=rows_before + row + 1,
            column=name,
        )
