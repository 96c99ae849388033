"""What a capture file is, checked before Argus reads it.

Argus exits 0 on a file that is not a capture, on an empty file, and on a
capture cut off in the middle of a packet (it reads what it can). So flowae
walks the file's record headers itself: it recognises libpcap (both byte
orders, micro- and nanosecond times) and pcapng, counts the packets, and finds
where a truncated file stops. The walk reads only headers, in large blocks.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from flowae.errors import InputError

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", "pcap"),  # little-endian, microseconds
    b"\xa1\xb2\xc3\xd4": (">", "pcap"),
    b"\x4d\x3c\xb2\xa1": ("<", "pcap (nanosecond)"),
    b"\xa1\xb2\x3c\x4d": (">", "pcap (nanosecond)"),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
_PCAPNG_BYTE_ORDER = {b"\x4d\x3c\x2b\x1a": "<", b"\x1a\x2b\x3c\x4d": ">"}
_PCAPNG_PACKET_BLOCKS = {2, 3, 6}  # obsolete packet, simple packet, enhanced packet
_READ_BYTES = 1 << 22


@dataclass(frozen=True)
class CaptureInfo:
    """A capture's format and size, from its record headers."""

    path: str
    format: str  # "pcap", "pcap (nanosecond)" or "pcapng"
    packets: int  # complete packet records
    size: int  # bytes
    truncated_at: int | None = None  # byte offset of the first incomplete record


def looks_like_capture(path: str | Path) -> bool:
    """True when the file starts with a pcap or pcapng magic number."""
    try:
        with Path(path).open("rb") as stream:
            magic = stream.read(4)
    except OSError:
        return False
    return magic in PCAP_MAGICS or magic == PCAPNG_MAGIC


def inspect_capture(path: str | Path) -> CaptureInfo:
    """Check that ``path`` is a whole pcap or pcapng capture and count its packets.

    Raises InputError for a file that is not a capture or has a damaged header.
    A file cut off inside a record is returned with ``truncated_at`` set.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as stream:
            head = stream.read(24)
    except OSError as error:
        raise InputError(path, f"cannot be read ({error.strerror})") from None
    if not head:
        raise InputError(path, "is empty (0 bytes): expected a pcap or pcapng capture")
    magic = head[:4]
    if magic in PCAP_MAGICS:
        return _walk_pcap(path, size, head)
    if magic == PCAPNG_MAGIC:
        return _walk_pcapng(path, size)
    raise InputError(
        path,
        f"is not a packet capture (starts with {head[:8].hex(' ')}; expected the pcap magic "
        "a1b2c3d4 or the pcapng magic 0a0d0d0a)",
    )


def _walk_pcap(path: Path, size: int, head: bytes) -> CaptureInfo:
    order, kind = PCAP_MAGICS[head[:4]]
    if len(head) < 24:
        raise InputError(path, f"the pcap file header is cut off after {len(head)} of 24 bytes")
    major, _minor = struct.unpack_from(f"{order}HH", head, 4)
    if major != 2:
        raise InputError(path, f"pcap format version {major} is not supported (expected 2)")
    record = struct.Struct(f"{order}IIII")
    packets, offset = 0, 24
    with path.open("rb") as stream:
        while offset < size:
            stream.seek(offset)
            buffer = stream.read(_READ_BYTES)
            position = 0
            while position + 16 <= len(buffer):
                captured = record.unpack_from(buffer, position)[2]
                if captured > 0x4000000:  # 64 MiB: no real packet record is this long
                    raise InputError(
                        path,
                        f"packet {packets + 1} at byte {offset + position} claims "
                        f"{captured} bytes: the capture is damaged",
                    )
                end = position + 16 + captured
                if offset + end > size:
                    return CaptureInfo(str(path), kind, packets, size, offset + position)
                if end > len(buffer):  # the record goes on past this block
                    if position == 0:  # a record longer than a block: skip it whole
                        position = end
                        packets += 1
                    break
                position = end
                packets += 1
            if position == 0:  # fewer than 16 bytes left: a cut-off record header
                return CaptureInfo(str(path), kind, packets, size, truncated_at=offset)
            offset += position
    return CaptureInfo(str(path), kind, packets, size)


def _walk_pcapng(path: Path, size: int) -> CaptureInfo:
    packets, offset, order = 0, 0, "<"
    with path.open("rb") as stream:
        while offset < size:
            stream.seek(offset)
            header = stream.read(12)
            if len(header) < 8:
                return CaptureInfo(str(path), "pcapng", packets, size, truncated_at=offset)
            if header[:4] == PCAPNG_MAGIC:
                if len(header) < 12 or header[8:12] not in _PCAPNG_BYTE_ORDER:
                    raise InputError(path, f"pcapng section header at byte {offset} is damaged")
                order = _PCAPNG_BYTE_ORDER[header[8:12]]
            elif offset == 0:
                raise InputError(path, "pcapng file does not start with a section header")
            block_type, length = struct.unpack_from(f"{order}II", header)
            if length < 12 or length % 4:
                raise InputError(
                    path, f"pcapng block at byte {offset} has length {length}: the file is damaged"
                )
            if offset + length > size:
                return CaptureInfo(str(path), "pcapng", packets, size, truncated_at=offset)
            if block_type in _PCAPNG_PACKET_BLOCKS:
                packets += 1
            offset += length
    return CaptureInfo(str(path), "pcapng", packets, size)
