import gzip

import numpy as np
import pytest
from helpers import (
    botiot_10best_rows,
    botiot_full_rows,
    write_botiot_10best,
    write_delimited,
    write_generic,
)

from flowae.data.layouts import BOTIOT_10BEST, BOTIOT_10BEST_HEADER, BOTIOT_FULL_HEADER, Kind
from flowae.data.reader import iter_flows, read_flows
from flowae.errors import InputError, UsageError


@pytest.mark.parametrize(
    ("delimiter", "quote_all"), [(",", True), (";", False), (";", True), ("\t", False)]
)
def test_10best_reads_in_every_circulating_form(tmp_path, delimiter, quote_all):
    path = write_botiot_10best(tmp_path / "f.csv", 30, 20, delimiter=delimiter, quote_all=quote_all)
    flows = read_flows(path)
    assert flows.layout.name == "botiot-10best"
    assert flows.n_rows == 50
    assert flows.is_attack().sum() == 20
    assert flows.table.column("sport").type == "int64"
    assert flows.table.column("mean").type == "double"
    assert list(flows.row_numbers[:3]) == [1, 2, 3]


def test_ports_decimal_hex_and_empty(tmp_path):
    rows = botiot_10best_rows(3, 0)
    sport, dport = BOTIOT_10BEST_HEADER.index("sport"), BOTIOT_10BEST_HEADER.index("dport")
    rows[0][sport], rows[0][dport] = "0x0303", "0x2600"
    rows[1][sport], rows[1][dport] = "", ""
    rows[2][sport], rows[2][dport] = "80", "65535"
    path = write_delimited(tmp_path / "f.csv", BOTIOT_10BEST_HEADER, rows, quote_all=True)
    flows = read_flows(path)
    assert flows.table.column("sport").to_pylist() == [771, None, 80]
    assert flows.table.column("dport").to_pylist() == [0x2600, None, 65535]


def test_header_column_order_does_not_matter(tmp_path):
    rows = botiot_10best_rows(5, 5)
    order = list(reversed(range(len(BOTIOT_10BEST_HEADER))))
    header = [BOTIOT_10BEST_HEADER[i] for i in order]
    path = write_delimited(tmp_path / "f.csv", header, [[r[i] for i in order] for r in rows])
    flows = read_flows(path)
    assert flows.layout.name == "botiot-10best"
    assert flows.table.column("proto").to_pylist() == [r[1] for r in rows]


def test_full_layout_ignores_mac_columns_and_keeps_labels_out(tmp_path):
    path = write_delimited(
        tmp_path / "full.csv", BOTIOT_FULL_HEADER, botiot_full_rows(10, 10), quote_all=True
    )
    flows = read_flows(path)
    assert flows.layout.name == "botiot-full"
    names = {c.name for c in flows.layout.columns}
    assert not names & {"smac", "dmac", "soui", "doui", "sco", "dco"}
    assert not names & {"attack", "category", "subcategory"}
    assert {c.name for c in flows.layout.feature_columns("paper")} - {
        c.name for c in flows.layout.feature_columns("sound")
    } == {"pkSeqID", "stime", "ltime", "saddr", "sport", "daddr", "dport", "seq"}


def test_feature_sets_of_10best(tmp_path):
    flows = read_flows(write_botiot_10best(tmp_path / "f.csv", 5, 5))
    assert len(flows.layout.feature_columns("paper")) == 16
    sound = [c.name for c in flows.layout.feature_columns("sound")]
    assert len(sound) == 10
    assert not set(sound) & {"pkSeqID", "saddr", "daddr", "sport", "dport", "seq"}


def test_generic_file_needs_its_label_column(tmp_path):
    path = write_generic(tmp_path / "g.csv", 10, 10)
    with pytest.raises(UsageError, match="matches no known layout.*--label-column"):
        read_flows(path)
    flows = read_flows(path, label_column="verdict", normal_value="benign")
    kinds = {c.name: c.kind for c in flows.layout.columns}
    assert kinds == {
        "service": Kind.CATEGORY,
        "duration": Kind.NUMBER,
        "bytes_out": Kind.NUMBER,
        "packets": Kind.NUMBER,
    }
    assert flows.is_attack().sum() == 10


def test_generic_label_column_must_exist_and_normal_value_is_needed(tmp_path):
    path = write_generic(tmp_path / "g.csv", 5, 5)
    with pytest.raises(UsageError, match="no label column 'nope'"):
        read_flows(path, label_column="nope", normal_value="x")
    with pytest.raises(UsageError, match="--normal-value"):
        read_flows(path, label_column="verdict")


def test_gzip_and_bom(tmp_path):
    plain = write_botiot_10best(tmp_path / "f.csv", 5, 5)
    data = "\ufeff" + plain.read_text()
    packed = tmp_path / "f.csv.gz"
    packed.write_bytes(gzip.compress(data.encode("utf-8")))
    flows = read_flows(packed)
    assert flows.n_rows == 10
    assert flows.layout.name == "botiot-10best"


def test_take_keeps_row_numbers(tmp_path):
    flows = read_flows(write_botiot_10best(tmp_path / "f.csv", 5, 5))
    subset = flows.take(np.array([7, 2]))
    assert list(subset.row_numbers) == [8, 3]


# ------------------------------------------------------------------ bad input


def _bad_row(tmp_path, column, value, row=3):
    rows = botiot_10best_rows(4, 4)
    rows[row - 1][BOTIOT_10BEST_HEADER.index(column)] = value
    return write_delimited(tmp_path / "bad.csv", BOTIOT_10BEST_HEADER, rows)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("mean", "abc", "expected a number, got 'abc'"),
        ("mean", "", "expected a finite number, got an empty field"),
        ("stddev", "nan", "expected a finite number, got 'nan'"),
        ("srate", "inf", "expected a finite number, got an infinite value"),
        ("srate", "1e400", "expected a finite number, got an infinite value (or one beyond"),
        ("sport", "http", "expected an integer port"),
        ("dport", "70000", "expected a port 0-65535"),
        ("dport", "-3", "expected a port 0-65535"),
    ],
)
def test_bad_values_name_file_row_and_column(tmp_path, column, value, expected):
    path = _bad_row(tmp_path, column, value, row=6)
    with pytest.raises(InputError) as caught:
        read_flows(path)
    message = str(caught.value)
    assert str(path) in message
    assert "row 6" in message
    assert f"column '{column}'" in message
    assert expected in message
    assert "\n" not in message


def test_wrong_field_count_names_the_line(tmp_path):
    path = write_botiot_10best(tmp_path / "f.csv", 4, 4)
    lines = path.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"row 5: has 18 fields, expected 19"):
        read_flows(path)
    lines.insert(3, "")  # a blank line is skipped and not counted as a row
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"row 5: has 18 fields"):
        read_flows(path)


def test_missing_file_empty_file_and_header_problems(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_flows(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="is empty"):
        read_flows(empty)
    (tmp_path / "d").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        read_flows(tmp_path / "d")
    one_column = tmp_path / "one.csv"
    one_column.write_text("just some words\n1\n")
    with pytest.raises(InputError, match="cannot tell the delimiter"):
        read_flows(one_column)
    binary = tmp_path / "capture.pcap"
    binary.write_bytes(b"\xd4\xc3\xb2\xa1\x02\x00\x04\x00" + bytes(range(256)))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_flows(binary)


def test_missing_columns_of_a_known_layout(tmp_path):
    header = [c for c in BOTIOT_10BEST_HEADER if c != "mean"]
    rows = [r[:11] + r[12:] for r in botiot_10best_rows(3, 3)]
    path = write_delimited(tmp_path / "f.csv", header, rows)
    # Without 'mean' it is no longer the 10-best layout: a Bot-IoT-named generic file
    flows = read_flows(path)
    assert flows.layout.name == "generic"
    assert flows.layout.label is not None and flows.layout.label.column == "attack"


def test_duplicate_header_names(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,a,label\n1,2,x\n")
    with pytest.raises(InputError, match="twice: a"):
        read_flows(path, label_column="label", normal_value="x")


def test_empty_label_is_an_error_wherever_labels_are_used(tmp_path):
    path = _bad_row(tmp_path, "attack", "", row=2)
    with pytest.raises(InputError, match="row 2, column 'attack': empty label"):
        read_flows(path)
    # training reads labels when the file has them: an empty one must not count as an attack
    with pytest.raises(InputError, match="row 2, column 'attack': empty label"):
        read_flows(path, require_labels=False)
    # scoring only copies the label to its output
    assert sum(t.n_rows for t in iter_flows(path, layout=BOTIOT_10BEST)) == 8


def test_mixed_generic_column_is_an_error_not_a_category(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("bytes,verdict\n10,ok\n12,ok\nlots,bad\n")  # 'bytes' is a Bot-IoT number
    with pytest.raises(InputError, match="row 3, column 'bytes': expected a number, got 'lots'"):
        read_flows(path, label_column="verdict", normal_value="ok")


def test_header_only_file_reads_as_zero_rows(tmp_path):
    path = write_botiot_10best(tmp_path / "f.csv", 0, 0)
    assert read_flows(path).n_rows == 0


def test_mixed_unknown_generic_column_is_an_error_not_a_category(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("volume,verdict\n10,ok\n12.5,ok\n1e3,ok\nlots,bad\n")
    with pytest.raises(
        InputError, match="row 4, column 'volume': expected a finite number, got 'lots'"
    ):
        read_flows(path, label_column="verdict", normal_value="ok")
