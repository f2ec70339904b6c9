"""Integration: the whole report built from data into temporary folders, checked as HTML."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from pipeline.core.errors import BuildError, InvalidDataError
from pipeline.report.build import build
from pipeline.report.render import remote_references

pytestmark = pytest.mark.slow
SECTIONS = ["summary", "search-and-selection", "characteristics-of-included-patients",
            "kidney-lesions-and-associations", "treatments-and-outcomes", "claims-checked",
            "quality-and-evidence-table", "methods", "references"]


@pytest.fixture(scope="module")
def committed_report(tmp_path_factory):
    """The committed data built once into a temporary copy of the project."""
    from conftest import REPO

    root = tmp_path_factory.mktemp("committed") / "review"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(".venv", ".git", "reports", "__pycache__", "bench",
                                                              ".pytest_cache", "*.egg-info"))
    result = build(root, output=root / "reports" / "latest")
    return root, result.report.read_text(encoding="utf-8")


def test_report_has_every_section_and_a_table_of_contents(committed_report):
    _, page = committed_report
    for section in SECTIONS:
        assert f'id="{section}"' in page, section
        assert f'href="#{section}"' in page, section
    assert re.search(r"<title>[^<]*Dermatomyositis", page)
    assert "Draft build, not a published version" in page and "built " in page


def test_every_citation_resolves_to_a_bibliography_entry(committed_report):
    _, page = committed_report
    cited = set(re.findall(r"href='#ref-([^']+)'", page))
    entries = set(re.findall(r'<li id="ref-([^"]+)">', page))
    assert cited and cited == entries
    numbers = [int(n) for n in re.findall(r"class='cite' href='#ref-[^']+'>(\d+)</a>", page)]
    first_seen = list(dict.fromkeys(numbers))
    assert first_seen == list(range(1, len(entries) + 1))  # numbered in order of first citation


def test_every_included_study_is_cited(committed_report):
    root, page = committed_report
    studies = [p.stem for p in (root / "data" / "extraction").glob("*.yaml")]
    for study_id in studies:
        assert f'id="ref-{study_id}"' in page, study_id


def test_page_is_self_contained(committed_report):
    _, page = committed_report
    assert remote_references(page) == []
    assert "cdn" not in page.lower().split("<body>")[0]
    images = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert images and all(src.startswith("data:image/png;base64,") for src in images)


def test_audit_trail_and_tables_are_kept(committed_report):
    root, _ = committed_report
    latest = root / "reports" / "latest"
    notebooks = sorted(p.name for p in (latest / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == 8
    executed = nbformat.read(latest / "notebooks" / "03_kidney_lesions.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")
    assert (root / "data" / "processed" / "patients.csv").read_bytes() == (latest / "data" / "patients.csv").read_bytes()


def test_failed_build_names_notebook_and_cell_and_keeps_the_previous_report(project):
    first = build(project)
    before = first.report.read_bytes()
    path = project / "notebooks" / "04_treatment_outcomes.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure')"))
    nbformat.write(notebook, path)
    with pytest.raises(BuildError, match=r"notebook 04_treatment_outcomes.ipynb failed in cell 3 \(raise RuntimeError.*RuntimeError: deliberate failure"):
        build(project)
    assert first.report.read_bytes() == before
    assert not list(first.report.parent.parent.glob(".latest.building-*"))


def test_invalid_data_is_refused_before_anything_is_written(project):
    form = project / "data" / "extraction" / "alpha2020.yaml"
    form.write_text(form.read_text().replace("renal_histology: membranous nephropathy", "renal_histology: membranous"))
    with pytest.raises(InvalidDataError) as caught:
        build(project)
    assert any("renal_histology: not in the vocabulary" in p for p in caught.value.problems)
    assert not (project / "reports").exists() and not (project / "data" / "processed").exists()


def lsr(*args, cwd: Path):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_bad_parameter_is_one_line_not_a_traceback(project):
    result = lsr("build", "-p", "biopsy_only", "true", cwd=project)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "lsr: unknown parameter 'biopsy_only' (known: age_group, biopsy_proven_only, confidence_level, "
        "include_comparator, year_max, year_min)"]
    result = lsr("build", "-p", "age_group", "elderly", cwd=project)
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_sensitivity_build_goes_to_its_own_folder_and_states_its_parameters(project):
    result = lsr("build", "-q", "-p", "biopsy_proven_only", "true", "-p", "age_group", "adult", "-o", "reports/adults",
                 cwd=project)
    assert result.returncode == 0, result.stderr
    page = (project / "reports" / "adults" / "index.html").read_text()
    assert "biopsy_proven_only = True" in page and "age_group = adult" in page
    assert not (project / "data" / "processed").exists()  # only the default build publishes the tidy tables
    assert "covers 1 of 2 extracted patients" in page


def test_help_explains_commands_and_parameters(project):
    top = lsr("--help", cwd=project)
    assert top.returncode == 0 and "build" in top.stdout and "exit codes" in top.stdout
    sub = lsr("build", "--help", cwd=project)
    assert "biopsy_proven_only" in sub.stdout and "-o OUTPUT" in sub.stdout
