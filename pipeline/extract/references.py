"""references.bib: one entry per included or context study, keyed by study_id. Read with pybtex, and its
identifier fields checked for their shapes (a URL that is not a web address, or a DOI holding markup, is a
problem named by file and line, never a link in the report)."""

from __future__ import annotations

import re
from pathlib import Path

from pybtex.database import BibliographyData, parse_file

from pipeline.core.errors import BuildError

# The shapes the bibliography's identifier fields must have; anything else is shown as text, never linked.
FIELD_SHAPES = {"doi": re.compile(r"^10\.\d{4,9}/[^\s\"<>]+$"), "pmid": re.compile(r"^\d{1,9}$"),
                "pmcid": re.compile(r"^PMC\d+$"), "url": re.compile(r"^https?://[^\s\"<>]+$"),
                "link": re.compile(r"^https?://[^\s\"<>]+$")}
ENTRY_START = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(][ \t]*([^,\s{}()]+)[ \t]*,", re.M)


def load_bibliography(path: Path) -> BibliographyData:
    try:
        return parse_file(str(path), bib_format="bibtex")
    except FileNotFoundError:
        raise BuildError(f"{path}: bibliography not found") from None
    except Exception as exc:  # pybtex raises several unrelated types for malformed files
        raise BuildError(f"{path}: cannot parse the bibliography ({exc})") from None


def bibliography_problems(path: Path, bibliography: BibliographyData) -> list[str]:
    """Identifier fields whose shape is wrong, as `file:line: field: message (value)`."""
    text = Path(path).read_text(encoding="utf-8")
    lines, line, position = {}, 1, 0
    for match in ENTRY_START.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        lines.setdefault(match.group(1), line)
    problems = []
    for key, entry in bibliography.entries.items():
        for name, shape in FIELD_SHAPES.items():
            value = entry.fields.get(name)
            if value is not None and not shape.match(str(value).strip()):
                problems.append(f"{path}:{lines.get(key, 1)}: {name}: not a valid {name} in entry {key} "
                                f"({str(value)[:80]})")
    return problems
