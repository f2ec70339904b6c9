"""Security and the integrity of the living search: no script from the data, no secret in the output, no path
outside the project, no silent gap in a search, no correction left unpublished, no half publication."""

from __future__ import annotations

import errno
import json
import time
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import FakeTime, make_project, write_yaml
from test_browser import ARGS, CHROMIUM
from test_faults import refused, state
from test_pubmed import efetch_handler, esearch_json
from werkzeug import Request, Response

from pipeline.cli import main
from pipeline.core.errors import (
    IncompleteSearchError,
    ReviewError,
    SourceUnreachableError,
)
from pipeline.extract.references import load_bibliography
from pipeline.living.refresh import refresh
from pipeline.report.build import build
from pipeline.report.citations import bibliography_html
from pipeline.search import europepmc, pubmed

API_KEY = "SECRET-ncbi-key-0123456789abcdef"
SINCE, UNTIL = date(2024, 1, 1), date(2024, 6, 30)


@pytest.fixture
def lsr(capsys):
    def run(root: Path, *args: str) -> tuple[int, str, str]:
        code = main(["--root", str(root), *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


# ---------------------------------------------------------------- the project is never wiped by an output path

def test_build_dash_o_dot_never_deletes_the_project(project, lsr, monkeypatch):
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    before = state(project)
    monkeypatch.chdir(project)
    refused(lsr(project, "build", "-o", "."), 1, "holds the project itself")
    assert state(project) == before


@pytest.mark.slow
def test_build_dash_o_reports_after_a_refresh_keeps_every_published_version(project, lsr):
    assert refresh(project).code == 0
    before = state(project)
    refused(lsr(project, "build", "-o", str(project / "reports")), 1, "not an earlier report")
    assert state(project) == before
    assert json.loads((project / "reports" / "versions.json").read_text())[0]["number"] == 1


# ---------------------------------------------------------------- no script from the data

PAYLOAD = "<script>window.__xss_{0} = 1</script><img src=x onerror=\"window.__xss_{0} = 1\">"


def test_validation_names_every_identifier_that_is_not_one(project, lsr):
    bib = project / "references.bib"
    bib.write_text(bib.read_text().replace("url = {https://example.org/alpha2020}",
                                           'url = {"><script>alert(16)</script>}')
                   .replace("url = {https://example.org/beta2021}", "url = {javascript:alert(4)}")
                   .replace("doi = {10.1000/alpha2020}", 'doi = {10.1000/x"><b>bold</b>}'))
    code, out, err = lsr(project, "validate")
    refused((code, out, err), 3, "references.bib:1: url: not a valid url in entry alpha2020",
            "references.bib:1: doi: not a valid doi in entry alpha2020",
            "references.bib:10: url: not a valid url in entry beta2021")


def test_bibliography_links_only_web_addresses_and_escapes_them(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text("@article{a,\n  title = {Safe <b>title</b>},\n  url = {\"><script>alert(16)</script>}\n}\n"
                   "@article{b,\n  title = {Second},\n  url = {javascript:alert(4)},\n  pmid = {1\"><i>x</i>}\n}\n"
                   "@article{c,\n  title = {Third},\n  url = {https://example.org/a?x=1&y=\"2\"}\n}\n")
    page = bibliography_html(load_bibliography(bib), ["a", "b", "c"])
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "javascript:" not in page.split("href=")[-1] and 'href="javascript' not in page
    assert 'href="https://example.org/a?x=1&amp;y=&quot;2&quot;"' not in page  # a quote in a URL: not a link
    assert "source page read" in page  # the text is kept, only the link is dropped


@pytest.fixture(scope="module")
def payload_report(tmp_path_factory) -> Path:
    """A project whose every free-text field of forms, cohorts and the bibliography carries a payload."""
    root = make_project(tmp_path_factory.mktemp("xss") / "review")
    form_path = root / "data" / "extraction" / "alpha2020.yaml"
    form = yaml.safe_load(form_path.read_text())
    for key in ("title", "journal", "country", "language", "extraction_note"):
        form[key] = f"{key} " + PAYLOAD.format(key)
    form["authors"] = ["Evil " + PAYLOAD.format("author")]
    form["provenance"] = {key: PAYLOAD.format("studyprov") for key in ("year", "journal", "doi", "country")}
    person = form["patients"][0]
    person["malignancy"], person["malignancy_type"] = "yes", PAYLOAD.format("malignancy")
    person["treatments"][0]["detail"] = PAYLOAD.format("detail")
    person["provenance"] = {k: PAYLOAD.format("provenance") for k in person["provenance"]}
    write_yaml(form_path, form)
    bib = root / "references.bib"
    bib.write_text(bib.read_text().replace("title = {A case of alpha2020}",
                                           "title = {A case " + PAYLOAD.format("bibtitle") + "},\n  note = {"
                                           + PAYLOAD.format("note") + "}"))
    write_yaml(root / "data" / "context" / "cohorts.yaml", {"cohorts": [{
        "study_id": "alpha2020", "url": "https://example.org/c", "title": PAYLOAD.format("cohort"),
        "design": "cohort", "n_patients": 10, "n_kidney_involvement": 2,
        "outcomes": PAYLOAD.format("outcomes"), "provenance": PAYLOAD.format("cohortprov")}]})
    return build(root).report


@pytest.mark.browser
@pytest.mark.slow
def test_payloads_in_every_field_show_as_text_and_run_nothing(payload_report):
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium (.ci/run does)")
    playwright_api = pytest.importorskip("playwright.sync_api")
    page_text = payload_report.read_text()
    assert "<script>window.__xss" not in page_text
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(payload_report.as_uri())
        page.wait_for_selector("table.dataTable", timeout=15000)
        fired = page.evaluate("() => Object.keys(window).filter(k => k.startsWith('__xss'))")
        shown = page.inner_text("body")
        browser.close()
    assert fired == []
    assert "<script>window.__xss_bibtitle = 1</script>" in shown
    assert "<script>window.__xss_outcomes = 1</script>" in shown


# ---------------------------------------------------------------- no secret in any output or file

def echo(status: int, content_type: str, wrap):
    def handle(request: Request) -> Response:
        return Response(wrap(request.url), status=status, content_type=content_type)
    return handle


@pytest.mark.parametrize("handler", [
    echo(200, "application/json", lambda url: json.dumps({"error": f"invalid request {url}"})),
    echo(200, "application/json", lambda url: json.dumps({"esearchresult": {"ERROR": f"bad term in {url}"}})),
    echo(200, "text/html", lambda url: f"<html><body>Proxy error for {url}</body></html>"),
    echo(400, "text/html", lambda url: f"<html><body>Bad request: {url}</body></html>"),
    echo(503, "text/plain", lambda url: f"overloaded while serving {url}"),
])
def test_a_server_that_echoes_the_request_never_gets_the_key_printed_or_written(project, lsr, httpserver,
                                                                                monkeypatch, handler, caplog):
    monkeypatch.setenv("NCBI_API_KEY", API_KEY)
    monkeypatch.setenv("LSR_PUBMED_URL", httpserver.url_for("/eutils/"))
    monkeypatch.setenv("LSR_EUROPEPMC_URL", httpserver.url_for("/epmc/"))
    monkeypatch.setattr("pipeline.search.http.BACKOFF_S", 0.0)
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_handler(handler)
    before = state(project)
    for command in (["search", "--online"], ["refresh", "--online"]):
        code, out, err = lsr(project, *command)
        assert code in (1, 5), err
        assert API_KEY not in out + err and "Traceback" not in err
        assert "esearch" in err or "eutils" in err or "localhost" in err
    assert API_KEY in httpserver.log[0][0].url  # the key was sent, so the echo did carry it
    assert API_KEY not in caplog.text
    for path in project.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path
    after = state(project)
    assert {k: v for k, v in after.items() if not k.startswith("reports/")} == before


def test_every_file_the_review_writes_is_redacted(tmp_path, monkeypatch):
    from pipeline.core.atomic import write_text_atomic

    monkeypatch.setenv("NCBI_API_KEY", API_KEY)
    write_text_atomic(tmp_path / "x.csv", f"title,url\nEcho,https://x/?api_key={API_KEY}&db=pubmed\n")
    assert API_KEY not in (tmp_path / "x.csv").read_text() and "api_key=***" in (tmp_path / "x.csv").read_text()


# ---------------------------------------------------------------- no file outside the project

@pytest.mark.parametrize("study_id", ["../../../x", "/tmp/lsr-absolute", "Bad Key", "", "a/b", "UPPER2020"])
def test_a_study_id_that_is_not_a_key_is_refused_before_any_path_is_built(project, lsr, study_id, tmp_path):
    before = state(project)
    refused(lsr(project, "extract", "--suggest", "seed:x1", "--study-id", study_id), 1,
            *(["needs --study-id"] if not study_id else ["--study-id must be a lower-case BibTeX key"]))
    assert state(project) == before
    assert not Path("/tmp/lsr-absolute.yaml").exists() and not (tmp_path.parent / "x.yaml").exists()


# ---------------------------------------------------------------- the living search is complete or it fails

@pytest.fixture
def eutils(httpserver, monkeypatch):
    monkeypatch.setenv("LSR_PUBMED_URL", httpserver.url_for("/"))
    return httpserver


def test_an_efetch_that_delivers_fewer_records_than_announced_fails_and_writes_nothing(project, eutils, lsr,
                                                                                       monkeypatch):
    eutils.expect_request("/esearch.fcgi").respond_with_json(esearch_json(20_000))
    eutils.expect_request("/efetch.fcgi").respond_with_handler(efetch_handler(3))
    monkeypatch.setattr("pipeline.search.pubmed.pubmed_client",
                        lambda **kw: pubmed.PoliteClient(eutils.url_for("/"), 0, sleep=lambda s: None))
    before = state(project)
    refused(lsr(project, "search", "--online"), 5, "announced 20,000 records", "returned 3",
            "window stays unsearched")
    assert state(project) == before  # no snapshot, no search-log row: the next run asks for the window again


def test_an_absurd_count_is_refused_before_any_efetch(eutils):
    eutils.expect_request("/esearch.fcgi").respond_with_json(esearch_json(2_000_000_000))
    client = pubmed.PoliteClient(eutils.url_for("/"), 0, sleep=lambda s: None)
    with pytest.raises(ReviewError, match="announced 2,000,000,000 records.*narrow the query"):
        pubmed.search_pubmed("x", SINCE, UNTIL, client=client)
    assert [r.path for r, _ in eutils.log] == ["/esearch.fcgi"]


def test_a_europe_pmc_cursor_that_comes_back_is_an_error_not_a_loop(httpserver):
    item = {"id": "1", "source": "MED", "title": "Dermatomyositis case"}

    def handle(request: Request) -> Response:
        cursor = {"*": "A", "A": "B", "B": "A"}[request.args["cursorMark"]]
        return Response(json.dumps({"hitCount": 50, "nextCursorMark": cursor,
                                    "resultList": {"result": [{**item, "id": request.args["cursorMark"]}]}}),
                        content_type="application/json")

    httpserver.expect_request("/search").respond_with_handler(handle)
    client = europepmc.europepmc_client(sleep=lambda s: None)
    client.base_url = httpserver.url_for("/")
    with pytest.raises(IncompleteSearchError, match="repeated the cursor 'A'"):
        europepmc.search_europepmc("x", SINCE, UNTIL, client=client)
    assert len(httpserver.log) == 3


def test_europe_pmc_delivering_fewer_records_than_its_hit_count_fails(httpserver):
    def handle(request: Request) -> Response:
        if request.args["cursorMark"] == "*":
            return Response(json.dumps({"hitCount": 5, "nextCursorMark": "A", "resultList": {"result": [
                {"id": "1", "source": "MED", "title": "One"}]}}), content_type="application/json")
        return Response(json.dumps({"hitCount": 5, "nextCursorMark": "A", "resultList": {"result": []}}),
                        content_type="application/json")

    httpserver.expect_request("/search").respond_with_handler(handle)
    client = europepmc.europepmc_client(sleep=lambda s: None)
    client.base_url = httpserver.url_for("/")
    with pytest.raises(IncompleteSearchError, match="announced 5 records.*delivered 1"):
        europepmc.search_europepmc("x", SINCE, UNTIL, client=client)


def test_a_server_dripping_one_byte_at_a_time_is_cut_off_by_the_response_deadline(httpserver):
    def drip(request: Request) -> Response:
        def body():
            for _ in range(200):
                yield b" "
                time.sleep(0.05)
        return Response(body(), content_type="application/json")

    httpserver.expect_request("/esearch.fcgi").respond_with_handler(drip)
    client = pubmed.PoliteClient(httpserver.url_for("/"), 0, max_tries=2, sleep=lambda s: None,
                                 response_deadline_s=0.5)
    started = time.monotonic()
    with pytest.raises(SourceUnreachableError, match="took over 0 s|took over 1 s|response took over"):
        pubmed.esearch(client, "x", SINCE, UNTIL)
    assert time.monotonic() - started < 8  # two tries of about half a second, not 2 x 10 s of dripping


def test_every_source_has_an_overall_deadline(httpserver):
    httpserver.expect_request("/esearch.fcgi").respond_with_data("busy", status=503)
    fake = FakeTime()
    client = pubmed.PoliteClient(httpserver.url_for("/"), 0, max_tries=50, sleep=fake.sleep, clock=fake.clock,
                                 source_deadline_s=100)
    with pytest.raises(SourceUnreachableError, match="longer than its 100 s deadline"):
        pubmed.esearch(client, "x", SINCE, UNTIL)
    assert len(httpserver.log) < 50


# ---------------------------------------------------------------- corrections are published; publishing is one step

@pytest.mark.slow
def test_a_corrected_value_that_moves_no_count_is_published_with_what_moved(project):
    assert refresh(project).code == 0
    form = project / "data" / "extraction" / "alpha2020.yaml"
    form.write_text(form.read_text().replace("age_years: 45", "age_years: 46"))
    outcome = refresh(project)
    assert "published version 2" in outcome.message and "values changed" in outcome.message
    record = json.loads((project / "reports" / "versions.json").read_text())[-1]
    assert "patients.csv alpha2020-1: age_years 45 -> 46" in record["values_changed"]
    assert ",46," in (project / "data" / "processed" / "patients.csv").read_text()
    news = (project / "reports" / "latest" / "index.html").read_text()
    assert "age_years 45 -&gt; 46" in news


@pytest.mark.slow
def test_a_failure_writing_the_tables_publishes_neither_report_nor_tables(project, monkeypatch):
    first = build(project)
    page, tables = first.report.read_bytes(), state(project / "data" / "processed")
    form = project / "data" / "extraction" / "alpha2020.yaml"
    form.write_text(form.read_text().replace("age_years: 45", "age_years: 47"))
    import pipeline.report.build as builder

    real = builder._write_tables

    def full_disk(folder, content):
        if folder.name.startswith(".processed"):
            raise OSError(errno.ENOSPC, "No space left on device", str(folder))
        real(folder, content)

    monkeypatch.setattr(builder, "_write_tables", full_disk)
    with pytest.raises(OSError, match="No space left"):
        build(project)
    assert first.report.read_bytes() == page
    assert state(project / "data" / "processed") == tables
    assert not list((project / "data").glob(".processed*")) and not list((project / "reports").glob(".latest*"))
