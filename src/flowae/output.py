"""Atomic outputs: every file flowae writes appears complete or not at all.

Files are written to a temporary name in the destination directory, flushed
to disk and renamed over the destination; an interrupted run leaves at most a
hidden ``.name.tmp-*`` file behind, never a half-written result.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
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
    if path.exists() and not path.resolve().is_file():
        return path  # a device or pipe: written in place, not replaced
    _writable_parent(path.resolve() if path.is_symlink() else path)
    return path


def prepare_output_directory(path: str | Path, *, owned: str) -> Path:
    """Check that the directory ``path`` can be (re)placed by a new output.

    An existing ``path`` is replaced only when it is empty or holds nothing but
    files an earlier run of the same kind wrote (names matching the regular
    expression ``owned``), so a typo in --out cannot wipe a user's files. The
    current directory is never replaced. Missing parent directories are created.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise FlowAEError(f"{path}: exists and is not a directory")
        here = Path.cwd().resolve()
        if here == path.resolve() or path.resolve() in here.parents:
            raise FlowAEError(
                f"{path}: is the current directory or holds it; choose another directory"
            )
        foreign = [
            entry.name
            for entry in path.iterdir()
            if not (entry.is_file() and not entry.is_symlink() and re.fullmatch(owned, entry.name))
        ]
        if foreign:
            shown = ", ".join(sorted(foreign)[:3]) + (" ..." if len(foreign) > 3 else "")
            raise FlowAEError(
                f"{path}: exists and holds files flowae did not write ({shown}); "
                "choose another directory or remove them"
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
    try:
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.probe-", dir=parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise FlowAEError(f"{path}: cannot write in {parent} ({error.strerror})") from None
    return parent


@contextlib.contextmanager
def output_stream(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary stream for an output: standard output for ``-``, the device or pipe
    itself for a special file (e.g. /dev/null, a FIFO), else an atomic file (a
    symbolic link is followed, so the link survives)."""
    if str(path) == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    path = Path(path)
    if path.exists() and not path.resolve().is_file() and not path.resolve().is_dir():
        with path.open("wb") as stream:
            yield stream
        return
    with atomic_file(path.resolve() if path.is_symlink() else path, "wb") as stream:
        yield stream


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
    except OSError as error:  # e.g. a full disk: say which output it was
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise FlowAEError(f"{path}: cannot be written ({error.strerror or error})") from None
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
def atomic_directory(path: str | Path, *, owned: str) -> Iterator[Path]:
    """Build a directory under a temporary name, then move it to ``path``.

    See :func:`prepare_output_directory` for when an existing ``path`` may
    be replaced.
    """
    path = Path(path)
    if path.is_symlink():  # write where the link points, and keep the link
        path = path.resolve()
    path = prepare_output_directory(path, owned=owned)
    parent = path.parent if str(path.parent) else Path(".")
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=parent))
    try:
        yield temporary
        for child in temporary.iterdir():
            if child.is_file():
                with child.open("rb") as stream:
                    os.fsync(stream.fileno())
        os.chmod(temporary, 0o755)
        # Ctrl-C or SIGTERM between the two renames would leave no directory at ``path``:
        # they wait until the swap is done.
        with deferred_signals():
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


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM during a short critical step; raise them once it is done.

    Only the main thread can install signal handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {
        number: signal.signal(number, lambda received, _frame: caught.append(received))
        for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    for received in caught:
        signal.raise_signal(received)
