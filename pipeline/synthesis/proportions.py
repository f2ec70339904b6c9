"""Proportions with binomial confidence intervals (statsmodels' Wilson interval), the age summary and the
antibody counts. Pure functions over the tidy tables; notebooks call them and narrate."""

from __future__ import annotations

import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from pipeline.core import vocabulary as v

# Below this denominator a percentage reads more certain than the counts are: show counts only.
SMALL_DENOMINATOR = 10


def confidence_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=1 - level, method="wilson")
    return float(low), float(high)


def proportions(values: pd.Series, categories: tuple[str, ...] | list[str], level: float = 0.95,
                denominator_excludes: tuple[str, ...] = ()) -> pd.DataFrame:
    """n, percent and Wilson CI per category; the denominator leaves out `denominator_excludes`
    (e.g. 'not reported'), which are still counted in their own row without a percentage."""
    counted = values[~values.isin(denominator_excludes)]
    total = len(counted)
    rows = []
    for category in categories:
        k = int((values == category).sum())
        if category in denominator_excludes:
            rows.append({"category": category, "n": k, "of": "", "percent": "", "95% CI": ""})
            continue
        rows.append({"category": category, "n": k, "of": total, **percent_cells(k, total, level)})
    return pd.DataFrame(rows)


def percent_cells(k: int, n: int, level: float) -> dict[str, str]:
    if n == 0:
        return {"percent": "", "95% CI": ""}
    if n < SMALL_DENOMINATOR:
        return {"percent": "counts only", "95% CI": ""}
    low, high = confidence_interval(k, n, level)
    return {"percent": f"{100 * k / n:.0f}%", "95% CI": f"{100 * low:.0f}–{100 * high:.0f}%"}


def age_summary(patients: pd.DataFrame) -> dict[str, object]:
    ages = patients.age_years.dropna()
    if ages.empty:
        return {"n_with_age": 0}
    return {"n_with_age": int(len(ages)), "median": float(ages.median()), "q1": float(ages.quantile(0.25)),
            "q3": float(ages.quantile(0.75)), "min": float(ages.min()), "max": float(ages.max())}


def antibody_counts(patients: pd.DataFrame) -> pd.DataFrame:
    """How many patients carry each antibody, among those whose antibodies were reported."""
    tested = patients[patients.antibodies != v.NOT_REPORTED]
    tokens = tested.antibodies.str.split(v.ANTIBODY_SEPARATOR).explode()
    counts = tokens[tokens != "none"].value_counts()
    return pd.DataFrame({"antibody": counts.index, "patients positive": counts.values,
                         "of patients with antibody results": len(tested)})


def has_antibody(patients: pd.DataFrame, antibody: str) -> pd.Series:
    """yes / no / not reported per patient for one antibody."""
    return patients.antibodies.map(
        lambda text: v.NOT_REPORTED if text == v.NOT_REPORTED
        else ("yes" if antibody in text.split(v.ANTIBODY_SEPARATOR) else "no"))
