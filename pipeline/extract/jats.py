"""Full texts in JATS XML (Europe PMC, PubMed Central) as addressable passages: each paragraph, table row and
figure caption under its section's title, numbered within the section, so a value can cite `Case presentation
§2` and the sentence that states it.

Parsing refuses what a hostile file could use against the reader: entity declarations (expansion bombs,
external entities), DTD loading and network access are all off, and a file that is not whole XML is refused
rather than read in part."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from pipeline.core.errors import ReviewError

MAX_BYTES = 32 * 2**20  # the largest full text read; real articles are well under 5 MiB
# Sections whose text describes the review's own patients (the discussion cites other authors' patients).
CASE_SECTION = re.compile(r"case|patient|presentation|report|clinical (course|history|findings)|"
                          r"history|results?|findings|follow[- ]?up|treatment|outcome", re.I)
NOT_CASE_SECTION = re.compile(r"discussion|review of (the )?literature|introduction|background|conclusion|"
                              r"method|reference|acknowledg|funding|conflict|abbreviation", re.I)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


class UnsafeOrBrokenXML(ReviewError):
    """The file is not a whole, plain JATS document; nothing is read from it."""


class UnsafeXML(UnsafeOrBrokenXML):
    """The file declares entities or is too large: refused, whatever the server sends next time."""


class BrokenXML(UnsafeOrBrokenXML):
    """The file is cut off or not XML: perhaps a transfer fault, worth fetching again."""


@dataclass(frozen=True)
class Passage:
    section: str  # the section's title, "Abstract", or "untitled section N"
    section_type: str  # the article's own sec-type (cases, results, discussion...), else ""
    number: int  # the passage's place within its section, from 1
    kind: str  # paragraph | table row | figure caption | table caption
    text: str

    @property
    def where(self) -> str:
        return f"{self.section} §{self.number}"

    @property
    def describes_the_case(self) -> bool:
        label = f"{self.section} {self.section_type}"
        return self.section == "Abstract" or (bool(CASE_SECTION.search(label))
                                              and not NOT_CASE_SECTION.search(label))

    def sentences(self) -> list[str]:
        return [s.strip() for s in SENTENCE_END.split(self.text) if s.strip()]


@dataclass(frozen=True)
class Article:
    title: str
    pmcid: str
    passages: tuple[Passage, ...]

    def case_passages(self) -> list[Passage]:
        return [p for p in self.passages if p.describes_the_case]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True)


def _text(element) -> str:
    """An element's text with its inline markup flattened ("m<sup>2</sup>" -> "m2") and spaces normalised."""
    return " ".join("".join(element.itertext()).split())


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse_jats(data: bytes, name: str = "full text") -> Article:
    """The article's passages in reading order; raises UnsafeOrBrokenXML naming `name` and the reason."""
    if len(data) > MAX_BYTES:
        raise UnsafeXML(f"{name}: larger than {MAX_BYTES // 2**20} MiB; not read")
    if re.search(rb"<!ENTITY", data[:200_000], re.I):
        raise UnsafeXML(f"{name}: declares XML entities (an expansion or external-entity risk); not read")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise BrokenXML(f"{name}: not whole XML ({exc.msg}); not read") from None
    if _local(root.tag) != "article":
        raise BrokenXML(f"{name}: not a JATS article (root element <{_local(root.tag)}>); not read")
    title = root.find(".//{*}article-meta/{*}title-group/{*}article-title")
    pmcid = root.find(".//{*}article-meta/{*}article-id[@pub-id-type='pmcid']")
    passages: list[Passage] = []
    abstract = root.find(".//{*}article-meta/{*}abstract")
    if abstract is not None:
        paragraphs = [_text(p) for p in abstract.iter("{*}p")]
        passages += [Passage("Abstract", "", i, "paragraph", text)
                     for i, text in enumerate(filter(None, paragraphs), start=1)]
    body = root.find("{*}body")
    if body is not None:
        untitled = 0
        for section in body.iterfind("{*}sec"):
            heading = section.find("{*}title")
            label = _text(heading) if heading is not None else ""
            if not label:
                untitled += 1
                label = f"untitled section {untitled}"
            passages += _section_passages(section, label, section.get("sec-type", ""))
        loose = [_text(p) for p in body.iterfind("{*}p")]  # a body without sections
        passages += [Passage("Body", "", i, "paragraph", text) for i, text in enumerate(filter(None, loose), 1)]
    number = _text(pmcid).upper().removeprefix("PMC") if pmcid is not None else ""
    return Article(_text(title) if title is not None else "", f"PMC{number}" if number else "", tuple(passages))


def _caption(element) -> str:
    """A table's or figure's label and caption ("Table 1 Laboratory findings")."""
    return " ".join(filter(None, (_text(x) for x in (*element.iterfind("{*}label"), *element.iterfind("{*}caption")))))


def _section_passages(section, label: str, section_type: str) -> list[Passage]:
    """Paragraphs, table rows and captions anywhere under one top-level section, numbered in reading order
    (subsection titles are folded into the section's own count, so `§n` stays unique)."""
    out: list[Passage] = []
    for element in section.iter("{*}p", "{*}table-wrap", "{*}fig"):
        if _local(element.tag) == "p":
            if any(_local(a.tag) in ("table-wrap", "fig", "caption") for a in element.iterancestors()):
                continue  # read with its table or figure
            kind, texts = "paragraph", [_text(element)]
        elif _local(element.tag) == "table-wrap":
            caption = _caption(element)
            rows = [" | ".join(_text(cell) for cell in row if _local(cell.tag) in ("th", "td"))
                    for row in element.iter("{*}tr")]
            out += [Passage(label, section_type, len(out) + 1, "table caption", caption)] if caption else []
            kind, texts = "table row", [row for row in rows if row.strip(" |")]
        else:
            kind, texts = "figure caption", [_caption(element)]
        for text in texts:
            if text:
                out.append(Passage(label, section_type, len(out) + 1, kind, text))
    return out
