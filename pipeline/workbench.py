"""What the reviewers' notebooks show: the screening queue, conflicts and agreement, the ordering's recall,
validation problems and the suggestions waiting for confirmation. Reads data/, writes nothing."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from pipeline.catalog import Catalog, load_review_data
from pipeline.core.errors import InvalidDataError
from pipeline.core.forms import read_form
from pipeline.extract.fulltext import stored_article
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


def held_full_texts(catalog: Catalog, studies: pd.DataFrame) -> dict:
    """study_id -> the parsed full text held for its record (lsr fulltext), for the studies that have one."""
    held = {}
    for study in studies.itertuples():
        article = stored_article(catalog, study.record_id, str(getattr(study, "pmcid", "") or ""))
        if article is not None:
            held[study.study_id] = article
    return held


def suggestion_accuracy(project_root: str | Path) -> pd.DataFrame:
    """Precision and recall of the machine suggestions per source and field, against the reviewers' final
    values: from the title/abstract, and from the full text where one is held."""
    from pipeline.extract.suggest import evaluate

    catalog = Catalog(Path(project_root).resolve())
    data = load_review_data(catalog)
    return evaluate(data.records, data.tidy.studies, data.tidy.patients, data.tidy.treatments,
                    held_full_texts(catalog, data.tidy.studies))


QUOTED = re.compile(r"^(?P<where>.+? §(?P<number>\d+)): '(?P<sentence>.+)'")


def full_text_evidence(project_root: str | Path) -> HTML:
    """Per study with a full text held: each form value whose provenance cites a passage (`section §n:
    'sentence'`), with that passage shown and the sentence marked, so a reviewer confirms against the text."""
    catalog = Catalog(Path(project_root).resolve())
    parts = []
    for path in sorted(catalog.extraction.glob("*.yaml")):
        form = read_form(path).data
        article = stored_article(catalog, str(form.get("record_id") or ""), str(form.get("pmcid") or ""))
        if article is None:
            continue
        passages = {p.where: p for p in article.passages}
        rows = []
        for patient in form.get("patients") or []:
            pending = set(patient.get("unconfirmed") or [])
            for field, provenance in (patient.get("provenance") or {}).items():
                for cited in str(provenance).split("; "):
                    match = QUOTED.match(cited)
                    if not match or match["where"] not in passages:
                        continue
                    text = html.escape(passages[match["where"]].text)
                    sentence = html.escape(match["sentence"])
                    marked = text.replace(sentence, f"<mark>{sentence}</mark>", 1)
                    value = patient.get(field, patient.get("treatments"))
                    rows.append(f"<tr><td>{html.escape(field)}{' (unconfirmed)' if field in pending else ''}</td>"
                                f"<td>{html.escape(str(value))}</td><td>{html.escape(match['where'])}</td>"
                                f"<td>{marked}</td></tr>")
        if rows:
            parts.append(f"<h3>{html.escape(str(form.get('study_id')))}: {html.escape(article.title)}</h3>"
                         "<table><tr><th>field</th><th>value</th><th>passage</th><th>text (the sentence cited "
                         "marked)</th></tr>" + "".join(rows) + "</table>")
    return HTML("".join(parts) or "<p>No form cites a full-text passage yet (lsr fulltext, then lsr extract "
                                  "--suggest).</p>")



__all__ = ["agreement", "conflicts_frame", "full_text_evidence", "ordering_recall", "queue_html", "screening_state",
           "suggestion_accuracy", "unconfirmed_suggestions", "validation_problems"]
