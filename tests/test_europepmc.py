"""Europe PMC search against a real HTTP server on 127.0.0.1 (pytest-httpserver): cursorMark paging over two
recorded-shape JSON pages, field parsing, and malformed responses. Sleep and clock are faked."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import FakeTime
from werkzeug import Request, Response

from pipeline.core.errors import ReviewError, SourceUnreachableError
from pipeline.search import europepmc

DATA = Path(__file__).parent / "data"
SINCE, UNTIL = date(2024, 1, 1), date(2024, 6, 30)
PAGE1 = json.loads((DATA / "europepmc_page1.json").read_text(encoding="utf-8"))
PAGE2 = json.loads((DATA / "europepmc_page2.json").read_text(encoding="utf-8"))



@pytest.fixture
def server(httpserver, monkeypatch):
    monkeypatch.setenv("LSR_EUROPEPMC_URL", httpserver.url_for("/"))
    return httpserver


def client(fake: FakeTime, **overrides):
    return europepmc.europepmc_client(sleep=fake.sleep, clock=fake.clock, **overrides)


def pages_by_cursor(pages: dict[str, dict]):
    def handle(request: Request) -> Response:
        return Response(json.dumps(pages[request.args["cursorMark"]]), content_type="application/json")
    return handle


def sent(httpserver) -> list[dict[str, str]]:
    return [dict(request.args) for request, _ in httpserver.log if request.path == "/search"]


def test_two_pages_until_the_cursor_repeats(server, fake):
    server.expect_request("/search").respond_with_handler(
        pages_by_cursor({"*": PAGE1, PAGE1["nextCursorMark"]: PAGE2}))
    progress: list[tuple[int, int]] = []

    records = europepmc.search_europepmc("test fixture", SINCE, UNTIL, client=client(fake), page_size=2,
                                         progress=lambda done, total: progress.append((done, total)))

    assert [r.record_id for r in records] == ["europepmc:MED:90000011", "europepmc:MED:90000012",
                                              "europepmc:PPR:PPR900013"]
    requests = sent(server)
    assert [r["cursorMark"] for r in requests] == ["*", PAGE1["nextCursorMark"]]
    assert all(r == {"query": "(test fixture) AND FIRST_PDATE:[2024-01-01 TO 2024-06-30]", "format": "json",
                     "resultType": "core", "pageSize": "2", "cursorMark": r["cursorMark"]} for r in requests)
    assert progress == [(2, 3), (3, 3)]
    assert fake.sleeps == pytest.approx([europepmc.MIN_INTERVAL_S])  # the second page waited its turn


def test_fields_of_a_full_record(server, fake):
    server.expect_request("/search").respond_with_handler(
        pages_by_cursor({"*": PAGE1, PAGE1["nextCursorMark"]: PAGE2}))
    first, second, preprint = europepmc.search_europepmc("test fixture", SINCE, UNTIL, client=client(fake))

    assert first.source == "europepmc" and first.pmid == "90000011" and first.pmcid == "PMC9000011"
    assert first.doi == "10.99999/epmc.0011" and first.year == 2024 and first.language == "eng"
    assert first.title == "A test case of italic markup in a Europe PMC title."
    assert first.abstract == "Background This is a test fixture, not evidence. Methods Proteinuria was 5 g/m2 & more."
    assert first.authors == ["Müller J", "Ødegård ÅK", "李 明"]
    assert first.journal == "Journal of Parser Test Fixtures"
    assert first.publication_types == ["Case Reports", "Journal Article"]
    assert first.mesh_terms == ["Dermatomyositis", "Nephrotic Syndrome"]
    assert first.url == "https://europepmc.org/article/MED/90000011"

    assert second.authors == ["Test Fixture Study Group"] and second.doi == "" and second.abstract == ""
    assert second.language == "ger" and second.mesh_terms == []

    assert preprint.pmid == "" and preprint.journal == "Test Preprint Server"  # journalTitle fallback
    assert preprint.abstract == "A preprint test fixture. Second paragraph."
    assert preprint.authors == ["Groß J", "Testperson A"]
    assert preprint.url == "https://europepmc.org/article/PPR/PPR900013"


def test_stops_at_an_empty_page(server, fake):
    last = {**PAGE2, "nextCursorMark": "AoE3"}
    empty = {**PAGE2, "nextCursorMark": "AoE4", "resultList": {"result": []}}
    server.expect_request("/search").respond_with_handler(
        pages_by_cursor({"*": PAGE1, PAGE1["nextCursorMark"]: last, "AoE3": empty}))
    records = europepmc.search_europepmc("test fixture", SINCE, UNTIL, client=client(fake))
    assert len(records) == 3
    assert [r["cursorMark"] for r in sent(server)] == ["*", PAGE1["nextCursorMark"], "AoE3"]


def test_no_hits(server, fake):
    server.expect_request("/search").respond_with_json({"version": "6.9", "hitCount": 0, "nextCursorMark": "*",
                                                        "resultList": {"result": []}})
    assert europepmc.search_europepmc("nothing", SINCE, UNTIL, client=client(fake)) == []
    assert len(sent(server)) == 1


def test_retries_a_server_error_then_continues(server, fake):
    server.expect_oneshot_request("/search").respond_with_data("gateway", status=502)
    server.expect_request("/search").respond_with_handler(
        pages_by_cursor({"*": PAGE1, PAGE1["nextCursorMark"]: PAGE2}))
    assert len(europepmc.search_europepmc("test fixture", SINCE, UNTIL, client=client(fake))) == 3
    assert fake.sleeps[0] == 1.0


def test_persistent_outage(server, fake):
    server.expect_request("/search").respond_with_data("down", status=503)
    with pytest.raises(SourceUnreachableError, match=f"localhost:{server.port}.*after 3 tries"):
        europepmc.search_europepmc("x", SINCE, UNTIL, client=client(fake, max_tries=3))


def test_malformed_json(server, fake):
    server.expect_request("/search").respond_with_data('{"resultList": {"result": [', content_type="application/json")
    with pytest.raises(ReviewError, match="Europe PMC returned a response that is not JSON"):
        europepmc.search_europepmc("x", SINCE, UNTIL, client=client(fake))


def test_missing_result_list(server, fake):
    server.expect_request("/search").respond_with_json({"version": "6.9", "errMsg": "Invalid query"})
    with pytest.raises(ReviewError, match="no resultList.*Invalid query"):
        europepmc.search_europepmc("x", SINCE, UNTIL, client=client(fake))


def test_result_without_id(server, fake):
    server.expect_request("/search").respond_with_json({"hitCount": 1, "nextCursorMark": "A",
                                                        "resultList": {"result": [{"title": "no id"}]}})
    with pytest.raises(ReviewError, match="without id or source"):
        europepmc.search_europepmc("x", SINCE, UNTIL, client=client(fake))
