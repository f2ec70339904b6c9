"""Deduplication across sources and against every record seen before.

Records match on PMID, normalised DOI, PMCID, or normalised title + year + first author (case,
punctuation, diacritics and HTML markup ignored). A duplicate is linked to its canonical record (the
first seen), never deleted."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import pandas as pd

TAG = re.compile(r"<[^>]+>")
NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
MIN_TITLE_LENGTH = 12  # shorter titles ("Case report") are too common to identify a paper


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
        keys.append(f"title:{normal_title}|{year_text}|{surname(first_author)}")
    return keys


def link_duplicates(records: Iterable[tuple[str, list[str]]]) -> dict[str, str]:
    """Map every record id to its canonical record id, given (record_id, keys) in the order seen.

    A record sharing any key with an earlier one joins that record's group; groups joined through a
    record that bridges them are merged (union-find), and the earliest record stays canonical."""
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
            else:
                owner[key] = record_id
    return {record_id: find(record_id) for record_id in parent}


def canonical_links(records: pd.DataFrame) -> dict[str, str]:
    """Each record id of a records frame mapped to its canonical record (log order decides which is first)."""
    return link_duplicates(
        (r.record_id, record_keys(r.pmid, r.doi, r.pmcid, r.title, r.year, r.authors.split(" | ")[0]))
        for r in records.itertuples()
    )
