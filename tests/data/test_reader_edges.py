"""Inputs a hostile review found mishandled: each is read right or refused on one line."""

import logging

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import botiot_10best_rows, write_botiot_10best, write_delimited

from flowae.data.layouts import BOTIOT_10BEST, BOTIOT_10BEST_HEADER
from flowae.data.reader import iter_flows, read_flows, read_labelled_files
from flowae.errors import InputError, UsageError


def test_label_like_columns_are_found_whatever_their_case(tmp_path):
    path = write_delimited(tmp_path / "u.csv", ["BYTES", "ATTACK", "Label"], [["1", "0", "x"]])
    with pytest.raises(UsageError, match="ATTACK, Label look like labels"):
        read_flows(path, require_labels=False)


def test_numeric_labels_match_per_value_even_beside_text(tmp_path):
    rows = [["1", "0"], ["2", "0.0"], ["3", "bad"], ["4", "1"]]
    path = write_delimited(tmp_path / "l.csv", ["bytes", "lab"], rows)
    flows = read_flows(path, label_column="lab", normal_value="0")
    assert flows.is_attack().tolist() == [False, False, True, True]


def test_a_normal_file_whose_own_labels_say_attack_is_warned_about(tmp_path, caplog):
    path = write_botiot_10best(tmp_path / "f.csv", 5, 3)
    with caplog.at_level(logging.WARNING):
        flows = read_labelled_files([path], [])
    assert not flows.is_attack().any()
    assert "3 of 8 rows are attacks by the file's own 'attack' column" in caplog.text


def test_bare_carriage_return_line_ends_are_named(tmp_path):
    path = tmp_path / "cr.csv"
    path.write_bytes(b"bytes,lab\r1,0\r2,1\r")
    with pytest.raises(InputError, match="bare carriage return"):
        read_flows(path, label_column="lab", normal_value="0")


def test_parquet_null_category_and_duplicate_columns(tmp_path):
    rows = botiot_10best_rows(6, 6)
    columns = {name: [row[i] for row in rows] for i, name in enumerate(BOTIOT_10BEST_HEADER)}
    columns["proto"][2] = None
    table = pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()})
    pq.write_table(table, tmp_path / "f.parquet")
    flows = read_flows(tmp_path / "f.parquet")
    assert flows.table.column("proto").to_pylist()[2] == ""  # as an empty CSV field
    doubled = pa.Table.from_arrays([table.column(0), table.column(0)], names=["a", "a"])
    pq.write_table(doubled, tmp_path / "d.parquet")
    with pytest.raises(InputError, match="names column.s. twice: a"):
        read_flows(tmp_path / "d.parquet", require_labels=False)


def test_a_quoted_line_break_at_a_block_edge(tmp_path):
    rows = botiot_10best_rows(30, 30)
    target = 20
    rows[target][BOTIOT_10BEST_HEADER.index("saddr")] = "192.168\n100.1"
    lines = [",".join(BOTIOT_10BEST_HEADER)]
    for row in rows:
        lines.append(",".join(f'"{v}"' if not v.replace(".", "").isdigit() else v for v in row))
    text = "\n".join(lines) + "\n"
    path = tmp_path / "q.csv"
    path.write_text(text)
    whole = read_flows(path)
    assert whole.n_rows == 60
    assert whole.table.column("saddr").to_pylist()[target] == "192.168\n100.1"
    # cut the stream into small blocks so that a cut falls inside the quoted field
    edge = text.index("192.168\n") + len("192.168\n") - len(lines[0]) - 1
    for block_bytes in (edge - 3, edge, edge + 5, 256):
        blocks = list(iter_flows(path, layout=whole.layout, block_bytes=block_bytes))
        assert sum(b.n_rows for b in blocks) == 60
        saddr = [v for b in blocks for v in b.table.column("saddr").to_pylist()]
        assert saddr[target] == "192.168\n100.1"


def test_a_field_of_spaces_in_a_number_column_names_row_and_column(tmp_path):
    rows = botiot_10best_rows(4, 4)
    rows[4][BOTIOT_10BEST_HEADER.index("mean")] = "   "
    path = write_delimited(tmp_path / "s.csv", BOTIOT_10BEST_HEADER, rows)
    with pytest.raises(InputError, match=r"row 5, column 'mean': expected a number, got '   '"):
        read_flows(path)


def test_a_row_longer_than_a_megabyte(tmp_path):
    rows = botiot_10best_rows(4, 4)
    rows[2][BOTIOT_10BEST_HEADER.index("saddr")] = "x" * (1 << 21)
    path = write_delimited(tmp_path / "long.csv", BOTIOT_10BEST_HEADER, rows)
    flows = read_flows(path)
    assert flows.n_rows == 8 and len(flows.table.column("saddr")[2].as_py()) == 1 << 21
    assert sum(t.n_rows for t in iter_flows(path, layout=BOTIOT_10BEST)) == 8


def test_header_only_unlabelled_file_is_not_an_internal_error(tmp_path):
    from flowae.errors import TrainingError
    from flowae.model.detector import FlowDetector

    path = tmp_path / "ab.csv"
    path.write_text("a,b\n")
    flows = read_flows(path, require_labels=False)
    with pytest.raises(TrainingError, match="has no rows to train on"):
        FlowDetector().fit(flows)
    assert np.asarray(flows.row_numbers).size == 0
