"""One run at a time: a lock file holding the owner's process id. A lock whose process is gone (a run
that was killed) is stale and taken over."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from .errors import LockHeldError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def run_lock(path: Path):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for _attempt in range(2):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            try:
                owner = int(path.read_text().strip() or 0)
            except (ValueError, FileNotFoundError):
                owner = 0
            if owner and owner != os.getpid() and _alive(owner):
                raise LockHeldError(f"another run (process {owner}) holds the lock {path}; try again when it ends")
            path.unlink(missing_ok=True)  # stale: its process is gone
    else:
        raise LockHeldError(f"could not take the lock {path}")
    try:
        os.write(handle, str(os.getpid()).encode())
        os.close(handle)
        yield
    finally:
        path.unlink(missing_ok=True)
