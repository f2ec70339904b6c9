"""Numbered citations: notebooks cite `[@key]` (or `[@a; @b]`); the report numbers keys in order of first
citation, links each number to its entry, and formats the bibliography from references.bib with pybtex."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from pybtex.backends.html import Backend as HtmlBackend
from pybtex.database import BibliographyData
from pybtex.style.formatting import toplevel
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.template import field, href, join, optional, sentence, tag

from pipeline.core.errors import BuildError

CITATION = re.compile(r"\[@([A-Za-z0-9_:-]+(?:\s*;\s*@[A-Za-z0-9_:-]+)*)\]")
LINK_SCHEMES = ("http", "https")


def safe_link(url: str) -> bool:
    """Only web addresses become links: javascript:, data: and the like are shown as text."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc) and not re.search(r"[\s\"<>]", url)


class SafeHtmlBackend(HtmlBackend):
    """pybtex's HTML backend puts the address into href as it is; escape it, and link only web addresses."""

    @staticmethod
    def format_href(url, text, external=False):
        if not text:
            return ""
        if not safe_link(url):
            return text
        return f'<a href="{html.escape(url, quote=True)}">{text}</a>'


def cite(*keys: str) -> str:
    """The citation marker a notebook writes; the renderer turns it into numbered links."""
    return "[" + "; ".join(f"@{key}" for key in keys) + "]"


class ReviewStyle(UnsrtStyle):
    """unsrt, but titles keep the capitalisation the journal printed (gene and antibody names, acronyms),
    and each entry links its DOI, PubMed, PMC record, the page the reviewers read and, where that page
    is a copy, the publisher's."""

    def format_title(self, e, which_field, as_sentence=True):
        title = field(which_field)
        return sentence[title] if as_sentence else title

    def get_article_template(self, e):
        # Authors and year are optional: some pages read show neither, and nothing is made up for them.
        return toplevel[
            optional[self.format_names("author")],
            self.format_title(e, "title"),
            sentence[optional[tag("em")[field("journal")]], optional[field("volume")], optional[field("year")]],
            optional[sentence[field("note")]],
            self.format_web_refs(e),
        ]

    def format_web_refs(self, e):
        doi = join["https://doi.org/", field("doi", raw=True)]
        pubmed = join["https://pubmed.ncbi.nlm.nih.gov/", field("pmid", raw=True), "/"]
        pmc = join["https://www.ncbi.nlm.nih.gov/pmc/articles/", field("pmcid", raw=True), "/"]
        read = field("url", raw=True)
        return sentence(sep=" · ")[
            optional[href(doi)[join["doi:", field("doi", raw=True)]]],
            optional[href(pubmed)[join["PMID:", field("pmid", raw=True)]]],
            optional[href(pmc)[field("pmcid", raw=True)]],
            optional[href(read)["source page read"]],
            optional[href(field("link", raw=True))["publisher page"]],
        ]


def number_citations(page: str, known: set[str]) -> tuple[str, list[str]]:
    """Replace every marker by numbered links; return the page and the keys in order of first citation.

    Links use single quotes so a marker inside a JSON string (the interactive table's data) stays valid."""
    order: list[str] = []
    unknown: list[str] = []

    def replace(match: re.Match) -> str:
        keys = [key.strip().lstrip("@") for key in match.group(1).split(";")]
        links = []
        for key in keys:
            if key not in known:
                unknown.append(key)
                continue
            if key not in order:
                order.append(key)
            number = order.index(key) + 1
            links.append(f"<a class='cite' href='#ref-{html.escape(key)}'>{number}</a>")
        return "[" + ", ".join(links) + "]"

    numbered = CITATION.sub(replace, page)
    if unknown:
        raise BuildError(f"the report cites key(s) missing from references.bib: {', '.join(sorted(set(unknown)))}")
    return numbered, order


def bibliography_html(bibliography: BibliographyData, keys: list[str]) -> str:
    """An ordered list of the cited entries, numbered as cited."""
    if not keys:
        return "<p>No references cited.</p>"
    cited = BibliographyData(entries={key: bibliography.entries[key] for key in keys})
    formatted = ReviewStyle().format_bibliography(cited, citations=keys)
    backend = SafeHtmlBackend()
    items = []
    for entry in formatted:
        text = entry.text.render(backend)
        items.append(f'<li id="ref-{html.escape(entry.key)}">{text}</li>')
    return '<ol class="references">\n' + "\n".join(items) + "\n</ol>"
