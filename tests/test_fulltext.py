"""Full texts: JATS files read into addressable passages (and refused when hostile or cut off), fetched once
from a real local HTTP server standing in for Europe PMC, and turned into suggestions whose provenance is the
passage and sentence that state each value."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from werkzeug import Response

from pipeline.core.errors import InvalidDataError
from pipeline.core.layout import Layout
from pipeline.extract.fulltext import Target, fetch, read_index
from pipeline.extract.jats import BrokenXML, UnsafeXML, parse_jats
from pipeline.extract.suggest import evaluate, suggest_from_full_text
from pipeline.search.europepmc import europepmc_client
from pipeline.workbench import full_text_evidence

DATA = Path(__file__).parent / "data"
CASE = (DATA / "fulltext" / "PMC9900001.xml").read_bytes()
CHILD = (DATA / "fulltext" / "PMC9900002.xml").read_bytes()
LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
          b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><article><body><p>&c;</p></body></article>')
EXTERNAL = (b'<?xml version="1.0"?><!DOCTYPE article [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
            b'<article><body><p>&secret;</p></body></article>')


def test_passages_are_numbered_within_their_section_with_tables_captions_and_untitled_sections():
    article = parse_jats(CASE)
    assert article.pmcid == "PMC9900001" and article.title.startswith("Test case: dermatomyositis")
    where = {p.where: p for p in article.passages}
    assert where["Case presentation §2"].text.startswith("Six months later she developed oedema.")
    assert where["Case presentation §4"].kind == "table caption"
    assert where["Case presentation §6"].text == "Proteinuria | 6.2 g/day"  # a table row, cells kept apart
    assert where["Case presentation §8"].text.startswith("She received prednisolone")  # a subsection's paragraph
    assert where["untitled section 1 §1"].text == "The patient gave written consent for this report."
    assert where["Discussion §2"].kind == "figure caption"
    assert where["Abstract §1"].text.startswith("This invented fixture describes a test patient")  # <italic> kept
    case = {p.where for p in article.case_passages()}
    assert "Case presentation §9" in case and "Discussion §1" not in case and "Introduction §1" not in case


@pytest.mark.parametrize("data, refused, message", [
    (LAUGHS, UnsafeXML, "declares XML entities"),
    (EXTERNAL, UnsafeXML, "declares XML entities"),
    (CASE[: len(CASE) // 2], BrokenXML, "not whole XML"),
    (b"<html><body>Access denied</body></html>", BrokenXML, "not a JATS article (root element <html>)"),
])
def test_hostile_or_cut_off_files_are_refused_and_nothing_is_read(data, refused, message):
    with pytest.raises(refused, match=re.escape(message)):
        parse_jats(data, "PMC1")


def test_suggestions_cite_the_passage_and_sentence_and_skip_the_discussions_other_patients():
    suggestion = suggest_from_full_text(parse_jats(CASE))
    values, where = suggestion.values, suggestion.provenance
    assert values["proteinuria_g_day"] == 6.2
    assert where["proteinuria_g_day"] == ("Case presentation §2: 'Proteinuria was 6.2 g/day and serum albumin was "
                                          "21 g/L, consistent with nephrotic syndrome.'")
    assert values["serum_albumin_g_dl"] == 2.1 and where["serum_albumin_g_dl"].endswith("(converted from g/L to g/dL)")
    assert values["follow_up_months"] == 12.0 and values["renal_outcome"] == "complete remission"
    assert where["renal_outcome"].startswith("Case presentation §9: 'After 12 months of follow-up")
    assert {t["agent"]: (t["dose"], t["duration"]) for t in suggestion.treatments} == {
        "glucocorticoid": ("1 mg/kg/day", "8 weeks"), "mycophenolate": ("1 g twice daily", "not reported")}
    assert "cyclophosphamide" not in values["agents"] and values["renal_outcome"] != "death"  # the discussion's
    assert "rituximab" not in values["agents"]  # the introduction's series, not this patient
    child = suggest_from_full_text(parse_jats(CHILD))
    assert child.values["renal_outcome"] == "improved, remission not defined"
    assert child.values["follow_up_months"] == 24.0 and child.values["myositis_type"] == "JDM"
    assert [(t["agent"], t["dose"], t["duration"]) for t in child.treatments] == [
        ("methylprednisolone pulse", "30 mg/kg daily", "3 days"), ("glucocorticoid", "2 mg/kg/day", "not reported"),
        ("methotrexate", "15 mg/m2 weekly", "not reported")]


@pytest.fixture
def europepmc(httpserver, monkeypatch):
    monkeypatch.setenv("LSR_EUROPEPMC_URL", httpserver.url_for("/"))
    return httpserver


def served(httpserver) -> list[str]:
    return [request.path for request, _ in httpserver.log]


def test_fetch_stores_each_text_once_records_why_not_and_retries_only_faults(europepmc, tmp_path, fake):
    layout = Layout(tmp_path)
    europepmc.expect_request("/PMC9900001/fullTextXML").respond_with_data(CASE, content_type="application/xml")
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "2"}), Response(CHILD)])
    europepmc.expect_request("/PMC9900002/fullTextXML").respond_with_handler(lambda request: next(answers))
    europepmc.expect_request("/PMC9900404/fullTextXML").respond_with_data("not found", status=404)
    europepmc.expect_request("/PMC9900666/fullTextXML").respond_with_data(LAUGHS)
    europepmc.expect_request("/PMC9900777/fullTextXML").respond_with_data(CASE[:500])
    targets = [Target("r:1", "PMC9900001"), Target("r:2", "PMC9900002"), Target("r:3", "PMC9900404"),
               Target("r:4", ""), Target("r:5", "PMC9900666"), Target("r:6", "PMC9900777"),
               Target("r:7", "PMC9900001")]  # r:7 is a copy of r:1

    first = fetch(layout, targets, europepmc_client(sleep=fake.sleep, clock=fake.clock), today=lambda: date(2026, 12, 2))

    assert first.stored == ["r:1", "r:2", "r:7"] and first.failed[0][0] == "r:6"
    assert dict(first.not_available) == {"r:3": "no open-access full text at Europe PMC (HTTP 404)",
                                         "r:4": "no PMCID: not in PubMed Central",
                                         "r:5": "refused: PMC9900666: declares XML entities (an expansion or "
                                                "external-entity risk); not read"}
    assert 2 in fake.sleeps  # the 429's Retry-After was honoured
    index = read_index(layout, check_files=True)
    assert list(index.record_id) == ["r:1", "r:2", "r:3", "r:4", "r:5", "r:7"]  # the cut-off file is not recorded
    stored = index.set_index("record_id")
    assert stored.loc["r:1", "sha256"] == hashlib.sha256(CASE).hexdigest() == stored.loc["r:7", "sha256"]
    assert stored.loc["r:1", "retrieved"] == "2026-12-02" and (tmp_path / "data/raw/fulltext/PMC9900001.xml").read_bytes() == CASE
    asked = served(europepmc).count("/PMC9900001/fullTextXML")
    assert asked == 1  # the copy was not fetched again

    europepmc.clear_log()
    again = fetch(layout, targets, europepmc_client(sleep=fake.sleep, clock=fake.clock))
    assert served(europepmc) == ["/PMC9900777/fullTextXML"]  # only the fault is tried again
    assert again.already_held == ["r:1", "r:2", "r:3", "r:4", "r:5", "r:7"] and again.failed[0][0] == "r:6"


def test_a_changed_stored_text_is_caught_by_validation(europepmc, tmp_path, fake):
    layout = Layout(tmp_path)
    europepmc.expect_request("/PMC9900001/fullTextXML").respond_with_data(CASE)
    fetch(layout, [Target("r:1", "PMC9900001")], europepmc_client(sleep=fake.sleep, clock=fake.clock))
    (layout.fulltext / "PMC9900001.xml").write_bytes(CASE.replace(b"6.2 g/day", b"9.9 g/day"))
    with pytest.raises(InvalidDataError, match=r"index.csv:2: sha256: the stored full text changed"):
        read_index(layout, check_files=True)


def test_an_unreachable_source_stops_the_run_and_writes_nothing_for_it(tmp_path, fake, monkeypatch):
    monkeypatch.setenv("LSR_EUROPEPMC_URL", "http://127.0.0.1:9/")  # nothing listens on the discard port
    summary = fetch(Layout(tmp_path), [Target("r:1", "PMC1"), Target("r:2", "PMC2")],
                    europepmc_client(sleep=fake.sleep, clock=fake.clock, max_tries=2))
    assert [record for record, _ in summary.failed] == ["r:1"] and not (tmp_path / "data/raw/fulltext").exists()


def lsr(project: Path, *args: str, env: dict | None = None):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=project, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_from_fetch_to_a_full_text_form_and_its_measured_accuracy(europepmc, project):
    """lsr fulltext, lsr extract --suggest and --evaluate, as a reviewer runs them."""
    europepmc.expect_request("/PMC9900001/fullTextXML").respond_with_data(CASE)
    export = project / "pubmed-99000001.nbib"
    export.write_text((DATA / "imports" / "pubmed.nbib").read_text().strip().split("\n\n")[0] + "\n")
    imported = lsr(project, "import", str(export), "--source", "pubmed-export")
    record = imported.stdout.splitlines()[1].split("\t")[0].strip()
    for stage in ("title/abstract", "full text"):
        assert lsr(project, "screen", "--add", record, "--stage", stage, "--reviewer", "r1", "--include").returncode == 0

    fetched = lsr(project, "fulltext", env={"LSR_EUROPEPMC_URL": europepmc.url_for("/")})
    assert fetched.returncode == 0, fetched.stderr
    assert "full texts: 1 stored" in fetched.stdout and "not available: no PMCID" in fetched.stdout
    assert lsr(project, "fulltext", env={"LSR_EUROPEPMC_URL": europepmc.url_for("/")}).stdout.endswith(
        "0 stored, 0 not available, 3 already held, 0 failed (%s)\n" % (project / "data/raw/fulltext/index.csv"))

    suggested = lsr(project, "extract", "--suggest", record, "--study-id", "testperson2019")
    assert suggested.returncode == 0 and "from the full text" in suggested.stdout
    form_path = project / "data/extraction/testperson2019.yaml"
    form = yaml.safe_load(form_path.read_text())
    patient = form["patients"][0]
    assert form["evidence_level"] == "full text"
    assert patient["proteinuria_g_day"] == 6.2 and patient["provenance"]["proteinuria_g_day"].startswith(
        "Case presentation §2: 'Proteinuria was 6.2 g/day")
    assert patient["treatments"][0] == {"agent": "glucocorticoid", "target": "not reported", "dose": "1 mg/kg/day",
                                        "duration": "8 weeks", "detail": ""}
    assert "treatments" in patient["unconfirmed"] and "follow_up_months" in patient["unconfirmed"]
    shown = full_text_evidence(project).data  # the reviewer notebook's view: the passage, the sentence marked
    assert ("<td>proteinuria_g_day (unconfirmed)</td><td>6.2</td><td>Case presentation §2</td><td>Six months later "
            "she developed oedema. <mark>Proteinuria was 6.2 g/day and serum albumin was 21 g/L, consistent with "
            "nephrotic syndrome.</mark></td>") in shown

    # The reviewer confirms every value but one, and corrects the mycophenolate dose to the paper's wording.
    patient["unconfirmed"] = []
    patient["treatments"][1]["dose"] = "1 g twice a day"
    patient["renal_outcome"] = "partial remission"
    form_path.write_text(yaml.safe_dump(form, sort_keys=False, allow_unicode=True))
    appraisal = yaml.safe_load((project / "data/appraisal/testperson2019.yaml").read_text())
    for item in appraisal["items"]:
        item["answer"], item["reason"] = "Yes", "stated in the full text"
    (project / "data/appraisal/testperson2019.yaml").write_text(yaml.safe_dump(appraisal))
    assert lsr(project, "validate").returncode == 0

    accuracy = lsr(project, "extract", "--evaluate")
    assert accuracy.returncode == 0, accuracy.stderr
    lines = accuracy.stdout.splitlines()
    assert re.search(r"full text\s+proteinuria_g_day\s+1\s+1\s+1\s+1\.0\s+1\.0", accuracy.stdout)
    assert re.search(r"full text\s+doses\s+2\s+1\s+2\s+0\.5\s+0\.5", accuracy.stdout)  # one dose corrected
    assert re.search(r"full text\s+renal_outcome\s+1\s+0\s+1\s+0\.0\s+0\.0", accuracy.stdout)
    assert any(line.lstrip().startswith("title/abstract") for line in lines)


def test_full_text_accuracy_is_counted_per_field_against_the_reviewers_values():
    import pandas as pd

    from test_answer import frame, patient

    studies = pd.DataFrame({"study_id": ["case"], "record_id": ["r:1"]})
    records = pd.DataFrame({"record_id": ["r:1"], "title": ["Test case: dermatomyositis with membranous nephropathy"],
                            "abstract": [""]})
    patients = frame(patient("case-1", study_id="case", age_years=54, sex="F", antibodies="anti-TIF1g",
                             kidney_presentation="nephrotic syndrome", renal_histology="membranous nephropathy",
                             renal_outcome="partial remission", proteinuria_g_day=6.2, serum_albumin_g_dl=2.1,
                             follow_up_months=12.0))
    treatments = pd.DataFrame([
        {"patient_id": "case-1", "agent": "glucocorticoid", "target": "both", "dose": "1 mg/kg/day",
         "duration": "8 weeks"},
        {"patient_id": "case-1", "agent": "mycophenolate", "target": "kidney", "dose": "1 g twice a day",
         "duration": "not reported"}])
    table = evaluate(records, studies, patients, treatments, {"case": parse_jats(CASE)}).set_index(["source", "field"])
    full = table.loc["full text"]
    assert full.loc["proteinuria_g_day"].tolist()[:3] == [1, 1, 1]
    assert full.loc["renal_outcome", "precision"] == 0.0  # suggested complete remission; the reviewer: partial
    assert full.loc["doses"].tolist()[:3] == [2, 1, 2] and full.loc["doses", "precision"] == 0.5
    assert full.loc["durations"].tolist()[:3] == [1, 1, 1]
    assert full.loc["age_years", "recall"] == 1.0
    assert table.loc[("title/abstract", "age_years"), "suggested"] == 0  # the title states no age
