"""Quality section: JBI appraisal per study, dual-extraction agreement, the interactive evidence table."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML

from pipeline.report.citations import cite
from pipeline.report.display import download_links, for_people, paragraph, table_html
from pipeline.synthesis.outcomes import regimens

SHORT_ANSWER = {"Yes": "Y", "No": "N", "Unclear": "U", "Not applicable": "NA"}


def appraisal_matrix(appraisals: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    matrix = appraisals.assign(answer=appraisals.answer.map(SHORT_ANSWER)).pivot(
        index="study_id", columns="item", values="answer")
    matrix.columns = [f"item {c}" for c in matrix.columns]
    matrix = matrix.reset_index()
    matrix["Yes (of 8)"] = matrix.study_id.map(studies.set_index("study_id").jbi_yes)
    matrix["evidence level"] = matrix.study_id.map(studies.set_index("study_id").evidence_level)
    return matrix


def agreement_display(agreement: pd.DataFrame) -> HTML:
    if agreement.empty:
        return paragraph("No dual-extraction comparison is recorded in this version.")
    shown = agreement.assign(cohen_kappa=agreement.cohen_kappa.map(lambda k: "undefined" if pd.isna(k) else f"{k:.2f}"))
    return HTML(table_html(shown, "Agreement of two independent extractions per field: values compared, percent "
                                  "agreement and Cohen's kappa (undefined where both extractors used one value "
                                  "throughout). Disagreements were settled against the source."))


def evidence_table(patients: pd.DataFrame, studies: pd.DataFrame, treatments: pd.DataFrame) -> HTML:
    """Every patient with its citation, as an offline interactive table (itables, bundle inlined)."""
    from itables import init_notebook_mode, to_html_datatable

    init_notebook_mode(all_interactive=False, connected=False)  # displays the inlined DataTables bundle

    frame = for_people(patients.assign(
        reference=patients.study_id.map(lambda s: cite(s)),
        year=patients.study_id.map(studies.set_index("study_id").year),
        regimen=regimens(patients, treatments),
    )[["patient_id", "reference", "year", "age_years", "sex", "myositis_type", "antibodies",
       "kidney_presentation", "renal_histology", "ns_timing", "regimen", "renal_outcome"]].rename(columns={
        "patient_id": "patient", "age_years": "age", "myositis_type": "myositis", "kidney_presentation": "kidney",
        "renal_histology": "histology", "ns_timing": "timing", "renal_outcome": "renal outcome"}))
    # A fixed table id keeps two builds of the same data byte-identical (itables draws a random one).
    table = to_html_datatable(frame, connected=False, caption="Evidence table: every patient in this analysis.",
                              table_id="itables-evidence-table",
                              showIndex=False, pageLength=25, lengthMenu=[10, 25, 50, 100],
                              layout={"topStart": "search", "topEnd": "pageLength", "bottomStart": "info",
                                      "bottomEnd": "paging"},
                              columnControl=["order", ["searchList"]], ordering={"indicators": False},
                              autoWidth=False, scrollX=True, classes="display compact evidence-table", allow_html=False)
    return HTML(table)


DOWNLOADS = ("patients", "treatments", "studies", "meta_pooled", "meta_inputs", "prisma")


def downloads(tables) -> HTML:
    """The public tables as CSV and Excel inside the page."""
    return HTML("".join(download_links(name, getattr(tables, name)) for name in DOWNLOADS))
