"""The patients an analysis covers: the report parameters (the sensitivity-analysis switches) applied to
the tidy tables. Pure; the data catalog caches its result so a build selects once."""

from __future__ import annotations

import pandas as pd

from pipeline.core import vocabulary as v


def select_patients(patients: pd.DataFrame, studies: pd.DataFrame, include_comparator: bool = False,
                    biopsy_proven_only: bool = False, age_group: str = "all", year_min: int = 1900,
                    year_max: int = 2100, keep_undated_reports: bool = True, **_ignored) -> pd.DataFrame:
    """The patients the analysis covers under the report parameters (the sensitivity-analysis switches). A
    report whose page shows no year is kept or left out as `keep_undated_reports` says: either way is a choice
    about its unknown date, and the report states how many such reports the analysis holds."""
    years = patients.study_id.map(studies.set_index("study_id").year)
    keep = years.between(year_min, year_max) | (years.isna() & keep_undated_reports)
    if not include_comparator:
        keep &= ~patients.myositis_type.isin(v.COMPARATOR_TYPES)
    if biopsy_proven_only:
        keep &= ~patients.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY)
    if age_group != "all":
        keep &= patients.age_group == age_group
    return patients[keep].copy()
