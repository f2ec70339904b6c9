"""Treatments and what followed: each patient's regimen, the renal outcome per regimen, the agents given
and the follow-up stated."""

from __future__ import annotations

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.synthesis.proportions import percent_cells


def regimens(patients: pd.DataFrame, treatments: pd.DataFrame) -> pd.Series:
    """Each patient's regimen as the sorted set of agents given ('not reported' when none recorded)."""
    given = treatments[treatments.patient_id.isin(patients.patient_id)]
    by_patient = given.groupby("patient_id").agent.apply(lambda s: " + ".join(sorted(set(s))))
    return patients.patient_id.map(by_patient).fillna(v.NOT_REPORTED).set_axis(patients.index)


def outcome_by_regimen(patients: pd.DataFrame, treatments: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Renal outcome per regimen: n, and for remission (complete or partial) the proportion with a CI."""
    frame = patients.assign(regimen=regimens(patients, treatments))
    rows = []
    for regimen, group in frame.groupby("regimen", sort=True):
        known = group[group.renal_outcome != v.NOT_REPORTED]
        remission = int(known.renal_outcome.isin(["complete remission", "partial remission"]).sum())
        counts = group.renal_outcome.value_counts()
        rows.append({"regimen": regimen, "patients": len(group),
                     **{outcome: int(counts.get(outcome, 0)) for outcome in v.RENAL_OUTCOME},
                     "remission / outcome known": f"{remission}/{len(known)}",
                     **percent_cells(remission, len(known), level)})
    return pd.DataFrame(rows).sort_values("patients", ascending=False, kind="stable")


def agent_counts(patients: pd.DataFrame, treatments: pd.DataFrame) -> pd.DataFrame:
    given = treatments[treatments.patient_id.isin(patients.patient_id)]
    counts = given.drop_duplicates(["patient_id", "agent"]).agent.value_counts()
    return pd.DataFrame({"agent": counts.index, "patients": counts.values,
                         "of patients with treatment reported": given.patient_id.nunique()})


def follow_up_sentence(patients: pd.DataFrame) -> str:
    months = patients.follow_up_months.dropna()
    if months.empty:
        return ("No report read states the length of follow-up, so time to remission cannot be summarised; "
                "the treatment course is kept as written in the extraction forms.")
    return (f"Follow-up is stated for {len(months)} of {len(patients)} patients (median {months.median():g} "
            f"months, range {months.min():g}-{months.max():g}). Time to remission is rarely stated in the "
            f"reports read and is not summarised.")


def stated_doses(patients: pd.DataFrame, treatments: pd.DataFrame) -> pd.DataFrame:
    """Every treatment of the analysis's patients whose dose or duration the report states, as written."""
    given = treatments[treatments.patient_id.isin(patients.patient_id)]
    stated = given[(given.dose.fillna(v.NOT_REPORTED) != v.NOT_REPORTED)
                   | (given.duration.fillna(v.NOT_REPORTED) != v.NOT_REPORTED)]
    study = patients.set_index("patient_id").study_id
    return pd.DataFrame({"study_id": stated.patient_id.map(study), "patient": stated.patient_id, "agent": stated.agent,
                         "aimed at": stated.target, "dose": stated.dose, "duration": stated.duration})
