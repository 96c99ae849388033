"""Atomic outputs: every file flowae writes appears complete or not at all.

Files are written to a temporary name in the destination directory, flushed
to disk and renamed over the destination; an interrupted run leaves at most a
hidden ``.name.tmp-*`` file behind, never a half-written result.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from flowae.errors import FlowAEError


def prepare_output_file(path: str | Path) -> Path:
    """Check that ``path`` can be written, creating missing parent directories.

    Call it before long work so a bad --out fails in a second, not after training.
    """
    path = Path(path)
    if path.is_dir():
        raise FlowAEError(f"{path}: is a directory, expected a file name to write")
    _writable_parent(path)
    return path


def prepare_output_directory(path: str | Path, *, replaceable: str) -> Path:
    """Check that the directory ``path`` can be (re)placed by a new output.

    An existing ``path`` may be replaced only if it is empty or holds the file
    ``replaceable`` (an earlier output of the same kind), so a typo cannot wipe
    a user's directory. Missing parent directories are created.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise FlowAEError(f"{path}: exists and is not a directory")
        if any(path.iterdir()) and not (path / replaceable).is_file():
            raise FlowAEError(
                f"{path}: exists and is not a flowae output (no {replaceable}); "
                "choose another --out or remove it"
            )
    _writable_parent(path)
    return path


def _writable_parent(path: Path) -> Path:
    parent = path.parent if str(path.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise FlowAEError(f"{path}: {parent} is not a directory")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise FlowAEError(f"{path}: cannot create {parent} ({error.strerror})") from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FlowAEError(f"{path}: no permission to write in {parent}")
    return parent


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "w") -> Iterator[IO]:  # type: ignore[type-arg]
    """Open a temporary file that replaces ``path`` only when the block succeeds."""
    path = prepare_output_file(path)
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=directory)
    try:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else ""
        with os.fdopen(handle, mode, encoding=encoding, newline=newline) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_file(path, "w") as stream:
        stream.write(text)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_file(path, "wb") as stream:
        stream.write(data)


@contextlib.contextmanager
def atomic_directory(path: str | Path, *, replaceable: str) -> Iterator[Path]:
    """Build a directory under a temporary name, then move it to ``path``.

    See :func:`prepare_output_directory` for when an existing ``path`` may
    be replaced.
    """
    path = prepare_output_directory(path, replaceable=replaceable)
    parent = path.parent if str(path.parent) else Path(".")
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=parent))
    try:
        yield temporary
        for child in temporary.iterdir():
            if child.is_file():
                with child.open("rb") as stream:
                    os.fsync(stream.fileno())
        os.chmod(temporary, 0o755)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=parent))
            os.replace(path, old / path.name)
            os.replace(temporary, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(temporary, path)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
