"""Claims checked against the evidence base. Each claim in data/claims.yaml names, as filters over the
tidy tables, the patients it bears on, those whose reports support it and those that go against it;
the verdict is never more certain than case reports allow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.core.errors import InvalidDataError
from pipeline.core.forms import read_form
from pipeline.synthesis.proportions import has_antibody

FILTER_KEYS = {"antibody", "agents_all", "agents_any", "ns_or_nephrotic_range", *(
    "age_group", "myositis_type", "malignancy", "kidney_presentation", "ns_timing", "renal_histology",
    "renal_outcome", "muscle_outcome", "died", "biopsy_done")}
NEPHROTIC = ("nephrotic syndrome", "nephrotic-range proteinuria")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    population: dict[str, Any]
    supports: dict[str, Any] | None
    contradicts: dict[str, Any] | None
    caveat: str


@dataclass(frozen=True)
class Verdict:
    claim: Claim
    bearing: list[str]
    supporting: list[str]
    contradicting: list[str]

    @property
    def verdict(self) -> str:
        if self.supporting:
            return f"supported by {len(self.supporting)} case{'s' if len(self.supporting) != 1 else ''}"
        if self.contradicting:
            return "contradicted"
        return "not addressed by the evidence"


def read_claims(path: Path) -> list[Claim]:
    form = read_form(path)
    problems, claims = [], []
    entries = form.data.get("claims")
    if not isinstance(entries, list):
        raise InvalidDataError([f"{form.where('claims')}: claims: expected a list of claims"])
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict):
            problems.append(f"{form.where('claims', i)}: claims: each claim is a mapping of fields")
            continue
        for part in ("population", "supports", "contradicts"):
            spec = entry.get(part) or {}
            if not isinstance(spec, dict):
                problems.append(f"{form.where('claims', i, part)}: {part}: a mapping of filters ({spec!r})")
                continue
            for key in spec:
                if key not in FILTER_KEYS:
                    problems.append(f"{form.where('claims', i, part, key)}: {key}: unknown filter "
                                    f"(known: {', '.join(sorted(FILTER_KEYS))})")
        if not entry.get("text"):
            problems.append(f"{form.where('claims', i)}: text: required value is missing ()")
        claims.append(Claim(str(entry.get("id")), entry.get("text", ""), entry.get("population") or {},
                            entry.get("supports"), entry.get("contradicts"), entry.get("caveat", "")))
    if problems:
        raise InvalidDataError(problems)
    return claims


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def matches(patients: pd.DataFrame, treatments: pd.DataFrame, spec: dict[str, Any]) -> pd.Series:
    """Patients meeting every condition of `spec`."""
    keep = pd.Series(True, index=patients.index)
    agents = treatments.groupby("patient_id").agent.agg(set)
    given = patients.patient_id.map(agents).map(lambda s: s if isinstance(s, set) else set())
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
        elif value == "reported":
            keep &= patients[key] != v.NOT_REPORTED
        else:
            keep &= patients[key].isin(_as_list(value))
    return keep


def check(claim: Claim, patients: pd.DataFrame, treatments: pd.DataFrame) -> Verdict:
    population = patients[matches(patients, treatments, claim.population)]

    def ids(spec):
        return [] if not spec else list(population.patient_id[matches(population, treatments, spec)])

    return Verdict(claim, list(population.patient_id), ids(claim.supports), ids(claim.contradicts))
