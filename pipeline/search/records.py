"""The one record schema every source is parsed into, and the immutable raw snapshots under data/raw/.

Each retrieval or import is written once as `data/raw/<source>/<run_id>/records.csv` and logged in
`data/raw/search_log.csv`; nothing under data/raw is ever rewritten.

A source whose results are bare addresses (the offline seed corpus) has the pages read afterwards: what
each page showed is written once beside the snapshot as `pages.csv` (title and identifiers as shown, and a
reviewer's summary of the opening in their own words, never the page's text). Reading the records fills a
record's empty fields from its page reading and says so in `text_source`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import write_bytes_atomic
from pipeline.core.errors import InvalidDataError, ReviewError
from pipeline.core.tabular import csv_bytes, read_csv_strict

SEARCH_LOG_COLUMNS = ("run_id", "source", "run_at", "query", "date_from", "date_to", "n_results", "n_new",
                      "file", "note")
PAGE_READING_COLUMNS = ("record_id", "url", "read_at", "read_by", "read_via", "title", "authors", "journal", "year",
                        "doi", "pmid", "pmcid", "language", "page_kind", "summary", "identifier_sources")
PAGE_READINGS = "pages.csv"
# Filled from a page reading when the record itself is silent.
READ_FIELDS = ("title", "authors", "journal", "year", "doi", "pmid", "pmcid", "language")


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


def read_page_readings(path: Path, snapshot: pd.DataFrame) -> pd.DataFrame:
    """The readings of a snapshot's pages, checked against it: each names one of its records, by id and url."""
    rows = read_csv_strict(path, PAGE_READING_COLUMNS)
    urls = dict(zip(snapshot.record_id, snapshot.url))
    problems, seen = [], {}
    for line, row in rows:
        where = f"{path}:{line}"
        if row["record_id"] not in urls:
            problems.append(f"{where}: record_id: no such record in {path.parent.name}/records.csv ({row['record_id']})")
        elif row["url"] != urls[row["record_id"]]:
            problems.append(f"{where}: url: differs from the record's address ({row['url'][:80]})")
        if row["record_id"] in seen:
            problems.append(f"{where}: record_id: read twice in one file (first at line {seen[row['record_id']]})")
        seen[row["record_id"]] = line
        if row["year"] and not (row["year"].isdigit() and 1600 <= int(row["year"]) <= 2100):
            problems.append(f"{where}: year: not a year ({row['year']})")
        if not row["read_at"] or not row["read_by"]:
            problems.append(f"{where}: read_at: who read the page, and when, is required ()")
    if problems:
        raise InvalidDataError(problems)
    return pd.DataFrame([row for _, row in rows], columns=list(PAGE_READING_COLUMNS))


def _with_page_readings(frame: pd.DataFrame, readings: pd.DataFrame) -> pd.DataFrame:
    """Fill the fields a record lacks from its page reading (column by column, aligned on record_id); a
    record without an abstract gets the reader's summary, and says so in `text_source`."""
    frame = frame.copy()
    reading = readings.drop_duplicates("record_id").set_index("record_id").reindex(frame.record_id)
    reading.index = frame.index
    for name in READ_FIELDS:
        current = frame[name]
        empty = current.isna() | (current.astype(str) == "")
        offered = reading[name].fillna("").astype(str) != ""
        fill = empty & offered
        if fill.any() and name == "year":
            frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
            frame.loc[fill, "year"] = pd.to_numeric(reading.loc[fill, "year"]).astype("Int64")
        elif fill.any():
            frame.loc[fill, name] = reading.loc[fill, name].astype(str)
    summary = (frame.abstract.fillna("") == "") & (reading.summary.fillna("") != "")
    frame["text_source"] = ""
    frame.loc[summary, "abstract"] = reading.loc[summary, "summary"]
    frame.loc[summary, "text_source"] = [f"summary of the page opening, in the reader's words ({who}, {when[:10]})"
                                         for who, when in zip(reading.loc[summary, "read_by"],
                                                              reading.loc[summary, "read_at"])]
    frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Int64")
    return frame


def read_all_records(raw: Path, search_log: pd.DataFrame) -> pd.DataFrame:
    """Every raw record in the order the search log lists the runs (that order decides canonical records),
    with its page reading where the run has one."""
    frames, problems = [], []
    for run in search_log.itertuples():
        path = Path(raw) / run.file
        try:
            frame = read_snapshot(path)
            readings = path.with_name(PAGE_READINGS)
            if readings.exists():
                frame = _with_page_readings(frame, read_page_readings(readings, frame))
            else:
                frame["text_source"] = ""
        except InvalidDataError as exc:
            problems.extend(exc.problems)
            continue
        frame.insert(2, "run_id", run.run_id)
        frames.append(frame)
    if problems:
        raise InvalidDataError(problems)
    if not frames:
        return pd.DataFrame(columns=[*RECORD_COLUMNS, "run_id", "text_source"])
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


def read_project_records(layout) -> pd.DataFrame:
    """Every record of the project, in search-log order (the catalog's raw records dataset)."""
    return read_all_records(layout.raw, read_search_log(layout.search_log))
