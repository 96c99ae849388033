"""Log set-up shared by the command line and its worker processes: one line per message."""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path
from typing import Any

LOGGER = "flowae"
FORMAT = "flowae: %(levelname)s: %(message)s"


def log_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Library warnings (numpy overflow, scikit-learn convergence, ...) as one log line."""
    log = logging.getLogger(LOGGER)
    text = " ".join(str(message).split())
    where = f" ({Path(filename).name}:{lineno})" if log.isEnabledFor(logging.DEBUG) else ""
    log.warning("%s: %s%s", category.__name__, text, where)


def configure_plain(level: int) -> None:
    """Plain one-line messages on standard error at ``level`` (worker processes, pipes)."""
    logger = logging.getLogger(LOGGER)
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    warnings.showwarning = log_warning
