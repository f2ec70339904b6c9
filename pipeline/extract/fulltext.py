"""Open-access full texts: fetched once from Europe PMC's full-text endpoint (JATS XML), kept immutable under
data/raw/fulltext/<PMCID>.xml, and listed in data/raw/fulltext/index.csv with their SHA-256 and retrieval
date, or with the reason there is none (no PMCID, not open access, refused as unsafe).

A rerun fetches only what the index does not hold yet. A fault (the server unreachable, a cut-off file) is
not written down, so the next run tries again; everything fetched before the fault stays."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import write_bytes_atomic, write_text_atomic
from pipeline.core.errors import InvalidDataError, NotFoundError, ReviewError, SourceUnreachableError
from pipeline.core.layout import Layout
from pipeline.core.tabular import csv_bytes, read_csv_strict
from pipeline.extract.jats import Article, UnsafeXML, parse_jats
from pipeline.search.http import PoliteClient

INDEX_COLUMNS = ("record_id", "pmcid", "status", "reason", "sha256", "retrieved", "file")
STORED, NOT_AVAILABLE = "stored", "not available"


@dataclass(frozen=True)
class Target:
    record_id: str
    pmcid: str  # "" when the record has none


@dataclass
class FetchSummary:
    stored: list[str] = field(default_factory=list)
    not_available: list[tuple[str, str]] = field(default_factory=list)  # (record, reason)
    already_held: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (record, fault): tried again next run


def read_index(layout: Layout, check_files: bool = False) -> pd.DataFrame:
    """The full-text index; with `check_files`, every stored file must exist and still match its SHA-256."""
    path = layout.fulltext_index
    if not path.exists():
        return pd.DataFrame(columns=list(INDEX_COLUMNS))
    rows = read_csv_strict(path, INDEX_COLUMNS)
    problems = []
    for line, row in rows:
        where = f"{path}:{line}"
        if row["status"] not in (STORED, NOT_AVAILABLE):
            problems.append(f"{where}: status: not one of {STORED} | {NOT_AVAILABLE} ({row['status']})")
        if row["status"] == NOT_AVAILABLE and not row["reason"].strip():
            problems.append(f"{where}: reason: say why there is no full text ()")
        if row["status"] == STORED and check_files:
            stored = layout.fulltext / row["file"]
            if not stored.is_file() or Path(row["file"]).name != row["file"]:
                problems.append(f"{where}: file: no such file under {layout.fulltext} ({row['file']})")
            elif hashlib.sha256(stored.read_bytes()).hexdigest() != row["sha256"]:
                problems.append(f"{where}: sha256: the stored full text changed since it was fetched ({row['file']})")
    if problems:
        raise InvalidDataError(problems)
    return pd.DataFrame([row for _, row in rows], columns=list(INDEX_COLUMNS))


def stored_article(layout: Layout, record_id: str, pmcid: str = "") -> Article | None:
    """The parsed full text held for a record (or for its PMCID under another record), else None."""
    index = read_index(layout)
    held = index[(index.status == STORED) & ((index.record_id == record_id) | ((index.pmcid == pmcid) & (pmcid != "")))]
    if held.empty:
        return None
    path = layout.fulltext / held.iloc[0].file
    return parse_jats(path.read_bytes(), str(path))


def fetch(layout: Layout, targets: Iterable[Target], client: PoliteClient,
          today: Callable[[], date] = date.today) -> FetchSummary:
    """Fetch what the index does not hold, one article at a time, each stored before the next is asked for."""
    summary = FetchSummary()
    index = read_index(layout)
    held = {row.record_id for row in index.itertuples()}
    by_pmcid = {row.pmcid: row for row in index.itertuples() if row.status == STORED}
    for target in targets:
        if target.record_id in held:
            summary.already_held.append(target.record_id)
            continue
        row = {"record_id": target.record_id, "pmcid": target.pmcid, "reason": "", "sha256": "", "file": "",
               "retrieved": today().isoformat()}
        if not target.pmcid:
            row |= {"status": NOT_AVAILABLE, "reason": "no PMCID: not in PubMed Central"}
        elif target.pmcid in by_pmcid:  # the same article under another record (a duplicate)
            copy = by_pmcid[target.pmcid]
            row |= {"status": STORED, "sha256": copy.sha256, "file": copy.file, "retrieved": copy.retrieved}
        else:
            try:
                data = client.get(f"{target.pmcid}/fullTextXML", {}).content
                parse_jats(data, target.pmcid)
            except NotFoundError:
                row |= {"status": NOT_AVAILABLE, "reason": "no open-access full text at Europe PMC (HTTP 404)"}
            except UnsafeXML as exc:
                row |= {"status": NOT_AVAILABLE, "reason": f"refused: {exc}"}
            except SourceUnreachableError as exc:
                summary.failed.append((target.record_id, str(exc)))
                break  # the source is down: the rest would fail the same way
            except ReviewError as exc:  # a cut-off file (BrokenXML) or a refused request
                summary.failed.append((target.record_id, str(exc)))
                continue
            else:
                name = f"{target.pmcid}.xml"
                write_bytes_atomic(layout.fulltext / name, data)
                row |= {"status": STORED, "sha256": hashlib.sha256(data).hexdigest(), "file": name}
        index = pd.concat([index, pd.DataFrame([row], columns=list(INDEX_COLUMNS))], ignore_index=True)
        layout.fulltext.mkdir(parents=True, exist_ok=True)
        write_text_atomic(layout.fulltext_index, csv_bytes(index).decode("utf-8"))
        held.add(target.record_id)
        if row["status"] == STORED:
            by_pmcid[target.pmcid] = next(index.tail(1).itertuples())
            summary.stored.append(target.record_id)
        else:
            summary.not_available.append((target.record_id, row["reason"]))
    return summary


def default_targets(records: pd.DataFrame, decisions: pd.DataFrame, studies: pd.DataFrame) -> list[Target]:
    """Every record sought at full text, and every included study's record, with its PMCID where known (from
    the record, else from the study's form)."""
    sought = set(decisions[decisions.stage == "full text"].record_id) | set(studies.record_id)
    pmcid_of = dict(zip(studies.record_id, studies.pmcid.fillna(""))) if "pmcid" in studies else {}
    by_id = records.drop_duplicates("record_id").set_index("record_id")
    out = []
    for record_id in sorted(sought):
        pmcid = str(by_id.pmcid.get(record_id, "") or "") if record_id in by_id.index else ""
        pmcid = (pmcid or str(pmcid_of.get(record_id, "") or "")).strip().upper()
        out.append(Target(record_id, pmcid if pmcid.startswith("PMC") else ""))
    return out
