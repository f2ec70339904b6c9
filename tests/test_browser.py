"""The report as a reader sees it, in a real headless Chromium (Debian's chromium, driven by Playwright)."""

import shutil
from pathlib import Path

import pytest

from pipeline.report.build import build

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from conftest import make_project

    root = make_project(tmp_path_factory.mktemp("browser") / "review")  # carries a title with <script> and &
    return build(root).report


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine: install Debian's chromium (.ci/run does) to run the browser tests")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e .[test])")
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, report):
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.errors, page.requests = [], []
    page.on("console", lambda message: page.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("request", lambda request: page.requests.append(request.url))
    page.goto(report.as_uri())
    page.wait_for_selector("table.dataTable", timeout=15000)  # the interactive table initialised
    yield page
    context.close()


def test_renders_without_errors_or_network(page, report):
    assert page.errors == []
    outside = [url for url in page.requests if not url.startswith(("file://", "data:", "blob:"))]
    assert outside == []
    assert page.title().startswith("Dermatomyositis")


def test_citation_links_land_on_their_bibliography_entries(page):
    links = page.locator("a.cite")
    assert links.count() > 0
    for i in range(links.count()):
        target = links.nth(i).get_attribute("href")
        assert page.locator(target).count() == 1, target
    first = links.first
    target = first.get_attribute("href")
    first.click()
    page.wait_for_function("t => location.hash === t", arg=target)
    assert page.locator(target).is_visible()


def test_interactive_table_filters(page):
    rows = page.locator("#itables-evidence-table tbody tr")
    assert rows.count() == 2
    search = page.locator("div.dt-search input, .dataTables_filter input").first
    search.fill("beta2021")
    page.wait_for_function("() => document.querySelectorAll('#itables-evidence-table tbody tr').length === 1")
    assert "beta2021-1" in rows.first.inner_text()


def test_figures_are_visible(page):
    images = page.locator("figure.report-figure img")
    assert images.count() >= 3
    for i in range(images.count()):
        image = images.nth(i)
        image.scroll_into_view_if_needed()
        assert image.evaluate("img => img.complete && img.naturalWidth > 100")
        assert image.is_visible()


def test_markup_in_data_shows_as_text_and_runs_nothing(page):
    assert page.evaluate("() => window.__xss === undefined")
    assert page.get_by_text("<script>window.__xss = 1</script>", exact=False).count() >= 1
    assert page.get_by_text("Juvenile DM & ", exact=False).count() >= 1
    assert page.errors == []


def test_printing_keeps_every_section_and_drops_the_navigation(page, tmp_path):
    from pypdf import PdfReader

    pdf = tmp_path / "report.pdf"
    page.emulate_media(media="print")
    assert page.locator("nav.toc").is_hidden() and page.locator(".downloads").first.is_hidden()
    page.pdf(path=str(pdf), format="A4", print_background=True)
    reader = PdfReader(pdf)
    text = "\n".join(p.extract_text() for p in reader.pages)
    for heading in ("What the evidence says", "How often: the cohorts pooled", "Search and selection",
                    "Characteristics of included patients", "Claims checked", "Quality and evidence table",
                    "Methods", "References", "How to cite this version"):
        assert heading in text, heading
    assert "Contents" not in reader.pages[0].extract_text()
    assert len(reader.pages) >= 5
