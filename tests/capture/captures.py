"""Small packet captures built with scapy, with the flows Argus should make of them."""

from __future__ import annotations

from pathlib import Path

from scapy.all import ARP, ICMP, IP, STP, TCP, UDP, Dot3, Ether, Raw, wrpcap  # type: ignore
from scapy.utils import PcapNgWriter  # type: ignore

T0 = 1_600_000_000.0
A, B, C = "10.0.0.1", "10.0.0.2", "10.0.0.3"
MAC = {A: "02:00:00:00:00:01", B: "02:00:00:00:00:02", C: "02:00:00:00:00:03"}


def _packet(src: str, dst: str, layer, seconds: float):
    packet = Ether(src=MAC[src], dst=MAC[dst]) / IP(src=src, dst=dst) / layer
    packet.time = T0 + seconds
    return packet


def flow_packets() -> list:
    """Seven flows; EXPECTED lists them in order of start time."""
    return [
        # 1. UDP request (52-byte frame) and reply (62 bytes): CON
        _packet(A, B, UDP(sport=5000, dport=7777) / Raw(b"x" * 10), 0.0),
        _packet(B, A, UDP(sport=7777, dport=5000) / Raw(b"y" * 20), 0.5),
        # 2. UDP with no reply: INT
        _packet(A, C, UDP(sport=5001, dport=123), 1.0),
        # 3. TCP SYN answered by RST: RST
        _packet(C, B, TCP(sport=4000, dport=80, flags="S", seq=1), 2.0),
        _packet(B, C, TCP(sport=80, dport=4000, flags="RA", ack=2), 2.1),
        # 4. TCP SYN with no answer: REQ
        _packet(C, B, TCP(sport=4001, dport=22, flags="S", seq=1), 3.0),
        # 5. ICMP echo request (id 7) and reply: ECO; Argus writes type/code and id in hex
        _packet(A, B, ICMP(type=8, id=7, seq=1), 4.0),
        _packet(B, A, ICMP(type=0, id=7, seq=1), 4.01),
        # 6. ICMP port unreachable from B to A: URP, "port" 0x0303
        _packet(B, A, ICMP(type=3, code=3) / IP(src=A, dst=B) / UDP(sport=5002, dport=9), 5.0),
        # 7. UDP over 8 s: Argus' 5 s status interval cuts it into two records,
        #    [10, 12] and [17, 18], which racluster merges
        *[_packet(A, B, UDP(sport=6000, dport=7000), t) for t in (10.0, 12.0, 17.0, 18.0)],
    ]


# Per flow, in order of start time: the columns a test checks, computed by hand.
# rate = (packets - 1) / dur, srate = (source packets - 1) / dur (Argus' definitions);
# mean/stddev/sum/min/max are over the durations of the merged records.
EXPECTED = [
    dict(proto="udp", saddr=A, sport="5000", daddr=B, dport="7777", state="CON",
         state_number=2, pkts=2, bytes=114, spkts=1, dpkts=1, sbytes=52, dbytes=62,
         dur=0.5, mean=0.5, stddev=0.0, sum=0.5, min=0.5, max=0.5, rate=2.0, srate=0.0,
         drate=0.0, N_IN_Conn_P_SrcIP=1, N_IN_Conn_P_DstIP=1),
    dict(proto="udp", saddr=A, sport="5001", daddr=C, dport="123", state="INT",
         state_number=4, pkts=1, dur=0.0, N_IN_Conn_P_SrcIP=2, N_IN_Conn_P_DstIP=1),
    dict(proto="tcp", saddr=C, sport="4000", daddr=B, dport="80", state="RST",
         state_number=1, pkts=2, spkts=1, dpkts=1, dur=0.1, rate=10.0,
         N_IN_Conn_P_SrcIP=1, N_IN_Conn_P_DstIP=2),
    dict(proto="tcp", saddr=C, sport="4001", daddr=B, dport="22", state="REQ",
         state_number=3, pkts=1, N_IN_Conn_P_SrcIP=2, N_IN_Conn_P_DstIP=3),
    dict(proto="icmp", saddr=A, sport="0x0008", daddr=B, dport="0x0700", state="ECO",
         state_number=9, pkts=2, dur=0.01, N_IN_Conn_P_SrcIP=3, N_IN_Conn_P_DstIP=4),
    dict(proto="icmp", saddr=B, sport="0x0303", daddr=A, state="URP", state_number=5,
         pkts=1, N_IN_Conn_P_SrcIP=1, N_IN_Conn_P_DstIP=1),
    dict(proto="udp", saddr=A, sport="6000", daddr=B, dport="7000", state="INT",
         state_number=4, pkts=4, dur=8.0, mean=1.5, stddev=0.5, sum=3.0, min=1.0, max=2.0,
         rate=0.375, srate=0.375, drate=0.0, N_IN_Conn_P_SrcIP=4, N_IN_Conn_P_DstIP=5),
]  # fmt: skip


def write_flows_capture(path: Path, *, pcapng: bool = False) -> Path:
    packets = flow_packets()
    if pcapng:
        with PcapNgWriter(str(path)) as writer:
            for packet in packets:
                writer.write(packet)
    else:
        wrpcap(str(path), packets)
    return path


def write_no_ip_capture(path: Path) -> Path:
    """An ARP request and a spanning-tree frame: no IP packet at all."""
    arp = Ether(src=MAC[A], dst="ff:ff:ff:ff:ff:ff") / ARP(psrc=A, pdst=B)
    arp.time = T0
    stp = Dot3(src=MAC[A], dst="01:80:c2:00:00:00") / STP()
    stp.time = T0 + 1
    wrpcap(str(path), [arp, stp])
    return path


def write_empty_capture(path: Path) -> Path:
    """A pcap file header and no packets."""
    wrpcap(str(path), [])
    return path
