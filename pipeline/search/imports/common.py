"""What every export reader shares: reading the file (size cap, BOM, line endings), cleaning values,
years, DOIs, author names, and the record ids that make re-importing the same export idempotent."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote

from pipeline.core.errors import InvalidDataError
from pipeline.search.dedupe import normalise_doi, normalise_text
from pipeline.search.records import Record

YEAR_RANGE = (1600, 2100)
# Exports of a whole database run to a few hundred MB; more means the wrong file (or /dev/zero).
MAX_IMPORT_BYTES = 1 << 30
YEAR = re.compile(r"^(\d{4})(?:\D.*)?$")  # 2012, 2012///, 2012/05/03/, 2012 May 3, 2012-05-03
DOI_SHAPE = re.compile(r"^10\.\d{4,9}/\S+$")
DOI_URL = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)
PMID_VALUE = re.compile(r"^(?:PMID:?\s*|MEDLINE:\s*)?(\d{1,8})$", re.I)
NAME_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}


def field_readers(entry: dict):
    """values(*tags): every cleaned, non-empty value under the tags, in order; first(*tags): the first one."""

    def values(*tags: str) -> list[str]:
        out = []
        for tag in tags:
            value = entry.get(tag)
            for item in value if isinstance(value, list) else [value] if value is not None else []:
                item = clean(item)
                if item:
                    out.append(item)
        return out

    def first(*tags: str) -> str:
        found = values(*tags)
        return found[0] if found else ""

    return values, first


def read_text(path: Path) -> str:
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


def first_line(text: str) -> str:
    return next((line.strip() for line in text.split("\n") if line.strip()), "")[:60]


def clean(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def unique(values: Iterable[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        if value and value not in out:
            out.append(value)
    return out


def parse_year(value: str) -> tuple[int | None, str]:
    """(year, "") or (None, problem) for forms like 2012, 2012///, 2012/05/03/, 2012 May 3, 2012-05-03."""
    match = YEAR.match(value.strip())
    if not match:
        return None, "is not a year"
    year = int(match.group(1))
    if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
        return None, f"is not a year between {YEAR_RANGE[0]} and {YEAR_RANGE[1]}"
    return year, ""


def parse_doi(value: str) -> str:
    """The DOI in a value (bare, 'doi:...', a doi.org URL, or '... [doi]'), as written; '' if none."""
    text = clean(value)
    text = re.sub(r"\s*\[doi\]$", "", text, flags=re.I)
    if DOI_URL.match(text):
        text = unquote(DOI_URL.sub("", text))
    text = text.strip().rstrip(".,;")
    return text if DOI_SHAPE.match(text) else ""


def initials(given: str) -> str:
    parts = [p for p in re.split(r"[\s.\-]+", given) if p and p.lower().rstrip(".") not in NAME_SUFFIXES]
    return "".join(p[0].upper() for p in parts if p[0].isalpha())


def author_name(name: str) -> str:
    """'Smith, John A.', 'Smith, J.A.' and 'Smith J.A.' all become 'Smith JA'; other names stay as written."""
    name = clean(name).strip(",; ")
    if not name:
        return ""
    if "," in name:
        last, _, given = name.partition(",")
        return f"{last.strip()} {initials(given)}".strip()
    parts = name.split(" ")
    tail = parts[-1].replace(".", "").replace("-", "")
    if len(parts) > 1 and tail.isalpha() and tail.isupper() and len(tail) <= 4:
        return f"{' '.join(parts[:-1])} {tail}"
    return name


def with_ids(records: list[Record], source: str) -> list[Record]:
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
