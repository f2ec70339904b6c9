"""The screening queue: records no reviewer has decided yet, ordered by a transparent relevance score.

The score only orders the queue, it never excludes: every queued record waits for a reviewer. Each term
group adds its weight once when any of its terms occurs in the title or abstract, so a reviewer can see
exactly why a record ranks where it does."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pipeline.core.atomic import write_if_changed
from pipeline.core.layout import Layout
from pipeline.core.tabular import csv_bytes

QUEUE_COLUMNS = ["record_id", "score", "matched", "source", "title", "year", "doi", "pmid", "url"]


@dataclass(frozen=True)
class TermGroup:
    name: str
    weight: int
    pattern: re.Pattern


def _group(name: str, weight: int, *terms: str) -> TermGroup:
    return TermGroup(name, weight, re.compile(r"\b(" + "|".join(terms) + r")", re.I))


TERM_GROUPS = (
    _group("DM spectrum", 3, "dermatomyosit", "amyopathic", "antisynthetase", "anti-synthetase", "myositis",
           "polymyosit", "MDA5", "NXP2", "TIF1", "Mi-2", "Jo-1", "heliotrope", "Gottron", "dermatomiosit",
           "dermatomyosite", "皮肌炎", "多发性肌炎"),
    _group("kidney", 3, "nephrotic", "nephropath", "glomerul", "proteinuria", "membranous", "minimal change",
           "FSGS", "segmental", "MPGN", "membranoproliferative", "IgA nephropathy", "crescent", "lupus nephritis",
           "thrombotic microangiopathy", "amyloid", "renal biopsy", "kidney biopsy", "nefr", "néphr", "肾", "腎"),
    _group("case design", 1, "case report", "case series", "we report", "we describe", "we present", "a case of",
           "year-old", "patient"),
)


def relevance(title: str, abstract: str) -> tuple[int, list[str]]:
    text = f"{title or ''} {abstract or ''}"
    matched = [group for group in TERM_GROUPS if group.pattern.search(text)]
    return sum(group.weight for group in matched), [group.name for group in matched]


def queue_frame(records: pd.DataFrame, canonical: dict[str, str], ledger: pd.DataFrame) -> pd.DataFrame:
    decided = set(ledger.record_id)
    waiting = records[[canonical[r] == r and r not in decided for r in records.record_id]]
    rows = []
    for record in waiting.itertuples():
        score, matched = relevance(record.title, record.abstract)
        rows.append({"record_id": record.record_id, "score": score, "matched": "; ".join(matched),
                     "source": record.source, "title": record.title, "year": record.year, "doi": record.doi,
                     "pmid": record.pmid, "url": record.url})
    frame = pd.DataFrame(rows, columns=QUEUE_COLUMNS)
    return frame.sort_values(["score", "record_id"], ascending=[False, True], kind="stable").reset_index(drop=True)


def recall_at(queue_scores: pd.DataFrame, decisions: pd.DataFrame) -> pd.DataFrame:
    """How the score would have ordered records reviewers already decided: the share of included records
    found within the top k of the ordering, for several k."""
    merged = queue_scores.merge(decisions, on="record_id")
    merged = merged.sort_values(["score", "record_id"], ascending=[False, True], kind="stable")
    included = merged.decision.eq("include")
    total = int(included.sum())
    rows = []
    for share in (0.1, 0.25, 0.5, 1.0):
        k = max(1, round(share * len(merged)))
        found = int(included.iloc[:k].sum())
        rows.append({"screened share": f"{share:.0%}", "records": k, "includes found": found,
                     "recall": round(found / total, 3) if total else None})
    return pd.DataFrame(rows)


def write_queue(catalog: Layout) -> int:
    """Rewrite data/screening/queue.csv (only if it changed); return how many records wait."""
    from pipeline.screen.ledger import read_ledger
    from pipeline.search.dedupe import project_links
    from pipeline.search.records import read_project_records

    records = read_project_records(catalog)
    ledger = read_ledger(catalog.ledger, set(records.record_id))
    frame = queue_frame(records, project_links(catalog, records), ledger)
    write_if_changed(catalog.queue, csv_bytes(frame))
    return len(frame)


def highlight(text: str) -> str:
    """The text, HTML-escaped, with the scoring terms marked, so a reviewer sees why a record ranks high."""
    import html

    escaped = html.escape(text or "")
    for group in TERM_GROUPS:
        escaped = group.pattern.sub(lambda m, name=group.name: f"<mark title='{name}'>{m.group(0)}</mark>", escaped)
    return escaped


def scored_records(records: pd.DataFrame) -> pd.DataFrame:
    """Every record with its relevance score (for measuring the ordering against decisions already made)."""
    return pd.DataFrame({"record_id": records.record_id,
                         "score": [relevance(t, a)[0] for t, a in zip(records.title, records.abstract)]})
