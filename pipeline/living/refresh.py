"""`lsr refresh`: the scheduled run. Search (live with --online), queue new records, validate, and publish a
new version when the results or the methods changed; do nothing, quickly, when no input changed.

Versions live in reports/vN/ with reports/latest pointing at the newest; reports/versions.json holds the
version records, from which reports/index.html and CHANGELOG.md are generated."""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.core.atomic import write_text_atomic
from pipeline.core.layout import Layout
from pipeline.core.lock import project_lock
from pipeline.core.provenance import input_files
from pipeline.report.versions import (
    VERSIONS_FILE,
    Version,
    read_versions,
    table_changes,
    table_digests,
    versions_json,
)

if TYPE_CHECKING:  # the no-change path must not pay for pandas, papermill and friends
    from pipeline.catalog import ReviewData

EXIT_PUBLISHED = 0
EXIT_AWAITING_SCREENING = 7
STATE_FILE = "state.json"


@dataclass(frozen=True)
class Outcome:
    code: int
    message: str


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def method_files(root: Path) -> list[Path]:
    """What decides how the evidence is analysed and shown: notebooks, config, protocol, claims, code."""
    root = Path(root)
    files = [*sorted((root / "notebooks").glob("*.ipynb")), *sorted((root / "pipeline").rglob("*.py"))]
    return files + [p for p in (root / "review.toml", root / "PROTOCOL.md", root / "data" / "claims.yaml") if p.exists()]


def input_digest(root: Path) -> str:
    """One digest over every input of a build: data (not the derived data/processed), config, code."""
    root = Path(root)
    digest = hashlib.sha256()
    for path in sorted(set(input_files(root)) | set(method_files(root)), key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + _sha(path).encode())
    return digest.hexdigest()


def result_numbers(data: ReviewData) -> dict[str, float]:
    """The numbers a reader would quote; a change in any of them makes a new version."""
    from pipeline.core import vocabulary as v

    patients = data.tidy.patients
    dm = patients[~patients.myositis_type.isin(v.COMPARATOR_TYPES)]
    numbers: dict[str, float] = {
        "included studies": len(data.tidy.studies),
        "patients (all strata)": len(patients),
        "patients (DM spectrum)": len(dm),
        "context studies": len(data.cohorts),
        "DM-spectrum patients with nephrotic syndrome or nephrotic-range proteinuria": int(
            dm.kidney_presentation.isin(["nephrotic syndrome", "nephrotic-range proteinuria"]).sum()),
    }
    for lesion, count in dm.renal_histology.value_counts().sort_index().items():
        numbers[f"DM-spectrum patients with {lesion}"] = int(count)
    for outcome, count in dm.renal_outcome.value_counts().sort_index().items():
        numbers[f"DM-spectrum renal outcome: {outcome}"] = int(count)
    return numbers


def next_version(previous: Version | None, data: ReviewData, methods: dict[str, str], digest: str, date: str,
                 how: str, tables: dict[str, bytes], previous_tables: dict[str, bytes] | None = None) -> Version | None:
    """The version to publish, or None when no published value and no method changed since `previous`.
    `previous_tables` are the tables `previous` published (to say which values moved)."""
    studies = sorted(data.tidy.studies.study_id)
    numbers = result_numbers(data)
    digests = table_digests(tables)
    if previous is None:
        return Version(1, date, f"{how}: first publication", digest, studies, numbers, studies_added=studies,
                       method_files=methods, tables=digests)
    added = sorted(set(studies) - set(previous.studies))
    removed = sorted(set(previous.studies) - set(studies))
    moved = {name: [previous.numbers.get(name, 0), value] for name, value in numbers.items()
             if previous.numbers.get(name, 0) != value}
    moved.update({name: [value, 0] for name, value in previous.numbers.items() if name not in numbers and value})
    changed_methods = sorted(name for name in set(methods) | set(previous.method_files)
                             if methods.get(name) != previous.method_files.get(name))
    if previous_tables:
        values = table_changes(previous_tables, tables)
    else:  # the previous version's folder is gone: say which tables differ
        values = [f"{name} changed" for name in sorted(set(digests) | set(previous.tables))
                  if previous.tables and digests.get(name) != previous.tables.get(name)]
    if not (added or removed or moved or changed_methods or values):
        return None
    reasons = [r for r, present in (("new or removed studies", added or removed), ("numbers changed", moved),
                                    ("values changed", values and not (added or removed or moved)),
                                    ("methods changed", changed_methods)) if present]
    return Version(previous.number + 1, date, f"{how}: {', '.join(reasons)}", digest, studies, numbers,
                   studies_added=added, studies_removed=removed, numbers_moved=moved,
                   methods_changed=changed_methods, previous=previous.number, method_files=methods,
                   tables=digests, values_changed=values)


def published_tables(reports: Path, version: Version | None) -> dict[str, bytes]:
    folder = reports / version.folder / "data" if version is not None else None
    if folder is None or not folder.is_dir():
        return {}
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


def _point_latest(reports: Path, folder: str) -> None:
    """Swap reports/latest to the new version folder atomically (a symlink replaced by rename)."""
    latest = reports / "latest"
    temporary = reports / f".latest.{os.getpid()}.tmp"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(folder, target_is_directory=True)
    if latest.is_dir() and not latest.is_symlink():  # an unversioned `lsr build` left a real folder
        shutil.rmtree(latest)
    os.replace(temporary, latest)


def _clean_unrecorded(reports: Path, versions: list[Version]) -> None:
    """Version folders a killed run built but never recorded (staging debris goes with the project lock)."""
    recorded = {ver.folder for ver in versions}
    for path in reports.glob("v[0-9]*"):
        if path.is_dir() and not path.is_symlink() and path.name not in recorded:
            shutil.rmtree(path, ignore_errors=True)


def versions_index(versions: list[Version]) -> str:
    rows = "".join(
        f"<tr><td><a href='{ver.folder}/index.html'>Version {ver.number}</a></td><td>{html.escape(ver.date)}</td>"
        f"<td>{html.escape(ver.trigger)}</td><td>{len(ver.studies)}</td></tr>" for ver in reversed(versions))
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Versions of the review</title>"
            "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem;color:#1d2330}td,th{padding:.3rem .8rem;"
            "border-bottom:1px solid #d9dde5;text-align:left}</style></head><body><h1>Versions of the review</h1>"
            "<p><a href='latest/index.html'>Latest version</a></p><table><tr><th>version</th><th>date</th>"
            f"<th>trigger</th><th>studies</th></tr>{rows}</table></body></html>\n")


def changelog(versions: list[Version]) -> str:
    lines = ["# Changelog", "", "Generated from reports/versions.json by `lsr refresh`; do not edit by hand.", ""]
    for ver in reversed(versions):
        lines += [f"## Version {ver.number} ({ver.date})", "", *[f"- {line}" for line in ver.change_lines()], ""]
    return "\n".join(lines)


def _read_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def refresh(root: Path, online: bool = False, search: Callable[[Layout], int] | None = None,
            clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
            progress: Callable[[str], None] = lambda name: None) -> Outcome:
    catalog = Layout(Path(root).resolve())
    reports = catalog.reports
    with project_lock(catalog):
        versions = read_versions(catalog.root)
        _clean_unrecorded(reports, versions)
        how = "scheduled refresh" if os.environ.get("GITHUB_EVENT_NAME") == "schedule" else "manual refresh"
        if online:
            if search is None:
                from pipeline.search.run import search_online as search
            search(catalog)
        state_path = reports / STATE_FILE
        state = _read_state(state_path)
        digest = input_digest(catalog.root)
        if (reports / "latest" / "index.html").exists() and state.get("digest") == digest:
            # The queue, the tables and the report are all functions of these inputs: nothing to redo.
            return _finish(state.get("waiting", 0), "nothing to do: no input changed since the last run")

        from pipeline.catalog import load_review_data, tables_csv
        from pipeline.report.build import build
        from pipeline.screen.queue import write_queue

        waiting = write_queue(catalog)
        digest = input_digest(catalog.root)  # the queue file is an input too
        data = load_review_data(catalog)
        methods = {p.relative_to(catalog.root).as_posix(): _sha(p) for p in method_files(catalog.root)}
        previous = versions[-1] if versions else None
        version = next_version(previous, data, methods, digest, clock().strftime("%Y-%m-%d"), how,
                               tables_csv(data.tables), published_tables(reports, previous))
        new_state = json.dumps({"digest": digest, "waiting": waiting})
        if version is None:
            write_text_atomic(state_path, new_state)
            return _finish(waiting, f"results unchanged: version {versions[-1].number} stays the latest")
        build(catalog.root, output=reports / version.folder, clock=clock, progress=progress,
              version=f"{version.number} ({version.date})", version_record=version, publish_tables=True, data=data)
        versions = [*versions, version]
        write_text_atomic(reports / VERSIONS_FILE, versions_json(versions))
        _point_latest(reports, version.folder)
        write_text_atomic(reports / "index.html", versions_index(versions))
        write_text_atomic(catalog.root / "CHANGELOG.md", changelog(versions))
        write_text_atomic(state_path, new_state)
        return _finish(waiting, f"published version {version.number}: {version.trigger}")


def _finish(waiting: int, message: str) -> Outcome:
    if waiting:
        return Outcome(EXIT_AWAITING_SCREENING, f"{message}; {waiting} record(s) await screening "
                                                f"(data/screening/queue.csv)")
    return Outcome(EXIT_PUBLISHED, message)
