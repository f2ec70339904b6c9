"""Integration: the whole report built from data into temporary folders, checked as HTML."""

import base64
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from pipeline.core.config import load_config
from pipeline.core.errors import BuildError, InvalidDataError
from pipeline.report.build import NOTEBOOKS, build
from pipeline.report.checklist import anchors as checklist_anchors
from pipeline.report.quality import DOWNLOADS
from pipeline.report.render import remote_references
from pipeline.synthesis.selection import select_patients

pytestmark = pytest.mark.slow
SECTIONS = ["what-the-evidence-says", "how-often-the-cohorts-pooled", "search-and-selection", "characteristics-of-included-patients",
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
    assert notebooks == list(NOTEBOOKS)
    executed = nbformat.read(latest / "notebooks" / "04_kidney_lesions.ipynb", as_version=4)
    assert any(cell.get("outputs") for cell in executed.cells if cell.cell_type == "code")
    assert (root / "data" / "processed" / "patients.csv").read_bytes() == (latest / "data" / "patients.csv").read_bytes()


def test_failed_build_names_notebook_and_cell_and_keeps_the_previous_report(project):
    first = build(project)
    before = first.report.read_bytes()
    path = project / "notebooks" / "05_treatment_outcomes.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.insert(3, nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure')"))
    nbformat.write(notebook, path)
    with pytest.raises(BuildError, match=r"notebook 05_treatment_outcomes.ipynb failed in cell 3 \(raise RuntimeError.*RuntimeError: deliberate failure"):
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
        "include_comparator, keep_undated_reports, year_max, year_min)"]
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


def page_table(page: str, caption: str) -> pd.DataFrame:
    """The first table of the page whose caption starts with `caption`, as strings."""
    start = page.index(caption)
    end = page.index("</table>", start) + len("</table>")
    return pd.read_html(io.StringIO(page[page.index("<table", start):end]), flavor="lxml")[0].astype(str)


def test_the_counts_at_a_glance_and_the_prisma_table_are_the_published_table_and_the_ledger(committed_report):
    root, page = committed_report
    prisma = dict(pd.read_csv(root / "reports" / "latest" / "data" / "prisma.csv", dtype=str).values)
    glance = dict(page_table(page, "Counts behind this version").values)
    assert int(glance["Records identified, all sources and versions"]) == \
        int(prisma["database_results"]) + int(prisma["website_results"])
    assert glance["Records screened (after removing duplicates)"] == prisma["records_screened"]
    studies = pd.read_csv(root / "reports" / "latest" / "data" / "studies.csv")
    assert int(glance["Included reports with individual patients"]) == len(studies) == int(prisma["new_studies"])
    shown = dict(page_table(page, "PRISMA 2020 flow counts").values)
    assert shown == {k: (v if isinstance(v, str) else "none") for k, v in prisma.items()}
    # the same counts from the ledger itself: every canonical record screened once, what is left is excluded
    decisions = pd.read_csv(root / "reports" / "latest" / "data" / "screening_decisions.csv", dtype=str, keep_default_na=False)
    canonical = decisions[(decisions.duplicate_of == "") & (decisions.stage == "title/abstract")]
    assert len(canonical) == int(prisma["records_screened"])
    assert (canonical.decision == "exclude").sum() == int(prisma["records_excluded"])


def test_every_link_inside_the_page_lands_on_an_element_and_the_checklist_points_at_real_sections(committed_report):
    _, page = committed_report
    ids = set(re.findall(r'\sid="([^"]+)"', page))
    targets = set(re.findall(r'href=["\']#([^"\']+)["\']', page))
    assert targets and targets <= ids, targets - ids
    assert checklist_anchors() <= ids


def test_the_downloads_in_the_page_hold_the_published_tables(committed_report):
    root, page = committed_report
    links = dict(re.findall(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', page))
    for name in DOWNLOADS:
        published = pd.read_csv(root / "reports" / "latest" / "data" / f"{name}.csv")
        from_csv = pd.read_csv(io.BytesIO(base64.b64decode(links[f"{name}.csv"])))
        from_excel = pd.read_excel(io.BytesIO(base64.b64decode(links[f"{name}.xlsx"])), engine="openpyxl")
        pd.testing.assert_frame_equal(from_csv, published, check_dtype=False)
        pd.testing.assert_frame_equal(from_excel, published, check_dtype=False)


SENSITIVITY = [{"biopsy_proven_only": True}, {"age_group": "adult", "include_comparator": True},
               {"year_min": 2015, "keep_undated_reports": False}]


@pytest.fixture(scope="module", params=[None, *SENSITIVITY],
                ids=["main", *("-".join(f"{k}={v}" for k, v in o.items()) for o in SENSITIVITY)])
def any_report(request, committed_report):
    """The main analysis and each sensitivity analysis of the committed data, with the patients each selects."""
    root, page = committed_report
    overrides = request.param or {}
    if overrides:
        name = "-".join(f"{k}-{v}" for k, v in overrides.items()).lower()
        page = build(root, overrides=overrides, output=root / "reports" / name).report.read_text(encoding="utf-8")
    tables = root / "reports" / "latest" / "data"
    patients = select_patients(pd.read_csv(tables / "patients.csv"), pd.read_csv(tables / "studies.csv"),
                               **{**load_config(root).parameters, **overrides})
    return page, patients


def test_the_page_counts_the_patients_its_analysis_selects(any_report):
    page, patients = any_report
    glance = dict(page_table(page, "Counts behind this version").values)
    assert int(glance["Patients in this analysis (after the report parameters)"]) == len(patients)
    claims = page_table(page, "Claims, verdicts")
    assert (claims["cases it bears on"].astype(int) <= len(patients)).all()


def test_every_claim_verdict_follows_from_the_counts_beside_it(any_report):
    page, _ = any_report
    claims = page_table(page, "Claims, verdicts")
    for row in claims.itertuples():
        bearing, supporting, against, cohorts = (int(x) for x in (row[3], row.supporting, row.against, row.cohorts))
        verdict = row.verdict
        assert verdict.startswith("not addressed") == (bearing == 0 and cohorts == 0 and supporting == 0), verdict
        match = re.match(r"supported by (\d+) cases?", verdict)
        assert (int(match.group(1)) if match else 0) == supporting, verdict
        match = re.search(r"contradicted by (\d+) cases?", verdict)
        assert (int(match.group(1)) if match else 0) == against, verdict
        if verdict.startswith("not settled"):
            assert supporting == against == 0 and f"{bearing} case" in verdict


def test_every_answer_statement_has_numbers_a_certainty_and_its_sources(any_report):
    page, _ = any_report
    answer = page[page.index('<div class="answer">'):page.index("</div>", page.index('<div class="answer">'))]
    statements = re.findall(r'<p class="statement">(.*?)</p>', answer, re.S)
    assert len(statements) >= 8
    for statement in statements:
        assert re.search(r"Certainty: (low|very low)", statement), statement
        if "The evidence cannot say" not in statement:
            assert "class='cite'" in statement and re.search(r"\d", statement.split("<a ")[0]), statement

def test_the_pooled_figure_at_the_top_is_the_published_one(committed_report):
    root, page = committed_report
    answer = page[page.index('<div class="answer">'):page.index("</div>", page.index('<div class="answer">'))]
    pooled = pd.read_csv(root / "reports" / "latest" / "data" / "meta_pooled.csv")
    involvement = pooled[(pooled.outcome == "kidney involvement") & (pooled.method == "DL")].iloc[0]
    assert f"kidney involvement of any kind was found in {100 * involvement.estimate:.0f}%" in answer


def test_a_sensitivity_build_says_so_at_the_top_and_the_main_build_does_not(project, tmp_path):
    main = build(project).report.read_text(encoding="utf-8")
    assert '<p class="sensitivity-banner">' not in main
    sensitivity = build(project, output=tmp_path / "adults", overrides={"age_group": "adult"})
    top = sensitivity.report.read_text(encoding="utf-8").split("</header>")[0]
    assert "Sensitivity analysis, not the review" in top and "age_group = adult (protocol: all)" in top


def test_html_outputs_reach_the_page_verbatim_and_the_executed_notebook_is_left_alone():
    from pipeline.report.render import notebook_body

    table = '<table class="dataframe">\n  <tr>\n    <td>a &amp; b</td>\n  </tr>\n</table>'
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## Heading"),
        nbformat.v4.new_code_cell("show()", outputs=[
            nbformat.v4.new_output("display_data", data={"text/html": table, "text/plain": "table"}),
            nbformat.v4.new_output("execute_result", data={"text/html": "<p>second</p>"}, execution_count=1),
        ]),
    ])
    body = notebook_body(notebook)
    assert table in body and body.count("<p>second</p>") == 1
    assert body.index(table) < body.index("<p>second</p>")  # each output back in its own place
    assert notebook.cells[1].outputs[0].data["text/html"] == table
