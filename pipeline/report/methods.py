"""Methods section: protocol summary, sources and queries with dates, parameters, limitations,
software versions and the checksum of the inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from pipeline.core.config import PARAMETER_HELP, ReviewConfig
from pipeline.core.provenance import inputs_digest, software_versions
from pipeline.core.vocabulary import JBI_ITEMS
from pipeline.report.display import escape


def protocol_summary(project_root: str | Path) -> HTML:
    """The protocol's eligibility section, shown as written in PROTOCOL.md (plain text, escaped)."""
    body = _protocol_section(project_root, "Eligibility")
    paragraphs = "".join(f"<p>{escape(p.strip())}</p>" for p in body.split("\n\n") if p.strip())
    items = "".join(f"<li>{escape(item)}</li>" for item in JBI_ITEMS)
    return HTML(f"{paragraphs}<p>The full protocol is PROTOCOL.md in the project. Each included report is "
                f"appraised with the JBI checklist for case reports:</p><ol>{items}</ol>")


def _protocol_section(project_root: str | Path, heading: str) -> str:
    text = (Path(project_root) / "PROTOCOL.md").read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    return match.group(1).strip() if match else ""


def protocol_changes(project_root: str | Path) -> HTML:
    """PROTOCOL.md's own list of changes from the version before (PRISMA 2020 item 24c)."""
    body = _protocol_section(project_root, "Changes from version 1")
    items = [line[2:].strip() for line in body.splitlines() if line.startswith("- ")]
    if not items:
        return HTML("<p>None: this version follows the protocol as first written.</p>")
    return HTML("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")


REVIEW_INFORMATION = (("authors", "Authors"), ("contact", "Contact"), ("registration", "Registration"),
                      ("funding", "Support"), ("conflicts", "Competing interests"),
                      ("availability", "Availability of data, code and materials"))


def review_information(config: ReviewConfig) -> pd.DataFrame:
    return pd.DataFrame([{"item": label, "statement": config.review.get(key) or "not stated"}
                         for key, label in REVIEW_INFORMATION])


def sources_table(config: ReviewConfig, search_log: pd.DataFrame, logged_queries: dict[str, int]) -> pd.DataFrame:
    """Every source searched or imported, with the query as run (or the number of queries logged for the offline
    corpus), its limits, the last search and the records it gave (PRISMA-S)."""
    rows = []
    for name in dict.fromkeys([*config.sources, *search_log.source]):
        source = config.sources.get(name)
        runs = search_log[search_log.source == name]
        if source is not None and source.query:
            query = source.query
        elif source is not None:
            query = (f"{logged_queries.get(name, 0)} logged queries in {len(runs)} runs "
                     f"(data/raw/{name}/<run>/queries.csv)")
        else:
            query = "; ".join(runs["query"])  # an import: the export's file name
        rows.append({
            "source": source.label if source is not None else f"Imported export ({name})",
            "query as run": query,
            "limits": (source.limits or source.description) if source is not None else "as exported",
            "last searched": runs.run_at.max()[:10] if len(runs) else "not yet searched",
            "records retrieved": int(pd.to_numeric(runs.n_results, errors="coerce").sum()) if len(runs) else 0,
            "new records": int(pd.to_numeric(runs.n_new, errors="coerce").sum()) if len(runs) else 0,
        })
    return pd.DataFrame(rows)


def living_plan(config: ReviewConfig) -> list[str]:
    return [f"Search schedule: {config.review['search_schedule']}.",
            "Each run searches every source for records added since its last successful search, takes in only "
            "new records, and queues them for screening; a new version is published when results change.",
            f"Retirement from living mode: {config.review['retirement_plan']}"]


def parameter_table(params: dict) -> pd.DataFrame:
    return pd.DataFrame([{"parameter": k, "value": str(v), "meaning": PARAMETER_HELP[k]} for k, v in params.items()])


def evidence_levels(studies: pd.DataFrame) -> pd.DataFrame:
    counts = studies.evidence_level.value_counts()
    return pd.DataFrame({"evidence level": counts.index, "included reports": counts.values})


def limitations(studies: pd.DataFrame, not_retrieved: int, reviewers: pd.DataFrame) -> list[str]:
    abstract_only = int((studies.evidence_level == "abstract only").sum())
    full_text = len(studies) - abstract_only
    ai = int(reviewers.who.str.contains("AI assistant").sum()) if len(reviewers) else 0
    return [
        (f"{abstract_only} of {len(studies)} included reports were read at abstract level only"
         + (f" ({full_text} in full text)" if full_text else "") + ": the stored copies of most papers hold their "
         "opening (title, abstract, first paragraphs). Values those parts do not state are 'not reported', so "
         "treatments, doses, durations and outcomes are under-counted, not absent."),
        (f"{not_retrieved} reports were sought but not retrieved: their reachable text could not confirm the kidney "
         "or myositis criterion (Search and selection lists each with what is missing). Some of them are probably "
         "eligible; with full texts the evidence base would grow."),
        "The reference lists of the included reviews could not be searched: the stored pages end before them.",
        (f"Every screening, extraction and appraisal decision was made by AI assistants ({ai} reviewer ids, "
         "described in the Reviewers table), blind and double where stated; no human reviewer has checked them."),
        "Case reports are selected by what authors found worth publishing: frequencies describe the published "
        "literature, not the population of patients with dermatomyositis, and associations are hypotheses.",
        "The offline seed corpus is a stored index of public pages, not PubMed; it is its own source in the search "
        "log and the flow diagram. The live PubMed and Europe PMC searches take over where a network is available.",
        "Several comparisons are made without correction for multiplicity.",
    ]


def software_table() -> pd.DataFrame:
    return pd.DataFrame(list(software_versions().items()), columns=["software", "version"])


def input_checksum_sentence(project_root: str | Path) -> str:
    count, digest = inputs_digest(project_root)
    return (f"SHA-256 of the {count} input files (data/ without the derived data/processed, review.toml "
            f"and references.bib): {digest}.")
