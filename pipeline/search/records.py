"""The one record schema every source is parsed into, and the immutable raw snapshots under data/raw/.

Each retrieval or import is written once as `data/raw/<source>/<run_id>/records.csv` and logged in
`data/raw/search_log.csv`; nothing under data/raw is ever rewritten."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import write_bytes_atomic
from pipeline.core.errors import InvalidDataError, ReviewError
from pipeline.core.tabular import csv_bytes, read_csv_strict

SEARCH_LOG_COLUMNS = ("run_id", "source", "run_at", "query", "date_from", "date_to", "n_results", "n_new",
                      "file", "note")


@dataclass
class Record:
    record_id: str
    source: str
    title: str = ""
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    journal: str = ""
    year: int | None = None
    pmid: str = ""
    doi: str = ""
    pmcid: str = ""
    publication_types: list[str] = field(default_factory=list)
    mesh_terms: list[str] = field(default_factory=list)
    language: str = ""
    url: str = ""

    @property
    def first_author(self) -> str:
        return self.authors[0] if self.authors else ""


RECORD_COLUMNS = tuple(f.name for f in fields(Record))
LIST_SEPARATOR = " | "


def records_frame(records: list[Record]) -> pd.DataFrame:
    rows = []
    for record in records:
        row = asdict(record)
        for name in ("authors", "publication_types", "mesh_terms"):
            row[name] = LIST_SEPARATOR.join(row[name])
        rows.append(row)
    frame = pd.DataFrame(rows, columns=list(RECORD_COLUMNS))
    frame["year"] = pd.array(frame["year"], dtype="Int64")
    return frame


def read_search_log(path: Path) -> pd.DataFrame:
    if not Path(path).exists():
        return pd.DataFrame(columns=list(SEARCH_LOG_COLUMNS))
    rows = read_csv_strict(path, SEARCH_LOG_COLUMNS)
    return pd.DataFrame([row for _, row in rows], columns=list(SEARCH_LOG_COLUMNS))


def read_snapshot(path: Path) -> pd.DataFrame:
    rows = read_csv_strict(path, RECORD_COLUMNS)
    problems = [f"{path}:{line}: record_id: required value is missing ()" for line, row in rows
                if not row["record_id"].strip()]
    if problems:
        raise InvalidDataError(problems)
    frame = pd.DataFrame([row for _, row in rows], columns=list(RECORD_COLUMNS))
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame


def read_all_records(raw: Path, search_log: pd.DataFrame) -> pd.DataFrame:
    """Every raw record in the order the search log lists the runs (that order decides canonical records)."""
    frames, problems = [], []
    for run in search_log.itertuples():
        path = Path(raw) / run.file
        try:
            frame = read_snapshot(path)
        except InvalidDataError as exc:
            problems.extend(exc.problems)
            continue
        frame.insert(2, "run_id", run.run_id)
        frames.append(frame)
    if problems:
        raise InvalidDataError(problems)
    if not frames:
        return pd.DataFrame(columns=[*RECORD_COLUMNS, "run_id"])
    records = pd.concat(frames, ignore_index=True)
    duplicated = records[records.record_id.duplicated()]
    if len(duplicated):
        raise InvalidDataError([f"{raw}: record_id: the same id in two raw snapshots ({rid})"
                                for rid in duplicated.record_id.head(20)])
    return records


def write_snapshot(raw: Path, source: str, run_id: str, records: list[Record]) -> str:
    """Write a new snapshot once; refuses to overwrite (raw data is immutable). Returns its path under raw/."""
    relative = f"{source}/{run_id}/records.csv"
    path = Path(raw) / relative
    if path.exists():
        raise ReviewError(f"{path}: a raw snapshot with this run id exists already; raw data is never rewritten")
    write_bytes_atomic(path, csv_bytes(records_frame(records)))
    return relative
