"""The report's plain-words summary, written from the tidy tables (every number traces to them)."""

from __future__ import annotations

import pandas as pd

from pipeline.catalog import Tables
from pipeline.core import vocabulary as v
from pipeline.synthesis.proportions import age_summary, has_antibody


def _share(k: int, n: int) -> str:
    return f"{k} of {n}"


def counts(tables: Tables, patients: pd.DataFrame) -> dict[str, int]:
    prisma = dict(zip(tables.prisma.data, tables.prisma.n))
    return {
        "records": int(prisma["database_results"]) + int(prisma["website_results"]),
        "reports": len(tables.studies),
        "studies_in_analysis": patients.study_id.nunique(),
        "patients_in_analysis": len(patients),
        "patients_all": len(tables.patients),
        "context_studies": len(tables.cohorts),
    }


def findings(patients: pd.DataFrame, treatments: pd.DataFrame) -> list[str]:
    """Main findings in plain words; each sentence states its denominator."""
    n = len(patients)
    if n == 0:
        return ["No patient meets the selection of this report's parameters."]
    out = []
    ages = age_summary(patients)
    juvenile = int((patients.age_group == "juvenile").sum())
    out.append(f"{n} published patients are analysed: {n - juvenile} adults and {juvenile} juvenile "
               f"patients; age was reported for {ages['n_with_age']}"
               + (f" (median {ages['median']:g} years)." if ages["n_with_age"] else "."))
    nephrotic = int(patients.kidney_presentation.isin(["nephrotic syndrome", "nephrotic-range proteinuria"]).sum())
    out.append(f"Nephrotic syndrome or nephrotic-range proteinuria is stated for {_share(nephrotic, n)} patients; "
               f"the others had biopsy-proven glomerular disease with proteinuria of unstated or lower amount.")
    biopsied = patients[~patients.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY)]
    if len(biopsied):
        top = biopsied.renal_histology.value_counts()
        listed = ", ".join(f"{lesion} ({count})" for lesion, count in top.head(4).items())
        out.append(f"Of {len(biopsied)} patients with a reported kidney biopsy diagnosis, the lesions were: "
                   f"{listed}{' and others' if len(top) > 4 else ''}. No single lesion dominates in a way case "
                   f"reports could establish.")
    mda5 = has_antibody(patients, "anti-MDA5") == "yes"
    if mda5.any():
        tma = int((patients[mda5].renal_histology == "thrombotic microangiopathy").sum())
        out.append(f"{int(mda5.sum())} patients were anti-MDA5 positive; {tma} of them had renal thrombotic "
                   f"microangiopathy.")
    cancer = int((patients.malignancy == "yes").sum())
    reported = int((patients.malignancy != v.NOT_REPORTED).sum())
    out.append(f"A malignancy was reported in {cancer} of the {reported} patients whose malignancy status was stated.")
    known = patients[patients.renal_outcome != v.NOT_REPORTED]
    remission = int(known.renal_outcome.isin(["complete remission", "partial remission"]).sum())
    out.append(f"The renal outcome is stated for {len(known)} patients, {remission} of whom reached complete or "
               f"partial remission; for the rest the reports read give no outcome.")
    return out


def at_a_glance(tables: Tables, patients: pd.DataFrame) -> pd.DataFrame:
    c = counts(tables, patients)
    rows = [
        ("Records identified, all sources and versions", c["records"]),
        ("Included reports (studies)", c["reports"]),
        ("Patients extracted (all strata)", c["patients_all"]),
        ("Studies in this analysis", c["studies_in_analysis"]),
        ("Patients in this analysis (after the report parameters)", c["patients_in_analysis"]),
        ("Context studies (cohorts and reviews, not pooled)", c["context_studies"]),
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
    from pathlib import Path

    from pipeline.report.versions import read_version_record, read_versions

    record = read_version_record(Path(tables_dir) / "version.json")
    if record is not None:
        return record.change_lines()
    published = read_versions(project_root)
    if not published:
        return ["This build is not a published version, and no version has been published yet."]
    return [f"This build is not a published version; the latest published version is {published[-1].number} "
            f"({published[-1].date})."]
