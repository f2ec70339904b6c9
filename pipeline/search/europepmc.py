"""Live Europe PMC search through its REST API, paged with cursorMark, parsed into Records."""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from pipeline.core.errors import IncompleteSearchError, ReviewError
from pipeline.search.http import PoliteClient
from pipeline.search.records import Record

DEFAULT_URL = "https://www.ebi.ac.uk/europepmc/webservices/rest/"
MIN_INTERVAL_S = 0.2  # Europe PMC publishes no hard limit; stay well under 10 requests/s
Progress = Callable[[int, int], object]
MAX_RECORDS = 100_000  # as for PubMed: a larger hit count means the query or the window is wrong

# Block-level tags become a space ("<h4>Methods</h4><p>We" -> "Methods We"); inline ones vanish ("m<sup>2</sup>").
_BLOCK_TAG = re.compile(r"</?(?:p|h\d|br|div|li|ul|ol|section|title|table|tr|td)\b[^>]*>", re.IGNORECASE)
_ANY_TAG = re.compile(r"<[^>]+>")


def europepmc_client(*, max_tries: int = 5, timeout_s: float = 30, sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic) -> PoliteClient:
    return PoliteClient(os.environ.get("LSR_EUROPEPMC_URL", DEFAULT_URL), MIN_INTERVAL_S, max_tries=max_tries,
                        timeout_s=timeout_s, sleep=sleep, clock=clock)


def strip_html(text: str) -> str:
    text = _ANY_TAG.sub("", _BLOCK_TAG.sub(" ", text or ""))
    return " ".join(html.unescape(text).split())


def _year(value: Any) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def parse_result(item: dict[str, Any]) -> Record:
    """One item of resultList.result (resultType=core) as a Record."""
    if not isinstance(item, dict):
        raise ReviewError(f"Europe PMC result is not an object: {str(item)[:200]}")
    source, identifier = str(item.get("source") or ""), str(item.get("id") or "")
    if not source or not identifier:
        raise ReviewError(f"Europe PMC result without id or source: {str(item)[:200]}")
    journal = ((item.get("journalInfo") or {}).get("journal") or {}).get("title") or item.get("journalTitle") or ""
    author_string = str(item.get("authorString") or "").strip().rstrip(".")  # "Smith J, Doe A."
    mesh = (item.get("meshHeadingList") or {}).get("meshHeading") or []
    return Record(
        record_id=f"europepmc:{source}:{identifier}", source="europepmc", title=strip_html(item.get("title", "")),
        abstract=strip_html(item.get("abstractText", "")),
        authors=[a.strip() for a in author_string.split(", ") if a.strip()], journal=str(journal).strip(),
        year=_year(item.get("pubYear")), pmid=str(item.get("pmid") or ""), doi=str(item.get("doi") or ""),
        pmcid=str(item.get("pmcid") or ""),
        publication_types=list((item.get("pubTypeList") or {}).get("pubType") or []),
        mesh_terms=[m["descriptorName"] for m in mesh if m.get("descriptorName")],
        language=str(item.get("language") or ""), url=f"https://europepmc.org/article/{source}/{identifier}")


def search_europepmc(query: str, since: date, until: date, client: PoliteClient | None = None,
                     page_size: int = 1000, progress: Progress | None = None) -> list[Record]:
    """Every Europe PMC record first published in [since, until] that matches `query`, or an error: the pages
    must deliver the announced hit count, and each cursor must be new (a server repeating cursors would
    otherwise be followed forever)."""
    client = client or europepmc_client()
    params: dict[str, str | int] = {
        "query": f"({query}) AND FIRST_PDATE:[{since.isoformat()} TO {until.isoformat()}]",
        "format": "json", "resultType": "core", "pageSize": page_size, "cursorMark": "*"}
    records: list[Record] = []
    seen_cursors = {"*"}
    announced: int | None = None
    while True:
        response = client.get("search", params)
        try:
            payload = response.json()
        except ValueError:
            raise ReviewError(f"Europe PMC returned a response that is not JSON (cursorMark {params['cursorMark']}): "
                              f"{response.text[:200]!r}") from None
        result_list = payload.get("resultList") if isinstance(payload, dict) else None
        if not isinstance(result_list, dict):
            detail = payload.get("errMsg") if isinstance(payload, dict) else None
            raise ReviewError(f"Europe PMC response has no resultList (cursorMark {params['cursorMark']})"
                              + (f": {detail}" if detail else ""))
        total = payload.get("hitCount")
        if announced is None and isinstance(total, int) and not isinstance(total, bool):
            if not 0 <= total <= MAX_RECORDS:
                raise ReviewError(f"Europe PMC announced {total:,} records for {since} to {until}, more than the "
                                  f"{MAX_RECORDS:,} one run takes; narrow the query or the date window")
            announced = total
        results = result_list.get("result") or []
        records.extend(parse_result(item) for item in results)
        if progress:
            progress(len(records), announced if announced is not None else len(records))
        next_cursor = payload.get("nextCursorMark")
        if not results or not next_cursor or next_cursor == params["cursorMark"]:
            break
        if next_cursor in seen_cursors:
            raise IncompleteSearchError(f"Europe PMC repeated the cursor {next_cursor!r} after {len(records):,} "
                                        f"records; nothing was written, run again later")
        if len(records) > MAX_RECORDS:
            raise IncompleteSearchError(f"Europe PMC sent more than {MAX_RECORDS:,} records without announcing "
                                        f"them; nothing was written")
        seen_cursors.add(next_cursor)
        params["cursorMark"] = next_cursor
    if announced is not None and len(records) != announced:
        raise IncompleteSearchError(
            f"Europe PMC announced {announced:,} records for {since} to {until} but delivered {len(records):,}; "
            f"nothing was written and the window stays unsearched, so the next run asks again")
    return records
