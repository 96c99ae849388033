"""flowae extract, and train/score on captures: Argus on captures built by scapy."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from captures import EXPECTED, write_empty_capture, write_flows_capture, write_no_ip_capture
from click.testing import CliRunner

from flowae.capture import argus
from flowae.capture.extract import extract
from flowae.capture.features import window_counts
from flowae.cli import cli
from flowae.data.reader import read_flows
from flowae.errors import FlowAEError

HAVE_ARGUS = all(argus._which(name) for name in ("argus", "racluster"))
needs_argus = pytest.mark.skipif(
    not HAVE_ARGUS,
    reason="Argus is not installed (apt-get install argus-server argus-client; .ci/run does)",
)


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def capture(tmp_path_factory) -> Path:
    return write_flows_capture(tmp_path_factory.mktemp("capture") / "flows.pcap")


def test_window_counts_count_the_last_100_flows_with_the_same_key():
    keys = np.array(["a"] * 150 + ["b"] + ["c"] * 99 + ["b"] + ["c"] + ["b"])
    counts = window_counts(keys)
    assert counts[:3].tolist() == [1, 2, 3]
    assert counts[99] == 100 and counts[149] == 100  # capped by the window
    assert counts[150] == 1  # first b
    assert counts[250] == 1  # the last b was 100 flows ago: out of the window
    assert counts[251] == 99  # 98 c's before it in the window, and itself
    assert counts[252] == 2  # b two flows ago
    assert window_counts(np.array([], dtype=object)).size == 0


@needs_argus
@pytest.mark.parametrize("pcapng", [False, True], ids=["pcap", "pcapng"])
def test_extracted_fields_match_hand_computed_values(tmp_path, pcapng):
    path = write_flows_capture(tmp_path / ("c.pcapng" if pcapng else "c.pcap"), pcapng=pcapng)
    out = tmp_path / "flows.csv"
    result = run("extract", path, "--out", out, "--layout", "full")
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert len(rows) == len(EXPECTED)
    for number, (row, expected) in enumerate(zip(rows, EXPECTED, strict=True), start=1):
        assert row["pkSeqID"] == str(number)
        for name, value in expected.items():
            if isinstance(value, float):
                assert float(row[name]) == pytest.approx(value, abs=1e-6), (number, name)
            else:
                assert row[name] == str(value), (number, name)
        assert float(row["max"]) <= argus.STATUS_INTERVAL_SECONDS


@needs_argus
def test_10best_layout_is_read_back_as_unlabelled_botiot_flows(tmp_path, capture):
    out = tmp_path / "flows.csv"
    assert run("extract", capture, "--out", out).exit_code == 0
    header = out.read_text().splitlines()[0].split(",")
    assert header == [
        "pkSeqID", "proto", "saddr", "sport", "daddr", "dport", "seq", "stddev",
        "N_IN_Conn_P_SrcIP", "min", "state_number", "mean", "N_IN_Conn_P_DstIP",
        "drate", "srate", "max",
    ]  # fmt: skip
    flows = read_flows(out, require_labels=False)
    assert flows.layout.name == "botiot-10best" and not flows.has_labels
    assert flows.n_rows == len(EXPECTED)
    # hex ICMP "ports" read as numbers, as in the Bot-IoT files
    assert flows.table.column("sport").to_pylist()[5] == 0x0303


@needs_argus
def test_train_and_score_take_a_capture_directly(tmp_path, capture):
    model = tmp_path / "model"
    result = run("train", capture, "--out", model, "--epochs", "2", "--validation-fraction", "0")
    assert result.exit_code == 0, result.output
    out = tmp_path / "scores.csv"
    result = run("score", model, capture, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert list(rows[0])[:7] == ["row", "stime", "proto", "saddr", "sport", "daddr", "dport"]
    assert [r["saddr"] for r in rows] == [e["saddr"] for e in EXPECTED]
    assert float(rows[0]["stime"]) == pytest.approx(1_600_000_000.0)
    assert all(r["is_anomaly"] in {"0", "1"} for r in rows)
    # --keep overrides the capture's default columns
    result = run("score", model, capture, "--keep", "daddr", "--format", "jsonl", "--quiet")
    assert result.exit_code == 0
    assert result.output.splitlines()[0].startswith('{"row": 1, "daddr": "10.0.0.2", ')


@needs_argus
def test_a_model_trained_on_botiot_csv_scores_a_capture(tmp_path, capture):
    from helpers import write_botiot_10best

    data = write_botiot_10best(tmp_path / "botiot.csv", 60, 40)
    model = tmp_path / "model"
    assert run("train", data, "--out", model, "--epochs", "2", "--quiet").exit_code == 0
    result = run("score", model, capture, "--only-anomalies", "--explain", "--quiet")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("row,stime,proto,saddr,sport,daddr,dport,")


@needs_argus
def test_truncated_capture_is_refused_unless_allowed(tmp_path, capture):
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(capture.read_bytes()[:-20])  # the last packet loses its tail
    out = tmp_path / "flows.csv"
    result = run("extract", cut, "--out", out)
    assert result.exit_code == 1
    message = result.output.strip()
    assert message.count("\n") == 0 and "Traceback" not in message
    assert "cut off" in message and "packet 13" in message and "--allow-truncated" in message
    assert not out.exists()
    result = run("extract", cut, "--out", out, "--allow-truncated")
    assert result.exit_code == 0
    assert "12 packets read" in result.output
    assert len(read_csv(out)) == len(EXPECTED)  # the cut packet was the long flow's 4th


@needs_argus
@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty (0 bytes)"),
        (b"pkSeqID,proto\n1,udp\n", "is not a packet capture"),
        (b"\xd4\xc3\xb2\xa1\x02\x00", "file header is cut off"),
    ],
    ids=["empty", "csv", "cut-header"],
)
def test_files_that_are_not_captures_get_one_line_errors(tmp_path, content, expected):
    path = tmp_path / "bad.pcap"
    path.write_bytes(content)
    result = run("extract", path, "--out", tmp_path / "out.csv")
    assert result.exit_code == 1
    assert result.output.startswith(f"flowae: error: {path}: ")
    assert expected in result.output and result.output.count("\n") == 1
    assert not (tmp_path / "out.csv").exists()


@needs_argus
def test_capture_without_packets_gives_a_header_and_a_warning(tmp_path):
    out = tmp_path / "flows.csv"
    result = run("extract", write_empty_capture(tmp_path / "e.pcap"), "--out", out)
    assert result.exit_code == 0
    assert "holds no packets" in result.output
    assert out.read_text().splitlines() == [out.read_text().splitlines()[0]]
    assert read_flows(out, require_labels=False).n_rows == 0


@needs_argus
def test_capture_without_ip_traffic_warns(tmp_path):
    out = tmp_path / "flows.csv"
    result = run("extract", write_no_ip_capture(tmp_path / "n.pcap"), "--out", out)
    assert result.exit_code == 0
    assert "holds no IP traffic" in result.output
    assert [row["proto"] for row in read_csv(out)] == ["arp", "llc"]


def test_missing_argus_says_how_to_install_it(monkeypatch, tmp_path, capture):
    monkeypatch.setattr(argus, "_which", lambda name: None)
    with pytest.raises(FlowAEError, match="apt-get install argus-server argus-client"):
        argus.find_tools()
    result = run("extract", capture, "--out", tmp_path / "x.csv")
    assert result.exit_code == 1 and "argus and racluster not found" in result.output


def test_captures_are_refused_as_labelled_files(tmp_path, capture):
    result = run("train", "--normal", capture, "--out", tmp_path / "m")
    assert result.exit_code == 1
    assert "is a packet capture" in result.output and "flowae extract" in result.output


def test_allow_truncated_is_refused_for_flow_files(tmp_path):
    from helpers import write_botiot_10best

    data = write_botiot_10best(tmp_path / "f.csv", 30, 10)
    result = run("train", data, "--out", tmp_path / "m", "--allow-truncated")
    assert result.exit_code == 1 and "applies to packet captures" in result.output


@needs_argus
def test_extract_leaves_no_temporary_files(tmp_path, capture, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    extraction = extract(capture)
    assert extraction.n_flows == len(EXPECTED)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_argus_is_found_in_sbin_when_not_on_path(monkeypatch):
    if not Path("/usr/sbin/argus").exists():
        pytest.skip("Argus is not installed in /usr/sbin")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert argus._which("argus") == "/usr/sbin/argus"
    assert shutil.which("argus") is None


HUE = "pcap/CTU-Honeypot-Capture-4-1_2018-09-14-13-40-25-Philips-Hue-Bridge.pcap"
TROJAN = "pcap/CTU-IoT-Malware-Capture-42-1_2019-01-10-14-34-38-192.168.1.197.pcap"
TROJAN_ZEEK = "iot-23/CTU-IoT-Malware-Capture-42-1.conn.log.labeled"


@needs_argus
def test_real_iot23_captures_extract_and_read_back(tmp_path):
    from helpers import shared_file

    hue, trojan = shared_file(HUE), shared_file(TROJAN)
    for path, flags, flows_expected in ((hue, [], 835), (trojan, ["--allow-truncated"], 3175)):
        out = tmp_path / f"{path.stem}.csv"
        result = run("extract", path, "--out", out, *flags)
        assert result.exit_code == 0, result.output
        flows = read_flows(out, require_labels=False)
        assert flows.layout.name == "botiot-10best"
        assert flows.n_rows == flows_expected
        counts = flows.table.column("N_IN_Conn_P_SrcIP").to_numpy()
        assert counts.min() == 1 and counts.max() == 100
    # the Trojan capture ends inside its last packet (2,908,160 bytes, a multiple of 4096)
    result = run("extract", trojan, "--out", tmp_path / "x.csv")
    assert result.exit_code == 1 and "inside packet 24,485" in result.output


@needs_argus
def test_real_trojan_flows_match_the_six_malicious_zeek_connections():
    from helpers import shared_file

    from flowae.capture.labels import match_zeek_labels

    extraction = extract(shared_file(TROJAN), allow_truncated=True)
    zeek = read_flows(shared_file(TROJAN_ZEEK))
    labels = match_zeek_labels(extraction.flows, zeek)
    malicious = [i for i, label in enumerate(labels.label) if label == "Malicious"]
    assert len(malicious) == 6
    flows = extraction.flows.take(malicious)
    assert set(flows.column("daddr").to_pylist()) == {"104.24.96.120", "104.24.97.120"}
    assert set(flows.column("dport").to_pylist()) == {"80"}
    assert labels.zeek_matched.all()  # every Zeek connection found its Argus flow
    unmatched = [
        p
        for p, m in zip(extraction.flows.column("proto").to_pylist(), labels.matched, strict=True)
        if not m
    ]
    assert unmatched == ["arp"] * 3  # Zeek logs no ARP


def _pcapng_section_header() -> bytes:
    import struct

    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
    return struct.pack("<II", 0x0A0D0D0A, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))


@needs_argus
def test_pcapng_with_only_a_section_header_gives_an_empty_result(tmp_path):
    path = tmp_path / "empty.pcapng"
    path.write_bytes(_pcapng_section_header())
    out = tmp_path / "flows.csv"
    result = run("extract", path, "--out", out)
    assert result.exit_code == 0, result.output
    assert "holds no packets" in result.output
    assert len(out.read_text().splitlines()) == 1


@needs_argus
def test_pcapng_damaged_in_the_middle_is_refused(tmp_path):
    import struct

    path = write_flows_capture(tmp_path / "c.pcapng", pcapng=True)
    data = bytearray(path.read_bytes())
    # find the 11th enhanced packet block and break its trailing length
    offset, packets = 0, 0
    while True:
        kind, length = struct.unpack_from("<II", data, offset)
        if kind == 6:
            packets += 1
            if packets == 11:
                struct.pack_into("<I", data, offset + length - 4, length + 4)
                break
        offset += length
    path.write_bytes(bytes(data))
    result = run("extract", path, "--out", tmp_path / "flows.csv")
    assert result.exit_code == 1
    assert "packet 11 " in result.output and "damaged" in result.output
    assert result.output.count("\n") == 1


@needs_argus
def test_pcap_record_longer_than_its_packet_is_refused(tmp_path):
    import struct

    path = write_flows_capture(tmp_path / "c.pcap")
    data = bytearray(path.read_bytes())
    (captured,) = struct.unpack_from("<I", data, 24 + 8)
    struct.pack_into("<I", data, 24 + 12, captured - 1)  # origlen below caplen
    path.write_bytes(bytes(data))
    result = run("extract", path, "--out", tmp_path / "flows.csv")
    assert result.exit_code == 1 and "packet 1 (byte 24) is damaged" in result.output


@needs_argus
def test_packets_argus_did_not_read_are_not_silently_lost(tmp_path, capture, monkeypatch):
    from dataclasses import replace

    from flowae.capture import extract as extract_module
    from flowae.capture.files import inspect_capture

    # As if libpcap had stopped early: the file holds more packets than Argus' flows.
    monkeypatch.setattr(
        extract_module, "inspect_capture", lambda path: replace(inspect_capture(path), packets=20)
    )
    with pytest.raises(FlowAEError, match="hold 13 of the capture's 20 packets"):
        extract(capture)
    assert extract(capture, allow_truncated=True).n_flows == len(EXPECTED)


@needs_argus
def test_capture_names_with_spaces_and_commas(tmp_path, capture):
    odd = tmp_path / "dir with space" / "a b,c.pcap"
    odd.parent.mkdir()
    odd.write_bytes(capture.read_bytes())
    out = tmp_path / "flows.csv"
    result = run("extract", odd, "--out", out)
    assert result.exit_code == 0, result.output
    assert len(read_csv(out)) == len(EXPECTED)


@needs_argus
def test_pipes_are_refused_as_captures_and_work_as_outputs(tmp_path, capture):
    import os
    import stat
    import threading

    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    result = run("extract", fifo, "--out", tmp_path / "x.csv")
    assert result.exit_code == 1 and "is a pipe or device, not a file" in result.output

    out = tmp_path / "out.fifo"
    os.mkfifo(out)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(out.read_bytes()))
    reader.start()
    result = run("extract", capture, "--out", out)
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(out.stat().st_mode)  # written into, not replaced
    assert received[0].decode().splitlines()[0].startswith("pkSeqID,proto,")


@needs_argus
def test_extract_to_standard_output(capture, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["extract", str(capture), "--out", "-", "-q"])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].startswith("pkSeqID,proto,saddr")
    assert len(result.stdout.splitlines()) == len(EXPECTED) + 1
    assert not (tmp_path / "-").exists()


def _zeek_log(path: Path) -> Path:
    """A labelled conn log for three of the capture's seven flows, and one it lacks."""
    from captures import T0, A, B, C
    from helpers import ZEEK_FIELDS

    def row(ts, orig, orig_port, resp, resp_port, proto, duration, label, detailed):
        values = [
            f"{T0 + ts:.6f}",
            "Cx",
            orig,
            str(orig_port),
            resp,
            str(resp_port),
            proto,
            "-",
            duration,
            "1",
            "1",
            "SF",
            "-",
            "-",
            "0",
            "Dd",
            "1",
            "40",
            "1",
            "40",
            "-",
        ]
        return "\t".join(values) + "\t" + "\t".join([label, detailed])  # fmt: skip

    lines = [
        "#separator \\x09",
        "#fields\t" + "\t".join([*ZEEK_FIELDS, "label", "detailed-label"]),
        row(0.0, A, 5000, B, 7777, "udp", "0.5", "Benign", "-"),
        # the reply direction, as Zeek may see a flow the other way round
        row(2.0, B, 80, C, 4000, "tcp", "0.1", "Malicious", "PartOfAHorizontalPortScan"),
        row(10.0, A, 6000, B, 7000, "udp", "8.0", "Benign", "-"),
        row(50.0, A, 1, "8.8.8.8", 53, "udp", "-", "Benign", "-"),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@needs_argus
def test_labels_from_a_zeek_log_give_a_labelled_botiot_file(tmp_path, capture):
    zeek = _zeek_log(tmp_path / "conn.log.labeled")
    out = tmp_path / "flows.csv"
    result = run("extract", capture, "--out", out, "--labels", zeek)
    assert result.exit_code == 0, result.output
    assert "4 of 7 flows match no connection" in result.output
    assert "(icmp 2, udp 1, tcp 1)" in result.output
    assert "1 of its 4 connections match no flow" in result.output
    rows = read_csv(out)
    assert [r["pkSeqID"] for r in rows] == ["1", "3", "7"]
    assert [r["attack"] for r in rows] == ["0", "1", "0"]
    assert [r["category"] for r in rows] == ["Normal", "Malicious", "Normal"]
    assert rows[1]["subcategory"] == "PartOfAHorizontalPortScan"
    flows = read_flows(out)
    assert flows.layout.name == "botiot-10best" and flows.has_labels
    assert flows.is_attack().tolist() == [False, True, False]
    # a model trained on the unlabelled capture evaluates the labelled file
    model = tmp_path / "model"
    assert run("train", capture, "--out", model, "--epochs", "2", "-q").exit_code == 0
    result = run("evaluate", model, out)
    assert result.exit_code == 0, result.output
    assert "2 normal, 1 attack rows" in result.output


@needs_argus
def test_labels_from_another_captures_log_are_refused(tmp_path, capture):
    from helpers import write_zeek_conn

    zeek = write_zeek_conn(tmp_path / "other.conn.log.labeled")
    out = tmp_path / "flows.csv"
    result = run("extract", capture, "--out", out, "--labels", zeek)
    assert result.exit_code == 1
    assert "none of its 80 connections matches a flow" in result.output
    assert not out.exists()
    flows_file = tmp_path / "not-zeek.csv"
    flows_file.write_text("a,b,label\n1,2,x\n")
    result = run("extract", capture, "--out", out, "--labels", flows_file)
    assert result.exit_code == 1 and "expected a labelled Zeek conn log" in result.output


def test_the_cli_offers_the_layouts_extraction_writes():
    from flowae.capture.features import LAYOUT_COLUMNS
    from flowae.cli import CAPTURE_LAYOUTS

    assert list(LAYOUT_COLUMNS) == CAPTURE_LAYOUTS


def _icmpv6_capture(path: Path) -> Path:
    from captures import T0
    from scapy.all import Ether, ICMPv6EchoReply, ICMPv6EchoRequest, IPv6, wrpcap  # type: ignore

    a, b = "2001:db8::1", "2001:db8::2"
    ping = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / IPv6(src=a, dst=b)
    pong = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01") / IPv6(src=b, dst=a)
    packets = [ping / ICMPv6EchoRequest(id=5, seq=1), pong / ICMPv6EchoReply(id=5, seq=1)]
    packets[0].time, packets[1].time = T0, T0 + 0.01
    wrpcap(str(path), packets)
    return path


@needs_argus
def test_icmpv6_flows_take_zeek_icmp_labels(tmp_path):
    from captures import T0
    from helpers import ZEEK_FIELDS

    capture = _icmpv6_capture(tmp_path / "v6.pcap")
    values = [f"{T0:.6f}", "Cx", "2001:db8::1", "128", "2001:db8::2", "129", "icmp", "-",
              "0.01", "8", "8", "OTH", "-", "-", "0", "-", "1", "56", "1", "56", "-"]  # fmt: skip
    zeek = tmp_path / "conn.log.labeled"
    zeek.write_text(
        "#separator \\x09\n"
        + "\t".join(["#fields", *ZEEK_FIELDS, "label", "detailed-label"])
        + "\n"
        + "\t".join([*values, "Malicious", "-"])
        + "\n"
    )
    out = tmp_path / "flows.csv"
    result = run("extract", capture, "--out", out, "--labels", zeek, "--layout", "full")
    assert result.exit_code == 0, result.output
    (row,) = read_csv(out)
    assert (row["proto"], row["attack"], row["subcategory"]) == ("ipv6-icmp", "1", "Malicious")


@needs_argus
def test_labels_other_than_benign_or_malicious_are_refused(tmp_path, capture):
    zeek = _zeek_log(tmp_path / "conn.log.labeled")
    zeek.write_text(zeek.read_text().replace("\tMalicious\t", "\tSuspicious\t"))
    result = run("extract", capture, "--out", tmp_path / "f.csv", "--labels", zeek)
    assert result.exit_code == 1 and "label value(s) 'Suspicious'" in result.output


@needs_argus
def test_a_temporary_directory_with_spaces_and_commas(tmp_path, capture, monkeypatch):
    import tempfile

    odd = tmp_path / "t d,x"
    odd.mkdir()
    monkeypatch.setenv("TMPDIR", str(odd))
    monkeypatch.setattr(tempfile, "tempdir", None)
    assert extract(capture).n_flows == len(EXPECTED)


@needs_argus
def test_frames_argus_skips_are_counted_not_lost(tmp_path):
    import struct

    path = _icmpv6_capture(tmp_path / "runt.pcap")
    with path.open("ab") as stream:  # a 5-byte frame: too short for Ethernet
        stream.write(struct.pack("<IIII", 1_600_000_001, 0, 5, 5) + b"\x00" * 5)
    result = run("extract", path, "--out", tmp_path / "f.csv")
    assert result.exit_code == 1
    assert "hold 2 of the capture's 3 packets" in result.output
    assert run("extract", path, "--out", tmp_path / "f.csv", "--allow-truncated").exit_code == 0


@needs_argus
def test_unsupported_link_type_and_mixed_link_types(tmp_path, capture):
    import struct

    data = bytearray(capture.read_bytes())
    struct.pack_into("<I", data, 20, 147)  # a user-defined link type
    odd = tmp_path / "user.pcap"
    odd.write_bytes(bytes(data))
    result = run("extract", odd, "--out", tmp_path / "f.csv")
    assert result.exit_code == 1 and "its link type 147 is not one Argus can read" in result.output

    ng = write_flows_capture(tmp_path / "two.pcapng", pcapng=True)
    blocks = bytearray(ng.read_bytes())
    offset = struct.unpack_from("<I", blocks, 4)[0]  # after the section header
    interface = bytes(blocks[offset : offset + struct.unpack_from("<I", blocks, offset + 4)[0]])
    second = bytearray(interface)
    struct.pack_into("<H", second, 8, 101)  # raw IP
    ng.write_bytes(
        bytes(blocks[:offset])
        + interface
        + bytes(second)
        + bytes(blocks[offset + len(interface) :])
    )
    result = run("extract", ng, "--out", tmp_path / "f.csv")
    assert result.exit_code == 1 and "different link types (1, 101)" in result.output


@needs_argus
def test_commands_on_captures_name_the_capture_and_say_what_to_do(tmp_path, capture):
    model = tmp_path / "model"
    assert run("train", capture, "--out", model, "--epochs", "2", "-q").exit_code == 0
    result = run("evaluate", model, capture)
    assert result.exit_code == 1 and "holds no labels" in result.output
    assert "--labels CONN_LOG" in result.output
    result = run("train", capture, "--out", tmp_path / "m2", "--label-column", "foo",
                 "--normal-value", "0")  # fmt: skip
    assert result.exit_code == 1
    assert f"{capture} (its Argus flows): no label column 'foo'" in result.output
    assert "flowae-flows-" not in result.output
    result = run("calibrate", model, capture, "--threshold", "fpr:0.05")
    assert result.exit_code == 0, result.output
    assert "now fpr:0.05" in result.output
