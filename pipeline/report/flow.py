"""Display helpers for the search-and-selection section."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from pipeline.report.display import paragraph, table_html


def prisma_counts(prisma: pd.DataFrame) -> dict[str, object]:
    counts = {}
    for name, value in zip(prisma.data, prisma.n):
        text = "" if pd.isna(value) else str(value)
        counts[name] = int(text) if text.isdigit() else text
    return counts


def exclusion_reasons(decisions: pd.DataFrame) -> pd.DataFrame:
    excluded = decisions[decisions.decision == "exclude"]
    table = excluded.groupby(["stage", "reason"]).size().rename("records").reset_index()
    return table.sort_values(["stage", "records"], ascending=[False, False], kind="stable")


def agreement_display(agreement: pd.DataFrame) -> HTML:
    if agreement.empty:
        return paragraph("Every record in this version was screened by one reviewer, so no screening agreement "
                         "can be computed; the ledger supports blind double screening (lsr screen --conflicts).")
    shown = agreement.assign(cohen_kappa=agreement.cohen_kappa.map(lambda k: "" if pd.isna(k) else f"{k:.2f}"))
    return HTML(table_html(shown, "Screening agreement per stage and reviewer pair (percent and Cohen's kappa)."))


def cohort_display(cohorts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "study": cohorts.study_id, "design": cohorts.design, "patients": cohorts.n_patients.astype("Int64"),
        "with kidney involvement": cohorts.n_kidney_involvement.astype("Int64"), "histology reported": cohorts.histology,
        "outcomes": cohorts.outcomes,
    })
