"""Where every file of the review lives, relative to the project root: the path half of the data catalog.

Stages take a Layout (or the Catalog, which is one) instead of spelling paths, so the one-way flow
raw -> screening -> extraction -> processed -> report is visible in one place (pipeline/catalog.py names
each dataset with its loader)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "review.toml"

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def search_log(self) -> Path:
        return self.raw / "search_log.csv"

    @property
    def fulltext(self) -> Path:
        return self.raw / "fulltext"

    @property
    def fulltext_index(self) -> Path:
        return self.fulltext / "index.csv"

    @property
    def ledger(self) -> Path:
        return self.root / "data" / "screening" / "ledger.csv"

    @property
    def reviewers(self) -> Path:
        return self.root / "data" / "screening" / "reviewers.csv"

    @property
    def duplicate_links(self) -> Path:
        return self.root / "data" / "screening" / "duplicate_links.csv"

    @property
    def queue(self) -> Path:
        return self.root / "data" / "screening" / "queue.csv"

    @property
    def extraction(self) -> Path:
        return self.root / "data" / "extraction"

    @property
    def appraisal(self) -> Path:
        return self.root / "data" / "appraisal"

    @property
    def dual_extraction(self) -> Path:
        return self.root / "data" / "dual_extraction"

    @property
    def cohorts(self) -> Path:
        return self.root / "data" / "context" / "cohorts.yaml"

    @property
    def claims(self) -> Path:
        return self.root / "data" / "claims.yaml"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def bibliography(self) -> Path:
        return self.root / "references.bib"

    @property
    def protocol(self) -> Path:
        return self.root / "PROTOCOL.md"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def latest_report(self) -> Path:
        return self.reports / "latest"

    @property
    def draft_report(self) -> Path:
        """Where a plain build goes once reports/latest points at a published version."""
        return self.reports / "draft"

    @property
    def lock(self) -> Path:
        """Held by every command that writes data/ or reports/ (at the root: taking it creates no folder)."""
        return self.root / ".lsr.lock"
