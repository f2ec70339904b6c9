"""The data catalog: every dataset the stages read or write, by name, relative to the project root.

Stages ask the catalog for paths instead of spelling them, so the one-way flow
raw -> screening -> extraction -> processed -> report is visible in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = (
    # (notebook, section title): executed in this order, shown in this order.
    ("00_summary.ipynb", "Summary"),
    ("01_search_and_selection.ipynb", "Search and selection"),
    ("02_patients.ipynb", "Characteristics of included patients"),
    ("03_kidney_lesions.ipynb", "Kidney lesions and associations"),
    ("04_treatment_outcomes.ipynb", "Treatments and outcomes"),
    ("05_claims.ipynb", "Claims checked"),
    ("06_quality_and_evidence.ipynb", "Quality and evidence table"),
    ("07_methods.ipynb", "Methods"),
)


@dataclass(frozen=True)
class Catalog:
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
    def ledger(self) -> Path:
        return self.root / "data" / "screening" / "ledger.csv"

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
