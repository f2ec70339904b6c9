"""Published versions of the review (PRISMA-LSR): each with its number, date, trigger, the changes since the
preceding version and a link to it. Kept in reports/versions.json; CHANGELOG.md and the report's "what's
new" are generated from these records."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

VERSIONS_FILE = "versions.json"


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
