"""From Argus' merged flows to Bot-IoT's columns, including the ones Bot-IoT derived.

Argus gives most columns as they are. Bot-IoT added three of its own, which
are computed here (docs/FEATURES.md has every definition and what is exact):

- ``pkSeqID``: the row number, in order of start time.
- ``state_number``: a number for Argus' ``state`` text.
- ``N_IN_Conn_P_SrcIP`` / ``N_IN_Conn_P_DstIP``: among the last 100 flows (in
  order of start time, this one included), how many have this flow's source /
  destination address. So the values run from 1 to 100.
"""

from __future__ import annotations

import logging

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from flowae.capture.argus import ARGUS_FIELDS
from flowae.data.layouts import BOTIOT_10BEST_HEADER, BOTIOT_FULL, BOTIOT_FULL_HEADER, Kind
from flowae.errors import InputError

log = logging.getLogger(__name__)

# Bot-IoT's state_number for Argus' state text. Codes 3, 4 and 5 were checked
# against real Bot-IoT rows; the others are the dataset's order as reconstructed
# (docs/FEATURES.md says how, and which codes are unverified).
STATE_NUMBERS = {
    "RST": 1,
    "CON": 2,
    "REQ": 3,
    "INT": 4,
    "URP": 5,
    "FIN": 6,
    "ACC": 7,
    "NRS": 8,
    "ECO": 9,
    "TST": 10,
    "MAS": 11,
}
UNKNOWN_STATE = 0  # a state Bot-IoT's rows never show (e.g. ECR, CLO, NNS)
WINDOW = 100  # flows in the N_IN_Conn_P_* window
_LABELS = ("attack", "category", "subcategory")
LAYOUT_COLUMNS = {  # the layouts `flowae extract --layout` writes
    "10best": [c for c in BOTIOT_10BEST_HEADER if c not in _LABELS],
    # The full layout's Argus fields, then the 10-best files' derived columns.
    "full": [c for c in BOTIOT_FULL_HEADER if c not in _LABELS]
    + ["state_number", "N_IN_Conn_P_SrcIP", "N_IN_Conn_P_DstIP"],
}
# Argus fields that must be numbers in every flow row (text otherwise).
_NUMERIC = tuple(
    c.name for c in BOTIOT_FULL.columns if c.kind == Kind.NUMBER and c.name in ARGUS_FIELDS
)
# Flows of these protocols carry IP addresses without being IP traffic.
_ADDRESS_RESOLUTION = ["arp", "rarp"]
_IPV4 = r"^\d{1,3}(\.\d{1,3}){3}$"
_MAC = r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$"


def botiot_flows(argus: pa.Table, source: str) -> tuple[pa.Table, dict[str, int]]:
    """Argus' flows (text columns) as Bot-IoT columns, ordered by start time.

    Returns the table with every column of both layouts, and the count of flows
    per state that has no Bot-IoT code.
    """
    argus = argus.filter(pc.not_equal(argus.column("proto"), "man"))  # Argus' own status
    numbers = {name: _numbers(argus, name, source) for name in ("stime", "seq")}
    for name in _NUMERIC:
        if name not in numbers:
            _numbers(argus, name, source)
    order = np.lexsort((numbers["seq"], numbers["stime"]))
    table = argus.take(pa.array(order, pa.int64()))
    table = table.set_column(
        table.column_names.index("flgs"), "flgs", pc.utf8_trim_whitespace(table.column("flgs"))
    )
    states = pc.dictionary_encode(table.column("state").combine_chunks())
    names = states.dictionary.to_pylist()
    per_name = np.array([STATE_NUMBERS.get(name, UNKNOWN_STATE) for name in names], np.int64)
    indices = states.indices.to_numpy(zero_copy_only=False)
    codes = per_name[indices] if names else np.zeros(0, np.int64)
    counts = np.bincount(indices, minlength=len(names))
    unknown = {
        name: int(count)
        for name, code, count in zip(names, per_name, counts, strict=True)
        if code == UNKNOWN_STATE
    }
    n = table.num_rows
    table = table.append_column("pkSeqID", pa.array(np.arange(1, n + 1), pa.int64()))
    table = table.append_column("state_number", pa.array(codes, pa.int64()))
    for column, address in (("N_IN_Conn_P_SrcIP", "saddr"), ("N_IN_Conn_P_DstIP", "daddr")):
        keys = pc.dictionary_encode(table.column(address).combine_chunks()).indices
        counts = window_counts(keys.to_numpy(zero_copy_only=False))
        table = table.append_column(column, pa.array(counts, pa.int64()))
    return table, unknown


def has_ip_traffic(flows: pa.Table) -> bool:
    """Whether any flow is IP traffic: an IPv4 or IPv6 source, and not ARP.

    Argus names non-IP flows by protocol (llc, wlan) or by EtherType number,
    and gives them MAC addresses, so the address form tells them apart.
    """
    address = flows.column("saddr")
    ipv4 = pc.match_substring_regex(address, _IPV4)
    ipv6 = pc.and_(
        pc.match_substring(address, ":"), pc.invert(pc.match_substring_regex(address, _MAC))
    )
    not_arp = pc.invert(pc.is_in(flows.column("proto"), pa.array(_ADDRESS_RESOLUTION)))
    return bool(pc.any(pc.and_(pc.or_(ipv4, ipv6), not_arp)).as_py())


def window_counts(keys: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """For each position i, how many of positions i-window+1 .. i hold keys[i].

    Vectorised: positions sorted by (key, position), then one binary search
    per position for the start of its window.
    """
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if keys.dtype.kind in "iu":  # already codes (e.g. dictionary indices)
        codes = keys
    else:
        _, codes = np.unique(keys, return_inverse=True)
    stride = n + 2 * window
    composite = codes.astype(np.int64) * stride + np.arange(n) + window
    sorted_composite = np.sort(composite)
    first = np.searchsorted(sorted_composite, composite - window + 1, side="left")
    rank = np.searchsorted(sorted_composite, composite, side="left")
    return rank - first + 1


def select_layout(table: pa.Table, layout: str) -> pa.Table:
    """The columns of ``layout`` ('10best' or 'full'), in Bot-IoT's order."""
    return table.select(LAYOUT_COLUMNS[layout])


def _numbers(table: pa.Table, name: str, source: str) -> np.ndarray:
    column = table.column(name)
    try:
        return pc.cast(column, pa.float64()).to_numpy()
    except pa.ArrowInvalid:
        for index, value in enumerate(column.to_pylist()):
            try:
                float(value)
            except (TypeError, ValueError):
                raise InputError(
                    source,
                    f"Argus flow {index + 1} has {value!r} in field '{name}', expected a number",
                ) from None
        raise
