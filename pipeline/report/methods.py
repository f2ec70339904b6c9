"""Methods section: protocol summary, sources and queries with dates, parameters, limitations,
software versions and the checksum of the inputs."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from pipeline.core.config import PARAMETER_HELP, ReviewConfig
from pipeline.core.provenance import files_digest, input_files, software_versions
from pipeline.core.vocabulary import JBI_ITEMS
from pipeline.report.display import escape


def protocol_summary(project_root: str | Path) -> HTML:
    """The protocol's eligibility section, shown as written in PROTOCOL.md (plain text, escaped)."""
    text = (Path(project_root) / "PROTOCOL.md").read_text(encoding="utf-8")
    match = re.search(r"^## Eligibility\n(.*?)(?=^## )", text, re.S | re.M)
    body = match.group(1).strip() if match else ""
    paragraphs = "".join(f"<p>{escape(p.strip())}</p>" for p in body.split("\n\n") if p.strip())
    items = "".join(f"<li>{escape(item)}</li>" for item in JBI_ITEMS)
    return HTML(f"{paragraphs}<p>The full protocol is PROTOCOL.md in the project. Each included report is "
                f"appraised with the JBI checklist for case reports:</p><ol>{items}</ol>")


def sources_table(config: ReviewConfig, search_log: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name, source in config.sources.items():
        runs = search_log[search_log.source == name]
        rows.append({
            "source": source.label,
            "query as run": source.query or f"{len(runs)} logged queries (data/raw/{name}/.../queries.csv)",
            "limits": source.limits or source.description,
            "last searched": runs.run_at.max()[:10] if len(runs) else "not yet searched",
            "records retrieved": int(pd.to_numeric(runs.n_results, errors="coerce").sum()) if len(runs) else 0,
        })
    return pd.DataFrame(rows)


def living_plan(config: ReviewConfig) -> list[str]:
    return [f"Search schedule: {config.review['search_schedule']}.",
            "Each run searches every source for records added since its last successful search, takes in only "
            "new records, and queues them for screening; a new version is published when results change.",
            f"Retirement from living mode: {config.review['retirement_plan']}"]


def parameter_table(params: dict) -> pd.DataFrame:
    return pd.DataFrame([{"parameter": k, "value": str(v), "meaning": PARAMETER_HELP[k]} for k, v in params.items()])


def limitations(studies: pd.DataFrame) -> list[str]:
    abstract_only = int((studies.evidence_level == "abstract only").sum())
    return [
        f"{abstract_only} of {len(studies)} included reports were read at abstract level only: the stored copies "
        f"of most papers hold their opening (title, abstract, first paragraphs). Values those parts do not state "
        f"are 'not reported', so treatments and outcomes are under-counted, not absent.",
        "Case reports are selected by what authors found worth publishing: frequencies describe the published "
        "literature, not the population of patients with dermatomyositis, and associations are hypotheses.",
        "The offline seed corpus is a stored index of public pages, not PubMed; it is its own source in the search "
        "log and the flow diagram. The live PubMed and Europe PMC searches take over where a network is available.",
        "Several comparisons are made without correction for multiplicity.",
    ]


def software_table() -> pd.DataFrame:
    return pd.DataFrame(list(software_versions().items()), columns=["software", "version"])


def input_checksum_sentence(project_root: str | Path) -> str:
    root = Path(project_root).resolve()
    files = input_files(root)
    return (f"SHA-256 of the {len(files)} input files (data/ without the derived data/processed, review.toml "
            f"and references.bib): {files_digest(files, root)}.")
