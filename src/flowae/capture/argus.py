"""Run Argus on a capture: ``argus`` makes flow records, ``racluster`` merges them.

This is how Bot-IoT's flows were made (Koroniotis et al. 2019): Argus writes a
status record for every flow every 5 seconds, and racluster merges each flow's
records into one row, whose ``mean``/``stddev``/``sum``/``min``/``max`` describe
the durations of the merged records. flowae runs both with a fixed
configuration (system and user Argus configuration files are ignored), in a
private temporary directory, and reads racluster's CSV with pyarrow.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pv

from flowae.data.layouts import BOTIOT_FULL_HEADER
from flowae.errors import FlowAEError, InputError

log = logging.getLogger(__name__)

# "ArgusError: 03 Dec 26 23:07:05.950139 input file ...": the time says nothing to a user
_ALERT_TIME = re.compile(r"^(Argus\w+: )\d\d \w{3} \d\d \d\d:\d\d:\d\d\.\d+ ")

# The Argus fields of Bot-IoT's full layout (its columns but the record id and the
# labels), in the order racluster is asked to print them: racluster's field names
# are Bot-IoT's column names.
ARGUS_FIELDS = tuple(
    c
    for c in BOTIOT_FULL_HEADER
    if c != "pkSeqID" and c not in ("attack", "category", "subcategory")
)
STATUS_INTERVAL_SECONDS = 5  # Argus' flow status interval in Bot-IoT (max durations < 5 s)
INSTALL_HINT = (
    "install Argus: on Debian or Ubuntu 'sudo apt-get install argus-server argus-client' "
    "(argus-server gives argus, argus-client gives racluster)"
)


@dataclass(frozen=True)
class ArgusTools:
    """Where the two Argus programs are."""

    argus: str
    racluster: str


def find_tools() -> ArgusTools:
    """The argus and racluster programs, or a FlowAEError saying how to install them."""
    found = {name: _which(name) for name in ("argus", "racluster")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise FlowAEError(f"{' and '.join(missing)} not found on PATH: {INSTALL_HINT}")
    return ArgusTools(argus=str(found["argus"]), racluster=str(found["racluster"]))


def _which(name: str) -> str | None:
    # Debian installs argus in /usr/sbin, which is not on every user's PATH.
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


@contextmanager
def argus_records(capture: str | Path, tools: ArgusTools | None = None) -> Iterator[Path]:
    """Run argus on ``capture``; yield the binary record file (deleted afterwards)."""
    tools = tools or find_tools()
    with tempfile.TemporaryDirectory(prefix="flowae-argus-") as work:
        records = Path(work) / "flows.argus"  # fresh: argus appends to an existing file
        # argus splits its -r argument at spaces and commas, so it gets names without
        # them, relative to the temporary directory it runs in
        (Path(work) / "capture").symlink_to(Path(capture).resolve())
        _run(
            [
                tools.argus,
                "-X",  # ignore /etc/argus.conf and ~/.argusrc: every setting is given here
                "-S",
                str(STATUS_INTERVAL_SECONDS),
                "-m",  # MAC addresses (smac, dmac)
                "-r",
                "capture",
                "-w",
                records.name,
            ],
            capture,
            work,
        )
        if not records.exists():
            raise InputError(capture, "argus wrote no flow records")
        yield records


def cluster_flows(records: Path, capture: str | Path, tools: ArgusTools | None = None) -> pa.Table:
    """racluster's merged flows as a table of text columns named as in ARGUS_FIELDS."""
    tools = tools or find_tools()
    work = records.parent
    out = work / "flows.csv"
    command = [
        tools.racluster,
        "-r",
        records.name,  # relative to its working directory, like argus' own
        "-u",  # times as Unix seconds
        "-n",  # numbers, not names, for hosts, ports and protocols
        "-p",
        "6",  # six decimals, as in Bot-IoT
        "-c",
        ",",
        "-s",
        *ARGUS_FIELDS,
    ]
    with out.open("wb") as stream:
        _run(command, capture, str(work), stdout=stream)
    if out.stat().st_size == 0:  # no flows: racluster prints not even a header
        return no_flows()
    table = pv.read_csv(
        out,
        read_options=pv.ReadOptions(column_names=list(ARGUS_FIELDS), skip_rows=1),
        parse_options=pv.ParseOptions(delimiter=","),
        convert_options=pv.ConvertOptions(
            column_types={name: pa.string() for name in ARGUS_FIELDS},
            strings_can_be_null=False,
        ),
    )
    return table


def no_flows() -> pa.Table:
    """An empty table of racluster's columns."""
    return pa.table({name: pa.array([], pa.string()) for name in ARGUS_FIELDS})


def _run(
    command: list[str], capture: str | Path, work: str, stdout: int | IO[bytes] = subprocess.DEVNULL
) -> None:
    """Run an Argus program; its alerts or a non-zero exit become one-line errors."""
    environment = {**os.environ, "HOME": work}  # no ~/.rarc or ~/.argusrc is read
    try:
        finished = subprocess.run(
            command,
            stdout=stdout,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=work,
            check=False,
        )
    except OSError as error:
        raise FlowAEError(f"cannot run {command[0]} ({error.strerror}): {INSTALL_HINT}") from None
    messages = [
        _ALERT_TIME.sub(r"\1", line.strip())
        for line in finished.stderr.decode("utf-8", "replace").splitlines()
        if line.strip() and "could be dangerous" not in line
    ]
    program = Path(command[0]).name
    errors = [m for m in messages if "error" in m.lower() or "pcap_open" in m]
    if finished.returncode != 0 or errors:
        detail = (errors or messages or [f"exit status {finished.returncode}"])[0]
        link_type = re.search(r"unsupported device type (\d+)", detail)
        if link_type:
            raise InputError(
                capture, f"its link type {link_type.group(1)} is not one Argus can read"
            )
        raise InputError(capture, f"{program} failed: {detail}")
    for message in messages:
        log.warning("%s: %s says: %s", capture, program, message)
