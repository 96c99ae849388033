"""Where flow rows come from: a file (plain, gzip, Parquet) or standard input, in blocks.

A :class:`FlowSource` knows its header and hands out the rows in blocks of
about ``block_bytes`` bytes, each parsed by pyarrow into a typed table. Cutting
the byte stream at line ends ourselves keeps memory flat, lets pyarrow parse
each block on every core, and means a block that fails to parse is still in
hand to find the exact row and column at fault (even on standard input).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import os
import re
import stat
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pyarrow.parquet as pq

from flowae.data.layouts import ZEEK_HISTORY_COLUMNS
from flowae.errors import InputError

DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
DEFAULT_BLOCK_BYTES = 4 << 20
PARQUET_BATCH_ROWS = 262_144
STDIN = "-"
_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_MAX_HEADER_BYTES = 1 << 20
_STREAM_ERRORS = (OSError, EOFError, zlib.error, pa.ArrowInvalid, pa.ArrowIOError)


@dataclass
class FlowSource:
    """An opened input: its name, format, header and the stream of its rows."""

    name: str
    format: str  # "csv", "zeek" or "parquet"
    header: list[str]
    delimiter: str | None = None
    fields: list[str] = field(default_factory=list)  # the file's own columns (csv, zeek)
    _stream: Any = None  # binary stream after the header line (csv)
    _pending: bytes = b""  # bytes already read past the header line (csv)
    _parquet: pq.ParquetFile | None = None
    _closers: list[Any] = field(default_factory=list)
    _rows_done: int = 0

    def close(self) -> None:
        for closer in reversed(self._closers):
            with contextlib.suppress(Exception):  # a broken stream must not hide the real error
                closer.close()

    def __enter__(self) -> FlowSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def blocks(
        self,
        columns: list[str],
        column_types: dict[str, pa.DataType],
        *,
        block_bytes: int = DEFAULT_BLOCK_BYTES,
    ) -> Iterator[pa.Table]:
        """Typed tables of consecutive rows (only ``columns``), in file order.

        A value that does not convert raises :class:`InputError` with its row
        (counted across blocks) and column.
        """
        if self.format == "parquet":
            yield from self._parquet_blocks(columns, column_types)
        else:
            yield from self._csv_blocks(columns, column_types, block_bytes)

    # ------------------------------------------------------------------ csv

    def _csv_blocks(
        self, columns: list[str], column_types: dict[str, pa.DataType], block_bytes: int
    ) -> Iterator[pa.Table]:
        self._rows_done = 0
        derived = [name for name in columns if name in ZEEK_HISTORY_COLUMNS]
        if self.format != "zeek" or not derived:
            derived = []
        read = [name for name in columns if name not in derived]
        if derived and "history" not in read:
            read.append("history")
            column_types = {**column_types, "history": pa.string()}
        for block in self._raw_blocks(block_bytes):
            if self.format == "zeek":
                block = self._zeek_rows(block)
                if not block:
                    continue
            table = self._parse_block(block, read, column_types, self._rows_done)
            if self.format == "zeek":
                table = _zeek_values(table, derived, column_types)
                table = table.select(columns)
            self._rows_done += table.num_rows
            yield table

    def _raw_blocks(self, block_bytes: int) -> Iterator[bytes]:
        pending = self._pending
        self._pending = b""
        while True:
            try:
                data = self._stream.read(block_bytes)
            except _STREAM_ERRORS as error:
                raise InputError(
                    self.name,
                    f"cannot be read after row {self._rows_done}: {_describe_stream_error(error)}",
                ) from None
            if not data:
                if pending.strip():
                    yield pending if pending.endswith(b"\n") else pending + b"\n"
                return
            buffer = pending + data if pending else data
            cut = self._row_end(buffer)
            if cut < 0:
                pending = buffer
                continue
            pending = buffer[cut + 1 :]
            yield buffer[: cut + 1]

    def _zeek_rows(self, block: bytes) -> bytes:
        """The data rows of a block of Zeek log lines: '#' lines dropped, IoT-23's
        three-space separators made tabs. A later '#fields' line naming other columns
        (logs concatenated with ``cat``) is refused rather than misread."""
        if block.startswith(b"#") or b"\n#" in block:
            rows = []
            for line in block.splitlines(True):
                if not line.startswith(b"#"):
                    rows.append(line)
                elif line.startswith(b"#fields") and _zeek_fields(line) != self.fields:
                    raise InputError(
                        self.name,
                        "a second '#fields' line names other columns (concatenated logs?); "
                        "read each log on its own",
                        row=self._rows_done + len(rows) + 1,
                    )
            block = b"".join(rows)
        if _IOT23_SEPARATOR in block:
            block = block.replace(_IOT23_SEPARATOR, b"\t")
        return block

    def _row_end(self, buffer: bytes) -> int:
        """Position of the last line break of ``buffer`` that ends a row (-1: none).

        A line break inside a quoted field does not end a row: the count of
        quotes before a row end is even (an escaped quote is two quotes).
        """
        cut = buffer.rfind(b"\n")
        if self.format == "zeek" or cut < 0 or b'"' not in buffer:
            return cut
        quotes = buffer.count(b'"', 0, cut)
        while cut >= 0 and quotes % 2:
            previous = buffer.rfind(b"\n", 0, cut)
            quotes -= buffer.count(b'"', previous + 1, cut)
            cut = previous
        return cut

    def _parse_block(
        self,
        block: bytes,
        columns: list[str],
        column_types: dict[str, pa.DataType],
        rows_before: int,
    ) -> pa.Table:
        try:
            return self._read_block(block, columns, column_types, whole=False)
        except pa.ArrowInvalid as error:
            # a row longer than pyarrow's 1 MB parsing chunk, or a quoted line break
            # (pyarrow parses faster when it may assume values hold none): once more, whole
            if "straddl" not in str(error) and b'"' not in block:
                raise self._locate(block, columns, column_types, rows_before, error) from None
        try:
            return self._read_block(block, columns, column_types, whole=True)
        except pa.ArrowInvalid as error:
            raise self._locate(block, columns, column_types, rows_before, error) from None

    def _read_block(
        self,
        block: bytes,
        columns: list[str],
        column_types: dict[str, pa.DataType],
        *,
        whole: bool,
    ) -> pa.Table:
        """Parse one block; ``whole``: as one chunk on one thread, quoted line breaks allowed."""
        read_options = (
            pv.ReadOptions(column_names=self.fields, use_threads=False, block_size=len(block) + 1)
            if whole
            else pv.ReadOptions(column_names=self.fields)
        )
        return pv.read_csv(
            pa.py_buffer(block),
            read_options=read_options,
            parse_options=self._parse_options(newlines_in_values=whole and self.format != "zeek"),
            convert_options=_convert_options(
                columns, column_types, null_values=ZEEK_UNSET if self.format == "zeek" else ""
            ),
        )

    def _parse_options(self, **extra: Any) -> pv.ParseOptions:
        quote_char: str | bool = False if self.format == "zeek" else '"'
        return pv.ParseOptions(delimiter=self.delimiter, quote_char=quote_char, **extra)

    def _locate(
        self,
        block: bytes,
        columns: list[str],
        column_types: dict[str, pa.DataType],
        rows_before: int,
        error: pa.ArrowInvalid,
    ) -> InputError:
        """Find the first bad row of a block that failed to parse (slow path)."""
        ragged: list[tuple[int | None, int, int]] = []

        def record(row: pv.InvalidRow) -> str:
            ragged.append((row.number, row.expected_columns, row.actual_columns))
            return "skip"

        try:
            raw = pv.read_csv(
                pa.py_buffer(block),
                read_options=pv.ReadOptions(
                    column_names=self.fields, use_threads=False, block_size=len(block) + 1
                ),
                parse_options=self._parse_options(
                    invalid_row_handler=record, newlines_in_values=self.format != "zeek"
                ),
                convert_options=_convert_options(
                    columns, dict.fromkeys(columns, pa.binary()), strings_null=False
                ),
            )
        except pa.ArrowInvalid:
            return InputError(
                self.name, f"cannot be parsed after row {rows_before}: {_one_line(str(error))}"
            )
        problems: list[tuple[int, InputError]] = []
        numbered = [(n, expected, actual) for n, expected, actual in ragged if n is not None]
        if numbered:
            number, expected, actual = numbered[0]
            delimiter = DELIMITERS.get(self.delimiter or "", self.delimiter)
            problem = InputError(
                self.name,
                f"has {actual} fields, expected {expected} like the header "
                f"(delimiter: {delimiter})",
                row=rows_before + number,
            )
            problems.append((rows_before + number, problem))
        skipped = sorted(number for number, _, _ in ragged if number is not None)
        for name in columns:
            target = column_types.get(name, pa.string())
            unset = ZEEK_UNSET if self.format == "zeek" else ""
            bad = first_unconvertible(raw.column(name), target, unset=unset)
            if bad is None:
                continue
            row = bad + 1
            for number in skipped:  # ragged rows are missing from ``raw``
                if number <= row:
                    row += 1
            value = raw.column(name)[bad].as_py()
            problems.append(
                (
                    rows_before + row,
                    InputError(
                        self.name,
                        f"expected {_expected(target)}, got {_show(value)}",
                        row=rows_before + row,
                        column=name,
                    ),
                )
            )
        if problems:
            return min(problems, key=lambda problem: problem[0])[1]
        return InputError(
            self.name, f"cannot be parsed after row {rows_before}: {_one_line(str(error))}"
        )

    # ------------------------------------------------------------------ parquet

    def _parquet_blocks(
        self, columns: list[str], column_types: dict[str, pa.DataType]
    ) -> Iterator[pa.Table]:
        assert self._parquet is not None
        rows_before = 0
        try:
            batches = self._parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, columns=columns)
            for batch in batches:
                table = pa.Table.from_batches([batch])
                yield self._cast_parquet(table, column_types, rows_before)
                rows_before += table.num_rows
        except _STREAM_ERRORS as error:
            raise InputError(
                self.name, f"cannot be read after row {rows_before}: {_one_line(str(error))}"
            ) from None

    def _cast_parquet(
        self, table: pa.Table, column_types: dict[str, pa.DataType], rows_before: int
    ) -> pa.Table:
        for index, name in enumerate(table.column_names):
            target = column_types.get(name, pa.string())
            values = table.column(name)
            if values.type == target:
                continue
            if pa.types.is_dictionary(values.type):
                values = values.cast(values.type.value_type)
            as_text = pa.types.is_string(target) or pa.types.is_binary(target)
            if as_text and not (
                pa.types.is_string(values.type) or pa.types.is_large_string(values.type)
            ):
                values = pc.cast(values, pa.string())
            bad = first_unconvertible(values, target)
            if bad is not None:
                raise InputError(
                    self.name,
                    f"expected {_expected(target)}, got {_show(values[bad].as_py())}",
                    row=rows_before + bad + 1,
                    column=name,
                )
            table = table.set_column(index, name, _cast(values, target))
        for index, name in enumerate(table.column_names):
            values = table.column(name)
            if values.null_count and pa.types.is_string(values.type):  # as an empty CSV field
                table = table.set_column(index, name, pc.fill_null(values, ""))
        return table


def open_source(path: str | Path) -> FlowSource:
    """Open a flow file, or standard input for ``-``, and read its header."""
    name = "<stdin>" if str(path) == STDIN else str(path)
    if str(path) == STDIN:
        raw: IO[bytes] = sys.stdin.buffer
        closers: list[Any] = []
    else:
        raw = _open_file(Path(path))
        closers = [raw]
    try:
        start = _peek(raw, 4)
        if start[:4] == _PARQUET_MAGIC:
            return _open_parquet(path, name, closers)
        stream: Any = raw
        if start[:2] == _GZIP_MAGIC:
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
            closers.append(stream)
        header_line, pending = _read_header_line(stream, name)
        if header_line.startswith(_ZEEK_MAGIC):
            header, pending = _read_zeek_header(header_line, pending, stream, name)
            fields = [c for c in header if c not in ZEEK_HISTORY_COLUMNS]
            source = FlowSource(name, "zeek", header, "\t", fields, stream, pending)
            source._closers = closers
            return source
        delimiter, header = _parse_header(header_line, name)
        source = FlowSource(name, "csv", header, delimiter, header, stream, pending)
        source._closers = closers
        return source
    except BaseException:
        for closer in closers:
            closer.close()
        raise


def _open_file(path: Path) -> IO[bytes]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as error:
        raise InputError(path, f"cannot be opened: {error.strerror}") from None
    if stat.S_ISDIR(mode):
        raise InputError(path, "is a directory, expected a flow file")
    if stat.S_ISREG(mode) and path.stat().st_size == 0:
        raise InputError(path, "is empty, expected a header line and flow rows")
    try:
        return io.BufferedReader(io.FileIO(path, "rb"), buffer_size=1 << 20)
    except OSError as error:
        raise InputError(path, f"cannot be opened: {error.strerror}") from None


def _peek(raw: IO[bytes], size: int) -> bytes:
    peek = getattr(raw, "peek", None)
    if peek is None:
        return b""
    return bytes(peek(size)[:size])


def _open_parquet(path: str | Path, name: str, closers: list[Any]) -> FlowSource:
    if str(path) == STDIN:
        raise InputError(name, "Parquet cannot be streamed from standard input; give the file")
    for closer in closers:
        closer.close()
    try:
        parquet = pq.ParquetFile(str(path))
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(
            name, f"is not a readable Parquet file ({_one_line(str(error))})"
        ) from None
    header = list(parquet.schema_arrow.names)
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        raise InputError(name, f"names column(s) twice: {', '.join(duplicated)}", row=0)
    return FlowSource(name, "parquet", header, _parquet=parquet)


def _read_header_line(stream: Any, name: str) -> tuple[bytes, bytes]:
    buffer = b""
    while True:
        try:
            data = stream.read(65536)
        except _STREAM_ERRORS as error:
            raise InputError(name, f"cannot be read: {_describe_stream_error(error)}") from None
        if not data:
            if not buffer:
                raise InputError(name, "is empty, expected a header line and flow rows")
            return buffer, b""
        buffer += data
        end = buffer.find(b"\n")
        if end >= 0:
            return buffer[:end], buffer[end + 1 :]
        if len(buffer) > _MAX_HEADER_BYTES:
            raise InputError(name, "has no line break in its first MB: not a flow file")


def _parse_header(line: bytes, name: str) -> tuple[str, list[str]]:
    try:
        text = line.decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise InputError(name, "the header is not UTF-8 text: not a flow file", row=0) from None
    if not text.strip():
        raise InputError(name, "the first line is empty, expected a header naming the columns")
    if "\r" in text:
        raise InputError(
            name,
            "lines end in a bare carriage return (classic Mac line ends); expected LF or CRLF "
            "line ends (convert with: tr '\\r' '\\n')",
            row=0,
        )
    counts = {d: text.count(d) for d in DELIMITERS}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        raise InputError(
            name,
            "cannot tell the delimiter: the header has no comma, semicolon, tab or pipe "
            f"(header starts: {text[:60]!r})",
            row=0,
        )
    header = [column.strip() for column in next(csv.reader([text], delimiter=delimiter))]
    empty = [i + 1 for i, column in enumerate(header) if not column]
    if empty:
        raise InputError(name, f"header field(s) {empty} have no name", row=0)
    seen: set[str] = set()
    duplicated = sorted({c for c in header if c in seen or seen.add(c)})  # type: ignore[func-returns-value]
    if duplicated:
        raise InputError(name, f"header names column(s) twice: {', '.join(duplicated)}", row=0)
    return delimiter, header


def _convert_options(
    columns: list[str],
    column_types: dict[str, pa.DataType],
    strings_null: bool = True,
    null_values: str = "",
) -> pv.ConvertOptions:
    return pv.ConvertOptions(
        column_types=column_types,
        include_columns=columns,
        null_values=[null_values] if strings_null else [],
        strings_can_be_null=False,  # an empty category is a value, an empty number is not
    )


# ---------------------------------------------------------------------- Zeek logs
#
# A Zeek log is tab-separated with '#' lines around the rows: '#fields' names the
# columns, '#close' ends the file. IoT-23's conn.log.labeled separates its last
# three fields (tunnel_parents, label, detailed-label) with three spaces instead of
# a tab. '-' is an unset field: in a count or interval column (a flow with no
# payload has no orig_bytes, a one-packet flow no duration) it is read as 0; in a
# text column (service, history) it stays the value '-'.

_ZEEK_MAGIC = b"#separator"
ZEEK_LABEL_COLUMN = "label"
ZEEK_UNSET = "-"
_IOT23_SEPARATOR = b"   "


def _read_zeek_header(
    first_line: bytes, pending: bytes, stream: Any, name: str
) -> tuple[list[str], bytes]:
    """The '#fields' names (plus the derived history counts) and the bytes after the header."""
    separator = first_line[len(_ZEEK_MAGIC) :].strip().decode("ascii", "replace")
    if separator not in ("\\x09", "\t"):
        raise InputError(
            name, f"Zeek logs separated by {separator!r} are not supported, only tabs", row=0
        )
    fields: list[str] | None = None
    buffer = pending
    while True:
        end = buffer.find(b"\n")
        if end < 0:
            more = stream.read(65536)
            if not more:
                break
            buffer += more
            if len(buffer) > _MAX_HEADER_BYTES:
                raise InputError(name, "a Zeek header line is longer than 1 MB")
            continue
        line, rest = buffer[:end].rstrip(b"\r"), buffer[end + 1 :]
        if not line.startswith(b"#"):
            break
        buffer = rest
        if line.startswith(b"#fields"):
            fields = _zeek_fields(line)
    if fields is None and buffer.startswith(b"#fields"):  # the header's last line, unended
        fields, buffer = _zeek_fields(buffer), b""
    if fields is None:
        raise InputError(name, "is a Zeek log without a '#fields' line naming its columns", row=0)
    duplicated = sorted({f for f in fields if fields.count(f) > 1})
    if duplicated:
        raise InputError(name, f"'#fields' names column(s) twice: {', '.join(duplicated)}", row=0)
    header = list(fields)
    if "history" in fields:
        header += ZEEK_HISTORY_COLUMNS
    return header, buffer


def _zeek_fields(line: bytes) -> list[str]:
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    return [f for f in re.split(r"\t| {3}", text)[1:] if f]


def _zeek_values(
    table: pa.Table, derived: list[str], column_types: dict[str, pa.DataType]
) -> pa.Table:
    """Unset counts become 0, an unset label empty (refused like any empty label); the
    history string becomes counts per letter."""
    if ZEEK_LABEL_COLUMN in table.column_names:
        index = table.column_names.index(ZEEK_LABEL_COLUMN)
        labels = table.column(index)
        table = table.set_column(
            index, ZEEK_LABEL_COLUMN, pc.if_else(pc.equal(labels, ZEEK_UNSET), "", labels)
        )
    for index, name in enumerate(table.column_names):
        values = table.column(name)
        if values.null_count and not pa.types.is_string(column_types.get(name, pa.string())):
            table = table.set_column(index, name, pc.fill_null(values, 0))
    if derived:
        history = table.column("history")
        history = pc.if_else(pc.equal(history, ZEEK_UNSET), "", history)
        counted = pa.array(np.zeros(table.num_rows, dtype=np.float64))
        for name in ZEEK_HISTORY_COLUMNS[:-1]:
            count = pc.cast(pc.count_substring(history, name[-1]), pa.float64())
            counted = pc.add(counted, count)
            if name in derived:
                table = table.append_column(name, count)
        if "history_other" in derived:
            length = pc.cast(pc.utf8_length(history), pa.float64())
            table = table.append_column("history_other", pc.subtract(length, counted))
    return table


def first_unconvertible(
    values: pa.ChunkedArray | pa.Array, target: pa.DataType, *, unset: str = ""
) -> int | None:
    """Position of the first value that does not convert to ``target`` (None if all do).

    Text is trimmed and an empty field (or ``unset``, Zeek's '-') counts as
    missing, as the CSV reader does.
    """
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if len(values) == 0:
        return None
    try:
        _cast(values, target, unset)
        return None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    low, high = 0, len(values)  # the failure lies in values[low:high]
    while high - low > 1:
        middle = (low + high) // 2
        try:
            _cast(values.slice(low, middle - low), target, unset)
            low = middle
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            high = middle
    return low


def _cast(values: pa.Array | pa.ChunkedArray, target: pa.DataType, unset: str = "") -> pa.Array:
    if pa.types.is_binary(values.type) and not pa.types.is_binary(target):
        values = pc.cast(values, pa.string())  # fails on invalid UTF-8
    if pa.types.is_string(values.type) and (
        pa.types.is_floating(target) or pa.types.is_integer(target)
    ):
        # only a truly empty field (or Zeek's '-') is missing, as for the CSV reader; a
        # field of spaces trims to '' and fails to convert, so it is reported
        trimmed = pc.utf8_trim_whitespace(values)
        missing = pc.equal(values, "")
        if unset:
            missing = pc.or_(missing, pc.equal(trimmed, unset))
        values = pc.if_else(missing, pa.scalar(None, pa.string()), trimmed)
    return pc.cast(values, target)


def _expected(target: pa.DataType) -> str:
    if pa.types.is_floating(target):
        return "a number"
    if pa.types.is_integer(target):
        return "an integer port (decimal or 0x hex)"
    return "UTF-8 text"


def _show(value: object) -> str:
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return f"bytes {value[:40]!r} that are not UTF-8"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _describe_stream_error(error: BaseException) -> str:
    if isinstance(error, EOFError | gzip.BadGzipFile) or "truncated" in str(error).lower():
        return "the compressed data is truncated or damaged"
    if isinstance(error, zlib.error):
        return "the compressed data is damaged"
    return _one_line(str(error) or type(error).__name__)


def is_regular_file(path: str | Path) -> bool:
    """True for an existing regular file (not a pipe, device or directory)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False
