"""The exceptions flowae raises for problems a user can fix.

Every message is one line that names what is wrong and where (file, row,
column), so the command line can print it as is.
"""

from __future__ import annotations

from pathlib import Path


class FlowAEError(Exception):
    """Base class: a problem with the input, the model or the request."""


class InputError(FlowAEError):
    """A flow file that cannot be read as asked: names the file, row and column."""

    def __init__(
        self,
        source: str | Path,
        problem: str,
        *,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.source = str(source)
        self.problem = problem
        self.row = row
        self.column = column
        where = [self.source]
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {problem}")


class ModelFileError(FlowAEError):
    """A model directory that is missing, damaged, altered or of another version."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        super().__init__(f"model {path}: {problem}")


class TrainingError(FlowAEError):
    """Training cannot start or went wrong (e.g. no normal rows, loss became NaN)."""


class UsageError(FlowAEError):
    """Options that contradict each other or the data."""
