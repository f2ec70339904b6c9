"""Reading database exports (RIS, PubMed MEDLINE/nbib, BibTeX, CSV) into `Record`s.

Every reader checks the whole file and raises one `InvalidDataError` listing every problem as
`FILE:LINE: FIELD: message (value)`: for RIS and MEDLINE the line is where the entry starts, for BibTeX
the line of its `@type{key,`, for CSV the line where the row starts.

Record ids are `<source>:<12 hex digits>`, the SHA-1 of the record's DOI (normalised), else its PMID,
else its normalised title and year, so re-importing the same export gives the same ids. A second
record with the same key in one file gets `-2`, `-3`, ... appended (deduplication happens later).

Subject terms (RIS KW, MEDLINE MH, BibTeX keywords) go to `Record.mesh_terms`, the record's only
subject-term field."""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.core.errors import InvalidDataError
from pipeline.search.imports.bibtex import BIBTEX_START, read_bibtex
from pipeline.search.imports.common import read_text
from pipeline.search.imports.csv_export import csv_column, read_csv_records
from pipeline.search.imports.medline import MEDLINE_START, read_medline
from pipeline.search.imports.ris import RIS_START, read_ris
from pipeline.search.records import Record

FORMATS = ("ris", "medline", "bibtex", "csv")
FORMAT_NAMES = {"ris": "ris", "medline": "medline", "nbib": "medline", "pubmed": "medline",
                "bibtex": "bibtex", "bib": "bibtex", "csv": "csv"}
EXTENSIONS = {".ris": "ris", ".nbib": "medline", ".medline": "medline", ".bib": "bibtex", ".bibtex": "bibtex",
              ".csv": "csv"}


def read_export(path: Path, source: str, fmt: str | None = None) -> list[Record]:
    """The records of one export file; `fmt` (ris, medline/nbib, bibtex/bib, csv) or, when None, the
    format the extension names (.ris, .nbib, .bib, .csv) or the content shows (for .txt and others)."""
    path = Path(path)
    if fmt is None:
        fmt = detect_format(path)
    elif fmt.lower() not in FORMAT_NAMES:
        raise InvalidDataError([f"{path}:1: format: unrecognised format name, expected one of "
                                f"{', '.join(FORMATS)} ({fmt})"])
    reader = {"ris": read_ris, "medline": read_medline, "bibtex": read_bibtex,
              "csv": read_csv_records}[FORMAT_NAMES[fmt.lower()]]
    return reader(path, source)


def detect_format(path: Path) -> str:
    """ris, medline, bibtex or csv, from the file's extension or else its content."""
    path = Path(path)
    by_extension = EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    text = read_text(path)
    found = [(m.start(), name) for name, pattern in (("ris", RIS_START), ("medline", MEDLINE_START),
                                                     ("bibtex", BIBTEX_START))
             if (m := pattern.search(text))]
    if found:
        return min(found)[1]
    first_line = text.lstrip("\n").split("\n", 1)[0]
    try:
        header = next(csv.reader([first_line]))
    except (csv.Error, StopIteration):
        header = []
    if any(csv_column(cell) == "title" for cell in header):
        return "csv"
    raise InvalidDataError([f"{path}:1: format: unrecognised export format; expected RIS ('TY  -' lines), "
                            f"MEDLINE ('PMID- ' lines), BibTeX ('@article{{...') or CSV with a title column "
                            f"({path.suffix or 'no extension'})"])


__all__ = ["FORMATS", "detect_format", "read_bibtex", "read_csv_records", "read_export", "read_medline", "read_ris"]
