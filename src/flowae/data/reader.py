"""Reading flow files into a validated, typed table.

One reader for every delimited layout: it sniffs the delimiter (comma,
semicolon, tab or pipe), recognises the layout from the header, parses with
pyarrow and validates every value. A value that cannot be used stops the read
with an :class:`InputError` naming the file, row and column. Rows are
numbered from 1, header excluded, blank lines skipped: the same numbers the
score output uses.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv

from flowae.data.layouts import Column, Kind, LabelSpec, Layout, recognise_layout
from flowae.errors import InputError, UsageError

log = logging.getLogger(__name__)

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
PORT_MISSING = -1  # encoded value of an empty port field (ARP and other port-less flows)
_GZIP_MAGIC = b"\x1f\x8b"


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
        labels = self.table.column(self.layout.label.column)
        return ~pc.equal(labels, self.layout.label.normal_value).to_numpy(zero_copy_only=False)

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
            table=pa.concat_tables([self.table, other.table.select(self.table.column_names)]),
            row_numbers=np.concatenate([self.row_numbers, other.row_numbers]),
        )


def read_flows(
    path: str | Path,
    *,
    layout: Layout | None = None,
    label_column: str | None = None,
    normal_value: str | None = None,
    categorical: Sequence[str] = (),
    require_labels: bool = True,
) -> FlowTable:
    """Read and validate a delimited flow file (plain or gzip-compressed).

    With ``layout`` (e.g. the one stored in a model) the file must contain
    its feature columns; labels are read when present. Without it, the layout
    is recognised from the header. ``require_labels`` makes a missing or empty
    label an error (training and evaluation); scoring passes False.
    """
    path = Path(path)
    source = str(path)
    _check_readable(path)
    delimiter, header = sniff_header(path)

    if layout is None:
        layout = recognise_layout(
            header,
            source=source,
            label_column=label_column,
            normal_value=normal_value,
            categorical=categorical,
            require_label=require_labels,
        )
    else:
        layout = _layout_for_scoring(layout, header, source, label_column, normal_value)
    if require_labels and layout.label is None:
        raise UsageError(f"{source}: no label column; give --label-column and --normal-value")

    wanted = [c.name for c in layout.columns]
    if layout.label is not None and layout.label.column in header:
        wanted.append(layout.label.column)
    wanted += [c for c in layout.label_columns if c in header and c not in wanted]
    missing = [name for name in wanted if name not in header]
    if missing:
        raise InputError(
            source,
            f"missing column(s) {', '.join(missing)} needed by layout '{layout.name}' "
            f"(header has: {', '.join(header)})",
        )

    column_types = {c.name: _ARROW_TYPES[c.kind] for c in layout.columns if c.kind != Kind.AUTO}
    column_types.update({c.name: pa.string() for c in layout.columns if c.kind == Kind.AUTO})
    column_types.update({name: pa.string() for name in wanted if name in layout.label_columns})
    table = _parse(path, delimiter, header, wanted, column_types, source)
    layout = _resolve_auto_columns(layout, table, source)
    table = _convert_auto_columns(layout, table, source)
    _validate(layout, table, source, require_labels)
    log.debug("read %d rows from %s as layout %s", table.num_rows, source, layout.name)
    return FlowTable(source, layout, table, np.arange(1, table.num_rows + 1, dtype=np.int64))


_ARROW_TYPES = {Kind.NUMBER: pa.float64(), Kind.PORT: pa.int64(), Kind.CATEGORY: pa.string()}


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes, as hex (for provenance in reports)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_readable(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, "is a directory, expected a flow file")
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as error:
        raise InputError(path, f"cannot be opened: {error.strerror}") from error
    if size == 0:
        raise InputError(path, "is empty, expected a header line and flow rows")


def _open_text(path: Path) -> io.TextIOBase:
    with path.open("rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    if compressed:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def sniff_header(path: str | Path) -> tuple[str, list[str]]:
    """The delimiter and the column names of a delimited file's first line."""
    path = Path(path)
    try:
        with _open_text(path) as text:
            first_line = text.readline()
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as error:
        raise InputError(path, f"is not a UTF-8 text flow file ({error})") from error
    if not first_line.strip():
        raise InputError(path, "the first line is empty, expected a header naming the columns")
    counts = {d: first_line.count(d) for d in DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        raise InputError(
            path,
            "cannot tell the delimiter: the header has no comma, semicolon, tab or pipe "
            f"(header starts: {first_line[:60].rstrip()!r})",
            row=0,
        )
    header = [name.strip() for name in next(csv.reader([first_line], delimiter=delimiter))]
    empty = [i + 1 for i, name in enumerate(header) if not name]
    if empty:
        raise InputError(path, f"header field(s) {empty} have no name", row=0)
    seen: set[str] = set()
    duplicated = sorted({n for n in header if n in seen or seen.add(n)})  # type: ignore[func-returns-value]
    if duplicated:
        raise InputError(path, f"header names column(s) twice: {', '.join(duplicated)}", row=0)
    return delimiter, header


def _layout_for_scoring(
    layout: Layout,
    header: Sequence[str],
    source: str,
    label_column: str | None,
    normal_value: str | None,
) -> Layout:
    """A model's layout applied to a new file: labels optional, maybe renamed."""
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
    return layout


def _parse(
    path: Path,
    delimiter: str,
    header: list[str],
    wanted: list[str],
    column_types: dict[str, pa.DataType],
    source: str,
) -> pa.Table:
    read_options = pv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 22)
    parse_options = pv.ParseOptions(delimiter=delimiter, quote_char='"')
    convert_options = pv.ConvertOptions(
        column_types=column_types,
        include_columns=wanted,
        null_values=[""],
        strings_can_be_null=False,  # an empty category is a value, an empty number is not
    )
    try:
        return pv.read_csv(
            _arrow_input(path),
            read_options=read_options,
            parse_options=parse_options,
            convert_options=convert_options,
        )
    except pa.ArrowInvalid as error:
        raise _locate_parse_error(path, delimiter, header, wanted, source, error) from None


def _arrow_input(path: Path) -> pa.NativeFile:
    with path.open("rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
    return pa.input_stream(str(path), compression="gzip" if compressed else None)


_CONVERSION = re.compile(r"column #(\d+): CSV conversion error to (\w+): invalid value '(.*)'$")
_FIELD_COUNT = re.compile(r"Expected (\d+) columns, got (\d+)")


def _locate_parse_error(
    path: Path,
    delimiter: str,
    header: list[str],
    wanted: list[str],
    source: str,
    error: pa.ArrowInvalid,
) -> InputError:
    """Turn pyarrow's message into one that names the row, by a slower second pass."""
    message = str(error)
    conversion = _CONVERSION.search(message)
    if conversion:
        column = header[int(conversion.group(1))]
        bad_value = conversion.group(3)
        raw = pv.read_csv(
            _arrow_input(path),
            read_options=pv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pv.ParseOptions(delimiter=delimiter),
            convert_options=pv.ConvertOptions(
                column_types={column: pa.string()},
                include_columns=[column],
                strings_can_be_null=False,
            ),
        ).column(0)
        matches = np.flatnonzero(pc.equal(raw, bad_value).to_numpy(zero_copy_only=False))
        row = int(matches[0]) + 1 if matches.size else None
        expected = {"double": "a number", "int64": "an integer port (decimal or 0x hex)"}
        return InputError(
            source,
            f"expected {expected.get(conversion.group(2), conversion.group(2))}, got {bad_value!r}",
            row=row,
            column=column,
        )
    if _FIELD_COUNT.search(message):
        first_bad: list[tuple[int | None, int, int]] = []

        def record(row: pv.InvalidRow) -> str:
            if not first_bad:
                first_bad.append((row.number, row.expected_columns, row.actual_columns))
            return "skip"

        pv.read_csv(
            _arrow_input(path),
            read_options=pv.ReadOptions(column_names=header, skip_rows=1, use_threads=False),
            parse_options=pv.ParseOptions(delimiter=delimiter, invalid_row_handler=record),
            convert_options=pv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), include_columns=header[:1]
            ),
        )
        if first_bad:
            number, expected_count, actual = first_bad[0]
            # pyarrow counts the header and skips blank lines, like our row numbers + 1
            return InputError(
                source,
                f"has {actual} fields, expected {expected_count} like the header "
                f"(delimiter: {DELIMITERS[delimiter]})",
                row=number - 1 if number is not None else None,
            )
    return InputError(source, f"cannot be parsed: {message}")


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


def _validate(layout: Layout, table: pa.Table, source: str, require_labels: bool) -> None:
    for column in layout.columns:
        values = table.column(column.name)
        if column.kind == Kind.NUMBER:
            _check_finite(values, column.name, source)
        elif column.kind == Kind.PORT:
            _check_ports(values, column.name, source)
    label = layout.label
    if require_labels and label is not None and label.column in table.column_names:
        empty = pc.equal(pc.utf8_trim_whitespace(table.column(label.column)), "")
        first = _first_true(empty)
        if first is not None:
            raise InputError(
                source, "empty label, expected a value", row=first + 1, column=label.column
            )


def _first_true(mask: pa.ChunkedArray | pa.Array) -> int | None:
    array = mask.to_numpy(zero_copy_only=False) if hasattr(mask, "to_numpy") else np.asarray(mask)
    hits = np.flatnonzero(np.asarray(array, dtype=bool))
    return int(hits[0]) if hits.size else None


def _check_finite(values: pa.ChunkedArray, name: str, source: str) -> None:
    numbers = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    bad = np.flatnonzero(~np.isfinite(numbers))
    if not bad.size:
        return
    row = int(bad[0])
    shown = repr(str(numbers[row])) if values[row].is_valid else "an empty field"
    raise InputError(source, f"expected a finite number, got {shown}", row=row + 1, column=name)


def _check_ports(values: pa.ChunkedArray, name: str, source: str) -> None:
    ports = pc.fill_null(values, 0).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero((ports < 0) | (ports > 65535))
    if bad.size:
        row = int(bad[0])
        raise InputError(
            source,
            f"expected a port 0-65535 (decimal or 0x hex) or empty, got {int(ports[row])}",
            row=row + 1,
            column=name,
        )
