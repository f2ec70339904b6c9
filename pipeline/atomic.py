"""Crash-safe writes: every file or folder is written aside and renamed into place, so a run killed at
any moment leaves either the old content or the new, never a mix."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ASIDE_SUFFIX = ".previous"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # readable like any published file, not mkstemp's 0600
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write only when the bytes differ, so an unchanged input leaves files (and their mtimes) alone."""
    path = Path(path)
    if path.exists() and path.read_bytes() == data:
        return False
    write_bytes_atomic(path, data)
    return True


def recover_dir(target: Path) -> None:
    """Finish or undo a folder swap that a killed run left half done."""
    target = Path(target)
    aside = target.with_name(target.name + ASIDE_SUFFIX)
    if aside.exists():
        if target.exists():
            shutil.rmtree(aside)
        else:
            os.replace(aside, target)


def replace_dir(staging: Path, target: Path) -> None:
    """Swap a fully built `staging` folder into `target` (same file system), keeping the old one until done."""
    staging, target = Path(staging), Path(target)
    recover_dir(target)
    aside = target.with_name(target.name + ASIDE_SUFFIX)
    if target.exists():
        os.replace(target, aside)
    os.replace(staging, target)
    if aside.exists():
        shutil.rmtree(aside)


def staging_dir(target: Path) -> Path:
    """A fresh folder beside `target`, on the same file system so the final rename is atomic."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.building-"))
    folder.chmod(0o755)  # the published report is served as is
    return folder
