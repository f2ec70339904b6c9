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
import hashlib
import io
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

import rispy
from Bio import Medline
from pybtex.backends.plaintext import Backend as PlainTextBackend
from pybtex.richtext import Text

from .dedupe import normalise_doi, normalise_text
from .errors import InvalidDataError
from .identifiers import check_source_name
from .records import Record
from .tabular import numbered_rows

FORMATS = ("ris", "medline", "bibtex", "csv")
FORMAT_NAMES = {"ris": "ris", "medline": "medline", "nbib": "medline", "pubmed": "medline",
                "bibtex": "bibtex", "bib": "bibtex", "csv": "csv"}
EXTENSIONS = {".ris": "ris", ".nbib": "medline", ".medline": "medline", ".bib": "bibtex", ".bibtex": "bibtex",
              ".csv": "csv"}
YEAR_RANGE = (1600, 2100)

# Exports of a whole database run to a few hundred MB; more means the wrong file (or /dev/zero).
MAX_IMPORT_BYTES = 1 << 30
YEAR = re.compile(r"^(\d{4})(?:\D.*)?$")  # 2012, 2012///, 2012/05/03/, 2012 May 3, 2012-05-03
DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
DOI_URL = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
PMID_VALUE = re.compile(r"^(?:PMID:?\s*|MEDLINE:\s*)?(\d{1,8})$", re.I)
PMID_IN_NOTE = re.compile(r"\b(?:PMID|PubMed ID)\s*:?\s*(\d{1,8})\b", re.I)
PMCID_VALUE = re.compile(r"\b(PMC\d+)\b", re.I)
RIS_START = re.compile(r"^TY  -", re.M)
MEDLINE_START = re.compile(r"^PMID- ", re.M)
MEDLINE_TAG_LINE = re.compile(r"^[A-Z][A-Z0-9 ]{3}-(?: |$)")
BIBTEX_START = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]", re.M)
BIBTEX_ENTRY = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.M)
NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
_PLAIN_TEXT = PlainTextBackend()

CSV_COLUMNS = {"title": "title", "abstract": "abstract", "authors": "authors", "author": "authors",
               "journal": "journal", "source title": "journal", "year": "year", "publication year": "year",
               "doi": "doi", "pmid": "pmid", "pubmed id": "pmid", "pmcid": "pmcid", "url": "url", "link": "url",
               "language": "language", "language of original document": "language"}


# ---------------------------------------------------------------- entry point and format detection

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
    text = _read_text(path)
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
    if any(_csv_column(cell) == "title" for cell in header):
        return "csv"
    raise InvalidDataError([f"{path}:1: format: unrecognised export format; expected RIS ('TY  -' lines), "
                            f"MEDLINE ('PMID- ' lines), BibTeX ('@article{{...') or CSV with a title column "
                            f"({path.suffix or 'no extension'})"])


# ---------------------------------------------------------------- RIS

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



def _field_readers(entry: dict):
    """values(*tags): every cleaned, non-empty value under the tags, in order; first(*tags): the first one."""

    def values(*tags: str) -> list[str]:
        out = []
        for tag in tags:
            value = entry.get(tag)
            for item in value if isinstance(value, list) else [value] if value is not None else []:
                item = _clean(item)
                if item:
                    out.append(item)
        return out

    def first(*tags: str) -> str:
        found = values(*tags)
        return found[0] if found else ""

    return values, first

def read_ris(path: Path, source: str) -> list[Record]:
    """RIS as Embase, Scopus, Web of Science, Ovid and reference managers write it."""
    path = Path(path)
    check_source_name(source)
    text = _read_text(path)
    parser = _NumberedRisParser(mapping=_Identity(), list_tags=[*rispy.LIST_TYPE_TAGS, "N1", "M1"],
                                skip_unknown_tags=False)
    entries = parser.parse_numbered(text.split("\n"))
    if not entries:
        raise InvalidDataError([f"{path}:1: format: no RIS entries, expected 'TY  -' lines "
                                f"({_first_line(text)})"])
    records = []
    problems = [f"{path}:{line}: ER: the entry starting here is not closed with 'ER  -' (a truncated export?); "
                f"export again, or add the ER line if the entry is complete ()" for line in parser.unclosed]
    for line, entry in entries:
        where = f"{path}:{line}"

        values, first = _field_readers(entry)

        title = first("TI", "T1")
        if not title:
            problems.append(f"{where}: title: required value is missing, no TI or T1 ()")
        year = None
        for tag in ("PY", "Y1"):
            raw = first(tag)
            if raw:
                year, problem = _year(raw)
                if problem:
                    problems.append(f"{where}: year: {tag} {problem} ({raw})")
                break
        doi = ""
        raw_doi = first("DO")
        if raw_doi:
            doi = _doi(raw_doi)
            if not doi:
                problems.append(f"{where}: doi: DO is not a DOI ({raw_doi})")
        publication_types = []
        for value in values("M3"):
            if _doi(value):
                doi = doi or _doi(value)
            else:
                publication_types.append(value)
        urls = values("UR")
        if not doi:
            doi = next((_doi(url) for url in urls if _doi(url)), "")
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
            authors=_unique(_author(name) for name in values("AU", "A1")),
            journal=first("JF", "T2", "JO", "JA"), year=year, pmid=pmid, doi=doi, pmcid=pmcid,
            publication_types=publication_types, mesh_terms=_unique(values("KW")),
            language="; ".join(values("LA")), url=web[0] if web else ""))
    if problems:
        raise InvalidDataError(problems)
    return _with_ids(records, source)


# ---------------------------------------------------------------- MEDLINE (PubMed nbib)

def read_medline(path: Path, source: str) -> list[Record]:
    """PubMed's MEDLINE format (the .nbib file of 'Send to: Citation manager'), parsed by Bio.Medline."""
    path = Path(path)
    check_source_name(source)
    text = _read_text(path)
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
                                f"({_first_line(text)})"])
    records = []
    for line, lines in blocks:
        if not lines:
            continue
        where = f"{path}:{line}"
        entry = next(Medline.parse(lines))

        values, first = _field_readers(entry)

        title = first("TI", "BTI")
        if not title:
            problems.append(f"{where}: title: required value is missing, no TI ({first('PMID')})")
        year = None
        raw_year = first("DP")
        if raw_year:
            year, problem = _year(raw_year)
            if problem:
                problems.append(f"{where}: year: DP {problem} ({raw_year})")
        doi = ""
        for value in values("LID", "AID"):
            if match := re.search(r"(\S+)\s*\[doi\]", value):
                doi = _doi(match.group(1))
                if doi:
                    break
        authors = values("AU") or [_author(name) for name in values("FAU")]
        records.append(Record(
            record_id="", source=source, title=title, abstract=first("AB"), authors=_unique(authors),
            journal=first("JT", "TA"), year=year, pmid=first("PMID"), doi=doi, pmcid=first("PMC").upper(),
            publication_types=_unique(values("PT")), mesh_terms=_unique(values("MH")),
            language="; ".join(values("LA")),
            url=f"https://pubmed.ncbi.nlm.nih.gov/{first('PMID')}/" if first("PMID") else ""))
    if problems:
        prefix = len(f"{path}:")
        raise InvalidDataError(sorted(problems, key=lambda problem: int(problem[prefix:].split(":", 1)[0])))
    return _with_ids(records, source)


# ---------------------------------------------------------------- BibTeX

def read_bibtex(path: Path, source: str) -> list[Record]:
    """BibTeX (and the common biblatex fields) parsed by pybtex; LaTeX accents and braces become text."""
    from pybtex.database import parse_string
    from pybtex.exceptions import PybtexError

    path = Path(path)
    check_source_name(source)
    text = _read_text(path)
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
                                f"({_first_line(text)})"])
    records, problems = [], []
    for key, entry in data.entries.items():
        where = f"{path}:{entry_lines.get(key.lower(), 1)}"
        fields = entry.fields

        def field(*names: str, latex: bool = True) -> str:
            for name in names:
                value = fields.get(name)
                if value and str(value).strip():
                    return _latex_text(str(value)) if latex else _clean(_strip_braces(str(value)))
            return ""

        title = field("title")
        if not title:
            problems.append(f"{where}: title: required value is missing, entry {key} has no title ()")
        year = None
        raw_year = field("year", "date")
        if raw_year:
            year, problem = _year(raw_year)
            if problem:
                problems.append(f"{where}: year: {problem} ({raw_year})")
        doi = ""
        raw_doi = field("doi", latex=False)
        if raw_doi:
            doi = _doi(raw_doi)
            if not doi:
                problems.append(f"{where}: doi: not a DOI ({raw_doi})")
        pmid = field("pmid", latex=False)
        if not pmid and field("eprinttype", "archiveprefix").lower() == "pubmed":
            pmid = field("eprint", latex=False)
        if pmid and not PMID_VALUE.match(pmid):
            problems.append(f"{where}: pmid: not a PubMed id ({pmid})")
        elif pmid:
            pmid = PMID_VALUE.match(pmid).group(1)
        keywords = [_clean(k) for k in re.split(r"[;,]", field("keywords"))]
        records.append(Record(
            record_id="", source=source, title=title, abstract=field("abstract"),
            authors=_unique(_bibtex_person(person) for person in entry.persons.get("author", [])),
            journal=field("journal", "journaltitle", "booktitle"), year=year, pmid=pmid, doi=doi,
            pmcid=field("pmcid", latex=False).upper(), mesh_terms=_unique(keywords),
            language=field("language", "langid"), url=field("url", latex=False)))
    if problems:
        raise InvalidDataError(problems)
    return _with_ids(records, source)


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
    return f"{last} {_initials(given)}".strip()


def _latex_text(value: str) -> str:
    """LaTeX markup as plain text: {\\"u} -> ü, {DNA} -> DNA, \\& -> &, -- -> en dash."""
    try:
        text = Text.from_latex(value).render(_PLAIN_TEXT)  # render_as() looks the backend up per call: slow
    except Exception:  # malformed markup: keep the text, drop the braces
        text = _strip_braces(value)
    return _clean(text.replace("\xa0", " "))


def _strip_braces(value: str) -> str:
    return re.sub(r"\\([_%&#$])", r"\1", value).replace("{", "").replace("}", "")


# ---------------------------------------------------------------- CSV

def read_csv_records(path: Path, source: str) -> list[Record]:
    """A CSV with a header row naming at least a title column; recognised columns (any case): title,
    abstract, authors (separated by ';'), journal, year, doi, pmid, pmcid, url, language. Other columns are
    ignored."""
    path = Path(path)
    check_source_name(source)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InvalidDataError([f"{path}:1: header: malformed CSV ({exc})"]) from None
    columns: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        column = _csv_column(name)
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
                            f"({_clean(','.join(row))[:60]})")
            continue
        value = {name: _clean(row[index]) for name, index in columns.items()}
        get = value.get
        if not get("title"):
            problems.append(f"{path}:{line}: title: required value is missing ()")
        year = None
        if get("year"):
            year, problem = _year(get("year"))
            if problem:
                problems.append(f"{path}:{line}: year: {problem} ({get('year')})")
        doi = ""
        if get("doi"):
            doi = _doi(get("doi"))
            if not doi:
                problems.append(f"{path}:{line}: doi: not a DOI ({get('doi')})")
        pmid = get("pmid", "")
        if pmid and not PMID_VALUE.match(pmid):
            problems.append(f"{path}:{line}: pmid: not a PubMed id ({pmid})")
        elif pmid:
            pmid = PMID_VALUE.match(pmid).group(1)
        authors = [_author(name) for name in (get("authors") or "").split(";")]
        records.append(Record(
            record_id="", source=source, title=get("title", ""), abstract=get("abstract", ""),
            authors=_unique(authors), journal=get("journal", ""), year=year, pmid=pmid, doi=doi,
            pmcid=get("pmcid", "").upper(), language=get("language", ""), url=get("url", "")))
    if problems:
        raise InvalidDataError(problems)
    if not records:
        raise InvalidDataError([f"{path}:2: row: no records below the header ()"])
    return _with_ids(records, source)


def _csv_column(name: str) -> str:
    return CSV_COLUMNS.get(" ".join(name.strip().lower().split()), "")


# ---------------------------------------------------------------- shared helpers

def _read_text(path: Path) -> str:
    """The file as text with a leading BOM removed and every line ending turned into \\n."""
    path = Path(path)
    if path.is_dir():
        raise InvalidDataError([f"{path}:1: file: is a folder, not a file ()"])
    if path.exists() and not path.is_file():
        raise InvalidDataError([f"{path}:1: file: not a regular file (a device or a pipe); export to a file "
                                f"and import that ()"])
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_IMPORT_BYTES + 1)
    except FileNotFoundError:
        raise InvalidDataError([f"{path}:1: file: not found ()"]) from None
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidDataError([f"{path}:1: file: larger than {MAX_IMPORT_BYTES >> 20} MiB; split the export "
                                f"into smaller files ()"])
    bom = b"\xef\xbb\xbf"
    body = data[len(bom):] if data.startswith(bom) else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = len(data) - len(body) + exc.start
        line = data[:offset].count(b"\n") + 1
        raise InvalidDataError([f"{path}:{line}: file: not UTF-8 text; save the export as UTF-8 "
                                f"(byte 0x{data[offset]:02X} at offset {offset})"]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InvalidDataError([f"{path}:1: file: empty, no records ({len(data)} bytes)"])
    return text


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.split("\n") if line.strip()), "")[:60]


def _clean(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value and value not in out:
            out.append(value)
    return out


def _year(value: str) -> tuple[int | None, str]:
    """(year, "") or (None, problem) for forms like 2012, 2012///, 2012/05/03/, 2012 May 3, 2012-05-03."""
    match = YEAR.match(value.strip())
    if not match:
        return None, "is not a year"
    year = int(match.group(1))
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        return None, f"is not a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}"
    return year, ""


def _doi(value: str) -> str:
    """The DOI in a value (bare, 'doi:...', a doi.org URL, or '... [doi]'), as written; '' if none."""
    text = _clean(value)
    text = re.sub(r"\s*\[doi\]$", "", text, flags=re.I)
    if DOI_URL.match(text):
        text = unquote(DOI_URL.sub("", text))
    text = text.strip().rstrip(".,;")
    return text if DOI_SHAPE.match(text) else ""


def _initials(given: str) -> str:
    parts = [p for p in re.split(r"[\s.\-]+", given) if p and p.lower().rstrip(".") not in NAME_SUFFIXES]
    return "".join(p[0].upper() for p in parts if p[0].isalpha())


def _author(name: str) -> str:
    """'Smith, John A.', 'Smith, J.A.' and 'Smith J.A.' all become 'Smith JA'; other names stay as written."""
    name = _clean(name).strip(",; ")
    if not name:
        return ""
    if "," in name:
        last, _, given = name.partition(",")
        return f"{last.strip()} {_initials(given)}".strip()
    parts = name.split(" ")
    tail = parts[-1].replace(".", "").replace("-", "")
    if len(parts) > 1 and tail.isalpha() and tail.isupper() and len(tail) <= 4:
        return f"{' '.join(parts[:-1])} {tail}"
    return name


def _with_ids(records: list[Record], source: str) -> list[Record]:
    seen: dict[str, int] = {}
    for record in records:
        doi = normalise_doi(record.doi)
        if doi:
            key = "doi:" + doi
        elif record.pmid:
            key = "pmid:" + record.pmid
        else:
            key = f"title:{normalise_text(record.title)}|{record.year or ''}"
        digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        record.record_id = f"{source}:{digest}" + (f"-{seen[digest]}" if seen[digest] > 1 else "")
    return records
