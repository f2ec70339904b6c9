"""Load and check everything the report is built from, reporting every problem at once as
`file:line: field: message (value)`. Nothing is written here: a failed check leaves all files alone."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .catalog import Catalog
from .citations import bibliography_problems, load_bibliography
from .config import load_config
from .context import read_cohorts
from .dedupe import link_duplicates, record_keys
from .dual import agreement_by_field, read_comparison
from .errors import InvalidDataError, ReviewError
from .extraction import TidyTables, compile_tables, read_forms
from .prisma import prisma_frame, flow
from .records import read_all_records, read_search_log
from .screening import agreement, final_decisions, read_ledger
from .tabular import csv_bytes


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


def canonical_links(records: pd.DataFrame) -> dict[str, str]:
    return link_duplicates(
        (r.record_id, record_keys(r.pmid, r.doi, r.pmcid, r.title, r.year, r.authors.split(" | ")[0]))
        for r in records.itertuples()
    )


def load_review_data(catalog: Catalog, previous_studies: int = 0, previous_reports: int = 0) -> ReviewData:
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
    extraction_forms = attempt(lambda: read_forms(catalog.extraction), [])
    appraisal_forms = attempt(lambda: read_forms(catalog.appraisal), [])
    tidy = attempt(lambda: compile_tables(extraction_forms, appraisal_forms), None)
    cohorts = attempt(lambda: read_cohorts(catalog.cohorts), None)
    patient_ids = set(tidy.patients.patient_id) if tidy is not None else set()
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
    keys = set(bibliography.entries)
    for form in extraction_forms:
        study_id, record_id = form.data.get("study_id"), form.data.get("record_id")
        if study_id not in keys:
            problems.append(f"{form.where('study_id')}: study_id: no entry in references.bib ({study_id})")
        if record_id not in set(included.record_id):
            problems.append(f"{form.where('record_id')}: record_id: not included at full text in the screening "
                            f"ledger ({record_id})")
    for row in cohorts.itertuples():
        if row.study_id not in keys:
            problems.append(f"{catalog.cohorts}: study_id: context study has no entry in references.bib "
                            f"({row.study_id})")
    if problems:
        raise InvalidDataError(problems)

    canonical = canonical_links(records)
    kinds = {name: source.kind for name, source in config.sources.items()}
    counts = flow(records, canonical, kinds, decisions, set(tidy.studies.record_id),
                  previous_studies, previous_reports)
    tables = {
        "studies.csv": tidy.studies,
        "patients.csv": tidy.patients,
        "treatments.csv": tidy.treatments,
        "appraisals.csv": tidy.appraisals,
        "cohorts.csv": cohorts,
        "prisma.csv": prisma_frame(counts),
        "screening_decisions.csv": decisions,
        "screening_agreement.csv": agreement(ledger),
        "extraction_agreement.csv": agreement_by_field(comparison),
        "search_log.csv": search_log,
    }
    return ReviewData(tidy, records, canonical, ledger, cohorts, comparison, search_log, tables)


def tables_csv(tables: dict[str, pd.DataFrame]) -> dict[str, bytes]:
    return {name: csv_bytes(frame) for name, frame in tables.items()}
