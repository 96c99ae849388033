"""N-BaIoT feature files, Zeek / IoT-23 conn logs, and files labelled by name."""

import numpy as np
import pytest
from helpers import write_botiot_10best, write_delimited, write_nbaiot, write_zeek_conn

from flowae.data.layouts import NBAIOT_HEADER, ZEEK_HISTORY_COLUMNS
from flowae.data.reader import FILE_LABEL, SOURCE_FILE, read_flows, read_labelled_files
from flowae.errors import InputError, UsageError


def test_zeek_conn_log_as_iot23_writes_it(tmp_path):
    flows = read_flows(write_zeek_conn(tmp_path / "conn.log.labeled", 60, 20))
    assert flows.layout.name == "zeek-conn"
    assert flows.n_rows == 80  # '#' lines (header and '#close') are not rows
    assert flows.layout.label.column == "label"
    # IoT-23 writes 'benign' and 'Malicious': labels match ignoring case
    assert int(flows.is_attack().sum()) == 20
    table = flows.table
    assert table.column("detailed-label").to_pylist()[-1] == "FileDownload"
    # '-' in a count or interval column (one-packet flow) reads as 0
    assert table.column("duration").to_pylist()[0] == 0.0
    assert table.column("id.resp_p").to_pylist()[0] == 53


def test_history_becomes_counts_per_letter(tmp_path):
    flows = read_flows(write_zeek_conn(tmp_path / "conn.log", 1, 1))
    malicious = flows.table.slice(1, 1).to_pylist()[0]  # history 'ShADadttFf'
    counts = {name: malicious[name] for name in ZEEK_HISTORY_COLUMNS}
    expected = dict.fromkeys(ZEEK_HISTORY_COLUMNS, 0.0)
    expected.update(
        history_orig_S=1, history_orig_A=1, history_orig_D=1, history_orig_F=1,
        history_resp_h=1, history_resp_a=1, history_resp_d=1, history_resp_t=2,
        history_resp_f=1,
    )  # fmt: skip
    assert counts == expected
    benign = flows.table.slice(0, 1).to_pylist()[0]  # history 'Dd'
    assert benign["history_orig_D"] == 1 and benign["history_resp_d"] == 1
    assert sum(benign[name] for name in ZEEK_HISTORY_COLUMNS) == 2


def test_zeek_identifiers_are_dropped_by_the_sound_feature_set(tmp_path):
    flows = read_flows(write_zeek_conn(tmp_path / "conn.log", 5, 5))
    sound = [c.name for c in flows.layout.feature_columns("sound")]
    assert not {"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "uid"} & set(sound)
    assert {"duration", "orig_bytes", "resp_pkts", "proto", "service", "conn_state"} <= set(sound)
    assert flows.layout.default_feature_set == "sound"


def test_unlabelled_conn_log_and_a_bad_count(tmp_path):
    path = write_zeek_conn(tmp_path / "conn.log", 5, 0, labelled=False)
    flows = read_flows(path, require_labels=False)
    assert flows.n_rows == 5 and not flows.has_labels
    text = path.read_bytes().replace(b"\tDd\t1\t", b"\tDd\tmany\t", 1)
    (tmp_path / "bad.log").write_bytes(text)
    with pytest.raises(InputError, match=r"bad.log, row 1, column 'orig_pkts': expected a number"):
        read_flows(tmp_path / "bad.log", require_labels=False)


def test_nbaiot_header_is_recognised_and_has_no_label(tmp_path):
    assert len(NBAIOT_HEADER) == 115
    assert NBAIOT_HEADER[0] == "MI_dir_L5_weight" and NBAIOT_HEADER[-1] == "HpHp_L0.01_pcc"
    flows = read_flows(write_nbaiot(tmp_path / "benign.csv", 10), require_labels=False)
    assert flows.layout.name == "n-baiot" and len(flows.layout.columns) == 115
    # HH_jit_*_mean hold capture times in the published files: identifiers, not features
    sound = [c.name for c in flows.layout.feature_columns("sound")]
    assert len(sound) == 110 and not [
        name for name in sound if name.startswith("HH_jit_L") and name.endswith("_mean")
    ]
    with pytest.raises(UsageError, match="--normal FILE"):
        read_flows(tmp_path / "benign.csv")


def test_files_labelled_by_name(tmp_path):
    benign = write_nbaiot(tmp_path / "benign.csv", 30, seed=1)
    mirai = write_nbaiot(tmp_path / "mirai.csv", 20, seed=2, attack=True)
    bashlite = write_nbaiot(tmp_path / "bashlite.csv", 10, seed=3, attack=True)
    flows = read_labelled_files([benign], [mirai, bashlite])
    assert flows.n_rows == 60 and flows.layout.label == FILE_LABEL
    assert int(flows.is_attack().sum()) == 30
    assert {SOURCE_FILE, FILE_LABEL.column} <= set(flows.layout.label_columns)
    assert len(flows.layout.feature_columns("paper")) == 115  # labels never become features
    assert [part["rows"] for part in flows.file_counts()] == [30, 20, 10]
    np.testing.assert_array_equal(flows.row_numbers[30:50], np.arange(1, 21))  # per file


def test_labelled_files_must_share_a_layout(tmp_path):
    benign = write_nbaiot(tmp_path / "benign.csv", 5)
    other = write_botiot_10best(tmp_path / "flows.csv", 3, 3)
    with pytest.raises(InputError, match="missing column"):
        read_labelled_files([benign], [other])
    with pytest.raises(UsageError, match="--normal FILE"):
        read_labelled_files([], [])


def test_unknown_header_lists_every_known_layout(tmp_path):
    path = write_delimited(tmp_path / "x.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(UsageError) as raised:
        read_flows(path)
    message = str(raised.value)
    for name in ("botiot-10best", "botiot-full", "n-baiot", "zeek-conn", "--label-column"):
        assert name in message


def test_newer_zeek_fields_are_ignored_and_concatenated_logs_refused(tmp_path):
    path = write_zeek_conn(tmp_path / "conn.log", 4, 2)
    text = path.read_bytes().decode()  # keep the CRLF line ends
    newer = text.replace("\ttunnel_parents", "\ttunnel_parents\tip_proto", 1)
    newer = "\r\n".join(
        line if line.startswith("#") else line.replace("\t-   ", "\t-\t6   ", 1)
        for line in newer.split("\r\n")
    )
    (tmp_path / "newer.log").write_bytes(newer.encode())
    flows = read_flows(tmp_path / "newer.log")
    assert flows.layout.name == "zeek-conn" and flows.n_rows == 6
    assert "ip_proto" in flows.layout.ignored
    # cat of two logs whose '#fields' differ: the second part would be misread
    header_end = text.index("#types")
    swapped = text[:header_end].replace("orig_bytes\tresp_bytes", "resp_bytes\torig_bytes")
    (tmp_path / "cat.log").write_bytes((text + swapped + text[header_end:]).encode())
    with pytest.raises(InputError, match=r"row 7: a second '#fields' line names other columns"):
        read_flows(tmp_path / "cat.log")
    (tmp_path / "same.log").write_bytes((text + text).encode())  # the same header twice is fine
    assert read_flows(tmp_path / "same.log").n_rows == 12


def test_zeek_duplicate_fields_and_unset_labels_are_refused(tmp_path):
    text = write_zeek_conn(tmp_path / "conn.log", 4, 2).read_bytes().decode()
    (tmp_path / "dup.log").write_bytes(text.replace("\tresp_bytes\t", "\torig_bytes\t", 1).encode())
    with pytest.raises(InputError, match="'#fields' names column.s. twice: orig_bytes"):
        read_flows(tmp_path / "dup.log")
    lines = text.split("\r\n")
    first = next(i for i, line in enumerate(lines) if not line.startswith("#"))
    lines[first + 2] = lines[first + 2].replace("   benign   ", "   -   ")
    (tmp_path / "unset.log").write_bytes("\r\n".join(lines).encode())
    with pytest.raises(InputError, match="row 3, column 'label': empty label"):
        read_flows(tmp_path / "unset.log")
