"""Patient-level synthesis: selection by the report parameters, proportions with binomial confidence
intervals, subgroup-by-histology associations, and treatment outcomes. Pure functions over the tidy
tables; notebooks call them and narrate."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from scipy.stats import fisher_exact
from statsmodels.stats.proportion import proportion_confint

from . import vocabulary as v
from .tabular import read_table

# Below this denominator a percentage reads more certain than the counts are: show counts only.
SMALL_DENOMINATOR = 10


@dataclass(frozen=True)
class Tables:
    studies: pd.DataFrame
    patients: pd.DataFrame
    treatments: pd.DataFrame
    appraisals: pd.DataFrame
    cohorts: pd.DataFrame
    prisma: pd.DataFrame
    screening_decisions: pd.DataFrame
    screening_agreement: pd.DataFrame
    extraction_agreement: pd.DataFrame
    search_log: pd.DataFrame


def load_tables(folder: str | Path) -> Tables:
    folder = Path(folder)
    return Tables(**{name: read_table(folder / f"{name}.csv") for name in Tables.__dataclass_fields__})


def select_patients(patients: pd.DataFrame, studies: pd.DataFrame, include_comparator: bool = False,
                    biopsy_proven_only: bool = False, age_group: str = "all", year_min: int = 1900,
                    year_max: int = 2100, **_ignored) -> pd.DataFrame:
    """The patients the analysis covers under the report parameters (the sensitivity-analysis switches)."""
    years = patients.study_id.map(studies.set_index("study_id").year)
    # A report whose page shows no year is kept: leaving it out would be a guess about its date.
    keep = years.between(year_min, year_max) | years.isna()
    if not include_comparator:
        keep &= ~patients.myositis_type.isin(v.COMPARATOR_TYPES)
    if biopsy_proven_only:
        keep &= ~patients.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY)
    if age_group != "all":
        keep &= patients.age_group == age_group
    return patients[keep].copy()


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
        rows.append({"category": category, "n": k, "of": total, **_percent_cells(k, total, level)})
    return pd.DataFrame(rows)


def _percent_cells(k: int, n: int, level: float) -> dict[str, str]:
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
    return pd.DataFrame({"antibody": counts.index, "patients": counts.values, "of reported": len(tested)})


def has_antibody(patients: pd.DataFrame, antibody: str) -> pd.Series:
    """yes / no / not reported per patient for one antibody."""
    return patients.antibodies.map(
        lambda text: v.NOT_REPORTED if text == v.NOT_REPORTED
        else ("yes" if antibody in text.split(v.ANTIBODY_SEPARATOR) else "no"))


def subgroups(patients: pd.DataFrame) -> dict[str, pd.Series]:
    """The subgroupings the report compares histology across; 'not reported' stays its own level."""
    return {
        "age group": patients.age_group,
        "anti-MDA5": has_antibody(patients, "anti-MDA5"),
        "anti-TIF1g": has_antibody(patients, "anti-TIF1g"),
        "anti-NXP2": has_antibody(patients, "anti-NXP2"),
        "malignancy": patients.malignancy,
        "timing": patients.ns_timing,
    }


def histology_by_subgroup(patients: pd.DataFrame, grouping: pd.Series) -> pd.DataFrame:
    biopsied = patients[~patients.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY)]
    table = pd.crosstab(biopsied.renal_histology, grouping.loc[biopsied.index])
    return table.rename_axis(index="histology", columns=None)


def associations(patients: pd.DataFrame) -> pd.DataFrame:
    """For each subgroup level against the rest and each lesion: the 2x2 counts and Fisher's exact p
    (two-sided, uncorrected). Patients with the subgroup not reported, or no biopsy, are left out."""
    biopsied = patients[~patients.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY)]
    rows = []
    for name, grouping in subgroups(patients).items():
        grouping = grouping.loc[biopsied.index]
        known = grouping != v.NOT_REPORTED
        levels = sorted(grouping[known].unique())
        if len(levels) < 2:
            continue
        # A two-level grouping needs one comparison, not two mirrored ones.
        for level in (levels[:1] if len(levels) == 2 else levels):
            in_group = grouping[known] == level
            for lesion in sorted(biopsied.renal_histology.unique()):
                has = biopsied.renal_histology[known] == lesion
                a, b = int((in_group & has).sum()), int((in_group & ~has).sum())
                c, d = int((~in_group & has).sum()), int((~in_group & ~has).sum())
                if a + c == 0:
                    continue
                _, p = fisher_exact([[a, b], [c, d]])
                rows.append({"subgroup": f"{name}: {level}", "lesion": lesion, "lesion in subgroup": f"{a}/{a + b}",
                             "lesion in others": f"{c}/{c + d}", "Fisher p (uncorrected)": round(float(p), 3)})
    return pd.DataFrame(rows, columns=["subgroup", "lesion", "lesion in subgroup", "lesion in others",
                                       "Fisher p (uncorrected)"])


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
                     **_percent_cells(remission, len(known), level)})
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
