"""A reviewer's day, through the command line: import a database export, see it queued, screen it with a
second reviewer and a conflict, pre-fill the extraction from the machine's suggestions, confirm, appraise,
and see the study in the next build."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import appraisal

from pipeline.extract.references import load_bibliography

EXPORT = Path(__file__).parent / "data" / "imports" / "embase.ris"


def lsr(root: Path, *args: str):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=root, capture_output=True, text=True)


def queue(root: Path) -> list[dict]:
    with (root / "data/screening/queue.csv").open(newline="") as stream:
        return list(csv.DictReader(stream))


def append_ledger(root: Path, *rows: list[str]) -> None:
    with (root / "data/screening/ledger.csv").open("a", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)


def test_import_queue_screen_extract_appraise_build(project):
    imported = lsr(project, "import", str(EXPORT), "--source", "embase")
    assert imported.returncode == 0, imported.stderr
    waiting = queue(project)
    assert waiting and all(row["record_id"].startswith("embase:") for row in waiting)
    assert int(waiting[0]["score"]) >= int(waiting[-1]["score"])  # ordered by relevance, none dropped
    assert "DM spectrum" in waiting[0]["matched"] and "kidney" in waiting[0]["matched"]
    again = lsr(project, "import", str(EXPORT), "--source", "embase")
    assert "0 new written" in again.stdout  # the same export twice adds nothing
    raw = list((project / "data/raw/embase").iterdir())
    assert len(raw) == 2 and all((run / f"original{EXPORT.suffix}").exists() for run in raw)

    record = waiting[0]["record_id"]
    append_ledger(project, [record, "title/abstract", "ana", "include", "", "2026-11-26", ""],
                  [record, "title/abstract", "ben", "exclude", "not myositis", "2026-11-26", ""])
    conflicts = lsr(project, "screen", "--conflicts")
    assert f"{record}\ttitle/abstract\tana: include, ben: exclude" in conflicts.stdout
    append_ledger(project, [record, "title/abstract", "consensus", "include", "", "2026-11-27", "DM in title"],
                  [record, "full text", "ana", "include", "", "2026-11-27", ""])
    assert lsr(project, "screen", "--conflicts").stdout == ""
    assert record not in [row["record_id"] for row in queue(project)] or lsr(project, "search").returncode == 0

    suggested = lsr(project, "extract", "--suggest", record, "--study-id", "fixture2019")
    assert suggested.returncode == 0, suggested.stderr
    form_path = project / "data/extraction/fixture2019.yaml"
    form = yaml.safe_load(form_path.read_text())
    patient = form["patients"][0]
    assert patient["myositis_type"] == "DM" and patient["renal_histology"] == "membranous nephropathy"
    assert set(patient["unconfirmed"]) >= {"myositis_type", "renal_histology"}
    refused = lsr(project, "validate")
    assert refused.returncode == 3 and "machine suggestion not yet confirmed" in refused.stderr
    assert lsr(project, "extract", "--suggest", record, "--study-id", "fixture2019").returncode != 0  # no overwrite

    patient["unconfirmed"] = []  # the reviewer checked each value against the source
    patient["provenance"] = {key: "abstract, first sentence (confirmed by ana)" for key in patient["provenance"]}
    form_path.write_text(yaml.safe_dump(form, sort_keys=False, allow_unicode=True))
    skeleton = yaml.safe_load((project / "data/appraisal/fixture2019.yaml").read_text())
    assert [item["answer"] for item in skeleton["items"]] == [""] * 8  # written by --suggest, for a reviewer
    (project / "data/appraisal/fixture2019.yaml").write_text(yaml.safe_dump(appraisal("fixture2019")))
    entry = load_bibliography(project / "references.bib").entries["fixture2019"]  # from the record's metadata
    assert entry.fields["year"] == "2019" and entry.fields["doi"] == form["doi"]
    validated = lsr(project, "validate")
    assert validated.returncode == 0, validated.stderr
    built = lsr(project, "build", "-q")
    assert built.returncode == 0, built.stderr
    page = (project / "reports/latest/index.html").read_text()
    assert 'id="ref-fixture2019"' in page and "fixture2019-1" in page


def test_validate_names_file_line_field_for_a_decision_on_a_missing_record(project):
    append_ledger(project, ["seed:nope", "title/abstract", "ana", "include", "", "2026-11-26", ""])
    result = lsr(project, "validate")
    ledger = project / "data/screening/ledger.csv"
    lines = ledger.read_text().splitlines()
    assert result.returncode == 3
    assert f"{ledger}:{len(lines)}: record_id: no such record in data/raw (seed:nope)" in result.stderr


def test_suggestions_are_measured_per_field(project):
    result = lsr(project, "extract", "--evaluate")
    assert result.returncode == 0, result.stderr
    header = result.stdout.splitlines()[0].split()
    assert header[:3] == ["source", "field", "suggested"] and "precision" in header and "recall" in header


@pytest.mark.parametrize("name", ["reviewer_screening.ipynb", "reviewer_extraction.ipynb"])
def test_reviewer_notebooks_run_against_a_project(project, name):
    import papermill
    from conftest import REPO

    from pipeline.report.kernel import ThisInterpreterKernelManager

    append_ledger(project, ["seed:x1", "title/abstract", "ben", "include", "", "2026-11-26", ""])  # a conflict
    executed = papermill.execute_notebook(str(REPO / "notebooks" / name), str(project / name),
                                          parameters={"project_root": str(project)}, progress_bar=False,
                                          kernel_name="python3", kernel_manager_class=ThisInterpreterKernelManager)
    text = "".join(str(output.get("data", output.get("text", ""))) for cell in executed.cells
                   for output in cell.get("outputs", []))
    if name == "reviewer_screening.ipynb":
        assert "seed:x1" in text and "r1: exclude" in text  # the planted conflict is listed
    else:
        assert "No problem: the data validates." in text
