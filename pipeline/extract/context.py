"""Context studies: cohorts and reviews without individual patients. Cited with their reported counts,
never turned into patient rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.core.errors import InvalidDataError
from pipeline.core.forms import read_form

COHORT_FIELDS = ("study_id", "record_id", "title", "first_author", "year", "journal", "doi", "pmid", "url",
                 "design", "n_patients", "n_kidney_involvement", "histology_counts", "outcomes", "provenance",
                 "proportions", "myositis_scope")
COHORT_DESIGNS = ("cohort", "review", "case series (aggregate)", "systematic review")
# Outcomes a cohort reports as events among patients (pooled when two or more cohorts report one).
PROPORTION_OUTCOMES = ("kidney involvement", "proteinuria", "haematuria", "acute kidney injury",
                       "chronic kidney disease", "biopsy-proven glomerular disease", "thrombotic microangiopathy")
PROPORTION_FIELDS = ("outcome", "events", "n", "population", "provenance")
PROPORTION_COLUMNS = ["outcome", "study_id", "events", "n", "scope", "population", "provenance"]
# Whom a cohort's counts are about: the dermatomyositis-only analysis pools the first kind.
MYOSITIS_SCOPES = ("dermatomyositis only", "mixed myositis")


def _proportion_problems(form, i: int, entry: dict) -> list[str]:
    listed = entry.get("proportions") or []
    if not isinstance(listed, list):
        return [f"{form.where('cohorts', i, 'proportions')}: proportions: a list of outcome, events, n, population, "
                f"provenance"]
    problems = []
    if listed and entry.get("myositis_scope") not in MYOSITIS_SCOPES:
        problems.append(f"{form.where('cohorts', i, 'myositis_scope')}: myositis_scope: a cohort with proportions "
                        f"says whom they count, one of {' | '.join(MYOSITIS_SCOPES)} ({entry.get('myositis_scope')})")
    for j, item in enumerate(listed):
        where = form.where("cohorts", i, "proportions", j)
        if not isinstance(item, dict):
            problems.append(f"{where}: proportions: each is a mapping of {', '.join(PROPORTION_FIELDS)}")
            continue
        unknown = set(item) - set(PROPORTION_FIELDS)
        if unknown:
            problems.append(f"{where}: proportions: unknown field(s) {', '.join(sorted(unknown))}")
        if item.get("outcome") not in PROPORTION_OUTCOMES:
            problems.append(f"{where}: outcome: not one of {' | '.join(PROPORTION_OUTCOMES)} ({item.get('outcome')})")
        events, n = item.get("events"), item.get("n")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (events, n)) or not 0 <= events <= n or n == 0:
            problems.append(f"{where}: events: events and n must be whole numbers with 0 <= events <= n, n > 0 "
                            f"({events}/{n})")
        for key in ("population", "provenance"):
            if not str(item.get(key) or "").strip():
                problems.append(f"{where}: {key}: required value is missing ()")
    return problems


def read_proportions(path: Path) -> pd.DataFrame:
    """The cohorts' reported proportions, one row per outcome and study (the pooled analysis's inputs)."""
    if not Path(path).exists():
        return pd.DataFrame(columns=PROPORTION_COLUMNS)
    form = read_form(path)
    rows = [{"study_id": entry.get("study_id"), "scope": entry.get("myositis_scope"),
             **{k: item.get(k) for k in PROPORTION_FIELDS}}
            for entry in form.data.get("cohorts") or [] if isinstance(entry, dict)
            for item in entry.get("proportions") or [] if isinstance(item, dict)]
    return pd.DataFrame(rows, columns=PROPORTION_COLUMNS)


def read_cohorts(path: Path) -> pd.DataFrame:
    columns = [f for f in COHORT_FIELDS if f not in ("histology_counts", "proportions", "myositis_scope")] + ["histology"]
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
        problems += _proportion_problems(form, i, entry)
        row = {key: entry.get(key) for key in columns if key != "histology"}
        row["histology"] = "; ".join(f"{lesion}: {n}" for lesion, n in histology.items())
        rows.append(row)
    if problems:
        raise InvalidDataError(problems)
    frame = pd.DataFrame(rows, columns=columns)
    for key in ("n_patients", "n_kidney_involvement", "year"):
        frame[key] = pd.array(frame[key], dtype="Int64")
    return frame
