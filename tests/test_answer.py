"""The answer at the top of the report: each statement's numbers follow from the tables, its certainty from
the kind of evidence, and a statement the data cannot make is not made. Also the selection switch for undated
reports and the associations' refusal to compare tiny groups."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.synthesis.answer import (
    answer,
    dermatomyositis_only,
    frequency,
    lesions,
    presentation,
    timing,
    treatment,
)
from pipeline.synthesis.associations import TOO_FEW, associations
from pipeline.synthesis.meta import pooled_table
from pipeline.synthesis.selection import select_patients

NR = "not reported"


def patient(patient_id: str, **values) -> dict:
    row = {"patient_id": patient_id, "study_id": patient_id.split("-")[0], "age_years": 50, "age_group": "adult",
           "sex": "F", "myositis_type": "DM", "antibodies": NR, "malignancy": NR, "malignancy_type": NR,
           "kidney_presentation": "other", "ns_timing": NR, "ns_timing_months": None, "proteinuria_g_day": None,
           "serum_albumin_g_dl": None, "biopsy_done": "yes", "renal_histology": "FSGS", "renal_outcome": NR,
           "muscle_outcome": NR, "died": NR, "follow_up_months": None}
    row.update(values)
    return row


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def cohort_inputs(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["outcome", "study_id", "events", "n", "scope", "population"])


def test_pooled_frequency_states_its_numbers_and_is_low_or_very_low_by_the_number_of_cohorts():
    inputs = cohort_inputs(("kidney involvement", "a", 35, 150, "mixed myositis", "PM and DM"),
                           ("kidney involvement", "b", 30, 146, "mixed myositis", "PM and DM"),
                           ("kidney involvement", "c", 14, 65, "mixed myositis", "PM and DM"),
                           ("proteinuria", "a", 19, 146, "mixed myositis", "PM and DM"),
                           ("proteinuria", "b", 14, 65, "mixed myositis", "PM and DM"))
    pooled = pooled_table(inputs)
    involvement, proteinuria = frequency(pooled, inputs)
    dl = pooled[(pooled.outcome == "kidney involvement") & (pooled.method == "DL")].iloc[0]
    assert involvement.text.startswith("In 3 cohorts (361 patients")
    assert f"{100 * dl.estimate:.0f}%" in involvement.text and "DerSimonian-Laird" in involvement.text
    assert involvement.certainty == "low" and involvement.citations == ("a", "b", "c")
    assert proteinuria.certainty == "very low" and "fragile" in proteinuria.text
    assert "2 studies, imprecise" in proteinuria.reason


def test_without_two_dermatomyositis_only_cohorts_nothing_is_pooled_for_dm_alone_and_the_single_ones_are_listed():
    inputs = cohort_inputs(("proteinuria", "a", 19, 146, "mixed myositis", "PM and DM, one centre"),
                           ("proteinuria", "t", 2, 9, "dermatomyositis only", "juvenile dermatomyositis, one centre"))
    [statement] = dermatomyositis_only(pooled_table(inputs), inputs)
    assert "no dermatomyositis-only figure is pooled" in statement.text
    assert "proteinuria in 2 of 9 (juvenile dermatomyositis)" in statement.text
    assert statement.citations == ("t",)
    assert dermatomyositis_only(pooled_table(inputs[:1]), inputs[:1]) == []


def test_two_dermatomyositis_only_cohorts_give_a_pooled_dm_figure():
    inputs = cohort_inputs(("proteinuria", "t", 2, 9, "dermatomyositis only", "juvenile dermatomyositis"),
                           ("proteinuria", "u", 5, 30, "dermatomyositis only", "adult dermatomyositis"))
    [statement] = dermatomyositis_only(pooled_table(inputs), inputs)
    assert statement.text.startswith("Restricted to dermatomyositis, the pooled figures are: proteinuria ")
    assert "2 cohorts" in statement.text


def test_presentation_counts_the_nephrotic_and_names_the_others():
    patients = frame(patient("a-1", kidney_presentation="nephrotic syndrome"),
                     patient("b-1", kidney_presentation="sub-nephrotic proteinuria"),
                     patient("c-1"), patient("d-1"))
    [statement] = presentation(patients)
    assert statement.text == ("Nephrotic syndrome or nephrotic-range proteinuria is stated for 1 of 4 patients; the "
                              "others: a glomerular lesion on biopsy, amount of proteinuria not stated 2, "
                              "sub-nephrotic proteinuria 1.")
    assert statement.citations == ("a",)


def test_lesions_name_every_tied_lesion_as_a_list_and_do_not_count_other_glomerular_as_named():
    patients = frame(*[patient(f"{k}-1", renal_histology=h) for k, h in
                       zip("abcdefgh", ["IgA nephropathy", "IgA nephropathy", "crescentic GN", "crescentic GN",
                                        "lupus nephritis", "lupus nephritis", "other glomerular", "other glomerular"])],
                     patient("i-1", biopsy_done="no", renal_histology="no biopsy"))
    [statement] = lesions(patients)
    assert statement.text.startswith("8 of 9 patients had a kidney biopsy diagnosis: IgA nephropathy 2, "
                                     "crescentic GN 2, lupus nephritis 2, other glomerular 2.")
    assert statement.text.endswith("the most frequent named lesions are IgA nephropathy, crescentic GN and lupus "
                                   "nephritis (2 each).")
    assert "i" not in statement.citations


def test_timing_counts_only_what_is_stated_and_is_not_made_when_nothing_is():
    patients = frame(patient("a-1", ns_timing="after", ns_timing_months=12.0),
                     patient("b-1", ns_timing="after", ns_timing_months=120.0),
                     patient("c-1", ns_timing="concurrent"), patient("d-1"))
    [statement] = timing(patients)
    assert "stated for 3 of 4 patients" in statement.text
    assert "before the myositis in 0, within three months of it in 1 and after it in 2" in statement.text
    assert "12 to 120 months after" in statement.text
    assert statement.citations == ("a", "b", "c")
    assert timing(frame(patient("d-1"))) == []


def test_treatment_counts_agents_doses_and_outcomes_and_never_counts_silence_as_an_outcome():
    patients = frame(patient("a-1", renal_outcome="complete remission"),
                     patient("b-1", renal_outcome="improved, remission not defined"), patient("c-1"))
    treatments = pd.DataFrame([
        {"patient_id": "a-1", "agent": "glucocorticoid", "target": "both", "dose": "1 mg/kg/day", "duration": NR},
        {"patient_id": "a-1", "agent": "cyclophosphamide", "target": "kidney", "dose": NR, "duration": NR},
        {"patient_id": "b-1", "agent": "glucocorticoid", "target": "both", "dose": NR, "duration": NR},
    ])
    [statement] = treatment(patients, treatments)
    assert statement.text == ("A treatment is reported for 2 of 3 patients: glucocorticoid 2, cyclophosphamide 1. "
                              "A dose is stated for 1 of 3 treatments given. The kidney outcome is stated for 2: "
                              "defined remission in 1, improvement without a remission definition in 1, no "
                              "remission, kidney failure or death in 0.")
    assert statement.certainty == "very low" and statement.citations == ("a", "b")


def test_every_statement_has_a_certainty_and_a_reason_and_cites_its_sources():
    patients = frame(patient("a-1", kidney_presentation="nephrotic syndrome", ns_timing="before", age_group="juvenile",
                             malignancy="no"), patient("b-1", renal_histology="lupus nephritis"))
    treatments = pd.DataFrame(columns=["patient_id", "agent", "target", "dose", "duration"])
    statements = answer(patients, treatments, pooled_table(cohort_inputs()), cohort_inputs())
    assert {s.facet for s in statements} >= {"Which lesions", "When", "In whom", "What the evidence cannot say"}
    for statement in statements:
        assert statement.certainty in ("low", "very low") and statement.reason
        if statement.facet != "What the evidence cannot say":
            assert statement.citations and any(ch.isdigit() for ch in statement.text), statement.text


def test_undated_reports_are_kept_or_left_out_as_the_parameter_says():
    patients = frame(patient("dated-1"), patient("undated-1"), patient("old-1"))
    studies = pd.DataFrame({"study_id": ["dated", "undated", "old"], "year": pd.array([2015, None, 1980], "Int64")})
    kept = select_patients(patients, studies, year_min=2000)
    assert list(kept.patient_id) == ["dated-1", "undated-1"]
    left_out = select_patients(patients, studies, year_min=2000, keep_undated_reports=False)
    assert list(left_out.patient_id) == ["dated-1"]


@pytest.mark.parametrize("group_size, compared", [(4, False), (5, True)])
def test_associations_refuse_groups_smaller_than_five(group_size, compared):
    rows = ([patient(f"j{i}-1", age_group="juvenile", renal_histology="FSGS") for i in range(group_size)]
            + [patient(f"a{i}-1", age_group="adult", renal_histology="IgA nephropathy") for i in range(6)])
    table = associations(frame(*rows))
    row = table[(table.subgroup == "age group: adult") & (table.lesion == "FSGS")].iloc[0]
    assert row["lesion in subgroup"] == "0 of 6" and row["lesion in others"] == f"{group_size} of {group_size}"
    p = row["Fisher p (uncorrected)"]
    assert (p == TOO_FEW) != compared
    if compared:
        assert p < 0.01  # 0 of 6 against 5 of 5
