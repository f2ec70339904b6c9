"""Published versions of the review (PRISMA-LSR): each with its number, date, trigger, the changes since the
preceding version and a link to it. Kept in reports/versions.json; CHANGELOG.md and the report's "what's
new" are generated from these records."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

VERSIONS_FILE = "versions.json"
# The columns that identify a row of each published table, for saying which values moved.
TABLE_KEYS = {"studies.csv": ["study_id"], "patients.csv": ["patient_id"], "treatments.csv": ["patient_id", "agent"],
              "appraisals.csv": ["study_id", "item"], "cohorts.csv": ["study_id"], "prisma.csv": ["data"],
              "screening_decisions.csv": ["record_id", "stage"], "meta_inputs.csv": ["outcome", "study_id"],
              "meta_pooled.csv": ["outcome", "method"]}
MAX_CHANGE_LINES = 40


@dataclass(frozen=True)
class Version:
    number: int
    date: str
    trigger: str
    digest: str
    studies: list[str]
    numbers: dict[str, float]
    studies_added: list[str] = field(default_factory=list)
    studies_removed: list[str] = field(default_factory=list)
    numbers_moved: dict[str, list[float]] = field(default_factory=dict)
    methods_changed: list[str] = field(default_factory=list)
    previous: int | None = None
    method_files: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)  # SHA-256 of each published table
    values_changed: list[str] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return f"v{self.number}"

    def change_lines(self) -> list[str]:
        if self.previous is None:
            return [f"Version {self.number} ({self.date}) is the first version: {self.trigger}."]
        lines = [f"Version {self.number} ({self.date}), after version {self.previous}: {self.trigger}."]
        if self.studies_added:
            lines.append("Studies added: " + ", ".join(self.studies_added) + ".")
        if self.studies_removed:
            lines.append("Studies removed: " + ", ".join(self.studies_removed) + ".")
        for name, (before, after) in self.numbers_moved.items():
            lines.append(f"{name}: {before:g} -> {after:g}.")
        if self.values_changed:
            lines.append("Values changed: " + "; ".join(self.values_changed) + ".")
        if self.methods_changed:
            lines.append("Methods changed: " + ", ".join(self.methods_changed) + ".")
        if len(lines) == 1:
            lines.append("No study or number changed.")
        return lines


def read_version_record(path: Path) -> Version | None:
    return Version(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def read_versions(project_root: str | Path) -> list[Version]:
    path = Path(project_root) / "reports" / VERSIONS_FILE
    if not path.exists():
        return []
    return [Version(**entry) for entry in json.loads(path.read_text(encoding="utf-8"))]


def versions_json(versions: list[Version]) -> str:
    return json.dumps([asdict(v) for v in versions], indent=2, ensure_ascii=False) + "\n"


def table_digests(tables: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.sha256(content).hexdigest() for name, content in sorted(tables.items())}


def _keyed_rows(content: bytes, keys: list[str]) -> dict[tuple, dict[str, str]] | None:
    import pandas as pd

    frame = pd.read_csv(io.BytesIO(content), dtype=str, keep_default_na=False)
    if not set(keys) <= set(frame.columns):
        return None
    occurrence = frame.groupby(keys, sort=False).cumcount()  # a patient can get the same agent twice
    return {(*(row[k] for k in keys), int(n)): row for (_, row), n in zip(frame.iterrows(), occurrence)}


def table_changes(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """What moved between two sets of published tables, value by value where rows have a key."""
    lines: list[str] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if old is None or new is None:
            lines.append(f"{name} {'added' if old is None else 'removed'}")
            continue
        keys = TABLE_KEYS.get(name)
        old_rows = _keyed_rows(old, keys) if keys else None
        new_rows = _keyed_rows(new, keys) if keys else None
        if old_rows is None or new_rows is None:
            lines.append(f"{name} changed")
            continue
        for key in sorted(set(old_rows) | set(new_rows), key=str):
            label = "/".join(str(part) for part in key[:-1]) + (f" ({key[-1] + 1})" if key[-1] else "")
            if key not in old_rows or key not in new_rows:
                lines.append(f"{name} {label}: row {'added' if key not in old_rows else 'removed'}")
                continue
            for column, value in new_rows[key].items():
                previous = old_rows[key].get(column)
                if previous != value:
                    lines.append(f"{name} {label}: {column} {previous or 'empty'} -> {value or 'empty'}")
    if len(lines) > MAX_CHANGE_LINES:
        lines = lines[:MAX_CHANGE_LINES] + [f"and {len(lines) - MAX_CHANGE_LINES} more"]
    return lines
