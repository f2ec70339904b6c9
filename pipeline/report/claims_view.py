"""The claims section: the verdict table and, per claim, the patients behind its verdict with their citations."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from pipeline.report.display import escape, table_html
from pipeline.synthesis.claims import Verdict


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "claim": v_.claim.id, "statement": v_.claim.text, "patients it bears on": len(v_.bearing),
        "supporting": len(v_.supporting), "against": len(v_.contradicting), "verdict": v_.verdict,
    } for v_ in verdicts])


def verdict_detail(verdict: Verdict, patients: pd.DataFrame):
    """The patients behind one verdict, each with its study cited."""
    rows = patients[patients.patient_id.isin(verdict.bearing)].copy()
    rows["bears as"] = rows.patient_id.map(
        lambda p: "supports" if p in verdict.supporting else ("against" if p in verdict.contradicting else "neutral"))
    shown = rows[["study_id", "patient_id", "bears as", "myositis_type", "renal_histology", "renal_outcome"]]
    head = (f"<h3>Claim {escape(verdict.claim.id)}: <span class='verdict'>{escape(verdict.verdict)}</span></h3>"
            f"<p>{escape(verdict.claim.text)}</p><p class='table-note'>Caveat: {escape(verdict.claim.caveat)}</p>")
    if shown.empty:
        return HTML(head + "<p>No patient in this analysis bears on this claim.</p>")
    return HTML(head + table_html(shown, f"Patients bearing on claim {verdict.claim.id}.", citation_column="study_id"))
