"""Machine-assisted extraction: pre-fill a study's form from its record's title and abstract.

Every suggested value is listed under `unconfirmed`, and `lsr validate`/`lsr build` refuse the form until a
reviewer has checked each one against the source, written where it is stated, and removed it from the list.
The rules are plain patterns so a reviewer can see why a value was suggested; their accuracy against the
reviewers' final values is measured per field by `lsr extract --evaluate`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from pipeline.core import vocabulary as v
from pipeline.extract.tables import NUMERIC_FIELDS, PATIENT_COLUMNS


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
# What only a full text states, and a suggestion from it may fill.
FULL_TEXT_FIELDS = ("proteinuria_g_day", "serum_albumin_g_dl", "follow_up_months", "doses", "durations")
# Where an agent is named in a full text, to find the dose and duration that follow its name.
AGENT_NAMES = {**AGENTS, "glucocorticoid": r"(?<!methyl)(?:prednisone|prednisolone)|glucocorticoid|corticosteroid",
               "methylprednisolone pulse": r"methylprednisolone(?:\s+pulses?)?|pulse[sd]?\s+methylprednisolone"}
DOSE = _rx(r"\d+(?:\.\d+)?\s?(?:mg|g|µg|mcg)(?:/(?:kg|m2|m²))?(?:/(?:day|d|week|month))?"
           r"(?:\s(?:once |twice |three times )?(?:daily|weekly|monthly|a day|per day))?")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8, "ten": 10, "twelve": 12}
_COUNT = r"(\d+|" + "|".join(NUMBER_WORDS) + r")"
DURATION = _rx(rf"\bfor {_COUNT} (days?|weeks?|months?|years?)\b")
PROTEINURIA = _rx(r"proteinuria[^.;]{0,30}?(\d+(?:\.\d+)?)\s?g/(?:day|d\b|24 ?h)")
ALBUMIN = _rx(r"albumin[^.;]{0,30}?(\d+(?:\.\d+)?)\s?(g/dl|g/l)\b")
FOLLOW_UP = _rx(rf"{_COUNT}\s?(months?|years?)\s(?:of\s)?follow[- ]?up|follow[- ]?up\s(?:of|for)\s{_COUNT}\s?(months?|years?)")
IMPROVED = (_rx(r"proteinuria|nephrotic|renal function|kidney function|creatinine"),
            _rx(r"resolv|improv|fell|fallen|decreas|normali[sz]|disappear"))


@dataclass(frozen=True)
class Suggestion:
    values: dict[str, object]
    # field -> where the source states it ("Case presentation §2: 'the sentence'"); empty for an abstract
    provenance: dict[str, str] = field(default_factory=dict)
    treatments: tuple[dict, ...] = ()  # full text: agent, dose, duration as stated
    source: str = "title/abstract"


def _age(text: str):
    match = AGE.search(text)
    return int(match.group(1)) if match else None


def _sex(text: str):
    female, male = bool(FEMALE.search(text)), bool(MALE.search(text))
    return ("F" if female else "M") if female != male else None


def _myositis(text: str):
    return next((name for name, pattern in MYOSITIS if pattern.search(text)), None)


def _antibodies(text: str):
    return [name for name, pattern in ANTIBODIES.items() if re.search(pattern, text)] or None


def _presentation(text: str):
    if re.search(r"nephrotic syndrome", text, re.I):
        return "nephrotic syndrome"
    return "nephrotic-range proteinuria" if re.search(r"nephrotic[- ]range", text, re.I) else None


def _histology(text: str):
    return next((name for name, pattern in HISTOLOGY if re.search(pattern, text, re.I)), None)


def _agents(text: str):
    agents = [name for name, pattern in AGENTS.items() if re.search(pattern, text, re.I)]
    if "methylprednisolone pulse" in agents and not re.search(r"(?<!methyl)(prednisone|prednisolone)", text, re.I):
        agents = [a for a in agents if a != "glucocorticoid"]
    return agents or None


def _outcome(text: str):
    return next((name for name, pattern in OUTCOME if re.search(pattern, text, re.I)), None)


FINDERS = {"age_years": _age, "sex": _sex, "myositis_type": _myositis, "antibodies": _antibodies,
           "kidney_presentation": _presentation, "renal_histology": _histology, "agents": _agents,
           "renal_outcome": _outcome}


def suggest(title: str, abstract: str) -> Suggestion:
    text = f"{title or ''}. {abstract or ''}"
    values = {name: value for name, finder in FINDERS.items() if (value := finder(text)) is not None}
    return Suggestion(values)


def _months(count: str, unit: str) -> float:
    n = int(count) if count.isdigit() else NUMBER_WORDS[count.lower()]
    return float(n * 12 if unit.lower().startswith("year") else n)


def _full_text_outcome(sentence: str):
    found = _outcome(sentence)
    if found:
        return found
    return v.IMPROVED_UNDEFINED if all(p.search(sentence) for p in IMPROVED) else None


def _named_agents(sentence: str) -> list[tuple[int, int, str]]:
    """(start, end, agent) for each agent named, in order; a name inside a longer one counts once."""
    matches = sorted((m.start(), -m.end(), agent) for agent, pattern in AGENT_NAMES.items()
                     for m in re.finditer(pattern, sentence, re.I))
    named: list[tuple[int, int, str]] = []
    for start, negative_end, agent in matches:
        if not named or start >= named[-1][1]:
            named.append((start, -negative_end, agent))
    return named


def _treatments(sentences: list[tuple[str, str]]) -> list[dict]:
    """Each agent named in the case with the dose and duration stated right after its name, where stated."""
    found: dict[str, dict] = {}
    for where, sentence in sentences:
        named = _named_agents(sentence)
        for i, (_, end, agent) in enumerate(named):
            if agent in found:
                continue
            following = sentence[end:named[i + 1][0] if i + 1 < len(named) else len(sentence)][:80]
            dose, duration = DOSE.search(following), DURATION.search(following)
            found[agent] = {"agent": agent, "dose": dose.group(0) if dose else v.NOT_REPORTED,
                            "duration": " ".join(duration.groups()) if duration else v.NOT_REPORTED,
                            "where": f"{where}: '{sentence}'"}
    return list(found.values())


def suggest_from_full_text(article) -> Suggestion:
    """Suggestions from the passages that describe the case (abstract, case and results sections, not the
    discussion of other authors' patients), each with the passage and sentence that states it."""
    sentences = [(p.where, s) for p in article.case_passages() for s in p.sentences()]
    values: dict[str, object] = {}
    provenance: dict[str, str] = {}

    def first(name: str, finder) -> None:
        for where, sentence in sentences:
            value = finder(sentence)
            if value is not None:
                values[name], provenance[name] = value, f"{where}: '{sentence}'"
                return

    for name, finder in FINDERS.items():
        if name not in ("antibodies", "agents", "renal_outcome"):
            first(name, finder)
    antibodies = {}
    for where, sentence in sentences:
        for antibody in _antibodies(sentence) or []:
            antibodies.setdefault(antibody, f"{where}: '{sentence}'")
    if antibodies:
        values["antibodies"], provenance["antibodies"] = list(antibodies), "; ".join(dict.fromkeys(antibodies.values()))
    first("renal_outcome", _full_text_outcome)
    first("proteinuria_g_day", lambda s: float(m.group(1)) if (m := PROTEINURIA.search(s)) else None)

    def albumin(sentence: str):
        match = ALBUMIN.search(sentence)
        if not match:
            return None
        value = float(match.group(1))
        return round(value / 10, 2) if match.group(2).lower() == "g/l" else value

    first("serum_albumin_g_dl", albumin)
    if "serum_albumin_g_dl" in values and re.search(r"g/l\b", provenance["serum_albumin_g_dl"], re.I):
        provenance["serum_albumin_g_dl"] += " (converted from g/L to g/dL)"

    def follow_up(sentence: str):
        match = FOLLOW_UP.search(sentence)
        if not match:
            return None
        count, unit = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
        return _months(count, unit)

    first("follow_up_months", follow_up)
    if "follow_up_months" in values and re.search(r"year", provenance["follow_up_months"], re.I):
        provenance["follow_up_months"] += " (years converted to months)"
    treatments = _treatments(sentences)
    if treatments:
        values["agents"] = [t["agent"] for t in treatments]
        provenance["agents"] = "; ".join(dict.fromkeys(t["where"] for t in treatments))
    return Suggestion(values, provenance, tuple(treatments), "full text")


def form_from_suggestion(study_id: str, record: dict, suggestion: Suggestion) -> dict:
    """A new extraction form: suggested values marked unconfirmed, everything else 'not reported'. Values
    suggested from a full text carry the passage and sentence that state them as their provenance."""
    values = suggestion.values
    patient = {"patient_id": f"{study_id}-1"}
    for name in PATIENT_COLUMNS[2:]:  # the form's fields in the tidy table's order, after the two ids
        patient[name] = values.get(name, None if name in NUMERIC_FIELDS else v.NOT_REPORTED)
    patient["malignancy_type"] = ""
    # An included patient has kidney disease by definition; 'other' is the vocabulary's open value, and like
    # every pre-filled value it waits for a reviewer.
    defaulted = [] if "kidney_presentation" in values else ["kidney_presentation"]
    patient["kidney_presentation"] = values.get("kidney_presentation", "other")
    age = values.get("age_years")
    patient["age_group"] = v.NOT_REPORTED if age is None else ("juvenile" if age < 18 else "adult")
    if values.get("renal_histology"):
        patient["biopsy_done"] = "yes"
    stated = {t["agent"]: t for t in suggestion.treatments}
    patient["treatments"] = [{"agent": agent, "target": v.NOT_REPORTED,
                              "dose": stated.get(agent, {}).get("dose", v.NOT_REPORTED),
                              "duration": stated.get(agent, {}).get("duration", v.NOT_REPORTED), "detail": ""}
                             for agent in values.get("agents", [])]
    fields = [f for f in (*SUGGESTED_FIELDS, *FULL_TEXT_FIELDS) if f in values and f != "agents"]
    suggested = fields + defaulted + (["treatments"] if values.get("agents") else []) + \
        (["biopsy_done"] if values.get("renal_histology") else [])
    generic = f"machine suggestion from the {suggestion.source}: confirm and say where it is stated"
    where = {**suggestion.provenance, "treatments": suggestion.provenance.get("agents", generic),
             "biopsy_done": suggestion.provenance.get("renal_histology", generic)}
    patient["provenance"] = {f: where.get(f, generic) for f in suggested}
    patient["unconfirmed"] = suggested
    study = {"year": None if pd.isna(record.get("year")) else int(record["year"]),
             "journal": record.get("journal") or v.NOT_REPORTED, "doi": record.get("doi") or None,
             "pmid": record.get("pmid") or None, "pmcid": record.get("pmcid") or None}
    source = f"the record's metadata ({record['record_id']}): check it against the report"
    full_text = suggestion.source == "full text"
    return {"study_id": study_id, "record_id": record["record_id"], "title": record.get("title") or "",
            "authors": [a for a in str(record.get("authors") or "").split(" | ") if a],
            "first_author": (str(record.get("authors") or "").split(" | ")[0] or v.NOT_REPORTED), **study,
            "url": record.get("url") or "", "design": "case report", "country": v.NOT_REPORTED,
            "language": record.get("language") or v.NOT_REPORTED,
            "evidence_level": "full text" if full_text else "abstract only",
            "extraction_note": f"pre-filled by lsr extract --suggest from the {suggestion.source}; every value "
                               f"listed under unconfirmed needs a reviewer",
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


def _same(guess, actual) -> bool:
    if isinstance(guess, float) or isinstance(actual, float):
        try:
            return abs(float(guess) - float(actual)) < 1e-6
        except (TypeError, ValueError):
            return False
    if isinstance(guess, str) and isinstance(actual, str):
        return " ".join(guess.lower().split()) == " ".join(actual.lower().split())
    return guess == actual


def _is_stated(value) -> bool:
    return value is not None and not (isinstance(value, float) and pd.isna(value)) and value != v.NOT_REPORTED


def evaluate(records: pd.DataFrame, studies: pd.DataFrame, patients: pd.DataFrame, treatments: pd.DataFrame,
             full_texts: dict[str, object] | None = None) -> pd.DataFrame:
    """Per source and field: how often a suggestion was made and was right (precision), and how many of the
    reviewers' stated values were suggested correctly (recall). Title/abstract suggestions are measured over
    the included studies' own records; full-text suggestions over the studies whose full text is held
    (`full_texts`: study_id -> parsed article)."""
    by_record = records.drop_duplicates("record_id").set_index("record_id")
    given = treatments.groupby("patient_id")
    suggestions: list[tuple[str, str, Suggestion]] = []
    for study in studies.itertuples():
        if study.record_id in by_record.index:
            record = by_record.loc[study.record_id]
            suggestions.append(("title/abstract", study.study_id, suggest(record.title, record.abstract)))
        if full_texts and study.study_id in full_texts:
            suggestions.append(("full text", study.study_id, suggest_from_full_text(full_texts[study.study_id])))
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for source, study_id, suggestion in suggestions:
        fields = SUGGESTED_FIELDS + (FULL_TEXT_FIELDS if source == "full text" else ())
        for patient in patients[patients.study_id == study_id].itertuples():
            own = given.get_group(patient.patient_id) if patient.patient_id in given.groups else treatments.iloc[0:0]
            for name in fields:
                c = counts.setdefault((source, name), {"suggested": 0, "correct": 0, "stated": 0})
                if name in ("doses", "durations"):
                    column = "dose" if name == "doses" else "duration"
                    truth = {row.agent: getattr(row, column) for row in own.itertuples()
                             if _is_stated(getattr(row, column))}
                    guesses = {t["agent"]: t[column] for t in suggestion.treatments if _is_stated(t[column])}
                    c["stated"] += len(truth)
                    c["suggested"] += len(guesses)
                    c["correct"] += sum(_same(guess, truth.get(agent)) for agent, guess in guesses.items())
                    continue
                if name == "antibodies":
                    actual = (None if patient.antibodies in (v.NOT_REPORTED, "none")
                              else sorted(patient.antibodies.split(v.ANTIBODY_SEPARATOR)))
                elif name == "agents":
                    actual = sorted(set(own.agent)) or None
                else:
                    actual = getattr(patient, name)
                guess = suggestion.values.get(name)
                guess = sorted(guess) if isinstance(guess, list) else guess
                stated = _is_stated(actual)
                c["stated"] += stated
                c["suggested"] += guess is not None
                c["correct"] += guess is not None and stated and _same(guess, actual)
    rows = [{"source": source, "field": name, "suggested": c["suggested"], "correct": c["correct"],
             "stated by reviewers": c["stated"],
             "precision": round(c["correct"] / c["suggested"], 2) if c["suggested"] else None,
             "recall": round(c["correct"] / c["stated"], 2) if c["stated"] else None}
            for (source, name), c in counts.items()]
    return pd.DataFrame(rows, columns=["source", "field", "suggested", "correct", "stated by reviewers", "precision",
                                       "recall"])
