"""The frequency section: each cohort's proportion, the pooled figures with their intervals, the forest plots
and the leave-one-out sensitivity, with the warning when fewer than three cohorts make a figure fragile."""

from __future__ import annotations

import pandas as pd

from pipeline.synthesis.answer import dermatomyositis_only
from pipeline.synthesis.meta import (
    DM_ONLY,
    FRAGILE_BELOW,
    METHOD_NAMES,
    leave_one_out,
    study_proportions,
)

FOREST_OUTCOMES = ("kidney involvement", "proteinuria", "biopsy-proven glomerular disease")


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def study_labels(cohorts: pd.DataFrame) -> dict[str, str]:
    """'Couvrat-Desvergnes 2014' for each context study."""
    return {row.study_id: f"{row.first_author} {int(row.year)}" if pd.notna(row.year) else str(row.first_author)
            for row in cohorts.itertuples()}


def cohort_rows(inputs: pd.DataFrame, outcome: str, level: float) -> pd.DataFrame:
    rows = study_proportions(inputs[inputs.outcome == outcome], level)
    return pd.DataFrame({
        "study": rows.study_id, "patients": rows.population, "events": rows.events, "n": rows.n,
        "proportion": rows.proportion.map(_percent),
        f"{level:.0%} exact interval": [f"{_percent(a)} to {_percent(b)}" for a, b in zip(rows.ci_low, rows.ci_high)],
        "where stated": rows.provenance})


def pooled_rows(pooled: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "outcome": pooled.outcome, "method": pooled.method.map(METHOD_NAMES), "cohorts": pooled.k,
        "events / patients": [f"{e} / {n}" for e, n in zip(pooled.events, pooled.n)],
        "pooled": pooled.estimate.map(_percent),
        "confidence interval": [f"{_percent(a)} to {_percent(b)}" for a, b in zip(pooled.ci_low, pooled.ci_high)],
        "prediction interval": [f"{_percent(a)} to {_percent(b)}" for a, b in zip(pooled.pi_low, pooled.pi_high)],
        "tau²": pooled.tau2.map(lambda x: f"{x:.3f}"), "I²": pooled.i2.map(lambda x: f"{100 * x:.0f}%"),
        "note": [("fragile: fewer than three cohorts" if k < FRAGILE_BELOW else "") for k in pooled.k]})


def single_study_outcomes(inputs: pd.DataFrame) -> pd.DataFrame:
    """Outcomes only one cohort reports: shown, not pooled."""
    counts = inputs.groupby("outcome").study_id.nunique()
    alone = inputs[inputs.outcome.isin(counts[counts == 1].index)]
    return pd.DataFrame({"outcome": alone.outcome, "study": alone.study_id, "patients": alone.population,
                         "events / n": [f"{e} / {n}" for e, n in zip(alone.events, alone.n)]})


def sensitivity(inputs: pd.DataFrame, outcome: str, level: float) -> pd.DataFrame:
    table = leave_one_out(inputs, outcome, "DL", level)
    return pd.DataFrame({"cohort left out": table["left out"], "cohorts": table.k,
                         "pooled (DerSimonian-Laird)": table.estimate.map(_percent),
                         "confidence interval": [f"{_percent(a)} to {_percent(b)}"
                                                 for a, b in zip(table.ci_low, table.ci_high)]})


def dermatomyositis_only_rows(inputs: pd.DataFrame, level: float) -> pd.DataFrame:
    """Every proportion a cohort restricted to dermatomyositis reports (pooled again on their own when two
    such cohorts report one outcome)."""
    restricted = inputs[inputs.scope == DM_ONLY]
    frames = [cohort_rows(restricted, outcome, level).assign(outcome=outcome)
              for outcome in sorted(restricted.outcome.unique())]
    columns = ["outcome", "study", "patients", "events", "n", "proportion", f"{level:.0%} exact interval"]
    return pd.concat(frames)[columns] if frames else pd.DataFrame(columns=columns)


def dermatomyositis_only_sentence(pooled: pd.DataFrame, inputs: pd.DataFrame) -> str:
    statements = dermatomyositis_only(pooled, inputs)
    return statements[0].text if statements else "No cohort restricted to dermatomyositis reports a proportion."
