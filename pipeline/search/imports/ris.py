"""RIS as Embase, Scopus, Web of Science, Ovid and reference managers write it (parsed by rispy)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import rispy

from pipeline.core.errors import InvalidDataError
from pipeline.core.identifiers import check_source_name
from pipeline.search.imports.common import (
    PMID_VALUE,
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

PMID_IN_NOTE = re.compile(r"\b(?:PMID|PubMed ID)\s*:?\s*(\d{1,8})\b", re.I)
PMCID_VALUE = re.compile(r"\b(PMC\d+)\b", re.I)
RIS_START = re.compile(r"^TY  -", re.M)


class _Identity(dict):
    """Keeps RIS tags as they are (TI stays TI), so every exporter's dialect can be read."""

    def __missing__(self, key):
        return key


class _NumberedRisParser(rispy.RisParser):
    """rispy's parser, also remembering the line where each entry starts and which entries were never
    closed with ER (a truncated download ends that way)."""

    def parse_numbered(self, lines: Iterable[str]) -> list[tuple[int, dict]]:
        entries: list[tuple[int, dict]] = []
        self.unclosed: list[int] = []
        entry: dict | None = None
        start = 0
        last_tag = None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            tag, content = self.parse_line(line)
            if tag == self.START_TAG:
                if entry is not None:
                    entries.append((start, entry))
                    self.unclosed.append(start)
                entry, start, last_tag = {}, number, self.START_TAG
                self._add_tag(entry, tag, content)
            elif entry is None:
                continue  # text outside entries (headers some exporters write)
            elif tag == self.END_TAG:
                entries.append((start, entry))
                entry, last_tag = None, None
            elif tag is None:
                self._add_tag(entry, last_tag, content, extend_multiline=True)
            elif tag not in self.ignore:
                self._add_tag(entry, tag, content)
                last_tag = tag
        if entry is not None:
            entries.append((start, entry))
            self.unclosed.append(start)
        return entries


def read_ris(path: Path, source: str) -> list[Record]:
    """RIS as Embase, Scopus, Web of Science, Ovid and reference managers write it."""
    path = Path(path)
    check_source_name(source)
    text = read_text(path)
    parser = _NumberedRisParser(mapping=_Identity(), list_tags=[*rispy.LIST_TYPE_TAGS, "N1", "M1"],
                                skip_unknown_tags=False)
    entries = parser.parse_numbered(text.split("\n"))
    if not entries:
        raise InvalidDataError([f"{path}:1: format: no RIS entries, expected 'TY  -' lines "
                                f"({first_line(text)})"])
    records = []
    problems = [f"{path}:{line}: ER: the entry starting here is not closed with 'ER  -' (a truncated export?); "
                f"export again, or add the ER line if the entry is complete ()" for line in parser.unclosed]
    for line, entry in entries:
        where = f"{path}:{line}"

        values, first = field_readers(entry)

        title = first("TI", "T1")
        if not title:
            problems.append(f"{where}: title: required value is missing, no TI or T1 ()")
        year = None
        for tag in ("PY", "Y1"):
            raw = first(tag)
            if raw:
                year, problem = parse_year(raw)
                if problem:
                    problems.append(f"{where}: year: {tag} {problem} ({raw})")
                break
        doi = ""
        raw_doi = first("DO")
        if raw_doi:
            doi = parse_doi(raw_doi)
            if not doi:
                problems.append(f"{where}: doi: DO is not a DOI ({raw_doi})")
        publication_types = []
        for value in values("M3"):
            if parse_doi(value):
                doi = doi or parse_doi(value)
            else:
                publication_types.append(value)
        urls = values("UR")
        if not doi:
            doi = next((parse_doi(url) for url in urls if parse_doi(url)), "")
        notes = values("N1", "M1")
        pmid = pmcid = ""
        # AN is a PMID only in MEDLINE/PubMed exports (Ovid writes DB); Embase, CINAHL or WoS accession
        # numbers are not.
        database = first("DB").lower()
        pubmed_an = not database or "medline" in database or "pubmed" in database
        for value in (values("AN") if pubmed_an else []) + values("C2"):
            if not pmid and (match := PMID_VALUE.match(value)):
                pmid = match.group(1)
            elif not pmcid and re.fullmatch(r"PMC\d+", value, re.I):
                pmcid = value.upper()
        for note in notes:
            if not pmid and (match := PMID_IN_NOTE.search(note)):
                pmid = match.group(1)
            if not pmcid and "pmc" in note.lower() and (match := PMCID_VALUE.search(note)):
                pmcid = match.group(1).upper()
        web = [url for url in urls + values("L2") if url.lower().startswith(("http://", "https://"))]
        records.append(Record(
            record_id="", source=source, title=title, abstract=first("AB", "N2"),
            authors=unique(author_name(name) for name in values("AU", "A1")),
            journal=first("JF", "T2", "JO", "JA"), year=year, pmid=pmid, doi=doi, pmcid=pmcid,
            publication_types=publication_types, mesh_terms=unique(values("KW")),
            language="; ".join(values("LA")), url=web[0] if web else ""))
    if problems:
        raise InvalidDataError(problems)
    return with_ids(records, source)
