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


@contextlib.contextmanager
def atomic_file(path: str | Path, mode: str = "w") -> Iterator[IO]:  # type: ignore[type-arg]
    """Open a temporary file that replaces ``path`` only when the block succeeds."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FlowAEError(f"{path}: the directory {directory} does not exist")
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

    An existing ``path`` is replaced only if it is empty or contains the file
    ``replaceable`` (i.e. it is an earlier output of the same kind); anything
    else is refused so a typo cannot wipe a user's directory.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.exists():
        if not path.is_dir():
            raise FlowAEError(f"{path}: exists and is not a directory")
        if any(path.iterdir()) and not (path / replaceable).is_file():
            raise FlowAEError(
                f"{path}: exists and is not a flowae output (no {replaceable}); "
                "choose another --out or remove it"
            )
    if not parent.is_dir():
        raise FlowAEError(f"{path}: the directory {parent} does not exist")
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
