"""The committed evidence base holds together: keys resolve, vocabularies hold, every included study has a
source. Reads the checkout, writes nothing."""

import pandas as pd
import pytest
from conftest import REPO

from pipeline.catalog import Catalog, load_review_data, tables_csv
from pipeline.extract.references import load_bibliography
from pipeline.extract.tables import NUMERIC_FIELDS, TEXT_FIELDS


@pytest.fixture(scope="module")
def data():
    return load_review_data(Catalog(REPO))


def test_committed_data_validates(data):
    assert len(data.tidy.studies) > 0 and len(data.tidy.patients) >= len(data.tidy.studies)


def test_every_study_has_a_source_and_a_bibliography_entry(data):
    entries = load_bibliography(REPO / "references.bib").entries
    for study in data.tidy.studies.itertuples():
        assert study.url.startswith("http"), study.study_id
        assert study.study_id in entries, study.study_id
        assert entries[study.study_id].fields.get("url") == study.url
        for identifier in ("doi", "pmid", "pmcid"):
            value = getattr(study, identifier)
            if pd.notna(value) and identifier in entries[study.study_id].fields:
                assert entries[study.study_id].fields[identifier] == value


def test_every_patient_points_at_a_study_and_every_treatment_at_a_patient(data):
    assert set(data.tidy.patients.study_id) <= set(data.tidy.studies.study_id)
    assert set(data.tidy.treatments.patient_id) <= set(data.tidy.patients.patient_id)
    counts = data.tidy.patients.groupby("study_id").size()
    assert (data.tidy.studies.set_index("study_id").n_patients == counts).all()


def test_every_included_study_was_included_in_the_ledger_and_every_context_study_is_cited(data):
    decisions = data.tables["screening_decisions.csv"]
    included = set(decisions[(decisions.stage == "full text") & (decisions.decision == "include")].record_id)
    assert set(data.tidy.studies.record_id) <= included
    entries = load_bibliography(REPO / "references.bib").entries
    assert set(data.cohorts.study_id) <= set(entries)


def test_dual_extraction_covers_every_patient_and_field(data):
    comparison = data.comparison
    assert set(comparison.patient_id) == set(data.tidy.patients.patient_id)
    fields = set(TEXT_FIELDS + NUMERIC_FIELDS) - {"age_group", "biopsy_done"}
    for patient_id, group in comparison.groupby("patient_id"):
        assert fields <= set(group.field), patient_id
    disagreements = comparison[comparison.extractor_a != comparison.extractor_b]
    assert (disagreements.resolution.str.len() > 0).all()


def test_committed_tidy_tables_are_what_the_forms_compile_to(data):
    for name, content in tables_csv(data.tables).items():
        assert (REPO / "data" / "processed" / name).read_bytes() == content, f"rebuild data/processed ({name})"


def test_settled_values_are_the_values_in_the_forms(data):
    patients = data.tidy.patients.set_index("patient_id")
    agents = data.tidy.treatments.groupby("patient_id").agent.agg(lambda s: "; ".join(sorted(set(s))))

    def shown(value) -> str:
        if value is None or (isinstance(value, float) and pd.isna(value)):
            return ""
        return f"{value:g}" if isinstance(value, float) else str(value)

    for row in data.comparison.itertuples():
        if row.field == "agents":
            expected = agents.get(row.patient_id, "none")
        else:
            expected = shown(patients.at[row.patient_id, row.field])
        assert row.final == expected, (row.patient_id, row.field)
