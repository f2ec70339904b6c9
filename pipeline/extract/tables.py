"""Extraction forms (one YAML file per included study) compiled into the public tidy tables.

A value a report does not state is `not reported` (numbers: empty) and needs no provenance; every stated
value needs a `provenance` entry saying where in the source it is stated."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.core.errors import InvalidDataError
from pipeline.core.forms import Form, read_form
from pipeline.extract.schema import APPRAISALS, PATIENTS, STUDIES, TREATMENTS, failures

STUDY_FIELDS = ("study_id", "record_id", "title", "authors", "first_author", "year", "journal", "doi", "pmid",
                "pmcid", "url", "urls_read", "design", "country", "language", "evidence_level", "extraction_note",
                "provenance", "patients")
# Study values that are often read from somewhere other than the text (a page address, an affiliation):
# each stated one says where it comes from.
STUDY_PROVENANCE_NEEDED = ("year", "journal", "doi", "pmid", "pmcid", "country")
NUMERIC_FIELDS = ("age_years", "ns_timing_months", "proteinuria_g_day", "serum_albumin_g_dl", "follow_up_months")
TEXT_FIELDS = ("age_group", "sex", "myositis_type", "antibodies", "malignancy", "malignancy_type",
               "kidney_presentation", "ns_timing", "biopsy_done", "renal_histology", "renal_outcome",
               "muscle_outcome", "died")
PATIENT_FIELDS = ("patient_id", *TEXT_FIELDS, *NUMERIC_FIELDS, "treatments", "provenance", "unconfirmed")
# Fields always stated by construction (the patient's identity and the review's own classification).
NO_PROVENANCE_NEEDED = ("patient_id", "age_group", "malignancy_type")
STUDY_TEXT_FIELDS = ("title", "first_author", "journal", "doi", "pmcid", "url", "design", "country",
                     "language", "evidence_level", "extraction_note", "record_id")
TREATMENT_FIELDS = ("agent", "target", "dose", "duration", "detail")

STUDY_COLUMNS = ["study_id", "title", "first_author", "year", "journal", "doi", "pmid", "pmcid", "url", "design",
                 "country", "n_patients", "evidence_level", "jbi_yes", "language", "record_id"]
PATIENT_COLUMNS = ["patient_id", "study_id", "age_years", "age_group", "sex", "myositis_type", "antibodies",
                   "malignancy", "malignancy_type", "kidney_presentation", "ns_timing", "ns_timing_months",
                   "proteinuria_g_day", "serum_albumin_g_dl", "biopsy_done", "renal_histology", "renal_outcome",
                   "muscle_outcome", "died", "follow_up_months"]
TREATMENT_COLUMNS = ["patient_id", "agent", "target", "dose", "duration", "detail"]
APPRAISAL_COLUMNS = ["study_id", "item", "question", "answer", "reason"]


@dataclass(frozen=True)
class TidyTables:
    studies: pd.DataFrame
    patients: pd.DataFrame
    treatments: pd.DataFrame
    appraisals: pd.DataFrame


@dataclass
class _Origins:
    """Where each compiled row came from, so a schema failure can name file and line."""

    forms: list[tuple[Form, tuple]]

    def where(self, row: int, field: str) -> str:
        form, base = self.forms[row]
        return form.where(*base, field)


def _is_stated(value: Any) -> bool:
    return value is not None and value != v.NOT_REPORTED and value != "" and value != []


def _antibody_text(value: Any) -> str:
    if isinstance(value, list):
        return v.ANTIBODY_SEPARATOR.join(value) if value else "none"
    return str(value)


def _form_problems(form: Form) -> list[str]:
    """Structural problems the table schema cannot see: unknown keys, missing provenance, unconfirmed values."""
    problems = []
    data = form.data
    for key in data:
        if key not in STUDY_FIELDS:
            problems.append(f"{form.where(key)}: {key}: unknown field")
    if data.get("study_id") != form.path.stem:
        problems.append(f"{form.where('study_id')}: study_id: must equal the file name "
                        f"'{form.path.stem}' ({data.get('study_id')})")
    for key in STUDY_TEXT_FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"{form.where(key)}: {key}: must be text, not {type(value).__name__} ({value})")
    year = data.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        problems.append(f"{form.where('year')}: year: must be a year like 2012 (or empty when not shown), not "
                        f"{year!r}")
    authors = data.get("authors")
    if authors is not None and not (isinstance(authors, list) and all(isinstance(a, str) for a in authors)):
        problems.append(f"{form.where('authors')}: authors: must be a list of names ({authors!r})")
    study_provenance = data.get("provenance") or {}
    if not isinstance(study_provenance, dict):
        problems.append(f"{form.where('provenance')}: provenance: must be a mapping of field: where the source "
                        f"states it ({type(study_provenance).__name__})")
        study_provenance = {}
    for key in STUDY_PROVENANCE_NEEDED:
        if _is_stated(data.get(key)) and not str(study_provenance.get(key) or "").strip():
            problems.append(f"{form.where(key)}: {key}: stated value has no provenance (say where it was read: "
                            f"page text, page address, another copy) ({data.get(key)})")
    patients = data.get("patients")
    if not isinstance(patients, list) or not patients:
        problems.append(f"{form.where('patients')}: patients: an included study needs at least one patient")
        return problems
    for i, patient in enumerate(patients):
        if not isinstance(patient, dict):
            problems.append(f"{form.where('patients', i)}: patients: each patient is a mapping of fields")
            continue
        for key in patient:
            if key not in PATIENT_FIELDS:
                problems.append(f"{form.where('patients', i, key)}: {key}: unknown field")
        for key in (*TEXT_FIELDS, *NUMERIC_FIELDS):
            if key not in patient:
                problems.append(f"{form.where('patients', i)}: {key}: missing (write '{v.NOT_REPORTED}' "
                                f"or leave a number empty when the source is silent)")
        for key in NUMERIC_FIELDS:
            value = patient.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                      or value != value or value in (float("inf"), float("-inf"))):
                problems.append(f"{form.where('patients', i, key)}: {key}: not a number ({value})")
        for key in TEXT_FIELDS:
            value = patient.get(key)
            if value is not None and not isinstance(value, str) and not (key == "antibodies" and
                                                                           isinstance(value, list)):
                problems.append(f"{form.where('patients', i, key)}: {key}: must be text, not "
                                f"{type(value).__name__} ({value})")
        provenance = patient.get("provenance") or {}
        if not isinstance(provenance, dict):
            problems.append(f"{form.where('patients', i, 'provenance')}: provenance: must be a mapping of "
                            f"field: where the source states it ({type(provenance).__name__})")
            provenance = {}
        treatments = patient.get("treatments")
        if treatments is not None and not isinstance(treatments, list):
            problems.append(f"{form.where('patients', i, 'treatments')}: treatments: must be a list of "
                            f"agent, target, detail ({type(treatments).__name__})")
        unconfirmed = patient.get("unconfirmed")
        if unconfirmed is not None and not isinstance(unconfirmed, list):
            problems.append(f"{form.where('patients', i, 'unconfirmed')}: unconfirmed: must be a list of field "
                            f"names ({type(unconfirmed).__name__})")
        for key in (*TEXT_FIELDS, *NUMERIC_FIELDS, "treatments"):
            tested_negative = key == "antibodies" and patient.get(key) == []
            if key in NO_PROVENANCE_NEEDED or not (_is_stated(patient.get(key)) or tested_negative):
                continue
            if not str(provenance.get(key) or "").strip():
                problems.append(f"{form.where('patients', i, key)}: {key}: stated value has no provenance "
                                f"({patient.get(key)})")
        for key in patient.get("unconfirmed") if isinstance(patient.get("unconfirmed"), list) else []:
            problems.append(f"{form.where('patients', i, 'unconfirmed')}: {key}: machine suggestion not yet "
                            f"confirmed by a reviewer ({patient.get(key)})")
        for j, treatment in enumerate(treatments if isinstance(treatments, list) else []):
            if not isinstance(treatment, dict):
                problems.append(f"{form.where('patients', i, 'treatments', j)}: treatments: each treatment is "
                                f"a mapping of agent, target, detail")
                continue
            for key in treatment:
                if key not in TREATMENT_FIELDS:
                    problems.append(f"{form.where('patients', i, 'treatments', j, key)}: {key}: unknown field")
    return problems


def _schema_problems(schema, frame: pd.DataFrame, origins: _Origins) -> list[str]:
    return [f"{origins.where(f.row, f.field) if f.row >= 0 else origins.forms[0][0].path}: {f.field}: "
            f"{f.message} ({f.value})" for f in failures(schema, frame)]


def read_forms(folder: Path) -> list[Form]:
    forms, problems = [], []
    for path in sorted(Path(folder).glob("*.yaml")):
        try:
            forms.append(read_form(path))
        except InvalidDataError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidDataError(problems)
    return forms


def compile_tables(extraction_forms: list[Form], appraisal_forms: list[Form]) -> TidyTables:
    """Validate every form and compile the tidy tables; raise InvalidDataError listing every problem."""
    problems = [p for form in extraction_forms for p in _form_problems(form)]
    study_rows, study_origins, patient_rows, patient_origins, treatment_rows, treatment_origins = [], [], [], [], [], []
    for form in extraction_forms:
        data = form.data
        listed = data.get("patients")
        patients = [p for p in listed if isinstance(p, dict)] if isinstance(listed, list) else []
        study_rows.append({
            **{key: data.get(key) for key in STUDY_COLUMNS if key not in ("n_patients", "jbi_yes")},
            "n_patients": len(patients),
        })
        study_origins.append((form, ()))
        for i, patient in enumerate(patients):
            row = {key: patient.get(key) for key in PATIENT_COLUMNS if key != "study_id"}
            row["study_id"] = data.get("study_id")
            row["antibodies"] = _antibody_text(patient.get("antibodies"))
            row["malignancy_type"] = patient.get("malignancy_type") or ""
            patient_rows.append(row)
            patient_origins.append((form, ("patients", i)))
            given = patient.get("treatments")
            for j, treatment in enumerate(given if isinstance(given, list) else []):
                if isinstance(treatment, dict):
                    treatment_rows.append({"patient_id": patient.get("patient_id"), **{
                        key: treatment.get(key) for key in TREATMENT_FIELDS}})
                    treatment_origins.append((form, ("patients", i, "treatments", j)))

    studies = _frame(study_rows, STUDY_COLUMNS, ints=("year", "n_patients", "jbi_yes"), ids=("pmid",))
    patients = _frame(patient_rows, PATIENT_COLUMNS, floats=NUMERIC_FIELDS)
    treatments = _frame(treatment_rows, TREATMENT_COLUMNS)
    appraisals, appraisal_origins, appraisal_problems = _appraisal_rows(appraisal_forms)
    problems += appraisal_problems

    problems += _schema_problems(STUDIES, studies, _Origins(study_origins)) if len(studies) else []
    problems += _schema_problems(PATIENTS, patients, _Origins(patient_origins)) if len(patients) else []
    problems += _schema_problems(TREATMENTS, treatments, _Origins(treatment_origins)) if len(treatments) else []
    problems += _schema_problems(APPRAISALS, appraisals, _Origins(appraisal_origins)) if len(appraisals) else []

    known = set(studies.study_id)
    for row, study_id in enumerate(appraisals.study_id):
        if study_id not in known:
            problems.append(f"{appraisal_origins[row][0].where('study_id')}: study_id: appraisal of a study with "
                            f"no extraction form ({study_id})")
    appraised = set(appraisals.study_id)
    for row, study_id in enumerate(studies.study_id):
        if study_id not in appraised:
            problems.append(f"{study_origins[row][0].where('study_id')}: study_id: no JBI appraisal form "
                            f"(data/appraisal/{study_id}.yaml)")
    if problems:
        raise InvalidDataError(problems)

    yes = appraisals[appraisals.answer == "Yes"].groupby("study_id").size()
    studies["jbi_yes"] = studies.study_id.map(yes).fillna(0).astype("Int64")
    return TidyTables(studies, patients, treatments, appraisals)


def _appraisal_rows(forms: list[Form]) -> tuple[pd.DataFrame, list, list[str]]:
    rows, origins, problems = [], [], []
    for form in forms:
        items = form.data.get("items")
        if form.data.get("study_id") != form.path.stem:
            problems.append(f"{form.where('study_id')}: study_id: must equal the file name '{form.path.stem}'")
        if not isinstance(items, list) or len(items) != len(v.JBI_ITEMS):
            problems.append(f"{form.where('items')}: items: the JBI case-report checklist has "
                            f"{len(v.JBI_ITEMS)} items")
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                problems.append(f"{form.where('items', i)}: items: each item is a mapping of item, answer, reason")
                continue
            number = item.get("item")
            question = v.JBI_ITEMS[number - 1] if isinstance(number, int) and 1 <= number <= 8 else ""
            rows.append({"study_id": form.data.get("study_id"), "item": number, "question": question,
                         "answer": item.get("answer"), "reason": item.get("reason") or ""})
            origins.append((form, ("items", i)))
    return _frame(rows, APPRAISAL_COLUMNS, ints=("item",)), origins, problems


def _frame(rows: list[dict], columns: list[str], ints: tuple = (), floats: tuple = (), ids: tuple = ()) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    for column in ints:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in floats:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    for column in columns:
        if column not in ints and column not in floats:
            frame[column] = frame[column].map(lambda x: None if x is None or (isinstance(x, float) and pd.isna(x))
                                              else str(x)).astype(object)
    return frame
