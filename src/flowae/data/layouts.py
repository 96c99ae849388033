"""The flow-file layouts flowae knows, and how a header is recognised as one.

A layout says, for every column of a file, what kind of value it holds
(number, port, categorical, label) and whether it identifies a host or a
record rather than describing traffic. Two Bot-IoT layouts are fixed; any
other header is read as a *generic* flow file whose label column is named by
the user.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from flowae.errors import UsageError

log = logging.getLogger(__name__)


class Kind(StrEnum):
    """What a column holds, which decides how it is parsed and encoded."""

    NUMBER = "number"  # a finite real number
    PORT = "port"  # decimal or hex (0x0303) port; empty means "no port"
    CATEGORY = "category"  # a string from a vocabulary learned in training
    AUTO = "auto"  # generic files only: number, or category if no value is numeric


@dataclass(frozen=True)
class Column:
    """One feature column of a layout."""

    name: str
    kind: Kind
    identifier: bool = False  # names a host, port, record or time, not behaviour


@dataclass(frozen=True)
class LabelSpec:
    """Which column holds the ground truth, and which value of it means normal."""

    column: str
    normal_value: str


@dataclass(frozen=True)
class Layout:
    """A recognised file layout: its feature columns, label and label-like columns."""

    name: str
    description: str
    columns: tuple[Column, ...]
    label: LabelSpec | None
    label_columns: tuple[str, ...]  # never features (label, category, subcategory, ...)
    ignored: tuple[str, ...] = ()  # present in the file, never read (e.g. MAC columns)
    default_feature_set: str = "paper"  # what reproduce uses unless told otherwise
    source_column: str | None = None  # who sent the flow (for the window vote)
    order_column: str | None = None  # when (time or record number), for the vote

    def feature_columns(self, feature_set: str) -> tuple[Column, ...]:
        """The columns used as model inputs for ``feature_set`` ('paper' or 'sound')."""
        if feature_set not in FEATURE_SETS:
            raise UsageError(
                f"unknown feature set '{feature_set}': expected one of {', '.join(FEATURE_SETS)}"
            )
        if feature_set == "paper":
            return self.columns
        return tuple(c for c in self.columns if not c.identifier)

    def identifier_warning(self, feature_set: str) -> str | None:
        """Why training on ``feature_set`` may leak the label, or None when it cannot."""
        identifiers = [c.name for c in self.feature_columns(feature_set) if c.identifier]
        if not identifiers:
            return None
        return (
            f"features include identifier columns {', '.join(identifiers)}: in a testbed they "
            "can reveal the label through who talks to whom rather than how; "
            "--feature-set sound drops them"
        )

    def with_label(self, label: LabelSpec | None) -> Layout:
        """The same layout with another label column (or none)."""
        label_columns = tuple(
            dict.fromkeys([*self.label_columns, *([label.column] if label else [])])
        )
        columns = tuple(c for c in self.columns if c.name not in label_columns)
        return replace(self, label=label, label_columns=label_columns, columns=columns)


FEATURE_SETS = {
    "paper": "every non-label column, identifiers included (the paper's 16 Bot-IoT inputs)",
    "sound": "identifier columns (record id, addresses, ports, times, record counters) dropped",
}

# Label-like columns: whatever the layout, these never become features.
LABEL_LIKE = (
    "attack",
    "category",
    "subcategory",
    "label",
    "detailed-label",
    "detailed_label",
    "type",  # TON_IoT's attack type
    "attack_cat",  # UNSW-NB15
    "attack_type",
    "class",
)
# Columns of generic files that name a host, port, record or time rather than
# describe traffic: identifiers, dropped by the 'sound' feature set.
GENERIC_IDENTIFIERS = frozenset(
    {
        "ts",
        "date",
        "time",
        "timestamp",
        "uid",
        "flow_id",
        "src_ip",
        "dst_ip",
        "src_port",
        "dst_port",
        "srcip",
        "dstip",
        "sport",
        "dport",
        "source_ip",
        "destination_ip",
        "source_port",
        "destination_port",
    }
)

# Known Bot-IoT column kinds (shared by both Bot-IoT layouts and by generic files
# that reuse Bot-IoT column names).
_BOTIOT_KINDS: dict[str, Column] = {
    c.name: c
    for c in [
        Column("pkSeqID", Kind.NUMBER, identifier=True),
        Column("stime", Kind.NUMBER, identifier=True),
        Column("ltime", Kind.NUMBER, identifier=True),
        Column("flgs", Kind.CATEGORY),
        Column("proto", Kind.CATEGORY),
        Column("saddr", Kind.CATEGORY, identifier=True),
        Column("daddr", Kind.CATEGORY, identifier=True),
        Column("sport", Kind.PORT, identifier=True),
        Column("dport", Kind.PORT, identifier=True),
        Column("state", Kind.CATEGORY),
        # Argus' record sequence number: a counter of records, so it says when a flow
        # came in the capture (its position), not how it behaved.
        Column("seq", Kind.NUMBER, identifier=True),
        *[
            Column(name, Kind.NUMBER)
            for name in [
                "pkts",
                "bytes",
                "dur",
                "mean",
                "stddev",
                "sum",
                "min",
                "max",
                "spkts",
                "dpkts",
                "sbytes",
                "dbytes",
                "rate",
                "srate",
                "drate",
                "state_number",
                "N_IN_Conn_P_SrcIP",
                "N_IN_Conn_P_DstIP",
            ]
        ],
    ]
}
_BOTIOT_IGNORED = ("smac", "dmac", "soui", "doui", "sco", "dco")

BOTIOT_10BEST_HEADER = [
    "pkSeqID",
    "proto",
    "saddr",
    "sport",
    "daddr",
    "dport",
    "seq",
    "stddev",
    "N_IN_Conn_P_SrcIP",
    "min",
    "state_number",
    "mean",
    "N_IN_Conn_P_DstIP",
    "drate",
    "srate",
    "max",
    "attack",
    "category",
    "subcategory",
]

BOTIOT_FULL_HEADER = [
    "pkSeqID",
    "stime",
    "flgs",
    "proto",
    "saddr",
    "sport",
    "daddr",
    "dport",
    "pkts",
    "bytes",
    "state",
    "ltime",
    "seq",
    "dur",
    "mean",
    "stddev",
    "smac",
    "dmac",
    "sum",
    "min",
    "max",
    "soui",
    "doui",
    "sco",
    "dco",
    "spkts",
    "dpkts",
    "sbytes",
    "dbytes",
    "rate",
    "srate",
    "drate",
    "attack",
    "category",
    "subcategory",
]

_BOTIOT_LABEL = LabelSpec("attack", "0")
_BOTIOT_LABEL_COLUMNS = ("attack", "category", "subcategory")


def _botiot_layout(name: str, description: str, header: Sequence[str]) -> Layout:
    columns = tuple(
        _BOTIOT_KINDS[c] for c in header if c not in _BOTIOT_LABEL_COLUMNS + _BOTIOT_IGNORED
    )
    ignored = tuple(c for c in header if c in _BOTIOT_IGNORED)
    order = "stime" if "stime" in header else "pkSeqID"
    return Layout(
        name,
        description,
        columns,
        _BOTIOT_LABEL,
        _BOTIOT_LABEL_COLUMNS,
        ignored,
        source_column="saddr",
        order_column=order,
    )


BOTIOT_10BEST = _botiot_layout(
    "botiot-10best",
    "Bot-IoT '10-best features' files (UNSW_2018_IoT_Botnet_Final_10_best_*.csv), 19 columns",
    BOTIOT_10BEST_HEADER,
)
BOTIOT_FULL = _botiot_layout(
    "botiot-full",
    "Bot-IoT full-dataset files (the 35 columns Argus writes, UNSW_2018_IoT_Botnet_Dataset_*.csv)",
    BOTIOT_FULL_HEADER,
)

# N-BaIoT (Meidan et al. 2018): 115 statistics per packet, computed by Kitsune's
# feature extractor over five damped windows (decay L5 ... L0.01) of five streams.
# The files carry no label column: the label is the file (benign, or an attack).
_NBAIOT_WINDOWS = ("L5", "L3", "L1", "L0.1", "L0.01")
_NBAIOT_1D = ("weight", "mean", "variance")
_NBAIOT_2D = ("weight", "mean", "std", "magnitude", "radius", "covariance", "pcc")
NBAIOT_HEADER = [
    f"{stream}_{window}_{statistic}"
    for stream, statistics in (
        ("MI_dir", _NBAIOT_1D),
        ("H", _NBAIOT_1D),
        ("HH", _NBAIOT_2D),
        ("HH_jit", _NBAIOT_1D),
        ("HpHp", _NBAIOT_2D),
    )
    for window in _NBAIOT_WINDOWS
    for statistic in statistics
]
# In the published files the HH_jit_*_mean columns hold Unix times (2017), not jitter:
# they say when a packet was captured, so they are identifiers, as timestamps are.
NBAIOT_TIME_COLUMNS = tuple(f"HH_jit_{window}_mean" for window in _NBAIOT_WINDOWS)
NBAIOT = Layout(
    "n-baiot",
    "N-BaIoT per-device feature files (115 columns MI_dir_L5_weight ... HpHp_L0.01_pcc, "
    "labelled by file: --normal FILE --attack FILE)",
    tuple(
        Column(name, Kind.NUMBER, identifier=name in NBAIOT_TIME_COLUMNS) for name in NBAIOT_HEADER
    ),
    None,
    (),
    default_feature_set="sound",
)

# Zeek conn.log (IoT-23's conn.log.labeled adds label and detailed-label). The
# history string becomes counts per letter (see flowae.data.sources), so the
# columns below include derived ones that a Zeek source adds to its header.
ZEEK_HISTORY_LETTERS = "SHADFRTshadfrt"
ZEEK_HISTORY_COLUMNS = [
    *(f"history_{'orig' if c.isupper() else 'resp'}_{c}" for c in ZEEK_HISTORY_LETTERS),
    "history_other",
]
ZEEK_CONN_FIELDS = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
]
_ZEEK_COLUMNS = (
    Column("ts", Kind.NUMBER, identifier=True),
    Column("id.orig_h", Kind.CATEGORY, identifier=True),
    Column("id.orig_p", Kind.PORT, identifier=True),
    Column("id.resp_h", Kind.CATEGORY, identifier=True),
    Column("id.resp_p", Kind.PORT, identifier=True),
    Column("proto", Kind.CATEGORY),
    Column("service", Kind.CATEGORY),
    Column("duration", Kind.NUMBER),
    Column("orig_bytes", Kind.NUMBER),
    Column("resp_bytes", Kind.NUMBER),
    Column("conn_state", Kind.CATEGORY),
    Column("missed_bytes", Kind.NUMBER),
    Column("orig_pkts", Kind.NUMBER),
    Column("orig_ip_bytes", Kind.NUMBER),
    Column("resp_pkts", Kind.NUMBER),
    Column("resp_ip_bytes", Kind.NUMBER),
    *(Column(name, Kind.NUMBER) for name in ZEEK_HISTORY_COLUMNS),
)
ZEEK_LABEL_COLUMNS = ("label", "detailed-label")
ZEEK_CONN = Layout(
    "zeek-conn",
    "Zeek conn.log, and IoT-23 conn.log.labeled with its label and detailed-label fields",
    _ZEEK_COLUMNS,
    None,
    ZEEK_LABEL_COLUMNS,
    ignored=("uid", "local_orig", "local_resp", "history", "tunnel_parents"),
    default_feature_set="sound",
    source_column="id.orig_h",
    order_column="ts",
)

KNOWN_LAYOUTS = (BOTIOT_10BEST, BOTIOT_FULL, NBAIOT, ZEEK_CONN)

# Normal values of well-known label columns, used when --normal-value is not given.
DEFAULT_NORMAL_VALUES = {"attack": "0", "category": "Normal", "label": "Benign"}
ZEEK_LABEL = LabelSpec("label", "Benign")
# The label each known layout carries when its file has one (by layout name).
DEFAULT_LABELS = {
    BOTIOT_10BEST.name: _BOTIOT_LABEL,
    BOTIOT_FULL.name: _BOTIOT_LABEL,
    ZEEK_CONN.name: ZEEK_LABEL,
}


def describe_known_layouts() -> str:
    """One line listing the layouts flowae recognises, for error messages."""
    known = "; ".join(f"{layout.name}: {layout.description}" for layout in KNOWN_LAYOUTS)
    return (
        f"known layouts: {known}; any other flow CSV is read when its label column is "
        "given with --label-column NAME --normal-value VALUE"
    )


def recognise_layout(
    header: Sequence[str],
    *,
    source: str,
    label_column: str | None = None,
    normal_value: str | None = None,
    categorical: Sequence[str] = (),
    require_label: bool = True,
) -> Layout:
    """The layout of a file with this header.

    Bot-IoT headers are recognised whatever their column order. Any other
    header becomes a generic layout whose label is ``label_column``; columns
    with Bot-IoT names keep their Bot-IoT kinds, ``categorical`` names are
    categorical, and the rest are decided from the data (``Kind.AUTO``).
    """
    names = set(header)
    label = None
    if label_column is not None:
        if label_column not in names:
            raise UsageError(
                f"{source}: no label column '{label_column}' in the header "
                f"(columns: {', '.join(header)})"
            )
        value = (
            normal_value if normal_value is not None else DEFAULT_NORMAL_VALUES.get(label_column)
        )
        if value is None:
            raise UsageError(
                f"{source}: give --normal-value: which value of '{label_column}' marks normal rows?"
            )
        label = LabelSpec(label_column, value)
    elif normal_value is not None:
        raise UsageError("--normal-value needs --label-column to say which column it refers to")

    known = _known_layout(header)
    if known is not None:
        if label is not None:
            known = known.with_label(label)
        elif known.name == ZEEK_CONN.name and ZEEK_LABEL.column in names:
            known = replace(known, label=ZEEK_LABEL)
        return _with_categoricals(known, categorical, source)

    if label is None:
        label = _implied_label(header)
    if label is None and not require_label:
        label_like = [c for c in header if c.lower() in LABEL_LIKE]
        if label_like:
            raise UsageError(
                f"{source}: column(s) {', '.join(label_like)} look like labels; name the label "
                "with --label-column and --normal-value so attack rows are not learnt as normal"
            )
    if label is None and require_label:
        raise UsageError(
            f"{source}: the header matches no known layout and no label column was given. "
            + describe_known_layouts()
        )
    label_columns = tuple(
        c for c in header if c.lower() in LABEL_LIKE or (label and c == label.column)
    )
    ignored = tuple(c for c in header if c in _BOTIOT_IGNORED)
    columns = tuple(
        _BOTIOT_KINDS.get(c, Column(c, Kind.AUTO, identifier=c.lower() in GENERIC_IDENTIFIERS))
        for c in header
        if c not in label_columns and c not in ignored
    )
    others = [c for c in label_columns if label is None or c != label.column]
    if others:
        log.info("%s: label-like column(s) %s are not features", source, ", ".join(others))
    names = {c.name for c in columns}
    layout = Layout(
        "generic",
        "a flow CSV with a label column named by the user",
        columns,
        label,
        label_columns,
        ignored,
        source_column=next((c for c in ("saddr", "src_ip", "srcip") if c in names), None),
        order_column=next((c for c in ("stime", "ts", "pkSeqID") if c in names), None),
    )
    return _with_categoricals(layout, categorical, source)


def _known_layout(header: Sequence[str]) -> Layout | None:
    """The fixed layout this header is (any column order), or None."""
    names = set(header)
    for layout, expected in (
        (BOTIOT_10BEST, BOTIOT_10BEST_HEADER),
        (BOTIOT_FULL, BOTIOT_FULL_HEADER),
        (NBAIOT, NBAIOT_HEADER),
    ):
        if names == set(expected) and len(header) == len(expected):
            return layout
        unlabelled = set(expected) - set(layout.label_columns)
        if layout.label is not None and names == unlabelled and len(header) == len(unlabelled):
            return replace(layout, label=None)  # e.g. flows extracted from a capture
    zeek = set(ZEEK_CONN_FIELDS) | set(ZEEK_HISTORY_COLUMNS)
    if zeek <= names:  # newer Zeek adds fields (ip_proto, community_id, ...): not read
        extra = tuple(c for c in header if c not in zeek and c not in ZEEK_LABEL_COLUMNS)
        return replace(ZEEK_CONN, ignored=tuple(dict.fromkeys((*ZEEK_CONN.ignored, *extra))))
    return None


def _implied_label(header: Sequence[str]) -> LabelSpec | None:
    """Bot-IoT-derived files (every column a Bot-IoT name) carry their own label."""
    botiot_names = set(BOTIOT_FULL_HEADER) | set(BOTIOT_10BEST_HEADER)
    if not set(header) <= botiot_names:
        return None
    for column in ("attack", "category"):
        if column in header:
            return LabelSpec(column, DEFAULT_NORMAL_VALUES[column])
    return None


def _with_categoricals(layout: Layout, categorical: Sequence[str], source: str) -> Layout:
    if not categorical:
        return layout
    by_name = {c.name: c for c in layout.columns}
    unknown = [name for name in categorical if name not in by_name]
    if unknown:
        raise UsageError(
            f"{source}: --categorical names no feature column: {', '.join(unknown)} "
            f"(feature columns: {', '.join(by_name)})"
        )
    columns = tuple(
        replace(c, kind=Kind.CATEGORY) if c.name in categorical else c for c in layout.columns
    )
    return replace(layout, columns=columns)
