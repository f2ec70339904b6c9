"""The living search end to end against a local server speaking the E-utilities and Europe PMC formats:
only new records are taken in, duplicates across sources are linked, a second run the same day adds
nothing, and a failed run leaves data/ exactly as it was."""

import json
from datetime import datetime, timezone

import pytest
from test_pubmed import efetch_handler, esearch_json
from werkzeug import Request, Response

from pipeline.catalog import Catalog
from pipeline.core.errors import SourceUnreachableError
from pipeline.search import europepmc, pubmed
from pipeline.search.dedupe import canonical_links
from pipeline.search.records import read_all_records, read_search_log
from pipeline.search.run import search_online

NOON = lambda: datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)  # noqa: E731


def fetchers(max_tries: int = 2):
    quiet = {"sleep": lambda seconds: None, "max_tries": max_tries}
    return {"pubmed": lambda q, s, u: pubmed.search_pubmed(q, s, u, client=pubmed.pubmed_client(**quiet)),
            "europepmc": lambda q, s, u: europepmc.search_europepmc(q, s, u, client=europepmc.europepmc_client(**quiet))}


@pytest.fixture
def servers(httpserver, monkeypatch):
    monkeypatch.setenv("LSR_PUBMED_URL", httpserver.url_for("/eutils/"))
    monkeypatch.setenv("LSR_EUROPEPMC_URL", httpserver.url_for("/epmc/"))
    return httpserver


def serve_sources(httpserver, epmc_status: int = 200):
    httpserver.expect_request("/eutils/esearch.fcgi").respond_with_json(esearch_json(3))
    httpserver.expect_request("/eutils/efetch.fcgi").respond_with_handler(efetch_handler(3))
    page = {"hitCount": 2, "nextCursorMark": "AoE", "resultList": {"result": [
        {"id": "90100001", "source": "MED", "pmid": "90100001", "doi": "10.99999/GEN.90100001",
         "title": "Generated test case 90100001", "authorString": "Test T.", "pubYear": "2024"},
        {"id": "PPR1", "source": "PPR", "title": "A preprint about dermatomyositis and nephrotic syndrome (fixture)",
         "authorString": "Other O.", "pubYear": "2025"}]}}

    def handle(request: Request) -> Response:
        if epmc_status != 200:
            return Response("unavailable", status=epmc_status)
        if request.args["cursorMark"] == "*":
            return Response(json.dumps(page), content_type="application/json")
        return Response(json.dumps({"hitCount": 2, "nextCursorMark": "AoE", "resultList": {"result": []}}),
                        content_type="application/json")

    httpserver.expect_request("/epmc/search").respond_with_handler(handle)


def data_files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in (root / "data").rglob("*") if p.is_file()}


def test_new_records_are_taken_in_deduplicated_and_not_taken_twice(project, servers):
    serve_sources(servers)
    catalog = Catalog(project)
    summaries = {s.source: s for s in search_online(catalog, fetchers(), clock=NOON)}
    assert (summaries["pubmed"].new, summaries["europepmc"].new) == (3, 2)
    log = read_search_log(catalog.search_log)
    pubmed_run = log[log.source == "pubmed"].iloc[0]
    assert (pubmed_run.date_from, pubmed_run.date_to) == ("1900-01-01", "2026-11-26")
    esearch = [req for req, _ in servers.log if req.path.endswith("esearch.fcgi")][0]
    assert esearch.args["mindate"] == "1900/01/01" and esearch.args["maxdate"] == "2026/11/26"
    records = read_all_records(catalog.raw, log)
    canonical = canonical_links(records)
    assert canonical["europepmc:MED:90100001"] == "pubmed:90100001"  # same DOI, case ignored: linked, kept
    assert len(records) == 2 + 1 + 3 + 2  # fixture records plus both sources, nothing deleted

    before = data_files(project)
    again = search_online(catalog, fetchers(), clock=NOON)
    assert all(not s.written and s.new == 0 for s in again)
    assert data_files(project) == before  # a second run the same day adds nothing


def test_an_unreachable_source_leaves_data_untouched(project, servers):
    serve_sources(servers, epmc_status=503)
    before = data_files(project)
    with pytest.raises(SourceUnreachableError, match="localhost"):
        search_online(Catalog(project), fetchers(), clock=NOON)
    assert data_files(project) == before  # PubMed succeeded, but no half run is written


def test_cli_offline_with_online_flag_is_a_clear_error(project, monkeypatch):
    import subprocess
    import sys

    env = {"LSR_PUBMED_URL": "http://127.0.0.1:9/", "LSR_EUROPEPMC_URL": "http://127.0.0.1:9/", "PATH": "/usr/bin"}
    before = data_files(project)
    result = subprocess.run([sys.executable, "-m", "pipeline.cli", "search", "--online"], cwd=project,
                            capture_output=True, text=True, env=env, timeout=240)
    assert result.returncode == 5
    errors = [line for line in result.stderr.splitlines() if line.startswith("lsr: ")]
    assert len(errors) == 1 and "127.0.0.1:9" in errors[0] and "Traceback" not in result.stderr
    assert data_files(project) == before
