"""Claims checked against the evidence base. Each claim in data/claims.yaml names, as filters over the tidy
tables, the patients it bears on, those whose reports support it and those that go against it, the cohort
outcomes that bear on it, and the agents whose doses (or the durations) it asserts. The verdict follows from
those patients and cohorts only: a claim is "not addressed" only when no patient or cohort of the analysis
bears on it, and it is never more certain than case reports allow."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.core.errors import InvalidDataError
from pipeline.core.forms import read_form
from pipeline.extract.context import PROPORTION_OUTCOMES
from pipeline.synthesis.proportions import has_antibody

PATIENT_COLUMNS = ("age_group", "myositis_type", "malignancy", "kidney_presentation", "ns_timing", "renal_histology",
                   "renal_outcome", "muscle_outcome", "died", "biopsy_done")
FILTER_KEYS = {"antibody", "agents_all", "agents_any", "ns_or_nephrotic_range", "kidney_treatment",
               "kidney_duration_stated", *PATIENT_COLUMNS}
CLAIM_FIELDS = {"id", "text", "population", "supports", "contradicts", "cohort_outcomes", "doses", "durations",
                "takeaway", "caveat"}
NEPHROTIC = ("nephrotic syndrome", "nephrotic-range proteinuria")
KIDNEY_TARGETS = ("kidney", "both")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    population: dict[str, Any]
    supports: dict[str, Any] | None
    contradicts: dict[str, Any] | None
    caveat: str = ""
    takeaway: str = ""
    cohort_outcomes: tuple[str, ...] = ()
    doses: tuple[str, ...] = ()
    durations: bool = False


@dataclass(frozen=True)
class Citation:
    label: str
    study_id: str | None
    note: str


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    bearing: list[str]
    supporting: list[str]
    contradicting: list[str]
    cohorts: pd.DataFrame = field(default_factory=pd.DataFrame)  # the cohort proportions that bear on it
    doses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # agent -> [(patient, dose)]
    durations: list[tuple[str, str, str]] = field(default_factory=list)  # (patient, agent, duration)

    @property
    def cohort_events(self) -> int:
        return int(self.cohorts.events.sum()) if len(self.cohorts) else 0

    @property
    def verdict(self) -> str:
        """What the evidence says of the claim: supporting and contradicting cases and cohorts, and whether the
        doses and durations it states appear in any report. Never more than the reports allow."""
        def cases(n: int) -> str:
            return f"{n} case{'s' if n != 1 else ''}"

        cohorts = len(self.cohorts)
        evidence = ([cases(len(self.supporting))] if self.supporting else []) + (
            [f"{self.cohort_events} patients in {cohorts} cohort{'s' if cohorts != 1 else ''}"]
            if self.cohort_events else [])
        if evidence:
            text = "supported by " + " and ".join(evidence)
            if self.contradicting:
                text += f", contradicted by {cases(len(self.contradicting))}"
        elif self.contradicting:
            text = f"contradicted by {cases(len(self.contradicting))}"
        elif self.bearing:
            n = len(self.bearing)
            text = f"not settled: {cases(n)} bear{'s' if n == 1 else ''} on it, none with the outcome that would decide it"
        else:
            return "not addressed by the evidence"
        unstated = [agent for agent in self.claim.doses if not self.doses.get(agent)]
        if unstated:
            text += f"; no report read states a {' or '.join(unstated)} dose"
        if self.claim.durations and not self.durations:
            text += "; no report read states a duration"
        return text


def _spec(form, i: int, entry: dict, part: str, problems: list[str]) -> dict | None:
    spec = entry.get(part)
    if spec is None:
        return None
    if not isinstance(spec, dict):
        problems.append(f"{form.where('claims', i, part)}: {part}: a mapping of filters ({spec!r})")
        return None
    for key in spec:
        if key not in FILTER_KEYS:
            problems.append(f"{form.where('claims', i, part, key)}: {key}: unknown filter "
                            f"(known: {', '.join(sorted(FILTER_KEYS))})")
    return spec


def read_claims(path: Path, known_studies: set[str] | None = None) -> tuple[list[Claim], list[Citation]]:
    """The claims and the answer's own citations, each checked for known filters, agents and outcomes, and
    each cited study (when `known_studies` is given) for being one of the review's studies."""
    form = read_form(path)
    entries = form.data.get("claims")
    if not isinstance(entries, list):
        raise InvalidDataError([f"{form.where('claims')}: claims: expected a list of claims"])
    problems, claims = [], []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"{form.where('claims', i)}: claims: each claim is a mapping of fields")
            continue
        for key in set(entry) - CLAIM_FIELDS:
            problems.append(f"{form.where('claims', i, key)}: {key}: unknown field")
        if not entry.get("text"):
            problems.append(f"{form.where('claims', i)}: text: required value is missing ()")
        for outcome in entry.get("cohort_outcomes") or []:
            if outcome not in PROPORTION_OUTCOMES:
                problems.append(f"{form.where('claims', i, 'cohort_outcomes')}: cohort_outcomes: not a cohort outcome "
                                f"({outcome}; known: {', '.join(PROPORTION_OUTCOMES)})")
        for agent in entry.get("doses") or []:
            if agent not in v.AGENT:
                problems.append(f"{form.where('claims', i, 'doses')}: doses: not an agent of the vocabulary ({agent})")
        specs = {part: _spec(form, i, entry, part, problems) for part in ("population", "supports", "contradicts")}
        claims.append(Claim(str(entry.get("id")), entry.get("text", ""), specs["population"] or {},
                            specs["supports"], specs["contradicts"], entry.get("caveat", ""),
                            entry.get("takeaway", ""), tuple(entry.get("cohort_outcomes") or ()),
                            tuple(entry.get("doses") or ()), bool(entry.get("durations"))))
    citations = []
    for i, entry in enumerate(form.data.get("citations") or []):
        if not isinstance(entry, dict) or not str(entry.get("label") or "").strip():
            problems.append(f"{form.where('citations', i)}: label: each citation is a mapping with a label")
            continue
        study_id = entry.get("study_id")
        if study_id is not None and known_studies is not None and study_id not in known_studies:
            problems.append(f"{form.where('citations', i, 'study_id')}: study_id: not a study of this review "
                            f"({study_id}; null when the evidence base holds no such report)")
        citations.append(Citation(str(entry["label"]), study_id, str(entry.get("note", ""))))
    if problems:
        raise InvalidDataError(problems)
    return claims, citations


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _stated(values: pd.Series) -> pd.Series:
    return values.fillna(v.NOT_REPORTED) != v.NOT_REPORTED


def matches(patients: pd.DataFrame, treatments: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    """Patients meeting every condition of `spec`."""
    keep = pd.Series(True, index=patients.index)
    agents = treatments.groupby("patient_id").agent.agg(set)
    given = patients.patient_id.map(agents).map(lambda s: s if isinstance(s, set) else set())
    for_kidney = treatments[treatments.target.isin(KIDNEY_TARGETS)]
    for key, value in spec.items():
        if key == "antibody":
            keep &= has_antibody(patients, value) == "yes"
        elif key == "agents_all":
            keep &= given.map(lambda s: set(_as_list(value)) <= s)
        elif key == "agents_any":
            for group in value if value and isinstance(value[0], list) else [value]:
                keep &= given.map(lambda s, g=tuple(_as_list(group)): bool(s & set(g)))
        elif key == "ns_or_nephrotic_range":
            keep &= patients.kidney_presentation.isin(NEPHROTIC) == bool(value)
        elif key == "kidney_treatment":
            keep &= patients.patient_id.isin(for_kidney.patient_id) == bool(value)
        elif key == "kidney_duration_stated":
            timed = for_kidney[_stated(for_kidney.duration)] if "duration" in for_kidney else for_kidney.iloc[0:0]
            keep &= patients.patient_id.isin(timed.patient_id) == bool(value)
        elif value == "reported":
            keep &= patients[key] != v.NOT_REPORTED
        else:
            keep &= patients[key].isin(_as_list(value))
    return keep


def check(claim: Claim, patients: pd.DataFrame, treatments: pd.DataFrame,
          proportions: pd.DataFrame | None = None) -> Verdict:
    population = patients[matches(patients, treatments, claim.population)]

    def ids(spec):
        return [] if not spec else list(population.patient_id[matches(population, treatments, spec)])

    given = treatments[treatments.patient_id.isin(population.patient_id)]
    doses = {agent: [(row.patient_id, row.dose) for row in given[(given.agent == agent)
                                                                 & _stated(given.dose)].itertuples()]
             for agent in claim.doses} if "dose" in given else {}
    durations = ([(row.patient_id, row.agent, row.duration)
                  for row in given[given.target.isin(KIDNEY_TARGETS) & _stated(given.duration)].itertuples()]
                 if claim.durations and "duration" in given else [])
    cohorts = (proportions[proportions.outcome.isin(claim.cohort_outcomes)]
               if proportions is not None and claim.cohort_outcomes else pd.DataFrame(columns=["events"]))
    return Verdict(claim, list(population.patient_id), ids(claim.supports), ids(claim.contradicts), cohorts, doses,
                   durations)
