"""The report's first section: the answer, facet by facet, then the counts at a glance, what changed since the
previous version and how to cite this one. Every number comes from the tidy tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import HTML

from pipeline.catalog import Tables
from pipeline.report.citations import cite
from pipeline.report.display import escape
from pipeline.report.versions import read_version_record, read_versions
from pipeline.synthesis.answer import Statement, facets

CERTAINTY_CLASS = {"low": "certainty-low", "very low": "certainty-very-low"}


def answer_html(statements: list[Statement]) -> HTML:
    """One paragraph per statement under its facet, each with its citations and its certainty and reason."""
    parts = []
    for facet, items in facets(statements).items():
        parts.append(f"<h3>{escape(facet)}</h3>")
        for s in items:
            citations = f" {cite(*s.citations)}" if s.citations else ""
            parts.append(f'<p class="statement">{escape(s.text)}{citations} <span class="certainty '
                         f'{CERTAINTY_CLASS.get(s.certainty, "")}">Certainty: {escape(s.certainty)}</span> '
                         f'<span class="certainty-reason">({escape(s.reason)})</span></p>')
    return HTML('<div class="answer">' + "".join(parts) + "</div>")


def at_a_glance(tables: Tables, patients: pd.DataFrame) -> pd.DataFrame:
    prisma = dict(zip(tables.prisma.data, tables.prisma.n))
    rows = [
        ("Records identified, all sources and versions", int(prisma["database_results"]) + int(prisma["website_results"])),
        ("Records screened (after removing duplicates)", int(prisma["records_screened"])),
        ("Reports not retrieved (text cannot confirm eligibility)",
         int(prisma["dbr_notretrieved_reports"]) + int(prisma["other_notretrieved_reports"])),
        ("Included reports with individual patients", len(tables.studies)),
        ("Patients extracted (all strata)", len(tables.patients)),
        ("Patients in this analysis (after the report parameters)", len(patients)),
        ("Context studies (cohorts and reviews with aggregate counts)", len(tables.cohorts)),
    ]
    return pd.DataFrame(rows, columns=["item", "n"])


def last_searched(search_log: pd.DataFrame, config) -> pd.DataFrame:
    rows = []
    for name, source in config.sources.items():
        runs = search_log[search_log.source == name]
        rows.append({"source": source.label,
                     "last searched": runs.run_at.max()[:10] if len(runs) else "not yet searched",
                     "runs": len(runs)})
    return pd.DataFrame(rows)


def changes(project_root, tables_dir) -> list[str]:
    """What changed since the preceding version: the record of the version being published (written beside
    the tables by `lsr refresh`), else a note that this build is not a published version."""
    record = read_version_record(Path(tables_dir) / "version.json")
    if record is not None:
        return record.change_lines()
    published = read_versions(project_root)
    if not published:
        return ["This build is a draft, not a published version, and no version has been published yet."]
    return [f"This build is a draft, not a published version; the latest published version is "
            f"{published[-1].number} ({published[-1].date})."]


def citation_box(config, tables_dir, digest: str) -> HTML:
    """How to cite this version: title, version, date, the digest of the inputs, where the versions live."""
    record = read_version_record(Path(tables_dir) / "version.json")
    review = config.review
    version = (f"version {record.number} ({record.date})" if record is not None
               else "draft build (not a published version: cite a published version)")
    where = review.get("published_url", "")
    text = (f"{review.get('authors', 'The review team')}. {review['title']}. Living systematic review, {version}. "
            f"Inputs SHA-256 {digest[:16]}." + (f" {where}" if where else ""))
    return HTML(f'<div class="cite-box"><p class="cite-label">How to cite this version</p><p>{escape(text)}</p>'
                f'<p class="table-note">The digest identifies the exact data this page was built from (Methods, '
                f'Software and inputs).</p></div>')
