"""PubMed E-utilities search against a real HTTP server on 127.0.0.1 (pytest-httpserver), and the streaming
parser on hand-written and generated PubMed XML. Sleep and clock are faked, so nothing waits."""

from __future__ import annotations

import json
import logging
import socket
import traceback
import tracemalloc
from datetime import date
from pathlib import Path

import pytest
from conftest import FakeTime
from werkzeug import Request, Response

from pipeline.core.errors import ReviewError, SourceUnreachableError
from pipeline.search import pubmed
from pipeline.search.http import PoliteClient

DATA = Path(__file__).parent / "data"
SINCE, UNTIL = date(2024, 1, 1), date(2024, 6, 30)
API_KEY = "0123456789abcdefsecretkey"
DOCTYPE = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN"'
           ' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">\n')



@pytest.fixture
def server(httpserver, monkeypatch):
    monkeypatch.setenv("LSR_PUBMED_URL", httpserver.url_for("/"))
    monkeypatch.setenv("LSR_CONTACT_EMAIL", "tester@example.org")
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    return httpserver


@pytest.fixture
def log_text(request):
    """All log output at DEBUG level (urllib3's request lines included), except the test server's own access log.
    caplog when the logging plugin is on, else a handler of our own: `-p no:logging` removes caplog."""
    try:
        caplog = request.getfixturevalue("caplog")
    except pytest.FixtureLookupError:
        caplog = None
    if caplog is not None:
        caplog.set_level(logging.DEBUG)
        yield lambda: "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
        return
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if not record.name.startswith("werkzeug"):
                lines.append(record.getMessage())

    root, handler = logging.getLogger(), Collect(logging.DEBUG)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lambda: "\n".join(lines)
    root.removeHandler(handler)
    root.setLevel(level)


def article_xml(pmid: int) -> str:
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
            f'<Article PubModel="Print"><Journal><JournalIssue CitedMedium="Print"><PubDate><Year>2024</Year>'
            f'</PubDate></JournalIssue><Title>Generated Test Journal</Title></Journal>'
            f'<ArticleTitle>Generated test case {pmid}</ArticleTitle><Pagination><MedlinePgn>1</MedlinePgn>'
            f'</Pagination><Abstract><AbstractText Label="BACKGROUND">Test fixture {pmid}.</AbstractText></Abstract>'
            f'<AuthorList><Author><LastName>Test</LastName><Initials>T</Initials></Author></AuthorList>'
            f'<Language>eng</Language><PublicationTypeList><PublicationType>Case Reports</PublicationType>'
            f'</PublicationTypeList></Article><MedlineJournalInfo><MedlineTA>Gen Test J</MedlineTA>'
            f'</MedlineJournalInfo></MedlineCitation><PubmedData><PublicationStatus>ppublish</PublicationStatus>'
            f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId>'
            f'<ArticleId IdType="doi">10.99999/gen.{pmid}</ArticleId></ArticleIdList></PubmedData></PubmedArticle>\n')


def esearch_json(count: int, webenv: str = "MCID_TEST", querykey: str = "1") -> dict:
    return {"header": {"type": "esearch", "version": "0.3"},
            "esearchresult": {"count": str(count), "retmax": "0", "retstart": "0", "querykey": querykey,
                              "webenv": webenv, "idlist": [], "translationset": [], "querytranslation": "x"}}


def efetch_handler(total: int, first_pmid: int = 90100000):
    def handle(request: Request) -> Response:
        start, size = int(request.args["retstart"]), int(request.args["retmax"])
        body = DOCTYPE + "<PubmedArticleSet>\n" + "".join(
            article_xml(first_pmid + i) for i in range(start, min(start + size, total))) + "</PubmedArticleSet>\n"
        return Response(body, content_type="text/xml; charset=UTF-8")
    return handle


def requests_to(httpserver, path: str) -> list[dict[str, str]]:
    return [dict(request.args) for request, _ in httpserver.log if request.path == path]


def client(fake: FakeTime, **overrides) -> PoliteClient:
    return pubmed.pubmed_client(sleep=fake.sleep, clock=fake.clock, **overrides)


# --- search over HTTP ----------------------------------------------------------------------------------------------

def test_search_pages_across_batch_boundaries_with_the_date_window(server, fake):
    server.expect_request("/esearch.fcgi").respond_with_json(esearch_json(450, "WEBENV_X", "7"))
    server.expect_request("/efetch.fcgi").respond_with_handler(efetch_handler(450))
    progress: list[tuple[int, int]] = []

    records = pubmed.search_pubmed("dermatomyositis AND nephrotic", SINCE, UNTIL, client=client(fake),
                                   progress=lambda done, total: progress.append((done, total)))

    assert len(records) == 450 and len({r.record_id for r in records}) == 450
    assert records[0].record_id == "pubmed:90100000" and records[-1].pmid == "90100449"
    [search] = requests_to(server, "/esearch.fcgi")
    assert search == {"db": "pubmed", "term": "dermatomyositis AND nephrotic", "usehistory": "y",
                      "datetype": "edat", "mindate": "2024/01/01", "maxdate": "2024/06/30", "retmax": "0",
                      "retmode": "json", "tool": pubmed.TOOL, "email": "tester@example.org"}
    fetches = requests_to(server, "/efetch.fcgi")
    assert [f["retstart"] for f in fetches] == ["0", "200", "400"]
    assert all(f["retmax"] == "200" and f["WebEnv"] == "WEBENV_X" and f["query_key"] == "7" and f["db"] == "pubmed"
               and f["retmode"] == "xml" and f["tool"] == pubmed.TOOL and f["email"] == "tester@example.org"
               and "api_key" not in f for f in fetches)
    assert progress == [(200, 450), (400, 450), (450, 450)]


def test_default_contact_email_and_pace_without_a_key(server, fake, monkeypatch):
    monkeypatch.delenv("LSR_CONTACT_EMAIL")
    server.expect_request("/esearch.fcgi").respond_with_json(esearch_json(0))
    c = client(fake)
    pubmed.esearch(c, "x", SINCE, UNTIL)
    assert c.min_interval_s == 0.34
    assert requests_to(server, "/esearch.fcgi")[0]["email"] == "lsr-review@example.org"


def test_empty_result_makes_no_efetch_call(server, fake):
    server.expect_request("/esearch.fcgi").respond_with_json(esearch_json(0))
    assert pubmed.search_pubmed("nothing matches", SINCE, UNTIL, client=client(fake)) == []
    assert requests_to(server, "/efetch.fcgi") == []


def test_api_key_is_sent_but_never_shown(server, fake, monkeypatch, log_text):
    monkeypatch.setenv("NCBI_API_KEY", API_KEY)
    server.expect_request("/esearch.fcgi").respond_with_data("busy", status=503)
    c = client(fake, max_tries=2)
    assert c.min_interval_s == 0.1

    with pytest.raises(SourceUnreachableError) as caught:
        pubmed.search_pubmed("x", SINCE, UNTIL, client=c)

    sent = requests_to(server, "/esearch.fcgi")
    assert len(sent) == 2 and all(args["api_key"] == API_KEY for args in sent)
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert f"localhost:{server.port}" in shown and API_KEY not in shown
    logged = log_text()
    assert "api_key=***" in logged  # urllib3's request line was logged, and redacted
    assert API_KEY not in logged


def test_api_key_is_redacted_from_connection_errors(fake, monkeypatch, log_text):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # the port is closed now: connection refused, and requests puts the full URL into the error
    monkeypatch.setenv("LSR_PUBMED_URL", f"http://127.0.0.1:{port}/entrez/eutils/")
    monkeypatch.setenv("NCBI_API_KEY", API_KEY)
    with pytest.raises(SourceUnreachableError, match="ConnectionError") as caught:
        pubmed.esearch(client(fake, max_tries=3), "x", SINCE, UNTIL)
    shown = "".join(traceback.format_exception(caught.value))
    assert f"127.0.0.1:{port}" in shown and "esearch.fcgi?..." in shown and API_KEY not in shown
    assert "mindate" not in shown  # the query string is left out of every retry message
    assert API_KEY not in log_text()
    assert fake.sleeps == [1.0, 2.0]


def test_429_honours_retry_after(server, fake):
    server.expect_oneshot_request("/esearch.fcgi").respond_with_data("slow down", status=429,
                                                                     headers={"Retry-After": "2"})
    server.expect_request("/esearch.fcgi").respond_with_json(esearch_json(5, "W", "1"))
    assert pubmed.esearch(client(fake), "x", SINCE, UNTIL) == (5, "W", "1")
    assert fake.sleeps == [2.0]


def test_429_retry_after_beyond_a_minute_gives_up_at_once_and_says_so(server, fake):
    server.expect_oneshot_request("/esearch.fcgi").respond_with_data("", status=429, headers={"Retry-After": "100000"})
    server.expect_request("/esearch.fcgi").respond_with_json(esearch_json(1))
    with pytest.raises(SourceUnreachableError, match="asks us to wait 100000 s.*longer than the 60 s"):
        pubmed.esearch(client(fake), "x", SINCE, UNTIL)
    assert fake.sleeps == []  # no waiting at all, and one request only
    assert len(requests_to(server, "/esearch.fcgi")) == 1


def test_500_then_success(server, fake):
    server.expect_oneshot_request("/esearch.fcgi").respond_with_data("oops", status=500)
    server.expect_request("/esearch.fcgi").respond_with_json(esearch_json(3, "W", "2"))
    assert pubmed.esearch(client(fake), "x", SINCE, UNTIL) == (3, "W", "2")
    assert fake.sleeps == [1.0]
    assert len(requests_to(server, "/esearch.fcgi")) == 2


def test_persistent_503_gives_up_after_max_tries(server, fake):
    server.expect_request("/esearch.fcgi").respond_with_data("down", status=503)
    with pytest.raises(SourceUnreachableError, match=rf"(?i)localhost:{server.port}.*after 4 tries.*HTTP 503"):
        pubmed.esearch(client(fake, max_tries=4), "x", SINCE, UNTIL)
    assert len(requests_to(server, "/esearch.fcgi")) == 4
    assert fake.sleeps == [1.0, 2.0, 4.0]  # exponential backoff between the tries


def test_client_errors_are_not_retried(server, fake):
    server.expect_request("/esearch.fcgi").respond_with_data("bad request", status=400)
    with pytest.raises(ReviewError, match="HTTP 400") as caught:
        pubmed.esearch(client(fake), "x", SINCE, UNTIL)
    assert not isinstance(caught.value, SourceUnreachableError)
    assert len(requests_to(server, "/esearch.fcgi")) == 1


def test_timeout_gives_up_with_the_host_named(fake, monkeypatch):
    with socket.socket() as silent:  # accepts connections (kernel backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("LSR_PUBMED_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/")
        with pytest.raises(SourceUnreachableError, match=r"127\.0\.0\.1.*after 2 tries.*timed out"):
            pubmed.esearch(client(fake, max_tries=2, timeout_s=0.2), "x", SINCE, UNTIL)
    assert fake.sleeps == [1.0]


def test_requests_are_spaced_by_the_rate_limit(server, fake):
    arrivals: list[float] = []

    def handle(request: Request) -> Response:
        arrivals.append(fake.now)
        return Response(json.dumps(esearch_json(1)), content_type="application/json")

    server.expect_request("/esearch.fcgi").respond_with_handler(handle)
    c = client(fake)
    for _ in range(3):
        pubmed.esearch(c, "x", SINCE, UNTIL)
    assert [round(b - a, 6) for a, b in zip(arrivals, arrivals[1:])] == [0.34, 0.34]
    fake.now += 5  # time passed on its own: no need to wait
    pubmed.esearch(c, "x", SINCE, UNTIL)
    assert fake.sleeps == pytest.approx([0.34, 0.34])


@pytest.mark.parametrize("payload, message", [
    ({"esearchresult": {"ERROR": "Invalid query syntax"}}, "esearch failed: Invalid query syntax"),
    ({"error": "API rate limit exceeded", "count": "11"}, "no esearchresult.*API rate limit exceeded"),
    ({"esearchresult": {"count": "4", "querykey": "1"}}, "lacks webenv"),
    ({"esearchresult": {"count": "many", "querykey": "1", "webenv": "W"}}, "count is not a number"),
])
def test_esearch_errors_and_missing_fields(server, fake, payload, message):
    server.expect_request("/esearch.fcgi").respond_with_json(payload)
    with pytest.raises(ReviewError, match=message):
        pubmed.esearch(client(fake), "x", SINCE, UNTIL)


def test_esearch_that_is_not_json(server, fake):
    server.expect_request("/esearch.fcgi").respond_with_data("<html>maintenance</html>")
    with pytest.raises(ReviewError, match="not JSON"):
        pubmed.esearch(client(fake), "x", SINCE, UNTIL)


def test_truncated_efetch_xml(server, fake):
    server.expect_request("/esearch.fcgi").respond_with_json(esearch_json(2))
    whole = DOCTYPE + "<PubmedArticleSet>\n" + article_xml(90100000) + article_xml(90100001) + "</PubmedArticleSet>\n"
    server.expect_request("/efetch.fcgi").respond_with_data(whole[: len(whole) - 700], content_type="text/xml")
    with pytest.raises(ReviewError, match=r"PubMed XML \(efetch batch at retstart 0\) is malformed at line 5"):
        pubmed.search_pubmed("x", SINCE, UNTIL, client=client(fake))


# --- parser ----------------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def awkward() -> dict[str, pubmed.Record]:
    return {r.pmid: r for r in pubmed.parse_pubmed_xml(DATA / "pubmed_awkward.xml")}


def test_awkward_file_parses_every_article_and_book(awkward):
    assert list(awkward) == ["90000001", "90000002", "90000003", "90000004", "90000005"]
    assert all(r.source == "pubmed" and r.record_id == f"pubmed:{pmid}"
               and r.url == f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" for pmid, r in awkward.items())


def test_inline_markup_in_title_and_structured_abstract(awkward):
    r = awkward["90000001"]
    assert r.title == "A test case of italic markup and CD4+ superscripts in a title."
    assert r.abstract == ("BACKGROUND: This is a test fixture for a structured abstract.\n\nMETHODS: We parsed it."
                          "\n\nRESULTS: Proteinuria was 5 g/m2.")  # copyright line left out
    assert r.authors == ["Müller J", "Ødegård ÅK", "李 明"]
    assert r.journal == "Journal of Parser Test Fixtures" and r.year == 2021 and r.language == "eng"
    assert r.doi == "10.99999/test.0001"  # ArticleIdList wins over ELocationID; references' DOIs are ignored
    assert r.pmcid == "PMC9000001"
    assert r.publication_types == ["Case Reports", "Journal Article"]
    assert r.mesh_terms == ["Dermatomyositis", "Nephrotic Syndrome", "Humans"]


def test_mathml_medline_date_and_elocation_doi(awkward):
    r = awkward["90000002"]
    assert r.abstract == "The threshold p<0.05 was used for a test case."
    assert r.year == 1998  # MedlineDate "1998 Dec-1999 Jan"
    assert r.doi == "10.99999/test.0002" and r.pmcid == ""


def test_collective_author_and_no_doi(awkward):
    r = awkward["90000003"]
    assert r.authors == ["Test Fixture Study Group", "Solo"]
    assert r.doi == "" and r.abstract == "" and r.mesh_terms == []
    assert r.pmid == "90000003"  # not the PMID of a CommentsCorrections entry


def test_vernacular_title_and_non_english(awkward):
    r = awkward["90000004"]
    assert r.title == "Ein Testfall mit übersetztem Titel" and r.language == "ger"
    assert r.abstract == "An unstructured test abstract." and r.authors == ["Groß J"]
    assert "Case Reports" in r.publication_types


def test_book_chapter(awkward):
    r = awkward["90000005"]
    assert r.title == "A test case chapter in a book" and r.journal == "Test Pearls" and r.year == 2023
    assert r.authors == ["Chapterwriter C"]  # the chapter's authors, not the book's editors


def test_wrong_root_is_named(tmp_path):
    path = tmp_path / "result.xml"
    path.write_text('<?xml version="1.0"?><eFetchResult><ERROR>Unable to obtain query #1</ERROR></eFetchResult>')
    with pytest.raises(ReviewError, match="expected a PubmedArticleSet, found <eFetchResult>"):
        list(pubmed.parse_pubmed_xml(path))


@pytest.mark.parametrize("text, line", [("", 1), ('<PubmedArticleSet>\n<PubmedArticle>\n<MedlineCitation>', 3),
                                        ("<PubmedArticleSet>\n<a></b>\n</PubmedArticleSet>", 2)])
def test_malformed_xml_names_the_line(tmp_path, text, line):
    path = tmp_path / "bad.xml"
    path.write_text(text)
    with pytest.raises(ReviewError, match=f"PubMed XML .*bad.xml.* malformed at line {line}"):
        list(pubmed.parse_pubmed_xml(path))


def write_generated(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8") as out:
        out.write(DOCTYPE + "<PubmedArticleSet>\n")
        for pmid in range(90200000, 90200000 + n):
            out.write(article_xml(pmid))
        out.write("</PubmedArticleSet>\n")
    return path


def test_large_file_gives_every_record(tmp_path):
    assert sum(1 for _ in pubmed.parse_pubmed_xml(write_generated(tmp_path / "large.xml", 20_000))) == 20_000


def test_parsing_holds_about_one_article_at_a_time(tmp_path):
    path = write_generated(tmp_path / "medium.xml", 2_000)  # tracemalloc is slow, so a smaller file here
    tracemalloc.start()
    try:
        count = sum(1 for _ in pubmed.parse_pubmed_xml(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2_000
    # the whole tree of 2,000 articles takes tens of MB; a streaming parse peaks at a few hundred kB
    assert peak < 2 * 2**20
