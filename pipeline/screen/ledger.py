"""The screening ledger: one row per decision, plain CSV under version control.

Reviewers screen blind; a `consensus` row settles each record where two reviewers disagree. The final
decision of a record at a stage is its consensus row, else the single reviewer's or the agreeing
reviewers' decision. PRISMA counts come from here, never typed by hand."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.core.errors import InvalidDataError
from pipeline.core.tabular import read_csv_strict

LEDGER_COLUMNS = ("record_id", "stage", "reviewer", "decision", "reason", "date", "note")
REVIEWER_COLUMNS = ("reviewer", "who", "role", "work", "dates")
CONSENSUS = "consensus"


def read_ledger(path: Path, known_records: set[str] | None = None, text: str | None = None) -> pd.DataFrame:
    rows = read_csv_strict(path, LEDGER_COLUMNS, text)
    problems, seen = [], {}
    for line, row in rows:
        where = f"{path}:{line}"
        if known_records is not None and row["record_id"] not in known_records:
            problems.append(f"{where}: record_id: no such record in data/raw ({row['record_id']})")
        if row["stage"] not in v.SCREENING_STAGE:
            problems.append(f"{where}: stage: not one of {' | '.join(v.SCREENING_STAGE)} ({row['stage']})")
        if not row["reviewer"].strip():
            problems.append(f"{where}: reviewer: required value is missing ()")
        if row["decision"] not in v.SCREENING_DECISION:
            problems.append(f"{where}: decision: not one of {' | '.join(v.SCREENING_DECISION)} ({row['decision']})")
        if row["decision"] == v.NOT_RETRIEVED and row["stage"] != "full text":
            problems.append(f"{where}: decision: 'not retrieved' is a full-text decision ({row['stage']})")
        if row["decision"] == v.NOT_RETRIEVED and not row["note"].strip():
            problems.append(f"{where}: note: say what could not be reached ()")
        if row["decision"] == "exclude" and row["reason"] not in v.EXCLUSION_REASONS:
            problems.append(f"{where}: reason: an exclusion needs a reason from the protocol's list ({row['reason']})")
        if row["decision"] != "exclude" and row["reason"]:
            problems.append(f"{where}: reason: only exclusions carry a reason ({row['reason']})")
        if row["reason"] == "other" and not row["note"].strip():
            problems.append(f"{where}: note: reason 'other' needs a note ()")
        try:
            dt.date.fromisoformat(row["date"])
        except ValueError:
            problems.append(f"{where}: date: not a YYYY-MM-DD date ({row['date']})")
        key = (row["record_id"], row["stage"], row["reviewer"], row["date"])
        if key in seen:
            problems.append(f"{where}: record_id: a second decision by the same reviewer at the same stage on the "
                            f"same day (first at line {seen[key]}) ({row['record_id']})")
        seen[key] = line
    if problems:
        raise InvalidDataError(problems)
    frame = pd.DataFrame([row for _, row in rows], columns=list(LEDGER_COLUMNS))
    frame["line"] = [line for line, _ in rows]
    return frame


def with_decision(path: Path, known_records: set[str], decision: dict[str, str]) -> str:
    """The ledger's text with one more decision row, checked as the whole ledger would be (the new row is
    named by its line); nothing is written here."""
    text = Path(path).read_text(encoding="utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    row = io.StringIO()
    csv.writer(row, lineterminator="\n").writerow([decision.get(column, "") for column in LEDGER_COLUMNS])
    read_ledger(path, known_records, text + row.getvalue())  # raises InvalidDataError naming the new line
    return text + row.getvalue()


@dataclass(frozen=True)
class Conflict:
    record_id: str
    stage: str
    decisions: dict[str, str]


def conflicts(ledger: pd.DataFrame) -> list[Conflict]:
    """Records where independent reviewers disagree and no consensus row settles it."""
    found = []
    for (record_id, stage), group in current(ledger).groupby(["record_id", "stage"], sort=True):
        reviewers = group[group.reviewer != CONSENSUS]
        if reviewers.decision.nunique() > 1 and not (group.reviewer == CONSENSUS).any():
            found.append(Conflict(record_id, stage, dict(zip(reviewers.reviewer, reviewers.decision))))
    return found


def current(ledger: pd.DataFrame) -> pd.DataFrame:
    """Each reviewer's latest decision per record and stage: a re-assessment on a later day supersedes the
    earlier one, which stays in the ledger as the trail."""
    ordered = ledger.sort_values(["date", "line"] if "line" in ledger else ["date"], kind="stable")
    return ordered.drop_duplicates(["record_id", "stage", "reviewer"], keep="last")


def final_decisions(ledger: pd.DataFrame) -> pd.DataFrame:
    """One row per record and stage: the consensus, else the (agreeing) reviewers' decision.
    Unsettled conflicts come out as `maybe` so they are never counted as included or excluded."""
    keys = ["record_id", "stage"]
    columns = ["record_id", "stage", "decision", "reason", "date"]
    if ledger.empty:
        return pd.DataFrame(columns=columns)
    ledger = current(ledger)
    dates = ledger.groupby(keys).date.max()
    consensus = ledger[ledger.reviewer == CONSENSUS].groupby(keys)[["decision", "reason"]].last()
    reviewers = ledger[ledger.reviewer != CONSENSUS].groupby(keys).agg(
        kinds=("decision", "nunique"), decision=("decision", "first"), reason=("reason", "first"))
    agreed = reviewers[reviewers.kinds == 1][["decision", "reason"]]
    unsettled = reviewers[reviewers.kinds > 1].assign(decision="maybe", reason="")[["decision", "reason"]]
    settled = pd.concat([consensus, agreed[~agreed.index.isin(consensus.index)],
                         unsettled[~unsettled.index.isin(consensus.index)]])
    frame = settled.join(dates).reset_index().sort_values(keys, kind="stable").reset_index(drop=True)
    return frame[columns]


def read_reviewers(path: Path, ledger: pd.DataFrame) -> pd.DataFrame:
    """Who each reviewer id is (a person, or an AI assistant and which one); every id in the ledger must be
    described once the project keeps the table."""
    if not Path(path).exists():
        return pd.DataFrame(columns=list(REVIEWER_COLUMNS))
    rows = read_csv_strict(path, REVIEWER_COLUMNS)
    frame = pd.DataFrame([row for _, row in rows], columns=list(REVIEWER_COLUMNS))
    missing = sorted(set(ledger.reviewer) - set(frame.reviewer))
    if missing:
        raise InvalidDataError([f"{path}:1: reviewer: not described here but deciding in the ledger ({name})"
                                for name in missing])
    return frame


def not_retrieved(ledger: pd.DataFrame, records: pd.DataFrame, canonical: dict[str, str]) -> pd.DataFrame:
    """The reports sought at full text whose reachable text could not confirm eligibility, with what is missing
    (the reviewer's note) and where the report was seen: the list a reader with full-text access would start from."""
    final = final_decisions(ledger)
    chosen = final[(final.stage == "full text") & (final.decision == v.NOT_RETRIEVED)
                   & final.record_id.map(lambda r: canonical.get(r, r) == r)]
    latest = current(ledger)
    notes = latest[(latest.stage == "full text") & (latest.decision == v.NOT_RETRIEVED)].groupby("record_id").note.last()
    by_id = records.set_index("record_id")
    rows = [{"record_id": r, "title": by_id.at[r, "title"] or "", "url": by_id.at[r, "url"], "missing": notes.get(r, "")}
            for r in chosen.record_id]
    return pd.DataFrame(rows, columns=["record_id", "title", "url", "missing"])
