"""One writer at a time: every command that writes data/ or reports/ holds the project's lock file.

The lock is an advisory `flock`, so the kernel releases it when its holder dies (a run killed with SIGKILL
leaves no lock to clean up); the file holds the owner's process id for the message a second run prints.
The lock is re-entrant within a process (`lsr refresh` runs the build under the lock it holds)."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.atomic import clean_debris
from pipeline.core.errors import LockHeldError, ReviewError

_held: dict[str, int] = {}  # lock path -> depth, for re-entry in this process


def _owner(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip() or "unknown"
    except OSError:
        return "unknown"


def _open(path: Path) -> int:
    try:
        return os.open(path, os.O_CREAT | os.O_RDWR | os.O_NOFOLLOW, 0o644)
    except IsADirectoryError:
        raise ReviewError(f"{path} is a folder, not the lock file; remove it (rmdir {path}) and run again") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReviewError(f"{path} is a link, not the lock file; remove it and run again") from None
        raise ReviewError(f"{path}: cannot take the lock ({exc.strerror})") from None


@contextmanager
def run_lock(path: Path) -> Iterator[None]:
    path = Path(path)
    key = str(path.resolve())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReviewError(f"{path.parent}: cannot create the folder for the lock ({exc.strerror})") from None
    while True:
        handle = _open(path)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise LockHeldError(f"another run (process {_owner(path)}) holds the lock {path}; try again when it "
                                f"ends") from None
        # A holder that just finished may have unlinked the file we opened: lock the file at the path itself.
        try:
            same = os.fstat(handle).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(handle)
    try:
        os.ftruncate(handle, 0)
        os.write(handle, str(os.getpid()).encode())
        _held[key] = 1
        yield
    finally:
        _held.pop(key, None)
        path.unlink(missing_ok=True)
        os.close(handle)


@contextmanager
def project_lock(catalog) -> Iterator[None]:
    """The project's lock (.lsr.lock) for a command that writes; the first holder in a process also
    clears what a killed run left behind."""
    first = str(Path(catalog.lock).resolve()) not in _held
    with run_lock(catalog.lock):
        if first:
            clean_debris([catalog.reports, catalog.processed.parent], recursive=[catalog.root / "data"])
        yield
