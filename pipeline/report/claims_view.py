"""The claims section: the verdict table with what a reader should take away, and per claim the patients and
cohorts behind its verdict, the doses and durations stated against the ones claimed, and the answer's citations."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from pipeline.report.citations import cite
from pipeline.report.display import escape, table_html
from pipeline.synthesis.claims import Citation, Verdict


SENSITIVITY_TAKEAWAY = "written for the main analysis; in this sensitivity analysis read the verdict"


def verdict_table(verdicts: list[Verdict], main_analysis: bool = True) -> pd.DataFrame:
    """One row per claim. The take-aways are the reviewers' words about the main analysis's patients, so a
    sensitivity analysis (other patients) shows its verdicts without them."""
    return pd.DataFrame([{
        "claim": item.claim.id, "statement": item.claim.text,
        "cases it bears on": len(item.bearing), "supporting": len(item.supporting), "against": len(item.contradicting),
        "cohorts": len(item.cohorts), "verdict": item.verdict,
        "take-away": item.claim.takeaway if main_analysis else SENSITIVITY_TAKEAWAY,
    } for item in verdicts])


def _doses_html(verdict: Verdict, study_of: pd.Series) -> str:
    if not verdict.claim.doses:
        return ""
    parts = []
    for agent in verdict.claim.doses:
        stated = verdict.doses.get(agent, [])
        parts.append(f"{escape(agent)}: " + ("; ".join(f"{escape(dose)} {cite(study_of[patient])}"
                                                        for patient, dose in stated) if stated else "no dose stated"))
    return "<p><strong>Doses stated among these patients</strong> — " + " · ".join(parts) + ".</p>"


def _durations_html(verdict: Verdict, study_of: pd.Series) -> str:
    if not verdict.claim.durations:
        return ""
    if not verdict.durations:
        return "<p><strong>Durations stated</strong> — no report read states how long a kidney-directed treatment lasted.</p>"
    return ("<p><strong>Durations stated</strong> — " + "; ".join(
        f"{escape(agent)}: {escape(duration)} {cite(study_of[patient])}" for patient, agent, duration in verdict.durations)
        + ".</p>")


def _cohorts_html(verdict: Verdict) -> str:
    if not len(verdict.cohorts):
        return ""
    return ("<p><strong>Cohorts</strong> — " + "; ".join(
        f"{escape(row.outcome)} in {row.events} of {row.n} ({escape(row.population)}) {cite(row.study_id)}"
        for row in verdict.cohorts.itertuples()) + ".</p>")


def verdict_detail(verdict: Verdict, patients: pd.DataFrame, treatments: pd.DataFrame) -> HTML:
    """The patients behind one verdict, each with its study cited and its regimen, and the claim's doses."""
    study_of = patients.set_index("patient_id").study_id
    rows = patients[patients.patient_id.isin(verdict.bearing)].copy()
    rows["bears as"] = rows.patient_id.map(
        lambda p: "supports" if p in verdict.supporting else ("against" if p in verdict.contradicting else "neutral"))
    agents = treatments.groupby("patient_id").agent.agg(lambda s: " + ".join(sorted(set(s))))
    rows["treatments"] = rows.patient_id.map(agents).fillna("not reported")
    shown = rows[["study_id", "patient_id", "bears as", "myositis_type", "renal_histology", "treatments",
                  "renal_outcome"]]
    head = (f"<h3>Claim {escape(verdict.claim.id)}: <span class='verdict'>{escape(verdict.verdict)}</span></h3>"
            f"<p>{escape(verdict.claim.text)}</p>")
    body = (table_html(shown, f"Patients bearing on claim {verdict.claim.id}.", citation_column="study_id")
            if len(shown) else "<p>No patient in this analysis bears on this claim.</p>")
    tail = (_cohorts_html(verdict) + _doses_html(verdict, study_of) + _durations_html(verdict, study_of)
            + f"<p class='table-note'>Take-away: {escape(verdict.claim.takeaway)} Caveat: "
              f"{escape(verdict.claim.caveat)}</p>")
    return HTML(head + body + tail)


def citations_html(citations: list[Citation]) -> HTML:
    items = "".join(f"<li>{escape(c.label)}: {escape(c.note)}" + (f" {cite(c.study_id)}" if c.study_id else "")
                    + "</li>" for c in citations)
    return HTML(f"<p>The answer cited two papers. What this evidence base holds of each:</p><ol>{items}</ol>")
