"""The answer to the review question, facet by facet: how often, which lesions, when, in whom, what was done and
what followed, and what the evidence cannot say. Every statement carries its numbers, the studies it rests on
and a certainty label with its reason (in the spirit of GRADE: case reports start very low; cohorts start low
and go down for imprecision). A statement the data cannot make is not made."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.synthesis.meta import DM_ONLY, DM_ONLY_SUFFIX, FRAGILE_BELOW
from pipeline.synthesis.proportions import has_antibody

NEPHROTIC = ("nephrotic syndrome", "nephrotic-range proteinuria")
REMISSION = ("complete remission", "partial remission")
# The protocol's "other" kidney presentation, as the reader is told it.
OTHER_PRESENTATION = "a glomerular lesion on biopsy, amount of proteinuria not stated"
# The pooled outcomes the answer states, with how the reader is told each one, and why each is no more certain.
POOLED_FACETS = {"kidney involvement": "kidney involvement of any kind", "proteinuria": "proteinuria",
                 "biopsy-proven glomerular disease": "glomerular disease on a kidney biopsy"}
REASONS = {
    "kidney involvement": "definitions of kidney involvement differ, and most of it is acute or chronic kidney "
                          "injury rather than glomerular disease",
    "proteinuria": "proteinuria is counted at different thresholds and is not all glomerular",
    "biopsy-proven glomerular disease": "only patients selected for a biopsy are counted, so the figure is a floor",
}


@dataclass(frozen=True)
class Statement:
    facet: str
    text: str
    certainty: str  # "low", "very low"
    reason: str
    citations: tuple[str, ...] = field(default_factory=tuple)


def _percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def _counted(counts: pd.Series) -> str:
    """'FSGS 2, IgA nephropathy 3' in falling order, ties by name."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{name} {n}" for name, n in items)


def _studies(*frames: pd.DataFrame) -> tuple[str, ...]:
    """The study ids of the rows of `frames` (patients or cohort rows), once each, sorted."""
    return tuple(sorted(set().union(*(frame.study_id for frame in frames))))


def _of(k: int, n: int, noun: str = "patients") -> str:
    return f"{k} of {n} {noun}" if n != 1 else f"{k} of 1 {noun.rstrip('s')}"


def _listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join(filter(None, (", ".join(items[:-1]), items[-1]))) if items else ""


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def frequency(pooled: pd.DataFrame, inputs: pd.DataFrame) -> list[Statement]:
    """How often the kidney is involved in cohorts of patients with inflammatory myopathy."""
    out = []
    for outcome, label in POOLED_FACETS.items():
        rows = pooled[(pooled.outcome == outcome) & (pooled.method == "DL")]
        studies = inputs[inputs.outcome == outcome]
        if rows.empty:
            continue
        dl = rows.iloc[0]
        pm = pooled[(pooled.outcome == outcome) & (pooled.method == "PM")].iloc[0]
        fragile = dl.k < FRAGILE_BELOW
        reason = REASONS[outcome]
        agree = abs(pm.estimate - dl.estimate) < 0.005
        text = (f"In {dl.k} cohorts ({dl.n} patients with inflammatory myopathy), {label} was found in "
                f"{_percent(dl.estimate)} (95% CI {_percent(dl.ci_low)} to {_percent(dl.ci_high)}; random effects, "
                f"DerSimonian-Laird; prediction interval {_percent(dl.pi_low)} to {_percent(dl.pi_high)}; "
                f"I² {_percent(dl.i2)}). " + ("Paule-Mandel gives the same figure. " if agree else
                                              f"Paule-Mandel gives {_percent(pm.estimate)}. ")
                + ("With fewer than three cohorts the pooled figure is fragile." if fragile else ""))
        out.append(Statement("How often", text.strip(), "very low" if fragile else "low",
                             "retrospective cohorts; " + (f"{_plural(int(dl.k), 'study', 'studies')}, imprecise"
                                                          if fragile else reason),
                             _studies(studies)))
    return out + dermatomyositis_only(pooled, inputs)


def dermatomyositis_only(pooled: pd.DataFrame, inputs: pd.DataFrame) -> list[Statement]:
    """The protocol's dermatomyositis-only sensitivity analysis: pooled where two cohorts restricted to
    dermatomyositis report an outcome, else what those cohorts report one by one."""
    restricted = inputs[inputs.scope == DM_ONLY]
    if restricted.empty:
        return []
    pooled_dm = pooled[pooled.outcome.str.endswith(DM_ONLY_SUFFIX) & (pooled.method == "DL")]
    parts = [f"{row.outcome.removesuffix(DM_ONLY_SUFFIX)} {_percent(row.estimate)} (95% CI {_percent(row.ci_low)} "
             f"to {_percent(row.ci_high)}, {row.k} cohorts)" for row in pooled_dm.itertuples()]
    single = restricted[~(restricted.outcome + DM_ONLY_SUFFIX).isin(pooled_dm.outcome)]
    listed = [f"{row.outcome} in {row.events} of {row.n} ({row.population.split(',')[0]})"
              for row in single.itertuples()]
    text = ("Restricted to dermatomyositis, the pooled figures are: " + "; ".join(parts) + ". ") if parts else \
        "No outcome is reported by two cohorts restricted to dermatomyositis, so no dermatomyositis-only figure is pooled. "
    if listed:
        text += "Cohorts restricted to dermatomyositis report " + "; ".join(listed) + "."
    return [Statement("How often", text.strip(), "very low", "single small cohorts", _studies(restricted))]


def lesions(patients: pd.DataFrame) -> list[Statement]:
    biopsied = patients[~patients.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY)]
    if biopsied.empty:
        return []
    counts = biopsied.renal_histology.value_counts()
    named = counts.drop("other glomerular", errors="ignore")
    text = f"{_of(len(biopsied), len(patients))} had a kidney biopsy diagnosis: {_counted(counts)}."
    if len(named) > 1:
        top = named.max()
        tops = sorted(named[named == top].index)
        text += (f" No lesion dominates: the most frequent named {'lesion is' if len(tops) == 1 else 'lesions are'} "
                 f"{_listed(tops)} ({top} {'each' if len(tops) > 1 else 'patients'}).")
    return [Statement("Which lesions", text, "very low",
                      "case reports, read at abstract level; which lesions get published is not how often they occur",
                      _studies(biopsied))]


def presentation(patients: pd.DataFrame) -> list[Statement]:
    nephrotic = patients[patients.kidney_presentation.isin(NEPHROTIC)]
    others = patients[~patients.kidney_presentation.isin(NEPHROTIC)].kidney_presentation.map(
        lambda p: OTHER_PRESENTATION if p == "other" else p).value_counts()
    text = (f"Nephrotic syndrome or nephrotic-range proteinuria is stated for {_of(len(nephrotic), len(patients))}"
            + (f"; the others: {_counted(others)}" if len(others) else "") + ".")
    return [Statement("Which lesions", text, "very low", "case reports; the amount of proteinuria is rarely in the "
                      "abstracts read", _studies(nephrotic) or _studies(patients))]


def timing(patients: pd.DataFrame) -> list[Statement]:
    stated = patients[patients.ns_timing != v.NOT_REPORTED]
    if stated.empty:
        return []
    counts = stated.ns_timing.value_counts().reindex(["before", "concurrent", "after"], fill_value=0)
    months = stated.ns_timing_months.dropna()
    span = (f"; where the interval is stated, {months.min():g} to {months.max():g} months after"
            if len(months) > 1 else (f"; the one interval stated is {months.iloc[0]:g} months" if len(months) else ""))
    text = (f"The timing is stated for {_of(len(stated), len(patients))}: the kidney disease came before the "
            f"myositis in {counts['before']}, within three months of it in {counts['concurrent']} and after it in "
            f"{counts['after']}{span}.")
    return [Statement("When", text, "very low", "case reports; timing is described differently from report to report",
                      _studies(stated))]


def subgroups(patients: pd.DataFrame, inputs: pd.DataFrame) -> list[Statement]:
    out = []
    juvenile = patients[patients.age_group == "juvenile"]
    if len(juvenile):
        nephrotic = juvenile[juvenile.kidney_presentation.isin(NEPHROTIC)]
        lesion = juvenile[~juvenile.renal_histology.isin(v.NON_BIOPSY_HISTOLOGY)].renal_histology.value_counts()
        text = (f"{_of(len(juvenile), len(patients))} were children: nephrotic syndrome in {len(nephrotic)}"
                + (f", and on biopsy {_counted(lesion)}" if len(lesion) else "") + ".")
        cohort = inputs[(inputs.outcome == "proteinuria") & inputs.population.str.contains("juvenile", case=False)]
        for row in cohort.itertuples():
            text += f" A juvenile series found proteinuria in {row.events} of {row.n} children."
        out.append(Statement("In whom", text, "very low", "single case reports and one small series",
                             _studies(juvenile, cohort)))
    mda5 = patients[has_antibody(patients, "anti-MDA5") == "yes"]
    tma_cohort = inputs[inputs.outcome == "thrombotic microangiopathy"]
    if len(mda5) or len(tma_cohort):
        parts = []
        if len(mda5):
            tma = int((mda5.renal_histology == "thrombotic microangiopathy").sum())
            parts.append(f"{_plural(len(mda5), 'included patient was', 'included patients were')} anti-MDA5 "
                         f"positive, {tma} with renal thrombotic microangiopathy")
        else:
            parts.append("no included patient was reported anti-MDA5 positive")
        for row in tma_cohort.itertuples():
            parts.append(f"in one cohort {row.events} of {row.n} anti-MDA5 patients developed thrombotic "
                         f"microangiopathy with a raised urine protein to creatinine ratio (not biopsy-proven)")
        tma_cases = patients[patients.renal_histology == "thrombotic microangiopathy"]
        if len(tma_cases):
            parts.append(f"renal thrombotic microangiopathy on biopsy was reported in "
                         f"{_plural(len(tma_cases), 'patient', 'patients')} without anti-MDA5 reported "
                         f"({', '.join(sorted(tma_cases.myositis_type))})")
        out.append(Statement("In whom", _sentence("; ".join(parts)) + ".", "very low",
                             "one small cohort and case reports", _studies(mda5, tma_cohort, tma_cases)))
    cancer = patients[patients.malignancy == "yes"]
    stated = patients[patients.malignancy != v.NOT_REPORTED]
    if len(stated):
        kinds = "; ".join(sorted(t for t in cancer.malignancy_type.fillna("") if t))
        where = f" ({kinds})" if kinds else ""
        text = (f"Whether there was a malignancy is stated for {_of(len(stated), len(patients))}: a malignancy in "
                f"{len(cancer)}{where}; for the others the reports do not say.")
        out.append(Statement("In whom", text, "very low", "case reports; malignancy is rarely stated",
                             _studies(cancer) or _studies(stated)))
    lupus = patients[patients.renal_histology == "lupus nephritis"]
    if len(lupus):
        out.append(Statement("In whom", f"Lupus nephritis was the lesion in {_of(len(lupus), len(patients))}, in "
                             f"myositis overlapping with lupus ({', '.join(sorted(set(lupus.myositis_type)))}): there "
                             f"the kidney disease may belong to the lupus.", "very low", "case reports",
                             _studies(lupus)))
    return out


def treatment(patients: pd.DataFrame, treatments: pd.DataFrame) -> list[Statement]:
    given = treatments[treatments.patient_id.isin(patients.patient_id)]
    treated = given.patient_id.nunique()
    agents = given.drop_duplicates(["patient_id", "agent"]).agent.value_counts()
    outcome = patients.renal_outcome.value_counts()
    doses = given[given.dose.fillna(v.NOT_REPORTED) != v.NOT_REPORTED]
    remission = int(outcome.reindex(list(REMISSION), fill_value=0).sum())
    improved = int(outcome.get(v.IMPROVED_UNDEFINED, 0))
    bad = int(outcome.reindex(["no remission", "ESKD or dialysis", "death"], fill_value=0).sum())
    if not treated:
        return [Statement("What was done and what followed", f"No treatment is reported for any of the "
                          f"{_plural(len(patients), 'patient', 'patients')}.", "very low",
                          "case reports; treatment is often left out of the abstracts read", _studies(patients))]
    text = (f"A treatment is reported for {_of(treated, len(patients))}: {_counted(agents)}. "
            f"A dose is stated for {len(doses)} of "
            f"{len(given)} treatments given. The kidney outcome is stated for {remission + improved + bad}: defined "
            f"remission in {remission}, improvement without a remission definition in {improved}, no remission, "
            f"kidney failure or death in {bad}.")
    return [Statement("What was done and what followed", text, "very low",
                      "case reports with short or unstated follow-up; improvement after treatment does not show the "
                      "treatment caused it", _studies(patients[patients.patient_id.isin(given.patient_id)]))]


def limits() -> list[Statement]:
    text = ("The evidence cannot say whether dermatomyositis causes glomerular disease, how much more often than "
            "expected the two occur together, which treatment works best, or at what dose and for how long: "
            "case reports show what was given and what followed in single patients.")
    return [Statement("What the evidence cannot say", text, "very low", "no comparative study exists in the evidence "
                      "base", ())]


def answer(patients: pd.DataFrame, treatments: pd.DataFrame, pooled: pd.DataFrame,
           inputs: pd.DataFrame) -> list[Statement]:
    """The statements of the report's first section, for the patients of this analysis."""
    if patients.empty:
        return frequency(pooled, inputs) + limits()
    return (frequency(pooled, inputs) + presentation(patients) + lesions(patients) + timing(patients)
            + subgroups(patients, inputs) + treatment(patients, treatments) + limits())


def facets(statements: Iterable[Statement]) -> dict[str, list[Statement]]:
    grouped: dict[str, list[Statement]] = {}
    for statement in statements:
        grouped.setdefault(statement.facet, []).append(statement)
    return grouped
