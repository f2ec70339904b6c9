"""BibTeX (and the common biblatex fields) parsed by pybtex; LaTeX accents and braces become text."""

from __future__ import annotations

import re
from pathlib import Path

from pybtex.backends.plaintext import Backend as PlainTextBackend
from pybtex.richtext import Text

from pipeline.core.errors import InvalidDataError
from pipeline.core.identifiers import check_source_name
from pipeline.search.imports.common import (
    PMID_VALUE,
    clean,
    first_line,
    initials,
    parse_doi,
    parse_year,
    read_text,
    unique,
    with_ids,
)
from pipeline.search.records import Record

BIBTEX_START = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.M)
BIBTEX_ENTRY = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.M)
_PLAIN_TEXT = PlainTextBackend()


def read_bibtex(path: Path, source: str) -> list[Record]:
    """BibTeX (and the common biblatex fields) parsed by pybtex; LaTeX accents and braces become text."""
    from pybtex.database import parse_string
    from pybtex.exceptions import PybtexError

    path = Path(path)
    check_source_name(source)
    text = read_text(path)
    entry_lines: dict[str, int] = {}
    starts = _entry_starts(text)
    for line, kind, key in starts:
        if kind.lower() not in ("comment", "string", "preamble"):
            entry_lines.setdefault(key.lower(), line)
    try:
        data = parse_string(text, "bibtex")
    except PybtexError as exc:
        line = getattr(exc, "lineno", None)
        if line is None and (match := re.search(r"repeated bibliography entry: (\S+)", str(exc))):
            positions = [line for line, _kind, key in starts if key.lower() == match.group(1).lower()]
            line = positions[-1] if positions else None
        raise InvalidDataError([f"{path}:{line or 1}: syntax: {exc}"]) from None
    if not data.entries:
        raise InvalidDataError([f"{path}:1: format: no BibTeX entries, expected '@article{{key,' "
                                f"({first_line(text)})"])
    records, problems = [], []
    for key, entry in data.entries.items():
        where = f"{path}:{entry_lines.get(key.lower(), 1)}"
        fields = entry.fields

        def field(*names: str, latex: bool = True) -> str:
            for name in names:
                value = fields.get(name)
                if value and str(value).strip():
                    return _latex_text(str(value)) if latex else clean(_strip_braces(str(value)))
            return ""

        title = field("title")
        if not title:
            problems.append(f"{where}: title: required value is missing, entry {key} has no title ()")
        year = None
        raw_year = field("year", "date")
        if raw_year:
            year, problem = parse_year(raw_year)
            if problem:
                problems.append(f"{where}: year: {problem} ({raw_year})")
        doi = ""
        raw_doi = field("doi", latex=False)
        if raw_doi:
            doi = parse_doi(raw_doi)
            if not doi:
                problems.append(f"{where}: doi: not a DOI ({raw_doi})")
        pmid = field("pmid", latex=False)
        if not pmid and field("eprinttype", "archiveprefix").lower() == "pubmed":
            pmid = field("eprint", latex=False)
        if pmid and not PMID_VALUE.match(pmid):
            problems.append(f"{where}: pmid: not a PubMed id ({pmid})")
        elif pmid:
            pmid = PMID_VALUE.match(pmid).group(1)
        keywords = [clean(k) for k in re.split(r"[;,]", field("keywords"))]
        records.append(Record(
            record_id="", source=source, title=title, abstract=field("abstract"),
            authors=unique(_bibtex_person(person) for person in entry.persons.get("author", [])),
            journal=field("journal", "journaltitle", "booktitle"), year=year, pmid=pmid, doi=doi,
            pmcid=field("pmcid", latex=False).upper(), mesh_terms=unique(keywords),
            language=field("language", "langid"), url=field("url", latex=False)))
    if problems:
        raise InvalidDataError(problems)
    return with_ids(records, source)


def _entry_starts(text: str) -> list[tuple[int, str, str]]:
    """(line, entry type, key) of every `@type{key,`, counting lines once through the text."""
    starts, line, position = [], 1, 0
    for match in BIBTEX_ENTRY.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        starts.append((line, match.group(1), match.group(2)))
    return starts


def _bibtex_person(person) -> str:
    last = _latex_text(" ".join(person.prelast_names + person.last_names))
    given = _latex_text(" ".join(person.first_names + person.middle_names))
    return f"{last} {initials(given)}".strip()


def _latex_text(value: str) -> str:
    """LaTeX markup as plain text: {\\"u} -> ü, {DNA} -> DNA, \\& -> &, -- -> en dash."""
    try:
        text = Text.from_latex(value).render(_PLAIN_TEXT)  # render_as() looks the backend up per call: slow
    except Exception:  # malformed markup: keep the text, drop the braces
        text = _strip_braces(value)
    return clean(text.replace("\xa0", " "))


def _strip_braces(value: str) -> str:
    return re.sub(r"\\([_%&#$])", r"\1", value).replace("{", "").replace("}", "")
