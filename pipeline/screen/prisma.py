"""PRISMA 2020 flow counts for an updated review, computed from the search log, the raw records, the
deduplication links and the screening ledger, under the PRISMA2020 template's field names."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from pipeline.core.vocabulary import NOT_RETRIEVED

DATABASE_KINDS = ("pubmed", "europepmc", "import")
WEBSITE_KINDS = ("seed",)

PRISMA_FIELDS = (
    "previous_studies", "previous_reports", "database_results", "register_results", "website_results",
    "organisation_results", "citations_results", "duplicates", "excluded_automatic", "excluded_other",
    "records_screened", "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports", "dbr_assessed",
    "dbr_excluded", "other_sought_reports", "other_notretrieved_reports", "other_assessed", "other_excluded",
    "new_studies", "new_reports", "total_studies", "total_reports",
    # Beyond the template: what awaits a reviewer, and the cohorts counted apart (they enter the flow among the
    # reports excluded for "no individual patient data").
    "records_awaiting_screening", "reports_awaiting_assessment", "context_studies",
)


def _reasons(decisions: pd.DataFrame) -> str:
    counts = Counter(decisions[decisions.decision == "exclude"].reason)
    return "; ".join(f"{reason}, {n}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _with_included(stage: pd.DataFrame, included: set[str]) -> pd.DataFrame:
    stage = stage.copy()
    for record_id in included:
        stage.loc[record_id, ["decision", "reason"]] = ["include", ""]
    return stage


def flow(records: pd.DataFrame, canonical: dict[str, str], source_kinds: dict[str, str],
         decisions: pd.DataFrame, included_records: set[str], previous_studies: int = 0,
         previous_reports: int = 0, context_studies: int = 0) -> dict[str, object]:
    """`records` has record_id and source; `decisions` is the ledger's final decision per record and stage.

    Every count follows from the records and the ledger: identified = duplicates + screened + awaiting
    screening; sought (passed at title/abstract) = assessed + not retrieved + awaiting full text."""
    kind = records.source.map(lambda s: source_kinds.get(s, "import"))
    unique = records[[canonical[r] == r for r in records.record_id]]
    unique_kind = unique.source.map(lambda s: source_kinds.get(s, "import"))
    included = {canonical.get(r, r) for r in included_records}
    # A report is its group of copies: one included copy makes the report included at both stages.
    title_stage = _with_included(decisions[decisions.stage == "title/abstract"].set_index("record_id"), included)
    full_stage = _with_included(decisions[decisions.stage == "full text"].set_index("record_id"), included)

    def route(kinds: tuple[str, ...]) -> dict[str, object]:
        ids = set(unique.record_id[unique_kind.isin(kinds)])
        screened = title_stage[title_stage.index.isin(ids)]
        settled = screened[screened.decision.isin(("include", "exclude"))]
        sought = set(screened.index[screened.decision == "include"])
        reached = full_stage[full_stage.index.isin(sought)]
        assessed = reached[reached.decision.isin(("include", "exclude"))]
        return {"screened": len(settled), "awaiting": len(ids) - len(settled),
                "screened_out": int((settled.decision == "exclude").sum()), "sought": len(sought),
                "not_retrieved": int((reached.decision == NOT_RETRIEVED).sum()), "assessed": len(assessed),
                "awaiting_full_text": len(sought) - len(assessed) - int((reached.decision == NOT_RETRIEVED).sum()),
                "excluded": _reasons(assessed), "included": len(ids & included)}

    database, other = route(DATABASE_KINDS), route(WEBSITE_KINDS)
    new_studies = database["included"] + other["included"]
    return {
        "previous_studies": previous_studies,
        "previous_reports": previous_reports,
        "database_results": int(kind.isin(DATABASE_KINDS).sum()),
        "register_results": 0,
        "website_results": int(kind.isin(WEBSITE_KINDS).sum()),
        "organisation_results": 0,
        "citations_results": 0,
        "duplicates": int(sum(canonical[r] != r for r in records.record_id)),
        "excluded_automatic": 0,
        "excluded_other": 0,
        "records_screened": database["screened"] + other["screened"],
        "records_excluded": database["screened_out"] + other["screened_out"],
        "dbr_sought_reports": database["sought"],
        "dbr_notretrieved_reports": database["not_retrieved"],
        "dbr_assessed": database["assessed"],
        "dbr_excluded": database["excluded"],
        "other_sought_reports": other["sought"],
        "other_notretrieved_reports": other["not_retrieved"],
        "other_assessed": other["assessed"],
        "other_excluded": other["excluded"],
        "new_studies": new_studies,
        "new_reports": new_studies,
        "total_studies": previous_studies + new_studies,
        "total_reports": previous_reports + new_studies,
        "records_awaiting_screening": database["awaiting"] + other["awaiting"],
        "reports_awaiting_assessment": database["awaiting_full_text"] + other["awaiting_full_text"],
        "context_studies": context_studies,
    }


def prisma_frame(counts: dict[str, object]) -> pd.DataFrame:
    """The PRISMA2020 app's long format: one row per field (data, n)."""
    return pd.DataFrame({"data": list(PRISMA_FIELDS), "n": [counts[f] for f in PRISMA_FIELDS]})
