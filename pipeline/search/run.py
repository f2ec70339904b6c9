"""The living search: take in only what is new from each source, write it once under data/raw, log the run,
and leave deduplication and queueing to the stages that read data/raw.

All sources of a run are fetched before anything is written, so a run that fails part-way writes nothing:
no half snapshot, no moved "last searched" date."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import write_bytes_atomic
from pipeline.core.config import load_config
from pipeline.core.errors import ReviewError
from pipeline.core.identifiers import check_source_name
from pipeline.core.layout import Layout
from pipeline.core.lock import project_lock
from pipeline.core.tabular import csv_bytes
from pipeline.search.records import (
    SEARCH_LOG_COLUMNS,
    Record,
    read_all_records,
    read_search_log,
    write_snapshot,
)

EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class RunSummary:
    source: str
    retrieved: int
    new: int
    written: bool


def last_searched(search_log: pd.DataFrame, source: str) -> date | None:
    runs = search_log[search_log.source == source]
    return None if runs.empty else date.fromisoformat(runs.run_at.max()[:10])


def _new_only(records: list[Record], seen: set[str]) -> list[Record]:
    fresh, ids = [], set()
    for record in records:
        if record.record_id not in seen and record.record_id not in ids:
            fresh.append(record)
            ids.add(record.record_id)
    return fresh


def _append_log(catalog: Layout, rows: list[dict]) -> None:
    log = read_search_log(catalog.search_log)
    frame = pd.concat([log, pd.DataFrame(rows, columns=list(SEARCH_LOG_COLUMNS))], ignore_index=True)
    write_bytes_atomic(catalog.search_log, csv_bytes(frame))


def _run_id(catalog: Layout, source: str, day: date) -> str:
    run_id, n = day.isoformat(), 2
    while (catalog.raw / source / run_id).exists():
        run_id, n = f"{day.isoformat()}-{n}", n + 1
    return run_id


Fetcher = Callable[[str, date, date], list[Record]]


def default_fetchers(progress_factory=None) -> dict[str, Fetcher]:
    from pipeline.search.europepmc import search_europepmc
    from pipeline.search.pubmed import search_pubmed

    def with_progress(search, label):
        def fetch(query, since, until):
            progress = progress_factory(label) if progress_factory else None
            return search(query, since, until, progress=progress)
        return fetch

    return {"pubmed": with_progress(search_pubmed, "PubMed"), "europepmc": with_progress(search_europepmc, "Europe PMC")}


def search_online(catalog: Layout, fetchers: dict[str, Fetcher] | None = None,
                  clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> list[RunSummary]:
    """Query each live source for records added since its last successful search; write what is new."""
    config = load_config(catalog.root)
    fetchers = fetchers if fetchers is not None else default_fetchers()
    with project_lock(catalog):
        return _search_online(catalog, config, fetchers, clock)


def _search_online(catalog: Layout, config, fetchers: dict[str, Fetcher], clock) -> list[RunSummary]:
    log = read_search_log(catalog.search_log)
    seen = set(read_all_records(catalog.raw, log).record_id)
    today = clock().date()
    fetched = []
    for name, source in config.sources.items():
        if source.kind not in fetchers:
            continue
        since = last_searched(log, name) or EARLIEST
        records = fetchers[source.kind](source.query, since, today)  # raises: nothing has been written yet
        fetched.append((name, source, since, records))
    summaries, rows = [], []
    for name, source, since, records in fetched:
        fresh = _new_only(records, seen)
        seen |= {r.record_id for r in fresh}
        if not fresh and last_searched(log, name) == today:
            summaries.append(RunSummary(name, len(records), 0, False))  # a second run today adds nothing
            continue
        run_id = _run_id(catalog, name, today)
        relative = write_snapshot(catalog.raw, name, run_id, fresh)
        rows.append({"run_id": run_id, "source": name, "run_at": clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
                     "query": source.query, "date_from": since.isoformat(), "date_to": today.isoformat(),
                     "n_results": len(records), "n_new": len(fresh), "file": relative,
                     "note": "live search by lsr search --online"})
        summaries.append(RunSummary(name, len(records), len(fresh), True))
    if rows:
        _append_log(catalog, rows)
    return summaries


def import_file(catalog: Layout, path: Path, source: str, fmt: str | None = None,
                clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> RunSummary:
    """Take in a database export (RIS, MEDLINE/nbib, BibTeX, CSV): its new records and the file itself,
    kept beside them as received."""
    from pipeline.search.imports import read_export

    path = Path(path)
    check_source_name(source)
    configured = load_config(catalog.root).sources.get(source)
    if configured is not None and configured.kind != "import":
        raise ReviewError(f"--source {source} is the review's {configured.label} ({configured.kind}); imports go "
                          f"under a source name of their own (e.g. embase, scopus), never into another source's "
                          f"raw folder")
    if not path.exists():
        raise ReviewError(f"{path}: no such file")
    records = read_export(path, source, fmt)  # every problem is found before anything is written
    with project_lock(catalog):
        log = read_search_log(catalog.search_log)
        seen = set(read_all_records(catalog.raw, log).record_id)
        fresh = _new_only(records, seen)
        today = clock().date()
        run_id = _run_id(catalog, source, today)
        relative = write_snapshot(catalog.raw, source, run_id, fresh)
        shutil.copyfile(path, catalog.raw / source / run_id / f"original{path.suffix}")
        _append_log(catalog, [{"run_id": run_id, "source": source,
                               "run_at": clock().strftime("%Y-%m-%dT%H:%M:%SZ"), "query": f"import of {path.name}",
                               "date_from": "", "date_to": today.isoformat(), "n_results": len(records),
                               "n_new": len(fresh), "file": relative, "note": "file export imported by lsr import"}])
    return RunSummary(source, len(records), len(fresh), True)
