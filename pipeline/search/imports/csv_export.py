"""A CSV export with a header row naming at least a title column (Scopus, Dimensions, spreadsheets)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipeline.core.errors import InvalidDataError
from pipeline.core.identifiers import check_source_name
from pipeline.core.tabular import numbered_rows
from pipeline.search.imports.common import (
    PMID_VALUE,
    author_name,
    clean,
    parse_doi,
    parse_year,
    read_text,
    unique,
    with_ids,
)
from pipeline.search.records import Record

CSV_COLUMNS = {"title": "title", "abstract": "abstract", "authors": "authors", "author": "authors",
               "journal": "journal", "source title": "journal", "year": "year", "publication year": "year",
               "doi": "doi", "pmid": "pmid", "pubmed id": "pmid", "pmcid": "pmcid", "url": "url", "link": "url",
               "language": "language", "language of original document": "language"}


def read_csv_records(path: Path, source: str) -> list[Record]:
    """A CSV with a header row naming at least a title column; recognised columns (any case): title,
    abstract, authors (separated by ';'), journal, year, doi, pmid, pmcid, url, language. Other columns are
    ignored."""
    path = Path(path)
    check_source_name(source)
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InvalidDataError([f"{path}:1: header: malformed CSV ({exc})"]) from None
    columns: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        column = csv_column(name)
        if column and column in columns:
            problems.append(f"{path}:1: header: two columns for {column} ({name})")
        elif column:
            columns[column] = index
    if "title" not in columns:
        raise InvalidDataError([f"{path}:1: header: no title column ({', '.join(header)})"])
    if problems:
        raise InvalidDataError(problems)
    records = []
    for line, row in numbered_rows(reader, path, problems):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problems.append(f"{path}:{line}: row: {len(row)} fields where the header has {len(header)} "
                            f"({clean(','.join(row))[:60]})")
            continue
        value = {name: clean(row[index]) for name, index in columns.items()}
        get = value.get
        if not get("title"):
            problems.append(f"{path}:{line}: title: required value is missing ()")
        year = None
        if get("year"):
            year, problem = parse_year(get("year"))
            if problem:
                problems.append(f"{path}:{line}: year: {problem} ({get('year')})")
        doi = ""
        if get("doi"):
            doi = parse_doi(get("doi"))
            if not doi:
                problems.append(f"{path}:{line}: doi: not a DOI ({get('doi')})")
        pmid = get("pmid", "")
        if pmid and not PMID_VALUE.match(pmid):
            problems.append(f"{path}:{line}: pmid: not a PubMed id ({pmid})")
        elif pmid:
            pmid = PMID_VALUE.match(pmid).group(1)
        authors = [author_name(name) for name in (get("authors") or "").split(";")]
        records.append(Record(
            record_id="", source=source, title=get("title", ""), abstract=get("abstract", ""),
            authors=unique(authors), journal=get("journal", ""), year=year, pmid=pmid, doi=doi,
            pmcid=get("pmcid", "").upper(), language=get("language", ""), url=get("url", "")))
    if problems:
        raise InvalidDataError(problems)
    if not records:
        raise InvalidDataError([f"{path}:2: row: no records below the header ()"])
    return with_ids(records, source)


def csv_column(name: str) -> str:
    return CSV_COLUMNS.get(" ".join(name.strip().lower().split()), "")
