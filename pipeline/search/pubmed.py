"""Live PubMed search through NCBI E-utilities: esearch on the history server, efetch in batches, and a
streaming parser of the PubMed XML into Records."""

from __future__ import annotations

import io
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import IO, Any

from lxml import etree

from pipeline.core.errors import IncompleteSearchError, ReviewError
from pipeline.search.http import PoliteClient
from pipeline.search.records import Record

log = logging.getLogger(__name__)

DEFAULT_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DEFAULT_EMAIL = "lsr-review@example.org"
TOOL = "dm-ns-living-review"
# One run takes at most this many records per source and window; a larger count means the query or the window
# is wrong (or the server is), and thousands of requests would not fix it.
MAX_RECORDS = 100_000
BATCH_SIZE = 200
Progress = Callable[[int, int], object]


def pubmed_client(*, max_tries: int = 5, timeout_s: float = 30, sleep: Callable[[float], None] = time.sleep,
                  clock: Callable[[], float] = time.monotonic) -> PoliteClient:
    """A client at LSR_PUBMED_URL, paced to NCBI's limits: 10 requests/s with an API key, 3 without."""
    interval = 0.1 if os.environ.get("NCBI_API_KEY") else 0.34
    return PoliteClient(os.environ.get("LSR_PUBMED_URL", DEFAULT_URL), interval, max_tries=max_tries,
                        timeout_s=timeout_s, sleep=sleep, clock=clock)


def _params(**params: str | int) -> dict[str, str | int]:
    """NCBI asks every E-utilities caller to identify itself with tool and email."""
    params.update(tool=TOOL, email=os.environ.get("LSR_CONTACT_EMAIL") or DEFAULT_EMAIL)
    if key := os.environ.get("NCBI_API_KEY"):
        params["api_key"] = key
    return params


def esearch(client: PoliteClient, term: str, mindate: date, maxdate: date) -> tuple[int, str, str]:
    """Run the search on the history server; returns (count, WebEnv, query_key)."""
    response = client.get("esearch.fcgi", _params(
        db="pubmed", term=term, usehistory="y", datetype="edat", mindate=mindate.strftime("%Y/%m/%d"),
        maxdate=maxdate.strftime("%Y/%m/%d"), retmax=0, retmode="json"))
    try:
        payload = response.json()
    except ValueError:
        raise ReviewError(f"PubMed esearch returned a response that is not JSON: {response.text[:200]!r}") from None
    result = payload.get("esearchresult") if isinstance(payload, dict) else None
    if not isinstance(result, dict):
        error = payload.get("error") if isinstance(payload, dict) else None
        raise ReviewError(f"PubMed esearch returned no esearchresult{f' (error: {error})' if error else ''}")
    if result.get("ERROR"):
        raise ReviewError(f"PubMed esearch failed: {result['ERROR']}")
    missing = [name for name in ("count", "webenv", "querykey") if not str(result.get(name, "")).strip()]
    if missing:
        raise ReviewError(f"PubMed esearch response lacks {', '.join(missing)}")
    try:
        count = int(result["count"])
    except ValueError:
        raise ReviewError(f"PubMed esearch count is not a number: {result['count']!r}") from None
    if not 0 <= count <= MAX_RECORDS:
        raise ReviewError(f"PubMed esearch announced {count:,} records for {mindate} to {maxdate}, more than the "
                          f"{MAX_RECORDS:,} one run takes; narrow the query or the date window")
    return count, str(result["webenv"]), str(result["querykey"])


def efetch_batches(client: PoliteClient, webenv: str, query_key: str, count: int,
                   batch_size: int = 200) -> Iterator[bytes]:
    """The XML of the search's records, `batch_size` records per request."""
    for retstart in range(0, count, batch_size):
        yield client.get("efetch.fcgi", _params(db="pubmed", WebEnv=webenv, query_key=query_key,
                                                retstart=retstart, retmax=batch_size, retmode="xml")).content


def _text(element: etree._Element | None) -> str:
    """Plain text of an element and its inline markup (<i>, <sup>, MathML), whitespace collapsed."""
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def _year(pub_date: etree._Element | None) -> int | None:
    if pub_date is None:
        return None
    year = pub_date.findtext("Year") or ""
    if not year.strip().isdigit():
        # MedlineDate is free text, e.g. "1998 Dec-1999 Jan" or "Winter 2001"
        match = re.search(r"\b(\d{4})\b", pub_date.findtext("MedlineDate") or "")
        year = match.group(1) if match else ""
    return int(year) if year.strip().isdigit() else None


def _abstract(abstract: etree._Element | None) -> str:
    if abstract is None:
        return ""
    sections = []
    for part in abstract.findall("AbstractText"):
        text, label = _text(part), (part.get("Label") or "").strip()
        if text:
            sections.append(f"{label}: {text}" if label else text)
    return "\n\n".join(sections)


def _authors(author_list: etree._Element | None) -> list[str]:
    authors = []
    for author in author_list.findall("Author") if author_list is not None else ():
        name = " ".join(filter(None, (_text(author.find("LastName")), _text(author.find("Initials")))))
        name = name or _text(author.find("CollectiveName"))
        if name:
            authors.append(name)
    return authors


def _article_id(id_lists: list[etree._Element | None], id_type: str) -> str:
    for id_list in id_lists:
        for article_id in id_list.findall("ArticleId") if id_list is not None else ():
            if article_id.get("IdType") == id_type and _text(article_id):
                return _text(article_id)
    return ""


def _find(parent: etree._Element, path: str) -> etree._Element:
    """The first match of `path`, or an empty stand-in so that optional parts read as empty."""
    found = parent.find(path)
    return found if found is not None else etree.Element(path)


def _record(pmid: str, parent: etree._Element, id_lists: list[etree._Element | None], **fields: Any) -> Record:
    return Record(record_id=f"pubmed:{pmid}", source="pubmed", pmid=pmid, abstract=_abstract(parent.find("Abstract")),
                  pmcid=_article_id(id_lists, "pmc"), url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
                  **fields)


def _xpath(path: str) -> etree.XPath:
    return etree.XPath(path, smart_strings=False)


# A journal article's fields as compiled XPath, evaluated in C: the per-field lookups in Python were what
# dominated parsing.
_A = "MedlineCitation/Article/"
X_PMID = _xpath("normalize-space(MedlineCitation/PMID)")
X_TITLE = _xpath(f"string({_A}ArticleTitle)")
X_VERNACULAR = _xpath(f"string({_A}VernacularTitle)")
X_JOURNAL = _xpath(f"normalize-space({_A}Journal/Title)")
X_PUB_DATE = _xpath(f"{_A}Journal/JournalIssue/PubDate")
X_LANGUAGE = _xpath(f"normalize-space({_A}Language)")
X_TYPES = _xpath(f"{_A}PublicationTypeList/PublicationType/text()")  # leaf text: the whole list in one call
X_MESH = _xpath("MedlineCitation/MeshHeadingList/MeshHeading/DescriptorName/text()")
X_AUTHORS = _xpath(f"{_A}AuthorList/Author")
X_ABSTRACT = _xpath(f"{_A}Abstract/AbstractText")
# PubmedData's own list, not the cited works' (PubmedData/ReferenceList/.../ArticleIdList).
X_DOI = _xpath("normalize-space(PubmedData/ArticleIdList/ArticleId[@IdType='doi'][normalize-space()][1])")
X_PMC = _xpath("normalize-space(PubmedData/ArticleIdList/ArticleId[@IdType='pmc'][normalize-space()][1])")
X_ELOCATION_DOI = _xpath(f"normalize-space({_A}ELocationID[@EIdType='doi'][normalize-space()][1])")


def _spaced(text: str) -> str:
    """Whitespace collapsed. Most PubMed text is ASCII with single spaces, and testing for that (C substring
    scans, written out: a generator over the marks cost more than the scans) is cheaper than splitting every
    abstract into words."""
    if (text.isascii() and "  " not in text and "\n" not in text and "\t" not in text and "\r" not in text
            and "\f" not in text and "\v" not in text):
        return text.strip()
    return " ".join(text.split())


def _all_text(node: etree._Element) -> str:
    return _spaced(node.text or "" if not len(node) else "".join(node.itertext()))


def _article_record(element: etree._Element) -> Record:
    pmid = X_PMID(element)
    if not pmid:
        raise ReviewError("PubMed XML has a PubmedArticle without MedlineCitation/PMID")
    authors = []
    for author in X_AUTHORS(element):
        parts = {child.tag: child for child in author}  # a handful of leaves: cheaper than a lookup each
        name = " ".join(text for tag in ("LastName", "Initials") if tag in parts and (text := _all_text(parts[tag])))
        if name := name or (_all_text(parts["CollectiveName"]) if "CollectiveName" in parts else ""):
            authors.append(name)
    sections = []
    for part in X_ABSTRACT(element):
        if text := _all_text(part):
            label = (part.get("Label") or "").strip()
            sections.append(f"{label}: {text}" if label else text)
    dates = X_PUB_DATE(element)
    return Record(record_id=f"pubmed:{pmid}", source="pubmed", pmid=pmid, abstract="\n\n".join(sections),
                  pmcid=X_PMC(element), url=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
                  doi=X_DOI(element) or X_ELOCATION_DOI(element),
                  title=_spaced(X_TITLE(element)) or _spaced(X_VERNACULAR(element)), authors=authors,
                  journal=X_JOURNAL(element), year=_year(dates[0] if dates else None),
                  publication_types=[t.strip() for t in X_TYPES(element)],
                  mesh_terms=[t.strip() for t in X_MESH(element)], language=X_LANGUAGE(element))


def _book_record(element: etree._Element) -> Record:
    """Book chapters (e.g. StatPearls) come as PubmedBookArticle; keep them so counts match esearch."""
    document = _find(element, "BookDocument")
    book = _find(document, "Book")
    pmid = _text(document.find("PMID"))
    if not pmid:
        raise ReviewError("PubMed XML has a PubmedBookArticle without BookDocument/PMID")
    author_lists = document.findall("AuthorList") + book.findall("AuthorList")
    authors = next((a for a in author_lists if a.get("Type", "authors") == "authors"), None)
    id_lists = [document.find("ArticleIdList"), element.find("PubmedBookData/ArticleIdList")]
    return _record(
        pmid, document, id_lists, doi=_article_id(id_lists, "doi"),
        title=_text(document.find("ArticleTitle")) or _text(book.find("BookTitle")),
        authors=_authors(authors), journal=_text(book.find("BookTitle")), year=_year(book.find("PubDate")),
        publication_types=[_text(e) for e in document.findall("PublicationType")],
        language=_text(document.find("Language")))


ARTICLE_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")


def parse_pubmed_xml(stream: IO[bytes] | str | os.PathLike[str], name: str | None = None) -> Iterator[Record]:
    """Records from a PubmedArticleSet, parsed incrementally by lxml (C-level, events only for whole
    articles): each article is dropped once parsed, so memory stays flat however large the file. Entities
    are not expanded and nothing is fetched from the network. `name` labels the input in error messages."""
    name = name or str(getattr(stream, "name", stream if isinstance(stream, (str, os.PathLike)) else "input"))
    source = os.fspath(stream) if isinstance(stream, (str, os.PathLike)) else stream
    events = etree.iterparse(source, events=("end",), tag=ARTICLE_TAGS, resolve_entities=False, no_network=True,
                             load_dtd=False, huge_tree=False, remove_comments=True)
    checked = False
    try:
        for _, element in events:
            if not checked:
                _check_root(element.getroottree().getroot(), name)
                checked = True
            if element.tag == "PubmedArticle":
                yield _article_record(element)
            elif element.tag == "PubmedBookArticle":
                yield _book_record(element)
            element.clear(keep_tail=False)  # drop the finished article and what came before it
            while element.getprevious() is not None:
                del element.getparent()[0]
        if not checked:
            _check_root(events.root, name)
    except etree.XMLSyntaxError as exc:
        line, column = exc.position
        line = max(line, 1)  # an empty file is "at line 0"
        reason = exc.msg.rsplit(", line", 1)[0]
        raise ReviewError(f"PubMed XML ({name}) is malformed at line {line}, column {column}: {reason}") from None


def _check_root(root, name: str) -> None:
    if root is None or root.tag != "PubmedArticleSet":
        found = f"<{root.tag}>" if root is not None else "no element"
        raise ReviewError(f"PubMed XML ({name}): expected a PubmedArticleSet, found {found}")


def search_pubmed(term: str, since: date, until: date, client: PoliteClient | None = None,
                  progress: Progress | None = None) -> list[Record]:
    """Every PubMed record whose Entrez date falls in [since, until], or an error: a window counts as searched
    only when efetch delivered exactly the records esearch announced."""
    client = client or pubmed_client()
    count, webenv, query_key = esearch(client, term, since, until)
    records: list[Record] = []
    for number, batch in enumerate(efetch_batches(client, webenv, query_key, count, BATCH_SIZE)):
        records.extend(parse_pubmed_xml(io.BytesIO(batch), f"efetch batch at retstart {number * BATCH_SIZE}"))
        if progress:
            progress(len(records), count)
    if len(records) != count:
        raise IncompleteSearchError(
            f"PubMed esearch announced {count:,} records for {since} to {until} but efetch returned "
            f"{len(records):,}; nothing was written and the window stays unsearched, so the next run asks again")
    return records
