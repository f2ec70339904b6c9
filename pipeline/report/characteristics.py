"""The characteristics table of included patients."""

from __future__ import annotations

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.synthesis.proportions import age_summary, percent_cells


def selection_sentence(all_patients: pd.DataFrame, selected: pd.DataFrame, studies: pd.DataFrame,
                       params: dict) -> str:
    left_out = len(all_patients) - len(selected)
    undated = set(studies.study_id[studies.year.isna()]) & set(selected.study_id)
    switches = []
    if not params["include_comparator"]:
        n = int(all_patients.myositis_type.isin(v.COMPARATOR_TYPES).sum())
        switches.append(f"the polymyositis / other-IIM comparator stratum ({n} patients) is reported apart and "
                        f"not pooled")
    if params["biopsy_proven_only"]:
        switches.append("only biopsy-proven kidney disease is kept")
    if params["age_group"] != "all":
        switches.append(f"only {params['age_group']} patients are kept")
    switches.append(f"reports published {params['year_min']} to {params['year_max']}"
                    + (f", and {len(undated)} report{'s' if len(undated) != 1 else ''} whose page shows no year "
                       f"(keep_undated_reports = true)" if undated else
                       (", reports without a year left out" if not params.get("keep_undated_reports", True) else "")))
    return (f"This analysis covers {len(selected)} of {len(all_patients)} extracted patients "
            f"({left_out} left out): " + "; ".join(switches) + ".")


def _rows(label: str, values: pd.Series, categories) -> list[dict]:
    known = values[values != v.NOT_REPORTED]
    rows = []
    for category in categories:
        k = int((values == category).sum())
        if category == v.NOT_REPORTED:
            rows.append({"characteristic": label, "value": category, "patients": k, "of": "", "percent": ""})
        else:
            cells = percent_cells(k, len(known), 0.95)
            rows.append({"characteristic": label, "value": category, "patients": k, "of": len(known),
                         "percent": cells["percent"]})
    return rows


def characteristics(patients: pd.DataFrame) -> pd.DataFrame:
    ages = age_summary(patients)
    if not ages["n_with_age"]:
        age_text = "not reported"
    elif ages["n_with_age"] == 1:
        age_text = f"{ages['min']:g} (one patient)"
    else:
        age_text = (f"median {ages['median']:g} (IQR {ages['q1']:g} to {ages['q3']:g}; range {ages['min']:g} to "
                    f"{ages['max']:g})")
    rows = [{"characteristic": "age, years", "value": age_text, "patients": ages["n_with_age"],
             "of": len(patients), "percent": ""}]
    rows += _rows("sex", patients.sex, v.SEX)
    rows += _rows("age group", patients.age_group, v.AGE_GROUP)
    rows += _rows("myositis type", patients.myositis_type, v.MYOSITIS_TYPE)
    antibodies_reported = patients.antibodies.map(lambda a: v.NOT_REPORTED if a == v.NOT_REPORTED else "reported")
    rows += _rows("antibody results", antibodies_reported, ("reported", v.NOT_REPORTED))
    rows += _rows("malignancy", patients.malignancy, v.YES_NO)
    rows += _rows("kidney presentation", patients.kidney_presentation, v.KIDNEY_PRESENTATION)
    rows += _rows("timing of kidney disease", patients.ns_timing, v.NS_TIMING)
    frame = pd.DataFrame(rows)
    return frame[(frame.patients > 0) | (frame.characteristic == "age, years")]


def timing_table(patients: pd.DataFrame) -> pd.DataFrame:
    stated = patients[patients.ns_timing != v.NOT_REPORTED]
    return stated[["study_id", "patient_id", "myositis_type", "ns_timing", "ns_timing_months",
                   "renal_histology"]].sort_values(["ns_timing", "ns_timing_months"], kind="stable")
