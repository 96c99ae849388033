"""The ``flowae`` command line: parses options, calls the library, maps errors to exits.

Exit codes: 0 success, 1 a problem with the input, model or options (one line
on stderr, no traceback unless --debug), 2 bad command-line usage, 70 an
internal error, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import math
import os
import shlex
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import numpy as np
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flowae import __version__
from flowae.baselines import BASELINES
from flowae.data.layouts import FEATURE_SETS
from flowae.data.reader import FlowTable, read_flows
from flowae.errors import FlowAEError, InputError, UsageError
from flowae.logs import configure_plain
from flowae.model.detector import SCALE_ON, FlowDetector
from flowae.model.history import EpochReport
from flowae.model.recipes import RECIPES
from flowae.output import atomic_directory, atomic_write_text

log = logging.getLogger("flowae")
stderr = Console(stderr=True)

EXIT_PROBLEM = 1
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


# --------------------------------------------------------------------------- options


class FiniteFloat(click.ParamType):
    """A float in a range, refusing nan and infinities (click's FloatRange lets nan in)."""

    name = "float"

    def __init__(
        self, low: float, high: float = math.inf, *, low_open: bool = False, high_open: bool = False
    ) -> None:
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        below = number <= self.low if self.low_open else number < self.low
        above = number >= self.high if self.high_open else number > self.high
        if not math.isfinite(number) or below or above:
            self.fail(f"{value!r} is not a finite number in {self._describe()}", param, ctx)
        return number

    def _describe(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        high = "inf" if math.isinf(self.high) else f"{self.high:g}"
        return f"{left}{self.low:g}, {high}{right}"


FINITE_NON_NEGATIVE = FiniteFloat(0.0)
K_RANGE = FiniteFloat(0.0, 1e6)  # mean + k std: beyond a million std nothing is ever flagged
POSITIVE = FiniteFloat(0.0, low_open=True)
FRACTION = FiniteFloat(0.0, 1.0, high_open=True)
MAX_LAYER_SIZE = 4096


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    """--quiet and --debug on every command, plus the error-to-exit-code mapping."""

    @click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors; no progress bars.")
    @click.option("--debug", is_flag=True, help="Debug logs, and a traceback on errors.")
    @functools.wraps(func)
    def wrapper(*args: Any, quiet: bool, debug: bool, **kwargs: Any) -> Any:
        _configure_logging(quiet=quiet, debug=debug)
        click.get_current_context().meta["flowae.progress"] = not quiet and stderr.is_terminal
        try:
            return func(*args, **kwargs)
        except FlowAEError as error:
            if debug:
                raise
            _fail(str(error), EXIT_PROBLEM)
        except KeyboardInterrupt:
            _fail("interrupted; no output was left half-written", EXIT_INTERRUPTED)
        except Terminated:
            _fail("terminated; no output was left half-written", EXIT_TERMINATED)
        except BrokenPipeError:
            raise  # the reader of standard output left (`| head`): click exits quietly
        except OSError as error:
            if debug:
                raise
            where = f"{error.filename}: " if error.filename else ""
            _fail(f"{where}{error.strerror or error}", EXIT_PROBLEM)
        except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
            if debug:
                raise
            _fail(
                f"internal error: {type(error).__name__}: {error} (run with --debug for the "
                "traceback, and please report it)",
                EXIT_INTERNAL,
            )

    return wrapper


def _fail(message: str, code: int) -> None:
    one_line = message.replace("\r", "\\r").replace("\n", "\\n")
    click.echo(f"flowae: error: {one_line}", err=True)
    sys.exit(code)


def _data_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--label-column",
            metavar="NAME",
            help="Column holding the ground truth. Bot-IoT files need none (attack, 0 = normal).",
        ),
        click.option(
            "--normal-value",
            metavar="VALUE",
            help="Value of the label column that marks normal rows (e.g. Normal, 0, Benign).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _file_label_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--normal",
            "normal_files",
            multiple=True,
            type=click.Path(path_type=Path),
            metavar="FILE",
            help="Instead of a data file: a file whose rows are all normal (repeatable), for "
            "datasets labelled by file such as N-BaIoT.",
        ),
        click.option(
            "--attack",
            "attack_files",
            multiple=True,
            type=click.Path(path_type=Path),
            metavar="FILE",
            help="Instead of a data file: a file whose rows are all attacks (repeatable).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _architecture_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--model",
        "--architecture",
        "architecture",
        default="paper",
        show_default=True,
        type=click.Choice(list(RECIPES)),
        help="paper: the paper's network (--hidden, 12-8-5-2), threshold from the "
        "training-normal errors; flowae: ours (log of heavy-tailed counts, 32-16-8-4 with a "
        "linear code, early stopping, threshold fpr:0.01 on held-out normal rows); nbaiot: "
        "N-BaIoT's encoder at 75/50/33/25 % of the inputs, threshold from held-out normal rows.",
    )(func)


class PolicyType(click.ParamType):
    """A threshold policy: meanstd:K, quantile:Q, fpr:X or lognormal:P."""

    name = "policy"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        from flowae.model.threshold import ThresholdPolicy

        try:
            return str(ThresholdPolicy.parse(str(value)))
        except ValueError as error:
            self.fail(str(error), param, ctx)


POLICY = PolicyType()
POLICY_HELP = (
    "meanstd:K (mean + K std of the training-normal errors, the paper's), quantile:Q, fpr:X "
    "(flag at most a share X of held-out normal rows) or lognormal:P (tail probability below "
    "P under a log-normal fitted to held-out normal errors)"
)


def _read_input(
    data: Path | None,
    normal_files: tuple[Path, ...],
    attack_files: tuple[Path, ...],
    *,
    layout: Any = None,
    label_column: str | None = None,
    normal_value: str | None = None,
    categorical: tuple[str, ...] = (),
    require_labels: bool = True,
    capture_layout: str = "full",
    allow_truncated: bool = False,
) -> FlowTable:
    """DATA, or the files labelled by name with --normal / --attack (not both).

    DATA may be a packet capture: its flows are extracted with Argus first, in the
    Bot-IoT ``capture_layout`` (a model's layout reads the columns it needs).
    """
    from flowae.data.reader import read_labelled_files

    if normal_files or attack_files:
        if data is not None:
            raise UsageError("give DATA or --normal/--attack files, not both")
        if label_column is not None or normal_value is not None:
            raise UsageError(
                "--normal/--attack label rows by file; --label-column and --normal-value "
                "do not apply"
            )
        if not normal_files and layout is None:
            raise UsageError("give at least one --normal FILE: the model learns normal traffic")
        _refuse_captures((*normal_files, *attack_files))
        resolved = [path.resolve() for path in (*normal_files, *attack_files)]
        repeated = sorted({str(p) for p in resolved if resolved.count(p) > 1})
        if repeated:
            raise UsageError(
                f"{repeated[0]} is given more than once to --normal/--attack: a file is "
                "either normal or attack traffic, once"
            )
        return read_labelled_files(
            normal_files, attack_files, layout=layout, categorical=categorical
        )
    if data is None:
        raise UsageError("give a DATA file, or --normal FILE (and --attack FILE) files")
    if require_labels:
        why = (
            f"it holds no labels: label its flows with 'flowae extract {data} --labels "
            "CONN_LOG --out FLOWS.csv', then use FLOWS.csv"
        )
        _refuse_captures((data,), why)
    with _flow_file(data, layout=capture_layout, allow_truncated=allow_truncated) as path:
        flows = read_flows(
            path,
            layout=layout,
            label_column=label_column,
            normal_value=normal_value,
            categorical=categorical,
            require_labels=require_labels,
        )
    return replace(flows, source=str(data)) if path != data else flows


def _refuse_captures(paths: tuple[Path, ...], why: str | None = None) -> None:
    from flowae.capture.files import looks_like_capture

    for path in paths:
        if str(path) != "-" and looks_like_capture(path):
            raise UsageError(
                f"{path} is a packet capture: "
                + (
                    why
                    or "--normal/--attack read flow files; write its flows first with "
                    f"'flowae extract {path} --out FLOWS.csv'"
                )
            )


ALLOW_TRUNCATED = click.option(
    "--allow-truncated",
    is_flag=True,
    help="For a packet capture cut off inside a packet, or whose packets Argus cannot all "
    "read: extract the flows of the packets read (with a warning) instead of stopping.",
)


@contextmanager
def _flow_file(data: Path, *, layout: str, allow_truncated: bool) -> Iterator[Path]:
    """DATA itself, or for a packet capture the flows Argus extracts from it (a temporary
    CSV in the Bot-IoT ``layout``, deleted afterwards)."""
    from flowae.capture.files import looks_like_capture

    if str(data) == "-" or not looks_like_capture(data):
        if allow_truncated:
            raise UsageError(f"--allow-truncated applies to packet captures; {data} is not one")
        yield data
        return
    from flowae.capture.extract import extracted_csv

    with extracted_csv(data, layout=layout, allow_truncated=allow_truncated) as (path, _):
        try:
            yield path
        except FlowAEError as error:  # name the capture, not the temporary file of its flows
            raise FlowAEError(str(error).replace(str(path), f"{data} (its Argus flows)")) from None


def _training_options(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--epochs",
            default=None,
            show_default="20; flowae: at most 100, with early stopping",
            type=click.IntRange(min=1),
            help="Training epochs (the paper: 20); with --model flowae, the most epochs.",
        ),
        click.option(
            "--batch-size",
            default=19,
            show_default=True,
            type=click.IntRange(min=1),
            help="Mini-batch size (the paper: 19).",
        ),
        click.option(
            "--learning-rate",
            default=0.01,
            show_default=True,
            type=POSITIVE,
            help="Adam learning rate.",
        ),
        click.option(
            "--seed",
            default=0,
            show_default=True,
            type=click.IntRange(0, 2**32 - 1),
            help="Seed of splits, weight initialisation and shuffling.",
        ),
        click.option(
            "--hidden",
            default=None,
            show_default="12,8,5,2; flowae: 32,16,8,4",
            callback=_parse_hidden,
            metavar="SIZES",
            help="Encoder layer sizes, comma-separated; the decoder mirrors them.",
        ),
        click.option(
            "--categorical",
            multiple=True,
            metavar="COLUMN",
            help="Treat this column of a generic file as categorical (repeatable).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _parse_hidden(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[int, ...] | None:
    if value is None:
        return None  # the model's own sizes
    try:
        sizes = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise click.BadParameter(f"expected sizes like 12,8,5,2, got {value!r}") from None
    if not sizes or min(sizes) < 1 or max(sizes) > MAX_LAYER_SIZE:
        raise click.BadParameter(
            f"layer sizes must be integers from 1 to {MAX_LAYER_SIZE}, got {value!r}"
        )
    return sizes


CAPTURE_KEEP = ("stime", "proto", "saddr", "sport", "daddr", "dport")
CAPTURE_LAYOUTS = ["10best", "full"]  # flowae.capture.features.LAYOUT_COLUMNS (imported lazily)
_SCORE_COLUMNS = {"row", "reconstruction_error", "is_anomaly", "label"}


def _parse_keep(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    names = tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    clash = [
        name for name in names if name in _SCORE_COLUMNS or name.startswith(("explain_", "share_"))
    ]
    if not names or clash:
        raise click.BadParameter(
            "expected input column names like saddr,daddr"
            + (f"; {', '.join(clash)} is a column of the output itself" if clash else "")
        )
    return names


def _parse_baselines(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    if value == "all":
        return tuple(BASELINES)
    if value == "none":
        return ()
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise click.BadParameter(
            f"unknown baseline(s) {', '.join(unknown)}: expected all, none or some of "
            + ", ".join(BASELINES)
        )
    return names


def _parse_feature_sets(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))
    unknown = [name for name in names if name not in FEATURE_SETS]
    if unknown:
        raise click.BadParameter(
            f"unknown feature set(s) {', '.join(unknown)}: expected {', '.join(FEATURE_SETS)}"
        )
    return names


def _parse_vote(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value in ("auto", "none") or (
        value.isascii() and value.isdigit() and 1 <= int(value) <= 1000
    ):
        return value
    raise click.BadParameter(f"expected a window of 1 to 1000 flows, auto or none, got {value!r}")


def _scale_on_option(default: str) -> Callable[..., Any]:
    return click.option(
        "--scale-on",
        default=None,
        show_default=default if default == "normal" else f"{default}; flowae: normal",
        type=click.Choice(SCALE_ON),
        help="Fit vocabularies and MinMax ranges on all training rows (as the paper scaled "
        "its data) or on the normal rows only (nothing learned from attacks).",
    )


def _feature_set_option(default: str) -> Callable[..., Any]:
    choices = list(FEATURE_SETS) + (["auto"] if default == "auto" else [])
    auto = (
        "; auto: paper for Bot-IoT layouts (faithful to the paper), sound for Zeek logs "
        "(whose addresses, ports and times would only tell captures apart)"
        if default == "auto"
        else ""
    )
    return click.option(
        "--feature-set",
        default=default,
        show_default=True,
        type=click.Choice(choices),
        help="paper: every non-label column, identifiers included (the paper's 16 Bot-IoT "
        f"inputs); sound: record ids, addresses, ports and times dropped{auto}.",
    )


# --------------------------------------------------------------------------- commands


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="flowae")
def cli() -> None:
    """Detect IoT botnet traffic in network flows with an unsupervised deep autoencoder.

    Train on normal flows, flag the flows the autoencoder cannot reconstruct.
    Reads Bot-IoT files (10-best and full layouts, comma, semicolon or tab
    separated), N-BaIoT feature files, Zeek conn logs (IoT-23), and any flow
    CSV whose label column you name.
    """


@cli.command(short_help="Turn a packet capture into Bot-IoT flows with Argus.")
@click.argument("capture", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=str, allow_dash=True),
    callback=lambda _ctx, _param, value: _output_file_name(value),
    help="CSV file to write, or - for standard output.",
)
@click.option(
    "--layout",
    type=click.Choice(CAPTURE_LAYOUTS),
    default="10best",
    show_default=True,
    help="10best: the 16 non-label columns of Bot-IoT's 10-best files; full: the Argus "
    "fields of the full files plus state_number and N_IN_Conn_P_SrcIP/DstIP.",
)
@click.option(
    "--labels",
    "zeek_log",
    type=click.Path(path_type=Path),
    metavar="CONN_LOG",
    help="Label the flows from this labelled Zeek conn log of the same capture (IoT-23's "
    "conn.log.labeled): adds attack, category and subcategory; flows it does not cover "
    "are left out, with a warning.",
)
@ALLOW_TRUNCATED
@_common
def extract(
    capture: Path, out: Path, layout: str, zeek_log: Path | None, allow_truncated: bool
) -> None:
    """Extract the flows of CAPTURE (pcap or pcapng) in a Bot-IoT layout.

    Runs argus (Debian package argus-server) to make flow records and
    racluster (argus-client) to merge each flow's records, as Bot-IoT did, then
    adds Bot-IoT's own columns: pkSeqID, state_number and N_IN_Conn_P_SrcIP /
    N_IN_Conn_P_DstIP. docs/FEATURES.md defines every column. Without
    --labels the file has no label columns, and flowae reads it as an
    unlabelled Bot-IoT file.
    """
    from flowae.capture.extract import extract as extract_flows
    from flowae.capture.extract import label_flows, write_flows
    from flowae.output import prepare_output_file

    if str(out) != "-":
        _refuse_overwriting_inputs(out, "--out", inputs=[capture, zeek_log])
        prepare_output_file(out)
    started = time.perf_counter()
    extraction = extract_flows(capture, allow_truncated=allow_truncated)
    if zeek_log is not None:
        extraction = label_flows(extraction, zeek_log)
    write_flows(extraction, out, layout)
    log.info(
        "%s: %s packets -> %s flows (%s layout) in %.1f s; wrote %s",
        capture,
        f"{extraction.capture.packets:,}",
        f"{extraction.n_flows:,}",
        layout,
        time.perf_counter() - started,
        out,
    )


@cli.command(short_help="Learn normal traffic from DATA and save a model.")
@click.argument("data", type=click.Path(path_type=Path), required=False)
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Model directory to write (weights.safetensors + manifest.json).",
)
@_data_options
@_file_label_options
@_feature_set_option("sound")
@_scale_on_option("normal")
@_architecture_option
@_training_options
@click.option(
    "--capture-layout",
    type=click.Choice(CAPTURE_LAYOUTS),
    default="10best",
    show_default=True,
    help="When DATA is a packet capture: the Bot-IoT layout its flows are extracted in.",
)
@ALLOW_TRUNCATED
@click.option(
    "--k",
    default=1.0,
    show_default=True,
    type=K_RANGE,
    help="Threshold = mean + k * std of the training-normal reconstruction error.",
)
@click.option(
    "--threshold",
    type=POLICY,
    metavar="POLICY",
    help=f"How the threshold is set: {POLICY_HELP}. Default: meanstd with --k for the "
    "paper and nbaiot models, fpr:0.01 for flowae.",
)
@click.option(
    "--validation-fraction",
    default=0.2,
    show_default=True,
    type=FRACTION,
    help="Share of rows held out (stratified) to report validation loss per epoch; "
    "0 trains on every normal row.",
)
@_common
def train(
    data: Path | None,
    out: Path,
    label_column: str | None,
    normal_value: str | None,
    normal_files: tuple[Path, ...],
    attack_files: tuple[Path, ...],
    feature_set: str,
    architecture: str,
    epochs: int | None,
    batch_size: int,
    learning_rate: float,
    seed: int,
    hidden: tuple[int, ...] | None,
    scale_on: str | None,
    categorical: tuple[str, ...],
    capture_layout: str,
    allow_truncated: bool,
    k: float,
    threshold: str | None,
    validation_fraction: float,
) -> None:
    """Train a detector on the normal rows of DATA and save it to --out.

    Rows whose label is the normal value are the training rows; without a
    label column every row counts as normal. The threshold is set from the
    training-normal reconstruction errors (meanstd), or by --threshold on the
    normal rows of the held-out validation split, and stored with the model.
    DATA may be a pcap or pcapng capture: its flows are extracted with Argus
    first (see 'flowae extract').
    """
    from flowae.data.splits import stratified_split
    from flowae.output import prepare_output_directory
    from flowae.persistence import MODEL_FILES, save_model

    prepare_output_directory(out, owned=MODEL_FILES)
    _check_architecture(architecture, hidden)
    source = click.get_current_context().get_parameter_source("k")
    k_given = source is not None and source.name != "DEFAULT"
    if k_given and threshold is not None:
        raise UsageError("give --k or --threshold, not both (--threshold meanstd:K sets k)")
    if k_given:
        threshold = f"meanstd:{k!r}"  # an explicit k asks for the paper's rule
    flows = _read_input(
        data,
        normal_files,
        attack_files,
        label_column=label_column,
        normal_value=normal_value,
        categorical=categorical,
        require_labels=False,
        capture_layout=capture_layout,
        allow_truncated=allow_truncated,
    )
    data = Path(flows.source)
    log.info("read %d rows from %s (layout %s)", flows.n_rows, data, flows.layout.name)
    leak = flows.layout.identifier_warning(feature_set)
    if leak:
        log.warning(leak)
    if not flows.has_labels:
        log.warning(
            "%s has no label column: all %d rows are treated as normal traffic", data, flows.n_rows
        )
    is_attack = flows.is_attack(unlabelled_as_normal=True)
    validation = None
    if validation_fraction > 0 and flows.n_rows > 1:
        fit_rows, held_out = stratified_split(is_attack, validation_fraction, seed + 1)
        if (~is_attack).any() and is_attack[fit_rows].all():
            raise UsageError(
                f"{data}: all {int((~is_attack).sum())} normal rows went to the validation "
                "split; lower --validation-fraction (0 trains on every normal row)"
            )
        flows, validation = flows.take(fit_rows), flows.take(held_out)
    detector = FlowDetector(
        feature_set=feature_set,
        scale_on=scale_on,
        architecture=architecture,
        hidden=hidden,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        k=k,
        threshold=threshold,
        random_state=seed,
    )
    with _training_progress() as on_epoch:
        detector.fit(flows, validation, on_epoch=lambda report: on_epoch("training", report))
    save_model(detector, out, trained_on=_provenance(flows))
    history = detector.history_
    kept = (history.best_epoch or len(history.train_loss)) - 1  # early stopping keeps its best
    log.info(
        "trained on %d normal rows (%d features); training loss %.5f (epoch %d%s)",
        detector.training_rows_["normal"],
        len(detector.feature_names_in_),
        history.train_loss[kept],
        kept + 1,
        f", the best of {len(history.train_loss)}" if history.best_epoch else "",
    )
    if history.val_normal_loss and validation is not None:
        held_out_attack = validation.is_attack(unlabelled_as_normal=True)
        log.info(
            "held-out loss: %.5f on %d normal rows%s",
            history.val_normal_loss[kept],
            int((~held_out_attack).sum()),
            f", {history.val_loss[kept]:.5f} on all held-out rows (attacks included, so "
            "higher by design)"
            if held_out_attack.any()
            else "",
        )
    log.info("threshold %s; saved to %s", detector.threshold_rule().describe(), out)


@cli.command(short_help="Score every row of DATA: error and verdict per row.")
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--out",
    "-o",
    default="-",
    show_default=True,
    type=click.Path(path_type=str, allow_dash=True),
    callback=lambda _ctx, _param, value: _output_file_name(value),
    help="File to write, or - for standard output.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="CSV with a header, or JSON lines (one object per row).",
)
@click.option(
    "--only-anomalies",
    is_flag=True,
    help="Write only the flagged rows (each still with its input row number).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="For each flagged row, add the three features with the largest shares of its "
    "reconstruction error (explain_1, share_1, ...).",
)
@click.option(
    "--keep",
    metavar="COLUMNS",
    callback=lambda _ctx, _param, value: _parse_keep(value),
    help="Input columns to copy into the output after 'row', comma-separated (e.g. "
    f"saddr,daddr). Default for a packet capture: {','.join(CAPTURE_KEEP)}.",
)
@click.option(
    "--k",
    type=K_RANGE,
    help="Use mean + k * std of the training-normal errors instead of the model's threshold "
    "(no retraining).",
)
@ALLOW_TRUNCATED
@_data_options
@_common
def score(
    model: Path,
    data: Path,
    out: Path,
    output_format: str,
    only_anomalies: bool,
    explain: bool,
    keep: tuple[str, ...] | None,
    k: float | None,
    allow_truncated: bool,
    label_column: str | None,
    normal_value: str | None,
) -> None:
    """Score every row of DATA with MODEL, streaming: one output row per input row.

    DATA is any layout flowae reads: CSV (comma, semicolon, tab, pipe), gzip
    CSV, Parquet, or - for standard input. Columns: row (input row number,
    1-based, header excluded), reconstruction_error, is_anomaly (1 above the
    threshold), and label when the input has the model's label column. The
    file is read and written block by block, so memory stays flat; the output
    appears only when complete.

    DATA may also be a pcap or pcapng capture: its flows are extracted with
    Argus first (see 'flowae extract'), and the output names each flow by its
    start time, protocol, addresses and ports.
    """
    from flowae.capture.files import looks_like_capture
    from flowae.output import output_stream, prepare_output_file
    from flowae.persistence import load_model
    from flowae.scoring import score_file

    if str(out) != "-":
        _refuse_overwriting_inputs(out, "--out", inputs=[data], model=model)
        prepare_output_file(out)
    detector = load_model(model)
    rule = detector.threshold_rule(k)
    progress = {"rows": 0}

    def on_block(summary: Any) -> None:
        progress["rows"] = summary.rows
        show_rows(summary)

    is_capture = str(data) != "-" and looks_like_capture(data)
    if keep is None:
        keep = CAPTURE_KEEP if is_capture else ()
    if is_capture:
        from flowae.capture.features import LAYOUT_COLUMNS

        unknown = [name for name in keep if name not in LAYOUT_COLUMNS["full"]]
        if unknown:
            raise UsageError(
                f"--keep {', '.join(unknown)}: a capture's flows have no such column "
                f"(they have: {', '.join(LAYOUT_COLUMNS['full'])})"
            )
    try:
        with (
            _flow_file(data, layout="full", allow_truncated=allow_truncated) as path,
            output_stream(out) as sink,
            _rows_progress() as show_rows,
        ):
            summary = score_file(
                detector,
                path,
                sink,
                rule=rule,
                output_format=output_format,
                only_anomalies=only_anomalies,
                label_column=label_column,
                normal_value=normal_value,
                on_block=on_block,
                explain=explain,
                keep=keep,
            )
            summary.source = str(data)
    except FlowAEError as error:
        if str(out) == "-" and progress["rows"]:
            raise FlowAEError(
                f"{error}; standard output already holds the verdicts of the first "
                f"{progress['rows']} rows: discard it"
            ) from None
        raise
    if summary.unseen:
        from flowae.data.encoding import UnseenValues

        log.warning(
            "%s: categorical values never seen in training, scored as unknown (rows per value): %s",
            summary.source,
            UnseenValues(summary.unseen).summary(),
        )
    if summary.rows == 0:
        log.warning("%s has a header but no rows: the output has only its header", summary.source)
    share = 100 * summary.flagged / summary.rows if summary.rows else 0.0
    log.info(
        "scored %d rows of %s: %d flagged (%.2f %%) with threshold %s",
        summary.rows,
        summary.source,
        summary.flagged,
        share,
        rule.describe(),
    )


@cli.command(short_help="Metrics of a model on labelled DATA.")
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path), required=False)
@click.option(
    "--k",
    "ks",
    multiple=True,
    type=K_RANGE,
    help="Threshold k to evaluate (repeatable); default: the model's threshold.",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=str),
    callback=lambda _ctx, _param, value: _output_file_name(value),
    help="Also write the metrics to this JSON file.",
)
@_data_options
@_file_label_options
@_common
def evaluate(
    model: Path,
    data: Path | None,
    ks: tuple[float, ...],
    json_path: Path | None,
    label_column: str | None,
    normal_value: str | None,
    normal_files: tuple[Path, ...],
    attack_files: tuple[Path, ...],
) -> None:
    """Compare MODEL's verdicts on labelled DATA with the truth.

    Prints precision, recall, accuracy, F1, FPR, FNR, ROC-AUC and the
    confusion counts for each threshold, with the rows each rate rests on.
    """
    from flowae.evaluation.metrics import detection_metrics
    from flowae.evaluation.protocol import threshold_key
    from flowae.output import prepare_output_file
    from flowae.persistence import load_model

    if json_path is not None:
        _refuse_overwriting_inputs(
            json_path, "--json", inputs=[data, *normal_files, *attack_files], model=model
        )
        prepare_output_file(json_path)
    detector = load_model(model)
    flows = _read_input(
        data,
        normal_files,
        attack_files,
        layout=detector.layout_,
        label_column=label_column,
        normal_value=normal_value,
        require_labels=True,
    )
    data = Path(flows.source)
    if not flows.has_labels:
        raise UsageError(f"{data}: no label column to evaluate against; give --label-column")
    if flows.n_rows == 0:
        raise InputError(data, "has a header but no rows to evaluate")
    errors = detector.score(flows)
    truth = flows.is_attack()
    results = {}
    rules = [detector.threshold_rule(k) for k in ks] or [detector.threshold_rule()]
    for rule in rules:
        key = threshold_key(rule.k) if rule.k is not None else str(getattr(rule, "policy", ""))
        results[key] = {
            **detection_metrics(truth, rule.predict(errors), errors),
            "threshold": rule.value,
        }
    _print_metrics(results, f"{data}: {int((~truth).sum())} normal, {int(truth.sum())} attack rows")
    if json_path is not None:
        document = {
            "model": str(model),
            "data": str(data),
            "rows": flows.n_rows,
            "thresholds": results,
            "flowae_version": __version__,
        }
        atomic_write_text(json_path, _json(document))


@cli.command(short_help="Re-set a saved model's threshold on held-out normal DATA.")
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path, allow_dash=True))
@click.option(
    "--threshold",
    required=True,
    type=POLICY,
    metavar="POLICY",
    help=f"The new threshold: {POLICY_HELP}.",
)
@ALLOW_TRUNCATED
@_data_options
@_common
def calibrate(
    model: Path,
    data: Path,
    threshold: str,
    allow_truncated: bool,
    label_column: str | None,
    normal_value: str | None,
) -> None:
    """Set MODEL's threshold by POLICY on the normal rows of DATA, without retraining.

    DATA must be normal traffic the network was not trained on (held out);
    with a label column only its normal rows are used, without one every row
    counts as normal. meanstd:K keeps the training-normal statistics and only
    changes K. The model directory is rewritten in place (atomically).
    """
    from flowae.model.threshold import ThresholdPolicy
    from flowae.persistence import load_model, save_model

    detector = load_model(model)
    policy = ThresholdPolicy.parse(threshold)
    flows = _read_input(  # also for meanstd: a DATA that cannot be read is an error
        data,
        (),
        (),
        layout=detector.layout_,
        label_column=label_column,
        normal_value=normal_value,
        require_labels=False,
        allow_truncated=allow_truncated,
    )
    held_out = None
    if policy.calibrated:
        if not flows.has_labels:
            log.warning("%s has no label column: all %d rows count as normal", data, flows.n_rows)
        normal = flows.take(np.flatnonzero(~flows.is_attack(unlabelled_as_normal=True)))
        if normal.n_rows == 0:
            raise UsageError(f"{data}: no normal rows to calibrate the threshold on")
        held_out = detector.transform(normal)[0]
    trained_on = {f["sha256"] for f in getattr(detector, "trained_on_", []) if f["sha256"]}
    if policy.calibrated and _provenance_of(data) & trained_on:
        log.warning(
            "%s is a file the model was trained on: its normal rows are not held out, so the "
            "threshold will be too low (calibrate on normal traffic the network has not seen)",
            data,
        )
    before = detector.threshold_rule().describe()
    rule = detector.autoencoder_.calibrate(
        policy, held_out if held_out is not None else np.zeros((0, 0))
    )
    save_model(detector, model)
    log.info("threshold was %s; now %s", before, rule.describe())


@cli.command(short_help="The paper's protocol and report, with baselines and seeds.")
@click.argument("train_file", metavar="[TRAIN]", type=click.Path(path_type=Path), required=False)
@click.option(
    "--test",
    "test_file",
    type=click.Path(path_type=Path),
    help="Test file; without it TRAIN is split 64/16/20 (stratified, seeded).",
)
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path),
    help="Directory for results.json, report.md, report.html and figures (replaced if it "
    "holds an earlier run).",
)
@_data_options
@_file_label_options
@_feature_set_option("auto")
@_scale_on_option("all")
@_architecture_option
@_training_options
@click.option(
    "--k",
    "ks",
    multiple=True,
    type=K_RANGE,
    default=(1.0, 3.0),
    show_default=True,
    help="Thresholds mean + k * std to evaluate (repeatable).",
)
@click.option(
    "--seeds",
    default=5,
    show_default=True,
    type=click.IntRange(min=1),
    help="Repeat the whole protocol with seeds SEED, SEED+1, ...; the report gives mean, "
    "std and bootstrap 95 % intervals.",
)
@click.option(
    "--baselines",
    default="all",
    show_default=True,
    callback=_parse_baselines,
    metavar="LIST",
    help="Detectors to run beside the autoencoder under the same protocol: all, none, or a "
    "comma-separated list of " + ", ".join(BASELINES) + ".",
)
@click.option(
    "--threshold",
    "policies",
    multiple=True,
    type=POLICY,
    metavar="POLICY",
    help=f"Threshold policies compared for every model (repeatable): {POLICY_HELP}. "
    "Default: meanstd:1, meanstd:3, quantile:0.99, fpr:0.01, lognormal:0.01.",
)
@click.option(
    "--vote",
    default="auto",
    show_default=True,
    callback=_parse_vote,
    metavar="W|auto|none",
    help="The comparison's window vote: an alert needs most of the last W decisions of the "
    "flow's source to be attacks; auto picks the smallest W with no false alarm on the "
    "validation rows. Applies where the data has a source and an order.",
)
@click.option(
    "--compare/--no-compare",
    default=True,
    show_default=True,
    help="Compare the paper's and flowae's models under every threshold policy.",
)
@click.option(
    "--feature-sets",
    default="",
    callback=lambda _ctx, _param, value: _parse_feature_sets(value),
    metavar="LIST",
    help="Also run the protocol with these feature sets (comma-separated, e.g. paper,sound) "
    "and report them side by side: identifier columns can leak the label.",
)
@click.option(
    "--jobs",
    default=lambda: max(1, min(os.cpu_count() or 1, 4)),
    show_default="number of CPUs, at most 4",
    type=click.IntRange(min=1),
    help="Processes that run seeds in parallel (the numbers do not depend on it).",
)
@_common
def reproduce(
    train_file: Path | None,
    test_file: Path | None,
    out: Path,
    label_column: str | None,
    normal_value: str | None,
    normal_files: tuple[Path, ...],
    attack_files: tuple[Path, ...],
    feature_set: str,
    architecture: str,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    hidden: tuple[int, ...] | None,
    scale_on: str,
    categorical: tuple[str, ...],
    ks: tuple[float, ...],
    seeds: int,
    baselines: tuple[str, ...],
    policies: tuple[str, ...],
    vote: str,
    compare: bool,
    feature_sets: tuple[str, ...],
    jobs: int,
) -> None:
    """Run the paper's protocol on TRAIN (and --test) and write a report to --out.

    Case 1 uses the data as given, Case 2 all normal rows plus as many
    attack rows; each case trains once on its training-normal rows and is
    evaluated at every k, beside the baselines under the same protocol. 20 %
    of the training rows are validation. --out receives results.json,
    report.md, report.html (figures embedded) and the figures as PNG files.
    """
    from flowae.evaluation.figures import write_figures
    from flowae.evaluation.protocol import ProtocolConfig, describe_data, results_document
    from flowae.evaluation.protocol import reproduce as run_protocol
    from flowae.evaluation.report import REPORT_FILES, render_html, render_report
    from flowae.output import prepare_output_directory

    prepare_output_directory(out, owned=REPORT_FILES)
    _check_architecture(architecture, hidden)
    if test_file is not None and (normal_files or attack_files):
        raise UsageError(
            "--test needs a TRAIN file; with --normal/--attack files the test rows are split off"
        )
    train_flows = _read_input(
        train_file,
        normal_files,
        attack_files,
        label_column=label_column,
        normal_value=normal_value,
        categorical=categorical,
    )
    log.info(
        "read %d rows from %s (layout %s)",
        train_flows.n_rows,
        train_flows.source,
        train_flows.layout.name,
    )
    if not compare and (policies or vote != "auto"):
        log.warning("--threshold and --vote set the comparison, which --no-compare turns off")
    if (
        test_file is not None
        and train_file is not None
        and test_file.exists()
        and (test_file.resolve() == train_file.resolve())
    ):
        log.warning("TRAIN and --test are the same file: the test rows are training rows too")
    if vote not in ("auto", "none") and compare:
        from flowae.evaluation.vote import vote_keys

        if vote_keys(train_flows) is None:
            log.warning(
                "--vote %s does not apply: %s has no source column (address, device or file) "
                "to group decisions by",
                vote,
                train_flows.source,
            )
    if feature_set == "auto":
        feature_set = train_flows.layout.default_feature_set
    explicit = click.get_current_context().get_parameter_source("feature_set")
    if (
        feature_sets
        and feature_set not in feature_sets
        and (explicit is None or explicit.name == "DEFAULT")
    ):
        feature_set = feature_sets[0]
    leak = train_flows.layout.identifier_warning(feature_set)
    if leak:
        log.warning(leak)
    test_flows = None
    if test_file is not None:
        test_flows = _read_test_file(test_file, train_flows)
    config = ProtocolConfig(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        hidden=hidden,
        architecture=architecture,
        seed=seed,
        ks=tuple(sorted(set(ks))),
        feature_set=feature_set,
        scale_on=scale_on,
        seeds=seeds,
        baselines=baselines,
        compare=compare,
        vote=vote,
        **({"policies": tuple(dict.fromkeys(policies))} if policies else {}),
    )
    with _training_progress(runs=seeds * 2) as on_epoch:
        run = run_protocol(train_flows, test_flows, config, on_epoch=on_epoch, jobs=jobs)
    document = results_document(run, describe_data(train_flows, test_flows, config))
    others = [name for name in feature_sets if name != feature_set]
    if others:
        from flowae.evaluation.protocol import feature_set_summary

        sides: dict[str, Any] = {name: {} for name in dict.fromkeys([*feature_sets, feature_set])}
        sides[feature_set] = feature_set_summary(run, train_flows)
        for name in others:
            log.info("feature set %s: the same protocol again, for the side-by-side table", name)
            leak = train_flows.layout.identifier_warning(name)
            if leak:
                log.warning(leak)
            side = replace(config, feature_set=name, compare=False, baselines=())
            side_run = run_protocol(train_flows, test_flows, side, jobs=jobs)
            sides[name] = feature_set_summary(side_run, train_flows)
        document["feature_sets"] = sides
    command = _command_line()
    document = {"command": command, "flowae_version": __version__, "created": _today(), **document}
    title = "flowae reproduce: " + ", ".join(
        Path(name).name for name in (train_flows.files or (train_flows.source,))
    )
    with atomic_directory(out, owned=REPORT_FILES) as directory:
        figures = write_figures(run, directory)
        report = render_report(document, command=command, title=title, figures=figures)
        (directory / "results.json").write_text(_json(document))
        (directory / "report.md").write_text(report)
        (directory / "report.html").write_text(render_html(report, directory, title=title))
    for case, metrics in document["cases"].items():
        for key, m in metrics.items():
            log.info(
                "%s %s: recall %s, FPR %s over %d normal test rows",
                case,
                key,
                _fmt(m["recall"]),
                _fmt(m["fpr"]),
                m["n_normal"],
            )
    log.info("wrote results.json, report.md, report.html and %d figures to %s", len(figures), out)


# --------------------------------------------------------------------------- helpers


def _provenance(flows: FlowTable) -> list[dict[str, str | None]]:
    """The input files behind ``flows`` with their sha256 (None for a pipe or stdin)."""
    from flowae.data.reader import file_sha256
    from flowae.data.sources import is_regular_file

    return [
        {
            "path": part["path"],
            "sha256": file_sha256(part["path"]) if is_regular_file(part["path"]) else None,
        }
        for part in flows.file_counts()
    ]


def _provenance_of(path: Path) -> set[str]:
    from flowae.data.reader import file_sha256
    from flowae.data.sources import is_regular_file

    return {file_sha256(path)} if is_regular_file(path) else set()


def _json(document: Any) -> str:
    """Strict JSON: a non-finite number (a threshold beyond float range) becomes null."""

    def finite(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {key: finite(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [finite(item) for item in value]
        return value

    return json.dumps(finite(document), indent=2, allow_nan=False) + "\n"


def _output_file_name(value: str | None) -> Path | None:
    """An output file option as a Path; a trailing slash (which Path drops) names a
    directory, not a file."""
    if value is None:
        return None
    if value != "-" and value.endswith(os.sep) and not Path(value).is_dir():
        raise click.BadParameter(f"{value} ends in '{os.sep}', so it names a directory")
    return Path(value)


def _refuse_overwriting_inputs(
    out: Path, option: str, *, inputs: list[Path | None], model: Path | None = None
) -> None:
    """Refuse an output path that is one of the inputs or lies inside the model."""
    target = out.resolve()
    for path in inputs:
        if path is not None and str(path) != "-" and path.exists() and path.resolve() == target:
            raise UsageError(f"{option} {out} is the input file {path}; choose another name")
    if model is not None and model.exists() and model.resolve() in target.parents:
        raise UsageError(f"{option} {out} lies inside the model directory {model}")


def _check_architecture(architecture: str, hidden: tuple[int, ...] | None) -> None:
    if architecture == "nbaiot" and hidden is not None:
        raise UsageError("--hidden sets the paper and flowae models' sizes; nbaiot derives its own")


def _read_test_file(path: Path, train_flows: FlowTable) -> FlowTable:
    label = train_flows.layout.label
    assert label is not None
    return read_flows(
        path,
        layout=train_flows.layout,
        label_column=label.column,
        normal_value=label.normal_value,
        require_labels=True,
    )


def _configure_logging(*, quiet: bool, debug: bool) -> None:
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    configure_plain(level)
    if stderr.is_terminal:
        logger = logging.getLogger("flowae")
        logger.handlers.clear()
        logger.addHandler(RichHandler(console=stderr, show_time=False, show_path=debug))


@contextmanager
def _training_progress(runs: int = 1) -> Iterator[Callable[[str, EpochReport], None]]:
    """One progress bar over ``runs`` trainings, on stderr (a terminal only, not --quiet)."""
    enabled = click.get_current_context().meta.get("flowae.progress", False)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[loss]}"),
        TimeElapsedColumn(),
        console=stderr,
        disable=not enabled,
    )
    task = progress.add_task("training", total=None, loss="")
    done = 0

    def on_epoch(name: str, report: EpochReport) -> None:
        nonlocal done
        done += 1
        val = "" if report.val_loss is None else f", validation {report.val_loss:.4f}"
        progress.update(
            task,
            total=runs * report.epochs,
            completed=done,
            description=f"{name}: epoch {report.epoch}/{report.epochs}",
            loss=f"loss {report.train_loss:.4f}{val}",
        )

    with progress:
        yield on_epoch


@contextmanager
def _rows_progress() -> Iterator[Callable[[Any], None]]:
    """Rows scored and rows per second on stderr (a terminal only, not --quiet)."""
    enabled = click.get_current_context().meta.get("flowae.progress", False)
    progress = Progress(
        TextColumn("scoring"),
        TextColumn("{task.completed:,.0f} rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=stderr,
        disable=not enabled,
        transient=True,
    )
    task = progress.add_task("scoring", total=None, rate="")
    started = time.perf_counter()

    def on_block(summary: Any) -> None:
        elapsed = max(time.perf_counter() - started, 1e-9)
        progress.update(task, completed=summary.rows, rate=f"{summary.rows / elapsed:,.0f} rows/s")

    with progress:
        yield on_block


def _print_metrics(results: dict[str, dict[str, Any]], caption: str) -> None:
    console = Console(width=100)
    console.print(caption, highlight=False, soft_wrap=True)
    table = Table()
    table.add_column("metric")
    for key in results:
        table.add_column(key, justify="right")
    rows = [
        ("threshold", "threshold"),
        ("precision", "precision"),
        ("recall", "recall"),
        ("accuracy", "accuracy"),
        ("F1", "f1"),
        ("FPR", "fpr"),
        ("FNR", "fnr"),
        ("ROC-AUC", "roc_auc"),
        ("TP", "tp"),
        ("FP", "fp"),
        ("TN", "tn"),
        ("FN", "fn"),
    ]
    for label, key in rows:
        table.add_row(label, *(_fmt(m[key]) for m in results.values()))
    console.print(table)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int | np.integer):
        return str(value)
    return f"{value:.4g}"


def _command_line() -> str:
    """The command as the user could type it again (options as parsed, defaults elided)."""
    ctx = click.get_current_context()
    parts = ["flowae", ctx.info_name or "reproduce"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        if param.name in {"quiet", "debug"} or value is None:
            continue
        if isinstance(param, click.Argument):
            parts.append(str(value))
            continue
        source = ctx.get_parameter_source(param.name or "")
        if source is not None and source.name == "DEFAULT":
            continue
        flag = param.opts[0]
        values = value if isinstance(value, tuple) and param.multiple else (value,)
        for item in values:
            if isinstance(item, tuple):
                item = ",".join(map(str, item))
            parts += [flag, f"{item:g}" if isinstance(item, float) else str(item)]
    return shlex.join(parts)


def _today() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so outputs in progress are discarded."""


def _terminate(_signum: int, _frame: Any) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> None:
    """Run the command line; leaves with ``SystemExit`` and the exit code."""
    signal.signal(signal.SIGTERM, _terminate)
    sys.exit(_run(argv))


def _run(argv: list[str] | None) -> int:
    try:
        code = cli.main(args=argv, prog_name="flowae", standalone_mode=False)
    except click.UsageError as error:
        command = error.ctx.command_path if error.ctx else "flowae"
        message = " ".join(error.format_message().split())
        click.echo(f"flowae: error: {message} (see '{command} --help')", err=True)
        return 2
    except click.ClickException as error:
        click.echo(f"flowae: error: {' '.join(error.format_message().split())}", err=True)
        return error.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("flowae: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Terminated:
        click.echo("flowae: terminated", err=True)
        return EXIT_TERMINATED
    return code if isinstance(code, int) else 0


def leave(code: int) -> None:
    """Flush and leave the process without the interpreter's teardown (the console script).

    pyarrow's thread pools can abort the process ("terminate called without an
    active exception", apache/arrow#34314) when they are torn down with the
    interpreter; every output is complete and closed by now, so nothing is lost.
    """
    gc.collect()  # finalise what cycles hold (multiprocessing's semaphores) before leaving
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe takes nothing more
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
