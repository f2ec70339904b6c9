"""Machine-assisted extraction: pre-fill a study's form from its record's title and abstract.

Every suggested value is listed under `unconfirmed`, and `lsr validate`/`lsr build` refuse the form until a
reviewer has checked each one against the source, written where it is stated, and removed it from the list.
The rules are plain patterns so a reviewer can see why a value was suggested; their accuracy against the
reviewers' final values is measured per field by `lsr extract --evaluate`."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pipeline.core import vocabulary as v


def _rx(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.I)


AGE = _rx(r"\b(\d{1,2})[- ](?:year|yr)s?[- ]old\b")
FEMALE = _rx(r"\b(woman|female|girl|lady|mother)\b")
MALE = _rx(r"\b(man|male|boy|gentleman|father)\b")
MYOSITIS = (("JDM", _rx(r"juvenile dermatomyositis|\bJDM\b")), ("CADM", _rx(r"amyopathic|sine myositis|\bCADM\b")),
            ("antisynthetase", _rx(r"anti-?synthetase")), ("DM overlap", _rx(r"overlap")),
            ("DM", _rx(r"dermatomyositis")), ("PM", _rx(r"polymyositis")),
            ("other IIM", _rx(r"necroti[sz]ing myopathy|inflammatory myopathy")))
ANTIBODIES = {"anti-MDA5": r"MDA-?5", "anti-NXP2": r"NXP-?2", "anti-TIF1g": r"TIF-?1", "anti-Mi-2": r"Mi-?2\b",
              "anti-SAE": r"\bSAE\b", "anti-Jo-1": r"Jo-?1", "anti-PL-7": r"PL-?7", "anti-PL-12": r"PL-?12",
              "anti-EJ": r"anti-EJ\b", "anti-OJ": r"anti-OJ\b", "anti-Ro52": r"Ro-?52", "anti-U1RNP": r"U1-?RNP|anti-RNP",
              "anti-PM-Scl": r"PM-?Scl", "anti-dsDNA": r"ds-?DNA", "ANCA-MPO": r"MPO-?ANCA|ANCA-?MPO",
              "ANCA-PR3": r"PR3", "anti-PLA2R": r"PLA2R"}
HISTOLOGY = (("membranous nephropathy", r"membranous"), ("minimal change disease", r"minimal[- ]change"),
             ("FSGS", r"focal segmental|\bFSGS\b"), ("MPGN", r"membranoproliferative|\bMPGN\b"),
             ("IgA nephropathy", r"IgA nephropathy|IgAN\b"), ("mesangial proliferative GN", r"mesangial"),
             ("crescentic GN", r"crescentic"), ("lupus nephritis", r"lupus nephritis"),
             ("thrombotic microangiopathy", r"thrombotic microangiopathy|\bTMA\b"), ("amyloidosis", r"amyloid"))
AGENTS = {"methylprednisolone pulse": r"(pulse|intravenous)\s+methylprednisolone|methylprednisolone pulse",
          "glucocorticoid": r"prednisone|prednisolone|glucocorticoid|corticosteroid|steroid",
          "methotrexate": r"methotrexate", "mycophenolate": r"mycophenol", "azathioprine": r"azathioprine",
          "cyclophosphamide": r"cyclophosphamide", "tacrolimus": r"tacrolimus", "cyclosporine": r"cyclospor",
          "rituximab": r"rituximab", "IVIG": r"immunoglobulin|\bIVIG\b", "plasma exchange": r"plasma ?(exchange|pheresis)",
          "ACE inhibitor or ARB": r"ACE inhibitor|angiotensin|sartan\b|pril\b", "hydroxychloroquine": r"hydroxychloroquine",
          "TNF inhibitor": r"adalimumab|infliximab|etanercept", "JAK inhibitor": r"tofacitinib|baricitinib|ruxolitinib",
          "eculizumab": r"eculizumab"}
OUTCOME = (("death", r"\bdied\b|\bdeath\b"), ("ESKD or dialysis", r"dialysis|end-stage"),
           ("complete remission", r"complete remission"), ("partial remission", r"partial remission"))

SUGGESTED_FIELDS = ("age_years", "sex", "myositis_type", "antibodies", "kidney_presentation", "renal_histology",
                    "agents", "renal_outcome")


@dataclass(frozen=True)
class Suggestion:
    values: dict[str, object]


def suggest(title: str, abstract: str) -> Suggestion:
    text = f"{title or ''}. {abstract or ''}"
    values: dict[str, object] = {}
    if match := AGE.search(text):
        values["age_years"] = int(match.group(1))
    female, male = bool(FEMALE.search(text)), bool(MALE.search(text))
    if female != male:
        values["sex"] = "F" if female else "M"
    for name, pattern in MYOSITIS:
        if pattern.search(text):
            values["myositis_type"] = name
            break
    antibodies = [name for name, pattern in ANTIBODIES.items() if re.search(pattern, text)]
    if antibodies:
        values["antibodies"] = antibodies
    if re.search(r"nephrotic syndrome", text, re.I):
        values["kidney_presentation"] = "nephrotic syndrome"
    elif re.search(r"nephrotic[- ]range", text, re.I):
        values["kidney_presentation"] = "nephrotic-range proteinuria"
    for name, pattern in HISTOLOGY:
        if re.search(pattern, text, re.I):
            values["renal_histology"] = name
            break
    agents = [name for name, pattern in AGENTS.items() if re.search(pattern, text, re.I)]
    if "methylprednisolone pulse" in agents and not re.search(r"prednisone|prednisolone(?!.*pulse)", text, re.I):
        agents.remove("glucocorticoid") if "glucocorticoid" in agents else None
    if agents:
        values["agents"] = agents
    for name, pattern in OUTCOME:
        if re.search(pattern, text, re.I):
            values["renal_outcome"] = name
            break
    return Suggestion(values)


def form_from_suggestion(study_id: str, record: dict, suggestion: Suggestion) -> dict:
    """A new extraction form: suggested values marked unconfirmed, everything else 'not reported'."""
    values = suggestion.values
    patient = {"patient_id": f"{study_id}-1"}
    for field in ("age_years", "age_group", "sex", "myositis_type", "antibodies", "malignancy", "malignancy_type",
                  "kidney_presentation", "ns_timing", "ns_timing_months", "proteinuria_g_day", "serum_albumin_g_dl",
                  "biopsy_done", "renal_histology", "renal_outcome", "muscle_outcome", "died", "follow_up_months"):
        numeric = field in ("age_years", "ns_timing_months", "proteinuria_g_day", "serum_albumin_g_dl",
                            "follow_up_months")
        patient[field] = values.get(field, None if numeric else v.NOT_REPORTED)
    patient["malignancy_type"] = ""
    # An included patient has kidney disease by definition; 'other' is the vocabulary's open value, and like
    # every pre-filled value it waits for a reviewer.
    defaulted = [] if "kidney_presentation" in values else ["kidney_presentation"]
    patient["kidney_presentation"] = values.get("kidney_presentation", "other")
    age = values.get("age_years")
    patient["age_group"] = v.NOT_REPORTED if age is None else ("juvenile" if age < 18 else "adult")
    if values.get("renal_histology"):
        patient["biopsy_done"] = "yes"
    patient["treatments"] = [{"agent": agent, "target": v.NOT_REPORTED, "dose": v.NOT_REPORTED,
                              "duration": v.NOT_REPORTED, "detail": ""} for agent in values.get("agents", [])]
    suggested = [f for f in SUGGESTED_FIELDS if f in values and f != "agents"] + defaulted + \
        (["treatments"] if values.get("agents") else [])
    patient["provenance"] = {f: "machine suggestion from the title/abstract: confirm and say where it is stated"
                             for f in suggested + (["biopsy_done"] if values.get("renal_histology") else [])}
    patient["unconfirmed"] = suggested + (["biopsy_done"] if values.get("renal_histology") else [])
    study = {"year": None if pd.isna(record.get("year")) else int(record["year"]),
             "journal": record.get("journal") or v.NOT_REPORTED, "doi": record.get("doi") or None,
             "pmid": record.get("pmid") or None, "pmcid": record.get("pmcid") or None}
    source = f"the record's metadata ({record['record_id']}): check it against the report"
    return {"study_id": study_id, "record_id": record["record_id"], "title": record.get("title") or "",
            "authors": [a for a in str(record.get("authors") or "").split(" | ") if a],
            "first_author": (str(record.get("authors") or "").split(" | ")[0] or v.NOT_REPORTED), **study,
            "url": record.get("url") or "", "design": "case report", "country": v.NOT_REPORTED,
            "language": record.get("language") or v.NOT_REPORTED, "evidence_level": "abstract only",
            "extraction_note": "pre-filled by lsr extract --suggest; every value listed under unconfirmed needs a reviewer",
            "provenance": {key: source for key, value in study.items() if value not in (None, v.NOT_REPORTED)},
            "patients": [patient]}


def appraisal_skeleton(study_id: str) -> dict:
    """A JBI case-report checklist to fill in: each item's question as a comment-like field, the answer left
    empty so that `lsr validate` lists it until a reviewer answers it."""
    return {"study_id": study_id,
            "items": [{"item": i, "question": question, "answer": "", "reason": ""}
                      for i, question in enumerate(v.JBI_ITEMS, start=1)]}


def bibliography_entry(study_id: str, record: dict) -> str:
    """A references.bib entry from the record's metadata (pybtex writes it), for the reviewer to check."""
    from pybtex.database import BibliographyData, Entry, Person

    fields = {"title": record.get("title") or "", "journal": record.get("journal") or "",
              "year": "" if pd.isna(record.get("year")) else str(int(record["year"])),
              "doi": record.get("doi") or "", "pmid": record.get("pmid") or "", "pmcid": record.get("pmcid") or "",
              "url": record.get("url") or "",
              "note": f"entry made from the record's metadata ({record['record_id']}); check it against the report"}
    # Records carry MEDLINE's "Surname Initials"; BibTeX reads a name without a comma as "First Last".
    authors = [Person(re.sub(r"^(.+) ([A-Z]{1,4})$", r"\1, \2", a) if "," not in a else a)
               for a in str(record.get("authors") or "").split(" | ") if a]
    entry = Entry("article", fields={k: value for k, value in fields.items() if value},
                  persons={"author": authors} if authors else {})
    return BibliographyData({study_id: entry}).to_string("bibtex")


def evaluate(records: pd.DataFrame, studies: pd.DataFrame, patients: pd.DataFrame,
             treatments: pd.DataFrame) -> pd.DataFrame:
    """Per field: how often a suggestion was made and was right (precision), and how many of the reviewers'
    stated values were suggested correctly (recall), over the included studies' own records."""
    counts = {f: {"suggested": 0, "correct": 0, "stated": 0} for f in SUGGESTED_FIELDS}
    by_record = records.set_index("record_id")
    agents = treatments.groupby("patient_id").agent.agg(lambda s: sorted(set(s)))
    for study in studies.itertuples():
        if study.record_id not in by_record.index:
            continue
        record = by_record.loc[study.record_id]
        suggested = suggest(record.title, record.abstract).values
        for patient in patients[patients.study_id == study.study_id].itertuples():
            truth = {f: getattr(patient, f) for f in SUGGESTED_FIELDS if f != "agents"}
            truth["antibodies"] = (None if patient.antibodies in (v.NOT_REPORTED, "none")
                                   else sorted(patient.antibodies.split(v.ANTIBODY_SEPARATOR)))
            truth["agents"] = agents.get(patient.patient_id)
            for field in SUGGESTED_FIELDS:
                actual = truth[field]
                stated = actual is not None and not (isinstance(actual, float) and pd.isna(actual)) \
                    and actual != v.NOT_REPORTED
                guess = suggested.get(field)
                guess = sorted(guess) if isinstance(guess, list) else guess
                counts[field]["stated"] += stated
                counts[field]["suggested"] += guess is not None
                counts[field]["correct"] += guess is not None and stated and guess == actual
    rows = []
    for field, c in counts.items():
        rows.append({"field": field, "suggested": c["suggested"], "correct": c["correct"], "stated by reviewers": c["stated"],
                     "precision": round(c["correct"] / c["suggested"], 2) if c["suggested"] else None,
                     "recall": round(c["correct"] / c["stated"], 2) if c["stated"] else None})
    return pd.DataFrame(rows)
