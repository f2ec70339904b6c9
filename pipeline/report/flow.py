"""The search-and-selection section: the PRISMA counts, the reasons for exclusion, who screened and how well they
agreed, how duplicates were matched, and the reports whose text could not be reached."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from pipeline.report.citations import safe_link
from pipeline.report.display import escape, paragraph, table_html

# Below this many records, a pair of reviewers' kappa says little: the pairs are counted, not listed.
MIN_PAIR_RECORDS = 20


def prisma_counts(prisma: pd.DataFrame) -> dict[str, object]:
    """The PRISMA table as {field: count, or the text of a reasons field}. A CSV whose text fields are all empty
    reads back as floats; a whole float is still a count."""
    counts = {}
    for name, value in zip(prisma.data, prisma.n):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = "" if pd.isna(value) else str(value)
        counts[name] = int(text) if text.isdigit() else text
    return counts


def prisma_table(prisma: pd.DataFrame) -> pd.DataFrame:
    """The PRISMA table as shown: an empty reasons field means no report was excluded there, not a value
    missing."""
    return prisma.assign(n=[("none" if pd.isna(n) or str(n) == "" else n) for n in prisma.n])


def exclusion_reasons(decisions: pd.DataFrame) -> pd.DataFrame:
    """Records (after deduplication) excluded at each stage, by reason: the same counts as the flow diagram."""
    kept = decisions[decisions.duplicate_of.fillna("") == ""] if "duplicate_of" in decisions else decisions
    excluded = kept[kept.decision == "exclude"]
    table = excluded.groupby(["stage", "reason"]).size().rename("records").reset_index()
    return table.sort_values(["stage", "records"], ascending=[False, False], kind="stable")


def coverage_sentence(coverage: pd.DataFrame) -> str:
    parts = [f"at {row.stage}, {row['decided by two or more reviewers']} of {row['records decided']} records "
             f"({100 * row.share:.0f}%) were decided by two or more reviewers independently"
             for _, row in coverage.iterrows()]
    return ("Screening was blind: " + "; ".join(parts) + ". Disagreements were settled by a consensus row, "
            "and every reviewer is an AI assistant (Reviewers, below).") if parts else ""


def agreement_display(agreement: pd.DataFrame) -> HTML:
    if agreement.empty:
        return paragraph("Every record in this version was screened by one reviewer, so no screening agreement "
                         "can be computed; the ledger supports blind double screening (lsr screen --conflicts).")
    listed = agreement[agreement.n_records >= MIN_PAIR_RECORDS]
    left = len(agreement) - len(listed)
    shown = listed.assign(cohen_kappa=listed.cohen_kappa.map(lambda k: "undefined" if pd.isna(k) else f"{k:.2f}"))
    note = ("Kappa corrects agreement for chance, and when nearly every record gets the same decision (at full "
            "text, nearly all reports were included) it falls to 0 even at high agreement: read it beside the percent. "
            + (f"{left} pairs who shared fewer than {MIN_PAIR_RECORDS} records are in screening_agreement.csv."
               if left else ""))
    return HTML(table_html(shown, "Screening agreement per stage and reviewer pair who shared at least "
                                  f"{MIN_PAIR_RECORDS} records (percent and Cohen's kappa).", note=note))


def reviewers_display(reviewers: pd.DataFrame) -> HTML:
    return HTML(table_html(reviewers, "Who each reviewer is: every screening and extraction decision in this version "
                                      "was made by an AI assistant; no human reviewer has checked them yet."))


def duplicates_display(duplicates: pd.DataFrame) -> pd.DataFrame:
    counts = duplicates.matched_on.value_counts()
    return pd.DataFrame({"matched on": counts.index, "records linked": counts.values})


def not_retrieved_display(reports: pd.DataFrame) -> HTML:
    if reports.empty:
        return paragraph("Every report sought at full text could be assessed.")
    def item(row) -> str:
        link = f' — <a href="{escape(row.url)}">page read</a>' if safe_link(str(row.url)) else ""
        return f"<li>{escape(row.title or '(no title shown)')}{link}: {escape(row.missing)}</li>"

    rows = "".join(item(row) for row in reports.itertuples())
    return HTML(f'<p>{len(reports)} reports were sought but their reachable text (the stored opening of each '
                f'page) could not confirm eligibility. They are PRISMA\'s "reports not retrieved": a reader with the '
                f'full texts would assess these first.</p><ol class="not-retrieved">{rows}</ol>')


def cohort_display(cohorts: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "study": cohorts.study_id, "design": cohorts.design, "patients": cohorts.n_patients.astype("Int64"),
        "with kidney involvement": cohorts.n_kidney_involvement.astype("Int64"), "histology reported": cohorts.histology,
        "outcomes": cohorts.outcomes,
    })
