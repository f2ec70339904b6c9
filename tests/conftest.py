"""Shared fixtures: a small but complete review project written into a temporary folder, in the real
file formats, so tests never touch the tracked files."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
LEDGER_HEADER = ["record_id", "stage", "reviewer", "decision", "reason", "date", "note"]
RECORD_HEADER = ["record_id", "source", "title", "abstract", "authors", "journal", "year", "pmid", "doi", "pmcid",
                 "publication_types", "mesh_terms", "language", "url"]


def patient(**overrides) -> dict:
    """A fully stated patient with provenance for every stated value; override fields per test."""
    base = {
        "patient_id": "alpha2020-1", "age_years": 45, "age_group": "adult", "sex": "F", "myositis_type": "DM",
        "antibodies": ["anti-TIF1g"], "malignancy": "no", "malignancy_type": "",
        "kidney_presentation": "nephrotic syndrome", "ns_timing": "after", "ns_timing_months": 6,
        "proteinuria_g_day": 5.2, "serum_albumin_g_dl": 2.1, "biopsy_done": "yes",
        "renal_histology": "membranous nephropathy", "renal_outcome": "partial remission",
        "muscle_outcome": "improved", "died": "no", "follow_up_months": 12,
        "treatments": [{"agent": "glucocorticoid", "target": "both", "detail": "prednisolone 1 mg/kg"}],
    }
    base.update(overrides)
    stated = [k for k, v in base.items() if k not in ("patient_id", "age_group", "malignancy_type", "treatments")
              and v not in (None, "not reported", "")]
    base.setdefault("provenance", {k: "abstract, sentence 2" for k in stated + ["treatments"]})
    return base


def study(study_id: str, record_id: str, patients: list[dict], **overrides) -> dict:
    base = {"study_id": study_id, "record_id": record_id, "title": f"A case of {study_id}",
            "authors": ["Müller J"], "first_author": "Müller", "year": 2020, "journal": "Test J",
            "doi": f"10.1000/{study_id}", "pmid": None, "pmcid": None, "url": f"https://example.org/{study_id}",
            "design": "case report", "country": "not reported", "language": "English",
            "evidence_level": "abstract only", "patients": patients}
    base.update(overrides)
    stated = [k for k in ("year", "journal", "doi", "pmid", "pmcid", "country")
              if base.get(k) not in (None, "", "not reported")]
    base.setdefault("provenance", {k: "page text" for k in stated})
    return base


def appraisal(study_id: str, answer: str = "Yes") -> dict:
    return {"study_id": study_id, "items": [{"item": i, "answer": answer, "reason": "stated in the abstract"}
                                            for i in range(1, 9)]}


def write_yaml(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_project(root: Path, studies: list[dict] | None = None) -> Path:
    """A complete project: config, notebooks, protocol, claims and two included studies."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("review.toml", "PROTOCOL.md"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "notebooks", root / "notebooks",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (root / "data").mkdir(exist_ok=True)
    if studies is None:
        studies = [
            study("alpha2020", "seed:a1", [patient()]),
            study("beta2021", "seed:b1", [patient(patient_id="beta2021-1", age_years=9, age_group="juvenile",
                                                  myositis_type="JDM", antibodies=["anti-MDA5"],
                                                  renal_histology="thrombotic microangiopathy")],
                  title="Juvenile DM & <script>window.__xss = 1</script> TMA", year=2021),
        ]
    records = [[s["record_id"], "seed_corpus", s["title"], "", "", s["journal"], s["year"], "", s["doi"] or "", "",
                "", "", "English", s["url"]] for s in studies]
    records.append(["seed:x1", "seed_corpus", "Dermatomyositis and the heart", "", "", "J", 2019, "", "", "", "",
                    "", "English", "https://example.org/x1"])
    write_csv(root / "data/raw/seed_corpus/run1/records.csv", RECORD_HEADER, records)
    write_csv(root / "data/raw/search_log.csv",
              ["run_id", "source", "run_at", "query", "date_from", "date_to", "n_results", "n_new", "file", "note"],
              [["run1", "seed_corpus", "2026-11-25T10:00:00Z", "dermatomyositis nephrotic", "", "",
                len(records), len(records), "seed_corpus/run1/records.csv", ""]])
    ledger = [[s["record_id"], stage, "r1", "include", "", "2026-11-25", ""]
              for s in studies for stage in ("title/abstract", "full text")]
    ledger.append(["seed:x1", "title/abstract", "r1", "exclude", "no glomerular or nephrotic kidney involvement",
                   "2026-11-25", ""])
    write_csv(root / "data/screening/ledger.csv", LEDGER_HEADER, ledger)
    bib = []
    for s in studies:
        write_yaml(root / "data/extraction" / f"{s['study_id']}.yaml", s)
        write_yaml(root / "data/appraisal" / f"{s['study_id']}.yaml", appraisal(s["study_id"]))
        title = s["title"].replace("&", r"\&")
        bib.append(f"@article{{{s['study_id']},\n  author = {{Müller, Jürgen}},\n  title = {{{title}}},\n"
                   f"  journal = {{{s['journal']}}},\n  year = {{{s['year']}}},\n  doi = {{{s['doi']}}},\n"
                   f"  url = {{{s['url']}}}\n}}\n")
    (root / "references.bib").write_text("\n".join(bib), encoding="utf-8")
    claims = yaml.safe_load((REPO / "data" / "claims.yaml").read_text(encoding="utf-8"))
    ids = {s["study_id"] for s in studies}
    claims["citations"] = [c for c in claims.get("citations", []) if c.get("study_id") in ids | {None}]
    write_yaml(root / "data" / "claims.yaml", claims)  # the review's claims; only citations of studies held here
    return root


class FakeTime:
    """A clock that only moves when slept on; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "review")


@pytest.fixture
def committed_project(tmp_path: Path) -> Path:
    """A copy of the committed project (data and all), so a test can build it without touching the checkout."""
    target = tmp_path / "committed"
    shutil.copytree(REPO, target, ignore=shutil.ignore_patterns(".venv", ".git", "reports", "__pycache__",
                                                                ".pytest_cache", "*.egg-info", "bench"))
    return target
