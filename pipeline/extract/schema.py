"""Pandera schemas of the public tidy tables: the protocol's vocabularies, types, ranges and
cross-field rules, checked in one place for the build, `lsr validate` and the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from pipeline.core import vocabulary as v


def _antibody_list_ok(value: str) -> bool:
    if value in (v.NOT_REPORTED, "none"):
        return True
    return all(token in v.ANTIBODIES for token in value.split(v.ANTIBODY_SEPARATOR))


def _vocab(values: tuple[str, ...]) -> pa.Check:
    return pa.Check.isin(list(values), error=f"not in the vocabulary ({' | '.join(values)})")


def _range(low: float, high: float) -> pa.Check:
    return pa.Check.in_range(low, high, error=f"outside the range {low:g} to {high:g}")


RULE_PREFIX = "rule::"


@dataclass(frozen=True)
class Rule:
    """A cross-field rule: `holds(df)` is a boolean Series; failures are reported against `field`."""

    field: str
    message: str
    holds: Callable[[pd.DataFrame], pd.Series]

    def check(self) -> pa.Check:
        return pa.Check(self.holds, error=f"{RULE_PREFIX}{self.field}{RULE_PREFIX}{self.message}", name=self.field)


PATIENT_RULES = (
    Rule("age_group", "juvenile means an age under 18",
         lambda d: ~((d.age_group == "juvenile") & (d.age_years >= 18))),
    Rule("age_group", "adult means an age of 18 or more",
         lambda d: ~((d.age_group == "adult") & (d.age_years < 18))),
    Rule("myositis_type", "JDM is a juvenile diagnosis",
         lambda d: ~((d.myositis_type == "JDM") & (d.age_group == "adult"))),
    Rule("renal_histology", "a biopsy diagnosis needs biopsy_done yes",
         lambda d: ~(~d.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY) & (d.biopsy_done != "yes"))),
    Rule("biopsy_done", "'no biopsy' contradicts biopsy_done yes",
         lambda d: ~((d.renal_histology == "no biopsy") & (d.biopsy_done == "yes"))),
    Rule("malignancy_type", "a malignancy type needs malignancy yes",
         lambda d: ~((d.malignancy_type.fillna("") != "") & (d.malignancy != "yes"))),
    Rule("ns_timing_months", "months are given only with a timing",
         lambda d: ~(d.ns_timing_months.notna() & (d.ns_timing == v.NOT_REPORTED))),
    Rule("died", "a renal outcome of death means died yes",
         lambda d: ~((d.renal_outcome == "death") & (d.died != "yes"))),
)

_text = pa.Column(str, nullable=False)

STUDIES = pa.DataFrameSchema(
    {
        "study_id": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z0-9_]*$",
                                                       error="must be a lower-case BibTeX key like smith2012"),
                              unique=True),
        "title": _text,
        "first_author": _text,
        "year": pa.Column("Int64", _range(1900, 2100), nullable=True),
        "journal": _text,
        "doi": pa.Column(str, pa.Check.str_matches(r"^10\.\d{4,9}/\S+$", error="not a DOI (10.xxxx/...)"),
                         nullable=True),
        "pmid": pa.Column(str, pa.Check.str_matches(r"^\d{1,9}$", error="not a PMID (digits)"), nullable=True),
        "pmcid": pa.Column(str, pa.Check.str_matches(r"^PMC\d+$", error="not a PMCID (PMC + digits)"),
                           nullable=True),
        "url": pa.Column(str, pa.Check.str_matches(r"^https?://\S+$", error="not an http(s) URL")),
        "design": pa.Column(str, _vocab(v.DESIGN)),
        "country": _text,
        "n_patients": pa.Column("Int64", _range(1, 10_000)),
        "evidence_level": pa.Column(str, _vocab(v.EVIDENCE_LEVEL)),
        "jbi_yes": pa.Column("Int64", _range(0, 8), nullable=True),
    },
    strict=False,
)

PATIENTS = pa.DataFrameSchema(
    {
        "patient_id": pa.Column(str, unique=True),
        "study_id": _text,
        "age_years": pa.Column(float, _range(0, 100), nullable=True),
        "age_group": pa.Column(str, _vocab(v.AGE_GROUP)),
        "sex": pa.Column(str, _vocab(v.SEX)),
        "myositis_type": pa.Column(str, _vocab(v.MYOSITIS_TYPE)),
        "antibodies": pa.Column(str, pa.Check(lambda s: s.map(_antibody_list_ok),
                                              error="antibody not in the vocabulary")),
        "malignancy": pa.Column(str, _vocab(v.YES_NO)),
        "malignancy_type": pa.Column(str, nullable=True),
        "kidney_presentation": pa.Column(str, _vocab(v.KIDNEY_PRESENTATION)),
        "ns_timing": pa.Column(str, _vocab(v.NS_TIMING)),
        "ns_timing_months": pa.Column(float, _range(0, 1200), nullable=True),
        "proteinuria_g_day": pa.Column(float, _range(0, 50), nullable=True),
        "serum_albumin_g_dl": pa.Column(float, _range(0.5, 6), nullable=True),
        "biopsy_done": pa.Column(str, _vocab(v.YES_NO)),
        "renal_histology": pa.Column(str, _vocab(v.RENAL_HISTOLOGY)),
        "renal_outcome": pa.Column(str, _vocab(v.RENAL_OUTCOME)),
        "muscle_outcome": pa.Column(str, _vocab(v.MUSCLE_OUTCOME)),
        "died": pa.Column(str, _vocab(v.YES_NO)),
        "follow_up_months": pa.Column(float, _range(0, 1200), nullable=True),
    },
    checks=[rule.check() for rule in PATIENT_RULES],
    strict=False,
)

TREATMENTS = pa.DataFrameSchema(
    {
        "patient_id": _text,
        "agent": pa.Column(str, _vocab(v.AGENT)),
        "target": pa.Column(str, _vocab(v.TARGET)),
    },
    strict=False,
)

APPRAISALS = pa.DataFrameSchema(
    {
        "study_id": _text,
        "item": pa.Column("Int64", _range(1, 8)),
        "answer": pa.Column(str, _vocab(v.JBI_ANSWER)),
        "reason": pa.Column(str, pa.Check.str_length(min_value=3, error="give a short reason")),
    },
    unique=["study_id", "item"],
    strict=False,
)


@dataclass(frozen=True)
class Failure:
    row: int
    field: str
    message: str
    value: object


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[Failure]:
    """Every schema failure of `frame`, one per row and field, in row order."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        found: dict[tuple[int, str, str], Failure] = {}
        for case in exc.failure_cases.itertuples(index=False):
            row = -1 if pd.isna(case.index) else int(case.index)
            if str(case.check).startswith(RULE_PREFIX):  # a cross-field Rule: report it once, on its own field
                field, message = str(case.check)[len(RULE_PREFIX):].split(RULE_PREFIX, 1)
                value = frame.at[row, field] if row >= 0 else None
            else:
                field, message, value = str(case.column), _plain(str(case.check)), case.failure_case
            found.setdefault((row, field, message), Failure(row, field, message, value))
        return sorted(found.values(), key=lambda f: (f.row, f.field))
    return []


def _plain(check: str) -> str:
    if check.startswith("field_uniqueness") or check.startswith("multiple_fields_uniqueness"):
        return "duplicated value"
    if check == "not_nullable":
        return "required value is missing"
    if check.startswith("dtype("):
        return f"wrong type (expected {check[6:-1]})"
    return check
