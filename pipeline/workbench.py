"""What the reviewers' notebooks show: the screening queue, conflicts and agreement, the ordering's recall,
validation problems and the suggestions waiting for confirmation. Reads data/, writes nothing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import HTML

from pipeline.catalog import Catalog, load_review_data
from pipeline.core.errors import InvalidDataError
from pipeline.core.forms import read_form
from pipeline.screen.agreement import agreement
from pipeline.screen.ledger import conflicts, final_decisions, read_ledger
from pipeline.screen.queue import highlight, queue_frame, recall_at, scored_records
from pipeline.search.dedupe import project_links
from pipeline.search.records import read_project_records


def screening_state(project_root: str | Path):
    catalog = Catalog(Path(project_root).resolve())
    records = read_project_records(catalog)
    ledger = read_ledger(catalog.ledger, set(records.record_id))
    return catalog, records, ledger


def queue_html(catalog: Catalog, records: pd.DataFrame, ledger: pd.DataFrame, limit: int = 50) -> HTML:
    queue = queue_frame(records, project_links(catalog, records), ledger)
    if queue.empty:
        return HTML("<p>No record waits for screening.</p>")
    by_id = records.set_index("record_id")
    rows = "".join(
        f"<tr><td>{row.score}</td><td>{row.record_id}</td><td>{highlight(row.title)}"
        f"<br><small>{highlight(str(by_id.at[row.record_id, 'abstract'])[:600])}</small></td></tr>"
        for row in queue.head(limit).itertuples())
    return HTML(f"<p>{len(queue)} record(s) wait; highest relevance first (the score orders, never excludes).</p>"
                f"<table><tr><th>score</th><th>record</th><th>title and abstract</th></tr>{rows}</table>")


def conflicts_frame(ledger: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame([{"record_id": c.record_id, "stage": c.stage,
                          "decisions": ", ".join(f"{k}: {v}" for k, v in sorted(c.decisions.items()))}
                         for c in conflicts(ledger)], columns=["record_id", "stage", "decisions"])


def ordering_recall(records: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    decisions = final_decisions(ledger)
    title_stage = decisions[decisions.stage == "title/abstract"][["record_id", "decision"]]
    return recall_at(scored_records(records), title_stage)


def validation_problems(project_root: str | Path) -> list[str]:
    try:
        load_review_data(Catalog(Path(project_root).resolve()))
    except InvalidDataError as exc:
        return exc.problems
    return []


def unconfirmed_suggestions(project_root: str | Path) -> pd.DataFrame:
    rows = []
    for path in sorted((Path(project_root) / "data" / "extraction").glob("*.yaml")):
        form = read_form(path)
        listed = form.data.get("patients")
        for i, patient in enumerate(listed if isinstance(listed, list) else []):
            pending = patient.get("unconfirmed") if isinstance(patient, dict) else None
            for field in pending if isinstance(pending, list) else []:
                rows.append({"form": f"{path.name}:{form.line('patients', i, field)}", "patient": patient.get("patient_id"),
                             "field": field, "suggested value": str(patient.get(field, patient.get("treatments")))})
    return pd.DataFrame(rows, columns=["form", "patient", "field", "suggested value"])


def suggestion_accuracy(project_root: str | Path) -> pd.DataFrame:
    """Precision and recall of the machine suggestions per field, against the reviewers' final values."""
    from pipeline.extract.suggest import evaluate

    catalog = Catalog(Path(project_root).resolve())
    data = load_review_data(catalog)
    return evaluate(data.records, data.tidy.studies, data.tidy.patients, data.tidy.treatments)


__all__ = ["agreement", "conflicts_frame", "ordering_recall", "queue_html", "screening_state", "suggestion_accuracy",
           "unconfirmed_suggestions", "validation_problems"]
