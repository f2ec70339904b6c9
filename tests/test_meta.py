"""Pooled proportions checked against R's metafor (rma, measure "PLO", methods DL and PM) on two published data
sets shipped with metadat and on the review's own cohorts. The reference values were printed by
tests/reference/metafor_proportions.R (metafor 3.8-1); R is not needed to run these tests."""

from __future__ import annotations

import pandas as pd
import pytest

from pipeline.synthesis.meta import (
    DM_ONLY_SUFFIX,
    leave_one_out,
    logit_effects,
    pool,
    pooled_table,
    study_proportions,
)

# (events, n) and metafor's output: (estimate, ci_low, ci_high, pi_low, pi_high, tau2, i2) per method.
REFERENCE = {
    "pritz1997": (
        [16, 10, 4, 43, 10, 25, 13, 12, 22, 4, 5, 18, 58, 6], [17, 12, 8, 58, 10, 42, 14, 12, 41, 5, 6, 23, 68, 10],
        {"DL": (0.757307, 0.660567, 0.833428, 0.467145, 0.917401, 0.361558, 0.5635),
         "PM": (0.758661, 0.660199, 0.835693, 0.459150, 0.920888, 0.385859, 0.5795)}),
    "debruin2009": (
        [11, 24, 179, 82, 60, 11, 99, 9, 88, 17, 26, 23, 40], [29, 33, 326, 240, 110, 29, 244, 17, 215, 26, 138, 55, 54],
        {"DL": (0.469366, 0.389710, 0.550614, 0.229303, 0.724496, 0.281397, 0.8749),
         "PM": (0.472045, 0.379766, 0.566275, 0.195557, 0.766818, 0.404225, 0.9095)}),
    "kidney_involvement": (
        [35, 30, 14], [150, 146, 65],
        {"DL": (0.219101, 0.179384, 0.264775, 0.179384, 0.264775, 0.0, 0.0),
         "PM": (0.219101, 0.179384, 0.264775, 0.179384, 0.264775, 0.0, 0.0)}),
}
FIELDS = ("estimate", "ci_low", "ci_high", "pi_low", "pi_high", "tau2", "i2")


@pytest.mark.parametrize("name", REFERENCE)
@pytest.mark.parametrize("method", ["DL", "PM"])
def test_pooled_proportions_match_metafor_to_three_decimals(name, method):
    events, n, expected = REFERENCE[name]
    result = pool(events, n, method)
    assert result["k"] == len(events) and result["events"] == sum(events) and result["n"] == sum(n)
    for field, value in zip(FIELDS, expected[method]):
        assert result[field] == pytest.approx(value, abs=5e-4), (name, method, field)


def test_a_study_with_all_or_no_events_gets_half_a_patient_added_to_each_cell():
    y, v = logit_effects([10, 0, 3], [10, 8, 6])
    assert y[0] == pytest.approx(pytest.approx(float(__import__("math").log(10.5 / 0.5))))
    assert v[1] == pytest.approx(1 / 0.5 + 1 / 8.5)
    assert y[2] == pytest.approx(0.0) and v[2] == pytest.approx(1 / 3 + 1 / 3)


def test_one_study_cannot_be_pooled_and_only_outcomes_of_two_or_more_studies_are():
    with pytest.raises(ValueError, match="two or more"):
        pool([3], [10])
    inputs = pd.DataFrame({"outcome": ["kidney involvement"] * 3 + ["thrombotic microangiopathy"],
                           "study_id": ["a", "b", "c", "d"], "events": [35, 30, 14, 4], "n": [150, 146, 65, 26],
                           "scope": ["mixed myositis"] * 3 + ["dermatomyositis only"]})
    table = pooled_table(inputs)
    assert list(table.outcome.unique()) == ["kidney involvement"]
    assert list(table.method) == ["DL", "PM"]
    assert ((table.estimate > 0) & (table.estimate < 1) & (table.ci_low <= table.estimate)).all()


def test_dermatomyositis_only_cohorts_are_pooled_again_on_their_own():
    inputs = pd.DataFrame({"outcome": ["proteinuria"] * 3, "study_id": ["a", "b", "c"], "events": [19, 2, 5],
                           "n": [146, 9, 30], "scope": ["mixed myositis", "dermatomyositis only", "dermatomyositis only"]})
    table = pooled_table(inputs).set_index(["outcome", "method"])
    assert table.loc[("proteinuria", "DL"), "k"] == 3
    dm_only = table.loc[("proteinuria" + DM_ONLY_SUFFIX, "DL")]
    assert dm_only.k == 2 and dm_only.events == 7 and dm_only.n == 39
    assert dm_only.estimate == pytest.approx(pool([2, 5], [9, 30])["estimate"])


def test_study_intervals_are_exact_and_leave_one_out_drops_each_study_once():
    inputs = pd.DataFrame({"outcome": ["x"] * 3, "study_id": ["a", "b", "c"], "events": [0, 5, 10], "n": [10, 10, 10]})
    rows = study_proportions(inputs)
    assert rows.ci_low.iloc[0] == 0.0 and rows.ci_high.iloc[2] == 1.0  # Clopper-Pearson at the edges
    assert rows.ci_high.iloc[0] == pytest.approx(0.3084971, abs=1e-6)  # exact upper bound for 0/10
    loo = leave_one_out(inputs, "x")
    assert list(loo["left out"]) == ["a", "b", "c"] and (loo.k == 2).all()
    assert leave_one_out(inputs.head(2), "x").empty  # two studies: no leave-one-out
