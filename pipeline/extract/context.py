"""Context studies: cohorts and reviews without individual patients. Cited with their reported counts,
never turned into patient rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.core.errors import InvalidDataError
from pipeline.core.forms import read_form

COHORT_FIELDS = ("study_id", "record_id", "title", "first_author", "year", "journal", "doi", "pmid", "url",
                 "design", "n_patients", "n_kidney_involvement", "histology_counts", "outcomes", "provenance")
COHORT_DESIGNS = ("cohort", "review", "case series (aggregate)", "systematic review")


def read_cohorts(path: Path) -> pd.DataFrame:
    columns = [f for f in COHORT_FIELDS if f != "histology_counts"] + ["histology"]
    if not Path(path).exists():
        return pd.DataFrame(columns=columns)
    form = read_form(path)
    entries = form.data.get("cohorts")
    if not isinstance(entries, list):
        raise InvalidDataError([f"{form.where('cohorts')}: cohorts: expected a list of context studies"])
    rows, problems = [], []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"{form.where('cohorts', i)}: cohorts: each context study is a mapping of fields "
                            f"({type(entry).__name__})")
            continue
        for key in entry:
            if key not in COHORT_FIELDS:
                problems.append(f"{form.where('cohorts', i, key)}: {key}: unknown field")
        for key in ("study_id", "title", "url", "design", "provenance"):
            if not str(entry.get(key) or "").strip():
                problems.append(f"{form.where('cohorts', i)}: {key}: required value is missing ()")
        if entry.get("design") not in COHORT_DESIGNS:
            problems.append(f"{form.where('cohorts', i, 'design')}: design: not one of "
                            f"{' | '.join(COHORT_DESIGNS)} ({entry.get('design')})")
        histology = entry.get("histology_counts") or {}
        if not isinstance(histology, dict):
            problems.append(f"{form.where('cohorts', i, 'histology_counts')}: histology_counts: a mapping of "
                            f"lesion: count ({histology!r})")
            histology = {}
        for lesion, n in histology.items():
            if lesion not in v.RENAL_HISTOLOGY:
                problems.append(f"{form.where('cohorts', i, 'histology_counts', lesion)}: histology_counts: "
                                f"not in the vocabulary ({lesion})")
            if not isinstance(n, int) or n < 0:
                problems.append(f"{form.where('cohorts', i, 'histology_counts', lesion)}: histology_counts: "
                                f"not a count ({n})")
        for key in ("n_patients", "n_kidney_involvement", "year"):
            value = entry.get(key)
            if value is not None and (not isinstance(value, int) or value < 0):
                problems.append(f"{form.where('cohorts', i, key)}: {key}: not a whole number ({value})")
        row = {key: entry.get(key) for key in COHORT_FIELDS if key != "histology_counts"}
        row["histology"] = "; ".join(f"{lesion}: {n}" for lesion, n in histology.items())
        rows.append(row)
    if problems:
        raise InvalidDataError(problems)
    frame = pd.DataFrame(rows, columns=columns)
    for key in ("n_patients", "n_kidney_involvement", "year"):
        frame[key] = pd.array(frame[key], dtype="Int64")
    return frame
