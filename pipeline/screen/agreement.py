"""Agreement between independent reviewers: percent agreement and Cohen's kappa (statsmodels) per stage and
reviewer pair, for screening, and per field for dual extraction."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

from pipeline.screen.ledger import CONSENSUS, current


def cohen_kappa(first: list[str], second: list[str]) -> float | None:
    """Cohen's kappa of two raters over the same items (statsmodels); None where it is undefined
    (no items, or a single category used by both raters)."""
    if not first or len(first) != len(second):
        return None
    categories = sorted(set(first) | set(second))
    if len(categories) < 2:
        return None
    index = {c: i for i, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)))
    for a, b in zip(first, second):
        table[index[a], index[b]] += 1
    with np.errstate(invalid="ignore", divide="ignore"):  # only kappa is used, not its variance terms
        return float(cohens_kappa(table).kappa)


def agreement(ledger: pd.DataFrame) -> pd.DataFrame:
    """Per stage and reviewer pair: records both screened, percent agreement and Cohen's kappa."""
    rows = []
    independent = current(ledger)
    independent = independent[independent.reviewer != CONSENSUS]
    for stage, group in independent.groupby("stage", sort=True):
        # {reviewer: {record: decision}}, made once per stage: there are many more pairs than reviewers
        decided = {reviewer: dict(zip(rows_of.record_id, rows_of.decision))
                   for reviewer, rows_of in group.groupby("reviewer", sort=True)}
        reviewers = list(decided)
        for i, first in enumerate(reviewers):
            for second in reviewers[i + 1:]:
                a, b = decided[first], decided[second]
                both = sorted(a.keys() & b.keys())
                if not both:
                    continue
                da, db = [a[r] for r in both], [b[r] for r in both]
                rows.append({"stage": stage, "reviewer_a": first, "reviewer_b": second, "n_records": len(both),
                             "percent_agreement": round(100 * sum(x == y for x, y in zip(da, db)) / len(both), 1),
                             "cohen_kappa": cohen_kappa(da, db)})
    return pd.DataFrame(rows, columns=["stage", "reviewer_a", "reviewer_b", "n_records", "percent_agreement",
                                       "cohen_kappa"])


def coverage(ledger: pd.DataFrame, canonical: dict[str, str]) -> pd.DataFrame:
    """Per stage: records decided (after deduplication) and how many of them two or more reviewers decided
    independently (the double-screened share the report states)."""
    independent = current(ledger)
    independent = independent[(independent.reviewer != CONSENSUS)
                               & independent.record_id.map(lambda r: canonical.get(r, r) == r)]
    rows = []
    for stage, group in independent.groupby("stage", sort=True):
        per_record = group.groupby("record_id").reviewer.nunique()
        rows.append({"stage": stage, "records decided": len(per_record),
                     "decided by two or more reviewers": int((per_record >= 2).sum()),
                     "share": round(float((per_record >= 2).mean()), 3)})
    return pd.DataFrame(rows, columns=["stage", "records decided", "decided by two or more reviewers", "share"])
