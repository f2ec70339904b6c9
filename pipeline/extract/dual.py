"""Dual extraction: two independent extractions of each included study compared field by field.

`data/dual_extraction/comparison.csv` keeps, per study, patient and field, what each extractor wrote and
the value settled against the source (`final`), with a note where they differed. Agreement per field
(percent and Cohen's kappa) is computed from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core.errors import InvalidDataError
from pipeline.core.tabular import read_csv_strict
from pipeline.screen.agreement import cohen_kappa

COMPARISON_COLUMNS = ("study_id", "patient_id", "field", "extractor_a", "extractor_b", "final", "resolution")


def read_comparison(path: Path, patient_ids: set[str] | None) -> pd.DataFrame:
    """The comparison rows; each names a patient of the forms (not checked when `patient_ids` is None, because
    the forms themselves failed)."""
    if not Path(path).exists():
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    rows = read_csv_strict(path, COMPARISON_COLUMNS)
    problems = []
    for line, row in rows:
        if patient_ids is not None and row["patient_id"] not in patient_ids:
            problems.append(f"{path}:{line}: patient_id: no such patient in the extraction forms "
                            f"({row['patient_id']})")
        if row["extractor_a"] != row["extractor_b"] and not row["resolution"].strip():
            problems.append(f"{path}:{line}: resolution: the extractors disagree; say how it was settled "
                            f"against the source ({row['extractor_a']} / {row['extractor_b']})")
    if problems:
        raise InvalidDataError(problems)
    return pd.DataFrame([row for _, row in rows], columns=list(COMPARISON_COLUMNS))


def agreement_by_field(comparison: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for field, group in comparison.groupby("field", sort=True):
        a, b = list(group.extractor_a), list(group.extractor_b)
        agree = sum(x == y for x, y in zip(a, b))
        kappa = cohen_kappa(a, b)
        rows.append({"field": field, "n_values": len(group), "n_agree": agree,
                     "percent_agreement": round(100 * agree / len(group), 1),
                     "cohen_kappa": None if kappa is None else round(kappa, 3)})
    return pd.DataFrame(rows, columns=["field", "n_values", "n_agree", "percent_agreement", "cohen_kappa"])
