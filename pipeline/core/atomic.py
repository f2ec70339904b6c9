"""Crash-safe writes: every file or folder is written aside and renamed into place, so a run killed at
any moment leaves either the old content or the new, never a mix."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pipeline.core.secrets import redact_bytes

ASIDE_SUFFIX = ".previous"
STAGING_MARK = ".building-"
TEMPORARY_SUFFIX = ".tmp"


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Every file the review writes passes through here, so no secret reaches a file either."""
    path = Path(path)
    data = redact_bytes(data)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
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


def remove(path: Path) -> None:
    """Delete a folder, a file or a link (a link is removed, never what it points to)."""
    path = Path(path)
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)


def recover_dir(target: Path) -> None:
    """Finish or undo a folder swap that a killed run left half done."""
    target = Path(target)
    aside = target.with_name(target.name + ASIDE_SUFFIX)
    if aside.exists() or aside.is_symlink():
        if target.exists() or target.is_symlink():
            remove(aside)
        else:
            os.replace(aside, target)


def staging_dir(target: Path) -> Path:
    """A fresh folder beside `target`, on the same file system so the final rename is atomic."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}{STAGING_MARK}"))
    folder.chmod(0o755)  # the published report is served as is
    return folder


def swap_together(pairs: list[tuple[Path, Path]]) -> None:
    """Move each fully built staging folder onto its target, all or none: when one rename fails, the targets
    already swapped get their old content back. Building the staging folders is where a full disk or a
    read-only folder fails, before anything is swapped."""
    done: list[tuple[Path, Path | None]] = []
    try:
        for staging, target in pairs:
            recover_dir(target)
            aside = target.with_name(target.name + ASIDE_SUFFIX) if target.exists() or target.is_symlink() else None
            if aside is not None:
                os.replace(target, aside)
            try:
                os.replace(staging, target)
            except BaseException:
                if aside is not None:
                    os.replace(aside, target)
                raise
            done.append((target, aside))
    except BaseException:
        for target, aside in reversed(done):
            remove(target)
            if aside is not None:
                os.replace(aside, target)
        raise
    for _target, aside in done:
        if aside is not None:
            remove(aside)


def clean_debris(folders: Iterable[Path], recursive: Iterable[Path] = ()) -> None:
    """What a killed run leaves: staging folders, half-done swaps and temporary files. Called by the next run
    while it holds the project lock, so nothing found here belongs to a live run of this project."""
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in folder.glob(f".*{STAGING_MARK}*"):
            remove(path)
        for path in folder.glob(f"*{ASIDE_SUFFIX}"):
            recover_dir(path.with_name(path.name[: -len(ASIDE_SUFFIX)]))
        for path in folder.glob(f".*{TEMPORARY_SUFFIX}"):
            if path.is_file() or path.is_symlink():
                path.unlink(missing_ok=True)
    for folder in recursive:
        for path in Path(folder).rglob(f".*{TEMPORARY_SUFFIX}"):
            if path.is_file():
                path.unlink(missing_ok=True)
