"""Histology by subgroup (age group, antibodies, malignancy, timing) and each subgroup level against the
rest with Fisher's exact test (scipy). Descriptive: case reports are selected by what authors published."""

from __future__ import annotations

import pandas as pd
from scipy.stats import fisher_exact

from pipeline.core import vocabulary as v
from pipeline.synthesis.proportions import has_antibody


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


# A comparison with fewer biopsied patients than this on either side is not tested: a p value from 1 of 2 against
# 0 of 7 reads as evidence and is noise.
MIN_GROUP = 5
TOO_FEW = "too few patients to compare"


def associations(patients: pd.DataFrame, min_group: int = MIN_GROUP) -> pd.DataFrame:
    """For each subgroup level against the rest and each lesion: the 2x2 counts and Fisher's exact p
    (two-sided, uncorrected), or TOO_FEW when either side has fewer than `min_group` patients. Patients with
    the subgroup not reported, or no biopsy, are left out."""
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
                enough = min(a + b, c + d) >= min_group
                p = round(float(fisher_exact([[a, b], [c, d]])[1]), 3) if enough else TOO_FEW
                rows.append({"subgroup": f"{name}: {level}", "lesion": lesion, "lesion in subgroup": f"{a} of {a + b}",
                             "lesion in others": f"{c} of {c + d}", "Fisher p (uncorrected)": p})
    return pd.DataFrame(rows, columns=["subgroup", "lesion", "lesion in subgroup", "lesion in others",
                                       "Fisher p (uncorrected)"])
