"""PubMed's MEDLINE format (the .nbib file of 'Send to: Citation manager'), parsed by Bio.Medline."""

from __future__ import annotations

import re
from pathlib import Path

from Bio import Medline

from pipeline.core.errors import InvalidDataError
from pipeline.core.identifiers import check_source_name
from pipeline.search.imports.common import (
    author_name,
    field_readers,
    first_line,
    parse_doi,
    parse_year,
    read_text,
    unique,
    with_ids,
)
from pipeline.search.records import Record

MEDLINE_START = re.compile(r"^PMID- ", re.M)
MEDLINE_TAG_LINE = re.compile(r"^[A-Z][A-Z0-9 ]{3}-(?: |$)")


def read_medline(path: Path, source: str) -> list[Record]:
    """PubMed's MEDLINE format (the .nbib file of 'Send to: Citation manager'), parsed by Bio.Medline."""
    path = Path(path)
    check_source_name(source)
    text = read_text(path)
    blocks: list[tuple[int, list[str]]] = []
    problems = []
    current: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip() == "" and not line.startswith("      "):
            current = []
            continue
        if not current:
            current_start = number
            blocks.append((current_start, current))
        if not (line.startswith("      ") or MEDLINE_TAG_LINE.match(line)):
            problems.append(f"{path}:{number}: line: not a MEDLINE tag or continuation line ({line[:60]})")
            continue
        current.append(line + "\n")
    if not blocks or not MEDLINE_START.search(text):
        raise InvalidDataError([f"{path}:1: format: no MEDLINE records, expected 'PMID- ' lines "
                                f"({first_line(text)})"])
    records = []
    for line, lines in blocks:
        if not lines:
            continue
        where = f"{path}:{line}"
        entry = next(Medline.parse(lines))

        values, first = field_readers(entry)

        title = first("TI", "BTI")
        if not title:
            problems.append(f"{where}: title: required value is missing, no TI ({first('PMID')})")
        year = None
        raw_year = first("DP")
        if raw_year:
            year, problem = parse_year(raw_year)
            if problem:
                problems.append(f"{where}: year: DP {problem} ({raw_year})")
        doi = ""
        for value in values("LID", "AID"):
            if match := re.search(r"(\S+)\s*\[doi\]", value):
                doi = parse_doi(match.group(1))
                if doi:
                    break
        authors = values("AU") or [author_name(name) for name in values("FAU")]
        records.append(Record(
            record_id="", source=source, title=title, abstract=first("AB"), authors=unique(authors),
            journal=first("JT", "TA"), year=year, pmid=first("PMID"), doi=doi, pmcid=first("PMC").upper(),
            publication_types=unique(values("PT")), mesh_terms=unique(values("MH")),
            language="; ".join(values("LA")),
            url=f"https://pubmed.ncbi.nlm.nih.gov/{first('PMID')}/" if first("PMID") else ""))
    if problems:
        prefix = len(f"{path}:")
        raise InvalidDataError(sorted(problems, key=lambda problem: int(problem[prefix:].split(":", 1)[0])))
    return with_ids(records, source)
