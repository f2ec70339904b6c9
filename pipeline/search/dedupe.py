"""Deduplication across sources and against every record seen before.

Records match on PMID, normalised DOI, PMCID, normalised title + year + first author, title + first author
(when a year is missing on one side), or a long title alone (when neither side names its authors); case,
punctuation, diacritics and HTML markup are ignored. A duplicate is linked to its canonical record (the
first seen), never deleted, and the kind of key that linked it is kept, so a reviewer can see how it
matched."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.core.errors import InvalidDataError
from pipeline.core.layout import Layout
from pipeline.core.tabular import read_csv_strict

TAG = re.compile(r"<[^>]+>")
NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
MIN_TITLE_LENGTH = 12  # shorter titles ("Case report") are too common to identify a paper
# A title this long identifies a paper on its own: records of pages that show neither authors nor year
# (most stored copies) still meet their other copies.
LONG_TITLE_LENGTH = 40
MATCH_KINDS = {"pmid": "PMID", "doi": "DOI", "pmcid": "PMCID", "title": "title, year and first author",
               "title-author": "title and first author", "long-title": "title",
               "reviewer": "a reviewer: the same report at another address"}
MANUAL_LINK_COLUMNS = ("record_id", "same_as", "reviewer", "note")


def normalise_doi(doi: str | None) -> str:
    if not doi:
        return ""
    text = DOI_PREFIX.sub("", html.unescape(str(doi)).strip()).strip().rstrip(".,;")
    return text.lower() if text.startswith("10.") else ""


@lru_cache(maxsize=None)
def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise_text(text: str | None) -> str:
    if not text:
        return ""
    plain = html.unescape(TAG.sub(" ", str(text)))
    return " ".join(NON_WORD.sub(" ", _fold(plain).casefold()).split())


def surname(author: str | None) -> str:
    """The family name of 'Surname Initials' or 'Surname, Given' as written by PubMed and RIS exports."""
    if not author:
        return ""
    name = str(author).split(",")[0].strip()
    parts = name.split()
    if len(parts) > 1 and parts[-1].isupper() and len(parts[-1]) <= 3:
        name = " ".join(parts[:-1])
    return normalise_text(name)


def record_keys(pmid: str, doi: str, pmcid: str, title: str, year, first_author: str) -> list[str]:
    keys = []
    if pmid and str(pmid).strip():
        keys.append("pmid:" + str(pmid).strip())
    normal_doi = normalise_doi(doi)
    if normal_doi:
        keys.append("doi:" + normal_doi)
    if pmcid and str(pmcid).strip():
        keys.append("pmcid:" + str(pmcid).strip().upper())
    normal_title = normalise_text(title)
    if len(normal_title) >= MIN_TITLE_LENGTH:
        year_text = "" if year is None or pd.isna(year) or year == "" else str(int(year))
        author = surname(first_author)
        keys.append(f"title:{normal_title}|{year_text}|{author}")
        if author:
            keys.append(f"title-author:{normal_title}|{author}")
        if len(normal_title) >= LONG_TITLE_LENGTH:
            keys.append(f"long-title:{normal_title}")
    return keys


def link_duplicates(records: Iterable[tuple[str, list[str]]], reasons: dict[str, str] | None = None) -> dict[str, str]:
    """Map every record id to its canonical record id, given (record_id, keys) in the order seen.

    A record sharing any key with an earlier one joins that record's group; groups joined through a
    record that bridges them are merged (union-find), and the earliest record stays canonical. `reasons`,
    when given, receives for each record that joined a group the kind of the key it joined by."""
    parent: dict[str, str] = {}
    order: dict[str, int] = {}
    owner: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for position, (record_id, keys) in enumerate(records):
        parent[record_id] = record_id
        order[record_id] = position
        for key in keys:
            if key in owner:
                a, b = find(owner[key]), find(record_id)
                if a != b:
                    first, second = (a, b) if order[a] < order[b] else (b, a)
                    parent[second] = first
                    if reasons is not None:
                        reasons.setdefault(record_id, MATCH_KINDS[key.split(":", 1)[0]])
            else:
                owner[key] = record_id
    return {record_id: find(record_id) for record_id in parent}


def read_manual_links(path: Path, known: set[str]) -> list[tuple[str, str]]:
    """Links a reviewer made between copies of one report that no key can see (a mirror without title or
    identifiers, a title spelled differently): data/screening/duplicate_links.csv."""
    if not Path(path).exists():
        return []
    rows = read_csv_strict(path, MANUAL_LINK_COLUMNS)
    problems = []
    for line, row in rows:
        for name in ("record_id", "same_as"):
            if row[name] not in known:
                problems.append(f"{path}:{line}: {name}: no such record in data/raw ({row[name]})")
        if row["record_id"] == row["same_as"]:
            problems.append(f"{path}:{line}: same_as: a record linked to itself ({row['record_id']})")
        if not row["reviewer"].strip():
            problems.append(f"{path}:{line}: reviewer: required value is missing ()")
    if problems:
        raise InvalidDataError(problems)
    return [(row["record_id"], row["same_as"]) for _, row in rows]


def canonical_links(records: pd.DataFrame, manual: list[tuple[str, str]] = (),
                    reasons: dict[str, str] | None = None) -> dict[str, str]:
    """Each record id of a records frame mapped to its canonical record (log order decides which is first);
    `manual` pairs (record, same as) join like a shared key."""
    extra: dict[str, list[str]] = {}
    for record_id, same_as in manual:
        pair = "reviewer:" + "|".join(sorted((record_id, same_as)))
        extra.setdefault(record_id, []).append(pair)
        extra.setdefault(same_as, []).append(pair)
    return link_duplicates(
        ((r.record_id, record_keys(r.pmid, r.doi, r.pmcid, r.title, r.year, r.authors.split(" | ")[0])
          + extra.get(r.record_id, [])) for r in records.itertuples()), reasons)


def project_links(layout: Layout, records: pd.DataFrame, reasons: dict[str, str] | None = None) -> dict[str, str]:
    """The project's duplicate links: keys, and the reviewers' links kept in data/screening."""
    return canonical_links(records, read_manual_links(layout.duplicate_links, set(records.record_id)), reasons)


def duplicates_frame(layout: Layout, records: pd.DataFrame) -> pd.DataFrame:
    """One row per record linked to another: its canonical record and how they matched."""
    reasons: dict[str, str] = {}
    canonical = project_links(layout, records, reasons)
    rows = [{"record_id": r, "canonical_record_id": c, "matched_on": reasons.get(r, "through another copy")}
            for r, c in canonical.items() if r != c]
    return pd.DataFrame(rows, columns=["record_id", "canonical_record_id", "matched_on"])
