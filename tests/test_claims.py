"""Each claim of the chatbot answer is met by a rule over the tidy tables; the verdict says no more than the
patients and cohorts allow, and names the doses and durations no report states."""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml

from pipeline.core.errors import InvalidDataError
from pipeline.synthesis.claims import Claim, check, read_claims
from test_answer import frame, patient

TREATMENTS = pd.DataFrame([
    {"patient_id": "a-1", "agent": "glucocorticoid", "target": "both", "dose": "1 mg/kg/day", "duration": "6 months"},
    {"patient_id": "a-1", "agent": "mycophenolate", "target": "kidney", "dose": "not reported",
     "duration": "not reported"},
    {"patient_id": "b-1", "agent": "glucocorticoid", "target": "both", "dose": "not reported",
     "duration": "not reported"},
])
PATIENTS = frame(patient("a-1", renal_outcome="complete remission"), patient("b-1", renal_outcome="no remission"),
                 patient("c-1"))
ANY_STEROID = {"agents_any": ["glucocorticoid"]}


def claim(**fields) -> Claim:
    return Claim(**{"id": "x", "text": "a claim", "population": {}, "supports": None, "contradicts": None, **fields})


def test_supporting_and_contradicting_cases_are_both_named():
    verdict = check(claim(population=ANY_STEROID,
                          supports={"renal_outcome": ["complete remission"]},
                          contradicts={"renal_outcome": ["no remission"]}), PATIENTS, TREATMENTS)
    assert verdict.bearing == ["a-1", "b-1"]
    assert verdict.verdict == "supported by 1 case, contradicted by 1 case"


def test_a_claimed_dose_no_report_states_is_named_in_the_verdict():
    verdict = check(claim(population=ANY_STEROID, supports={"renal_outcome": ["complete remission"]},
                          doses=("glucocorticoid", "mycophenolate")), PATIENTS, TREATMENTS)
    assert verdict.doses == {"glucocorticoid": [("a-1", "1 mg/kg/day")], "mycophenolate": []}
    assert verdict.verdict == "supported by 1 case; no report read states a mycophenolate dose"


def test_bearing_cases_without_a_deciding_outcome_leave_a_claim_not_settled():
    verdict = check(claim(population={"kidney_treatment": True}, durations=True), PATIENTS,
                    TREATMENTS.assign(duration="not reported"))
    assert verdict.verdict == ("not settled: 2 cases bear on it, none with the outcome that would decide it; "
                               "no report read states a duration")


def test_cohorts_support_a_claim_no_case_bears_on_and_a_claim_nothing_bears_on_is_not_addressed():
    cohorts = pd.DataFrame({"outcome": ["thrombotic microangiopathy"], "study_id": ["m"], "events": [4], "n": [26]})
    mda5 = claim(population={"antibody": "anti-MDA5"}, supports={"renal_histology": "thrombotic microangiopathy"},
                 cohort_outcomes=("thrombotic microangiopathy",))
    assert check(mda5, PATIENTS, TREATMENTS, cohorts).verdict == "supported by 4 patients in 1 cohort"
    assert check(mda5, PATIENTS, TREATMENTS, cohorts.iloc[0:0]).verdict == "not addressed by the evidence"


def test_the_answers_citations_must_be_studies_of_the_review(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"claims": [{"id": "1", "text": "t", "population": {},
                                                "cohort_outcomes": ["kidney involvement"]}],
                                    "citations": [{"label": "1: a report", "study_id": "ghost2020", "note": ""},
                                                  {"label": "2: another", "study_id": None, "note": "not found"}]}))
    with pytest.raises(InvalidDataError) as caught:
        read_claims(path, known_studies={"real2021"})
    [problem] = caught.value.problems
    assert re.fullmatch(rf"{re.escape(str(path))}:\d+: study_id: not a study of this review \(ghost2020; null when "
                        r"the evidence base holds no such report\)", problem), problem
    claims, citations = read_claims(path)
    assert [c.study_id for c in citations] == ["ghost2020", None]


def test_an_unknown_cohort_outcome_is_refused_with_its_place(tmp_path):
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"claims": [{"id": "1", "text": "t", "population": {},
                                                "cohort_outcomes": ["kidney stones"]}]}))
    with pytest.raises(InvalidDataError) as caught:
        read_claims(path)
    assert "cohort_outcomes: not a cohort outcome (kidney stones" in caught.value.problems[0]
