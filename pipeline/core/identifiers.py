"""Names that become paths (study ids, source names, record ids) are checked as identifiers before any path
is built from them, and every path built is checked to stay inside its folder."""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.core.errors import ReviewError

STUDY_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RECORD_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*:[A-Za-z0-9_.:/-]{1,200}$")


def check_study_id(value: str, label: str = "study_id") -> str:
    if not isinstance(value, str) or not STUDY_ID.match(value):
        raise ReviewError(f"{label} must be a lower-case BibTeX key like smith2026 (letters, digits and _; starting "
                          f"with a letter), not {value!r}")
    return value


RESERVED_RAW_FOLDERS = ("fulltext",)  # data/raw/<name> folders that hold no search source


def check_source_name(value: str) -> str:
    if not isinstance(value, str) or not SOURCE_NAME.match(value) or value in (".", ".."):
        raise ReviewError(f"source name must be letters, digits, '.', '_' or '-' ({value!r})")
    if value in RESERVED_RAW_FOLDERS:
        raise ReviewError(f"source name {value!r} is taken: data/raw/{value}/ holds the full texts")
    return value


def record_file_name(record_id: str) -> str:
    """A record id as a file name: `pubmed:123` -> `pubmed_123`."""
    if not isinstance(record_id, str) or not RECORD_ID.match(record_id):
        raise ReviewError(f"not a record id like pubmed:12345678 ({record_id!r})")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", record_id)


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing any name that would lead out of `folder`."""
    folder = Path(folder).resolve()
    path = (folder / name).resolve()
    if path.parent != folder:
        raise ReviewError(f"{name!r} would be written outside {folder}")
    return path
