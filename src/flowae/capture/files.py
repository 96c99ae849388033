"""What a capture file is, checked before Argus reads it.

Argus exits 0 on a file that is not a capture, on an empty file, and on a
capture cut off in the middle of a packet (it reads what it can). So flowae
walks the file's record headers itself: it recognises libpcap (both byte
orders, micro- and nanosecond times) and pcapng, counts the packets, and finds
where a truncated file stops. The walk reads only headers, in large blocks.
"""

from __future__ import annotations

import stat
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
_PCAPNG_ENHANCED_PACKET = 6
_PCAPNG_INTERFACE_BLOCK = 1
_READ_BYTES = 1 << 22
_LIBPCAP_MAX_SNAPLEN = 262_144


@dataclass(frozen=True)
class CaptureInfo:
    """A capture's format and size, from its record headers."""

    path: str
    format: str  # "pcap", "pcap (nanosecond)" or "pcapng"
    packets: int  # complete packet records
    size: int  # bytes
    truncated_at: int | None = None  # byte offset of the first incomplete record


def looks_like_capture(path: str | Path) -> bool:
    """True when ``path`` is a regular file starting with a pcap or pcapng magic number.

    Pipes and devices are never opened here: reading them would consume their data.
    """
    path = Path(path)
    try:
        if not path.is_file():
            return False
        with path.open("rb") as stream:
            magic = stream.read(4)
    except OSError:
        return False
    return magic in PCAP_MAGICS or magic == PCAPNG_MAGIC


def inspect_capture(path: str | Path) -> CaptureInfo:
    """Check that ``path`` is a whole pcap or pcapng capture and count its packets.

    Raises InputError for a file that is not a capture or has a damaged header
    or record. A file cut off inside a record is returned with ``truncated_at``.
    """
    path = Path(path)
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a pipe or device"
            raise InputError(
                path, f"is {kind}, not a file: a capture is read from a pcap or pcapng file"
            )
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
    longest = _LIBPCAP_MAX_SNAPLEN  # libpcap stops at a longer record, whatever the snaplen
    record = struct.Struct(f"{order}IIII")
    packets, offset = 0, 24
    with path.open("rb") as stream:
        while offset < size:
            stream.seek(offset)
            buffer = stream.read(_READ_BYTES)
            position = 0
            while position + 16 <= len(buffer):
                seconds, fraction, captured, original = record.unpack_from(buffer, position)
                if not (seconds or fraction or captured or original):  # zero padding
                    position += 16
                    continue
                if captured > longest:
                    problem = f"it claims {captured:,} bytes, more than the {longest:,} allowed"
                    raise _damaged(path, packets, offset + position, problem)
                if captured > original:
                    problem = f"it holds {captured:,} bytes of a {original:,}-byte packet"
                    raise _damaged(path, packets, offset + position, problem)
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
    packets, offset, order, interfaces = 0, 0, "<", 0
    link_types: set[int] = set()
    buffer, start = b"", 0  # buffer holds the file from byte ``start``
    with path.open("rb") as stream:
        while offset < size:
            if offset + 28 > start + len(buffer):  # refill: the next block header is not in
                stream.seek(offset)
                buffer, start = stream.read(_READ_BYTES), offset
            at = offset - start
            header = buffer[at : at + 28]
            if len(header) < 12:
                if offset == 0:
                    raise InputError(path, "the pcapng section header is cut off")
                return CaptureInfo(str(path), "pcapng", packets, size, truncated_at=offset)
            if header[:4] == PCAPNG_MAGIC:
                if header[8:12] not in _PCAPNG_BYTE_ORDER:
                    raise InputError(path, f"pcapng section header at byte {offset} is damaged")
                order = _PCAPNG_BYTE_ORDER[header[8:12]]
                interfaces = 0  # interface numbers start again in each section
            elif offset == 0:
                raise InputError(path, "pcapng file does not start with a section header")
            block_type, length = struct.unpack_from(f"{order}II", header)
            if length < 12 or length % 4:
                raise InputError(
                    path, f"pcapng block at byte {offset} has length {length}: the file is damaged"
                )
            if offset + length > size:
                if offset == 0:
                    raise InputError(path, "the pcapng section header is cut off")
                return CaptureInfo(str(path), "pcapng", packets, size, truncated_at=offset)
            end = offset + length - start
            if end <= len(buffer):
                trailer_bytes = buffer[end - 4 : end]
            else:  # a block longer than the buffer
                stream.seek(offset + length - 4)
                trailer_bytes = stream.read(4)
            if struct.unpack(f"{order}I", trailer_bytes)[0] != length:
                raise _damaged(path, packets, offset, "its two length fields differ")
            if block_type == _PCAPNG_INTERFACE_BLOCK:
                interfaces += 1
                (link_type,) = struct.unpack_from(f"{order}H", header, 8)
                link_types.add(link_type)
                if len(link_types) > 1:
                    shown = ", ".join(map(str, sorted(link_types)))
                    raise InputError(
                        path,
                        f"its interfaces have different link types ({shown}): libpcap, and "
                        "so Argus, reads captures of one link type only",
                    )
            elif block_type in _PCAPNG_PACKET_BLOCKS:
                if interfaces == 0:
                    raise _damaged(path, packets, offset, "no interface is described before it")
                if block_type == _PCAPNG_ENHANCED_PACKET and len(header) == 28:
                    interface, _, _, captured = struct.unpack_from(f"{order}IIII", header, 8)
                    (original,) = struct.unpack_from(f"{order}I", header, 24)
                    if interface >= interfaces:
                        problem = f"it names interface {interface}, of {interfaces} described"
                        raise _damaged(path, packets, offset, problem)
                    if captured > length - 32:
                        problem = "its captured length exceeds the block"
                        raise _damaged(path, packets, offset, problem)
                    if captured > original:
                        problem = f"it holds {captured:,} bytes of a {original:,}-byte packet"
                        raise _damaged(path, packets, offset, problem)
                packets += 1
            offset += length
    return CaptureInfo(str(path), "pcapng", packets, size)


def _damaged(path: Path, before: int, offset: int, problem: str) -> InputError:
    return InputError(path, f"packet {before + 1:,} (byte {offset:,}) is damaged: {problem}")
