"""The data catalog: every dataset of the review's DAG by name, with its path, the stage that writes it, the
stages that read it, and its loader.

    search -> dedupe -> screen -> extract -> synthesis -> report, with living/ refreshing around it

Stages are pure functions over frames with their I/O at the edges; the catalog is where the edges meet.
Notebooks ask it for what they narrate (`Catalog.for_notebook(globals())`, then `.tables()` and
`.selected_patients()`), and within one build (one kernel) each is computed once, whatever the number of
notebooks. `python -m pipeline.catalog` prints the datasets as the README's table."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pybtex.database import BibliographyData

from pipeline.core.config import PARAMETER_HELP, load_config
from pipeline.core.errors import InvalidDataError, ReviewError
from pipeline.core.layout import Layout
from pipeline.core.tabular import csv_bytes, read_table
from pipeline.extract.context import read_cohorts, read_proportions
from pipeline.extract.dual import agreement_by_field, read_comparison
from pipeline.extract.fulltext import read_index as read_fulltext_index
from pipeline.extract.references import bibliography_problems, load_bibliography
from pipeline.extract.tables import TidyTables, compile_tables, read_forms
from pipeline.screen.agreement import agreement, coverage
from pipeline.screen.ledger import (
    final_decisions,
    not_retrieved,
    read_ledger,
    read_reviewers,
)
from pipeline.screen.prisma import flow, prisma_frame
from pipeline.search.dedupe import duplicates_frame, project_links, read_manual_links
from pipeline.search.records import read_all_records, read_search_log
from pipeline.synthesis.claims import read_claims
from pipeline.synthesis.meta import pooled_table
from pipeline.synthesis.selection import select_patients


@dataclass(frozen=True)
class Dataset:
    name: str
    path: str
    written_by: str
    read_by: str
    description: str
    once_run: str = ""  # the command whose first run creates it (absent until then)


DATASETS = (
    Dataset("configuration", "review.toml", "reviewers", "every stage",
            "the question, the sources and their queries, the report parameters"),
    Dataset("raw records", "data/raw/<source>/<run>/records.csv", "search", "dedupe, screen",
            "every search result or imported record, written once, never edited"),
    Dataset("search log", "data/raw/search_log.csv", "search", "dedupe, screen, report",
            "one row per search run or import: query, dates, counts"),
    Dataset("duplicate links", "(computed)", "search/dedupe", "screen, report",
            "each record's canonical record: PMID, DOI, PMCID or title + year + first author"),
    Dataset("screening ledger", "data/screening/ledger.csv", "reviewers", "screen, report",
            "one row per screening decision, blind, settled by consensus rows"),
    Dataset("screening queue", "data/screening/queue.csv", "screen", "reviewers",
            "records no reviewer has decided yet, by relevance"),
    Dataset("full texts", "data/raw/fulltext/index.csv", "extract/fulltext", "extract, reviewers",
            "open-access JATS full texts, each kept once as <PMCID>.xml with its SHA-256 and date, or why none",
            once_run="lsr fulltext"),
    Dataset("extraction forms", "data/extraction/<study_id>.yaml", "reviewers", "extract",
            "one per included study: every stated value with where the source states it"),
    Dataset("appraisal forms", "data/appraisal/<study_id>.yaml", "reviewers", "extract",
            "the JBI case-report checklist per study"),
    Dataset("context studies", "data/context/cohorts.yaml", "reviewers", "extract, synthesis",
            "cohorts and reviews without individual patients, with their reported counts"),
    Dataset("dual extraction", "data/dual_extraction/comparison.csv", "reviewers", "extract",
            "the second, independent extraction compared field by field"),
    Dataset("references", "references.bib", "reviewers", "extract, report", "one entry per cited study"),
    Dataset("claims", "data/claims.yaml", "reviewers", "synthesis", "the claims the report checks"),
    Dataset("tidy tables", "data/processed/<table>.csv", "extract, screen, synthesis", "report",
            "the public tables (studies, patients, treatments, PRISMA counts, ...), rebuilt by every build"),
    Dataset("selected patients", "(computed)", "synthesis", "report",
            "the patients an analysis covers under the report parameters"),
    Dataset("pooled results", "data/processed/meta_pooled.csv", "synthesis", "report, readers",
            "the cohorts' proportions pooled by random effects (DerSimonian-Laird, Paule-Mandel)"),
    Dataset("page readings", "data/raw/<source>/<run>/pages.csv", "reviewers", "search",
            "what each result page of the offline corpus showed, in the reader's words"),
    Dataset("duplicate links by reviewers", "data/screening/duplicate_links.csv", "reviewers", "search/dedupe",
            "copies of one report that no key can see"),
    Dataset("reviewers", "data/screening/reviewers.csv", "reviewers", "screen, report",
            "who each reviewer id is (every one an AI assistant in this version)"),
    Dataset("report", "reports/latest/index.html", "report", "readers",
            "the self-contained page, with the executed notebooks and the tables it came from"),
    Dataset("versions", "reports/versions.json", "living", "report, readers",
            "each published version: trigger, what moved, the previous version"),
)

TABLE_NAMES = ("studies", "patients", "treatments", "appraisals", "cohorts", "prisma", "screening_decisions",
               "screening_agreement", "extraction_agreement", "search_log", "duplicates", "reviewers", "meta_inputs", "meta_pooled", "screening_coverage",
               "reports_not_retrieved")


@dataclass(frozen=True)
class Tables:
    studies: pd.DataFrame
    patients: pd.DataFrame
    treatments: pd.DataFrame
    appraisals: pd.DataFrame
    cohorts: pd.DataFrame
    prisma: pd.DataFrame
    screening_decisions: pd.DataFrame
    screening_agreement: pd.DataFrame
    extraction_agreement: pd.DataFrame
    search_log: pd.DataFrame
    duplicates: pd.DataFrame
    reviewers: pd.DataFrame
    meta_inputs: pd.DataFrame
    meta_pooled: pd.DataFrame
    screening_coverage: pd.DataFrame
    reports_not_retrieved: pd.DataFrame


@dataclass(frozen=True)
class ReviewData:
    tidy: TidyTables
    records: pd.DataFrame
    canonical: dict[str, str]
    ledger: pd.DataFrame
    cohorts: pd.DataFrame
    comparison: pd.DataFrame
    search_log: pd.DataFrame
    tables: dict[str, pd.DataFrame]
    bibliography: BibliographyData


# One build runs every notebook in one kernel: these caches make each dataset a single computation per build.
# Keys include each file's size and modification time, so a reviewer re-running a notebook sees new data.
_tables_cache: dict[tuple, Tables] = {}
_selection_cache: dict[tuple, pd.DataFrame] = {}


def _signature(folder: Path) -> tuple:
    return tuple((name, (stat := (folder / f"{name}.csv").stat()).st_size, stat.st_mtime_ns)
                 for name in TABLE_NAMES)


def load_tables(folder: str | Path) -> Tables:
    folder = Path(folder).resolve()
    key = (str(folder), _signature(folder))
    if key not in _tables_cache:
        _tables_cache.clear()
        _tables_cache[key] = Tables(**{name: read_table(folder / f"{name}.csv") for name in TABLE_NAMES})
    return _tables_cache[key]


@dataclass(frozen=True)
class Catalog(Layout):
    """The project's datasets. `tables_dir` is where this analysis reads the tidy tables (a build passes its
    own staging copy; a reviewer's notebook reads data/processed); `parameters` are the report parameters."""

    tables_dir: Path | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_notebook(cls, namespace: dict[str, Any]) -> "Catalog":
        """From a notebook's parameters cell: project_root, tables_dir and the report parameters."""
        root = Path(namespace["project_root"]).resolve()
        parameters = {name: namespace[name] for name in PARAMETER_HELP if name in namespace}
        return cls(root, Path(namespace["tables_dir"]).resolve(), parameters)

    def tables(self) -> Tables:
        return load_tables(self.tables_dir or self.processed)

    def selected_patients(self) -> pd.DataFrame:
        """The tidy patients under this analysis's parameters, selected once per build."""
        tables = self.tables()
        key = (str(self.tables_dir or self.processed), _signature(Path(self.tables_dir or self.processed)),
               tuple(sorted(self.parameters.items())))
        if key not in _selection_cache:
            _selection_cache.clear()
            _selection_cache[key] = select_patients(tables.patients, tables.studies, **self.parameters)
        return _selection_cache[key].copy()

    def changed_parameters(self) -> dict[str, tuple[Any, Any]]:
        """The parameters this analysis changes from review.toml's, as {name: (protocol's, this one's)}: a
        sensitivity analysis when not empty."""
        protocol = load_config(self.root).parameters
        return {k: (protocol.get(k), value) for k, value in self.parameters.items() if protocol.get(k) != value}

    def pooled(self) -> pd.DataFrame:
        """The cohorts' proportions pooled at this analysis's confidence level (data/processed/meta_pooled.csv
        holds them at the review's level)."""
        return pooled_table(self.tables().meta_inputs, self.parameters.get("confidence_level", 0.95))

    def logged_queries(self) -> dict[str, int]:
        """Per source, the queries logged beside its runs (the offline corpus's queries.csv files)."""
        counts: dict[str, int] = {}
        for path in sorted(self.raw.glob("*/*/queries.csv")):
            source = path.parent.parent.name
            counts[source] = counts.get(source, 0) + len(pd.read_csv(path))
        return counts

    def review_data(self) -> ReviewData:
        return load_review_data(self)


def load_review_data(catalog: Layout, previous_studies: int = 0, previous_reports: int = 0) -> ReviewData:
    """Every input read and checked, every problem reported at once as `file:line: field: message (value)`;
    then the tidy tables compiled. Nothing is written: a failed check leaves all files alone."""
    problems: list[str] = []

    def attempt(step, default):
        try:
            return step()
        except InvalidDataError as exc:
            problems.extend(exc.problems)
            return default

    config = load_config(catalog.root)
    search_log = attempt(lambda: read_search_log(catalog.search_log), None)
    records = attempt(lambda: read_all_records(catalog.raw, search_log), None) if search_log is not None else None
    known = set(records.record_id) if records is not None else None
    ledger = attempt(lambda: read_ledger(catalog.ledger, known), None)
    if known is not None:
        attempt(lambda: read_manual_links(catalog.duplicate_links, known), [])
    reviewers = attempt(lambda: read_reviewers(catalog.reviewers, ledger), None) if ledger is not None else None
    attempt(lambda: read_fulltext_index(catalog, check_files=True), None)
    extraction_forms = attempt(lambda: read_forms(catalog.extraction), [])
    appraisal_forms = attempt(lambda: read_forms(catalog.appraisal), [])
    tidy = attempt(lambda: compile_tables(extraction_forms, appraisal_forms), None)
    cohorts = attempt(lambda: read_cohorts(catalog.cohorts), None)
    proportions = attempt(lambda: read_proportions(catalog.cohorts), None)
    # The comparison is checked against the compiled patients; when the forms fail, those checks would only
    # repeat the forms' problems once per row, so they wait until the forms are mended.
    patient_ids = set(tidy.patients.patient_id) if tidy is not None else None
    comparison = attempt(lambda: read_comparison(catalog.dual_extraction / "comparison.csv", patient_ids), None)

    try:
        bibliography = load_bibliography(catalog.bibliography)
        problems.extend(bibliography_problems(catalog.bibliography, bibliography))
    except ReviewError as exc:
        problems.append(f"{catalog.bibliography}:1: file: {exc}")
        bibliography = None
    if problems:
        raise InvalidDataError(problems)

    decisions = final_decisions(ledger)
    included = decisions[(decisions.stage == "full text") & (decisions.decision == "include")]
    keys, included_records = set(bibliography.entries), set(included.record_id)
    for form in extraction_forms:
        study_id, record_id = form.data.get("study_id"), form.data.get("record_id")
        if study_id not in keys:
            problems.append(f"{form.where('study_id')}: study_id: no entry in references.bib ({study_id})")
        if record_id not in included_records:
            problems.append(f"{form.where('record_id')}: record_id: not included at full text in the screening "
                            f"ledger ({record_id})")
    for row in cohorts.itertuples():
        if row.study_id not in keys:
            problems.append(f"{catalog.cohorts}: study_id: context study has no entry in references.bib "
                            f"({row.study_id})")
    if catalog.claims.exists():
        attempt(lambda: read_claims(catalog.claims, set(tidy.studies.study_id) | set(cohorts.study_id)), None)
    if problems:
        raise InvalidDataError(problems)

    canonical = project_links(catalog, records)
    kinds = {name: source.kind for name, source in config.sources.items()}
    counts = flow(records, canonical, kinds, decisions, set(tidy.studies.record_id),
                  previous_studies, previous_reports, context_studies=len(cohorts))
    tables = {
        "studies.csv": tidy.studies,
        "patients.csv": tidy.patients,
        "treatments.csv": tidy.treatments,
        "appraisals.csv": tidy.appraisals,
        "cohorts.csv": cohorts,
        "prisma.csv": prisma_frame(counts),
        "screening_decisions.csv": decisions.assign(
            duplicate_of=decisions.record_id.map(lambda r: "" if canonical.get(r, r) == r else canonical[r])),
        "screening_agreement.csv": agreement(ledger),
        "screening_coverage.csv": coverage(ledger, canonical),
        "reports_not_retrieved.csv": not_retrieved(ledger, records, canonical),
        "extraction_agreement.csv": agreement_by_field(comparison),
        "search_log.csv": search_log,
        "duplicates.csv": duplicates_frame(catalog, records),
        "reviewers.csv": reviewers,
        "meta_inputs.csv": proportions,
        "meta_pooled.csv": pooled_table(proportions, config.parameters["confidence_level"]),
    }
    return ReviewData(tidy, records, canonical, ledger, cohorts, comparison, search_log, tables,
                      bibliography)




def tables_csv(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    return {name: csv_bytes(frame) for name, frame in tables.items()}


def datasets_markdown() -> str:
    """The datasets as a Markdown table (the README's, kept equal to this by a test)."""
    rows = ["| dataset | where | written by | read by |", "| --- | --- | --- | --- |"]
    rows += [f"| {d.name} | `{d.path}` | {d.written_by} | {d.read_by} |" for d in DATASETS]
    return "\n".join(rows)


if __name__ == "__main__":
    sys.stdout.write(datasets_markdown() + "\n")
