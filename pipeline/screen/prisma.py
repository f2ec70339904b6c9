"""PRISMA 2020 flow counts for an updated review, computed from the search log, the raw records, the
deduplication links and the screening ledger, under the PRISMA2020 template's field names."""

from __future__ import annotations

from collections import Counter

import pandas as pd

DATABASE_KINDS = ("pubmed", "europepmc", "import")
WEBSITE_KINDS = ("seed",)

PRISMA_FIELDS = (
    "previous_studies", "previous_reports", "database_results", "register_results", "website_results",
    "organisation_results", "citations_results", "duplicates", "excluded_automatic", "excluded_other",
    "records_screened", "records_excluded", "dbr_sought_reports", "dbr_notretrieved_reports", "dbr_assessed",
    "dbr_excluded", "other_sought_reports", "other_notretrieved_reports", "other_assessed", "other_excluded",
    "new_studies", "new_reports", "total_studies", "total_reports",
)


def _reasons(decisions: pd.DataFrame) -> str:
    counts = Counter(decisions[decisions.decision == "exclude"].reason)
    return "; ".join(f"{reason}, {n}" for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def flow(records: pd.DataFrame, canonical: dict[str, str], source_kinds: dict[str, str],
         decisions: pd.DataFrame, included_records: set[str], previous_studies: int = 0,
         previous_reports: int = 0) -> dict[str, object]:
    """`records` has record_id and source; `decisions` is the ledger's final decision per record and stage."""
    kind = records.source.map(lambda s: source_kinds.get(s, "import"))
    unique = records[[canonical[r] == r for r in records.record_id]]
    unique_kind = unique.source.map(lambda s: source_kinds.get(s, "import"))
    title_stage = decisions[decisions.stage == "title/abstract"].set_index("record_id")
    full_stage = decisions[decisions.stage == "full text"].set_index("record_id")

    def route(kinds: tuple[str, ...]) -> dict[str, object]:
        ids = set(unique.record_id[unique_kind.isin(kinds)])
        screened = title_stage[title_stage.index.isin(ids)]
        sought = ids & set(full_stage.index)
        assessed = full_stage[full_stage.index.isin(sought)]
        return {"sought": len(sought), "assessed": len(assessed),
                "excluded": _reasons(assessed), "screened": len(screened),
                "screened_out": int((screened.decision == "exclude").sum()),
                "included": len(ids & included_records)}

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
        "dbr_notretrieved_reports": 0,
        "dbr_assessed": database["assessed"],
        "dbr_excluded": database["excluded"],
        "other_sought_reports": other["sought"],
        "other_notretrieved_reports": 0,
        "other_assessed": other["assessed"],
        "other_excluded": other["excluded"],
        "new_studies": new_studies,
        "new_reports": new_studies,
        "total_studies": previous_studies + new_studies,
        "total_reports": previous_reports + new_studies,
    }


def prisma_frame(counts: dict[str, object]) -> pd.DataFrame:
    """The PRISMA2020 app's long format: one row per field (data, n)."""
    return pd.DataFrame({"data": list(PRISMA_FIELDS), "n": [counts[f] for f in PRISMA_FIELDS]})
