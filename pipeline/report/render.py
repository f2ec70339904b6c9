"""The readers' report: executed notebooks rendered without code into one self-contained HTML page
with a title, version and date, a table of contents, numbered figures, tables and citations, and a
bibliography. Nothing in it loads from a remote host."""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache

import nbformat
from nbconvert import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from pybtex.database import BibliographyData

from pipeline.report.citations import bibliography_html, number_citations

HEADING = re.compile(r'<h([23]) id="([^"]*)">(.*?)</h\1>', re.S)
ANCHOR_LINK = re.compile(r'<a class="anchor-link" href="[^"]*">.*?</a>', re.S)
REMOTE_REFERENCE = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)\s*=\s*["\']?(?:https?:)?//',
                              re.I)


class DropStderr(Preprocessor):
    """Warnings and logging go to the reviewers' executed notebooks, not to the readers' page."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr")]
        return cell, resources


@lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    """One exporter for every notebook of a build: its templates load once."""
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_preprocessor(DropStderr(), enabled=True)
    return exporter


def _held_token(index: int) -> str:
    return f"\ue000lsr-output-{index}\ue001"  # private-use characters: no notebook output contains them


def notebook_body(notebook: nbformat.NotebookNode) -> str:
    """The notebook's cells as HTML. The HTML outputs (the review's own tables, made and escaped by
    pipeline.report.display) are held out of the exporter and put back verbatim: nbconvert re-parses its
    whole result with BeautifulSoup's pure-Python parser, whose time grows with the evidence table."""
    notebook = copy.deepcopy(notebook)
    held: list[str] = []
    for cell in notebook.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"  # papermill draws a random id; the page must not vary with it
        for output in cell.get("outputs", []):
            if "text/html" in output.get("data", {}):
                held.append(output["data"]["text/html"])
                output["data"]["text/html"] = _held_token(len(held) - 1)
    body, _ = _exporter().from_notebook_node(notebook)
    for index, output_html in enumerate(held):
        token = _held_token(index)
        if body.count(token) != 1:
            raise ValueError(f"notebook output {index} was not rendered exactly once")
        body = body.replace(token, output_html)
    return ANCHOR_LINK.sub("", body)


@dataclass(frozen=True)
class PageInfo:
    title: str
    version: str
    built: str
    parameters: dict
    changed: dict = field(default_factory=dict)  # parameter -> (protocol value, value of this build)

    def banner(self) -> str:
        """A sensitivity build says so at the top: which parameters differ from the protocol's."""
        if not self.changed:
            return ""
        items = "; ".join(f"{html.escape(k)} = {html.escape(str(new))} (protocol: {html.escape(str(old))})"
                          for k, (old, new) in self.changed.items())
        return (f'<p class="sensitivity-banner"><strong>Sensitivity analysis, not the review\'s main answer.</strong> '
                f'Parameters changed from review.toml: {items}.</p>')


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", re.sub(r"<[^>]+>", "", text).lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def _with_toc(body: str) -> tuple[str, str]:
    """Give every h2/h3 a stable id and return (body, table of contents)."""
    used: set[str] = set()
    entries: list[tuple[int, str, str]] = []

    def replace(match: re.Match) -> str:
        level, text = int(match.group(1)), match.group(3).strip()
        slug = _slug(text, used)
        entries.append((level, slug, text))
        return f'<h{level} id="{slug}">{text}</h{level}>'

    body = HEADING.sub(replace, body)
    items = []
    for level, slug, text in entries:
        items.append(f'<li class="toc-{level}"><a href="#{slug}">{text}</a></li>')
    return body, '<nav class="toc" aria-label="Contents"><h2 class="toc-title">Contents</h2><ul>' + \
        "".join(items) + '<li class="toc-2"><a href="#references">References</a></li></ul></nav>'


def _number(body: str, marker: str, label: str) -> str:
    counter = iter(range(1, 10_000))
    return re.sub(f'<span class="{marker}"></span>', lambda _: f'<span class="{marker}">{label} {next(counter)}.</span>',
                  body)


def assemble(bodies: list[str], info: PageInfo, bibliography: BibliographyData) -> str:
    body = "\n".join(f'<section class="report-section">{b}</section>' for b in bodies)
    body = _number(_number(body, "figure-number", "Figure"), "table-number", "Table")
    body, toc = _with_toc(body)
    body, cited = number_citations(body, set(bibliography.entries))
    parameters = ", ".join(f"{html.escape(k)} = {html.escape(str(v))}" for k, v in info.parameters.items())
    page = PAGE.format(
        title=html.escape(info.title), version=html.escape(info.version), built=html.escape(info.built),
        parameters=parameters, banner=info.banner(), toc=toc, body=body,
        references=bibliography_html(bibliography, cited), css=CSS,
    )
    remote = REMOTE_REFERENCE.search(page)
    if remote:
        raise ValueError(f"the report would load a remote resource: {remote.group(0)[:120]}")
    return page


def remote_references(page: str) -> list[str]:
    """Tags that would make a browser fetch from another host (what the self-contained page must not have)."""
    return [m.group(0) for m in REMOTE_REFERENCE.finditer(page)]


CSS = """
:root { --ink:#1d2330; --muted:#5b6475; --rule:#d9dde5; --accent:#1f5f8b; --bg:#fbfbfd; }
* { box-sizing: border-box; }
body { margin:0; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
       color: var(--ink); background: var(--bg); }
.layout { display:grid; grid-template-columns: 17rem minmax(0, 1fr); max-width: 82rem; margin: 0 auto; }
header.masthead { grid-column: 1 / -1; padding: 2rem 2rem 1rem; border-bottom: 1px solid var(--rule); }
header.masthead h1 { margin: 0 0 .4rem; font-size: 1.7rem; line-height: 1.25; }
header.masthead p { margin: .15rem 0; color: var(--muted); font-size: .92rem; }
nav.toc { position: sticky; top: 0; align-self: start; max-height: 100vh; overflow:auto; padding: 1.2rem 1rem 2rem 2rem;
          font-size: .9rem; }
nav.toc ul { list-style: none; padding: 0; margin: 0; }
nav.toc li { margin: .25rem 0; } nav.toc li.toc-3 { padding-left: 1rem; font-size: .85rem; }
nav.toc a { color: var(--ink); text-decoration: none; } nav.toc a:hover { color: var(--accent); }
.toc-title { font-size: 1rem; margin: 0 0 .5rem; }
main { padding: 1rem 2rem 4rem; min-width: 0; }
section.report-section { border-bottom: 1px solid var(--rule); padding-bottom: 1rem; }
h2 { font-size: 1.4rem; margin-top: 2rem; } h3 { font-size: 1.12rem; margin-top: 1.5rem; }
a { color: var(--accent); } a.cite { text-decoration: none; }
figure.report-figure { margin: 1rem 0; } figure.report-figure img { max-width: 100%; height: auto; }
figcaption, .table-caption { color: var(--muted); font-size: .9rem; }
.figure-number, .table-number { font-weight: 600; color: var(--ink); }
.report-table-wrap { overflow-x: auto; margin: 1rem 0; }
table.report-table { border-collapse: collapse; font-size: .88rem; }
table.report-table th, table.report-table td { border-bottom: 1px solid var(--rule); padding: .3rem .6rem;
  text-align: left; vertical-align: top; }
table.report-table th { background: #eef1f6; }
.table-note, .warning { font-size: .88rem; color: var(--muted); }
.warning { border-left: 3px solid #c98b00; padding: .3rem .8rem; background: #fff8e6; color: var(--ink); }
.verdict { font-weight: 600; }
ol.references li { margin: .4rem 0; font-size: .92rem; }
.jp-OutputArea-output pre { white-space: pre-wrap; }
.answer { border-left: 4px solid var(--accent); background: #f2f6fa; padding: .4rem 1.2rem .6rem; margin: 1rem 0; }
.answer h3 { margin: .9rem 0 .3rem; font-size: 1.02rem; }
.answer .statement { margin: .3rem 0 .7rem; }
.certainty { display: inline-block; font-size: .78rem; font-weight: 600; padding: 0 .45rem; border-radius: .6rem;
  background: #e3e8ef; color: var(--ink); white-space: nowrap; }
.certainty-low { background: #fff1cc; } .certainty-very-low { background: #fbe0dc; }
.certainty-reason { font-size: .86rem; color: var(--muted); }
.cite-box { border: 1px solid var(--rule); background: #fff; padding: .3rem 1rem; margin: 1rem 0; font-size: .92rem; }
.cite-label { font-weight: 600; margin-bottom: .2rem; }
.downloads { font-size: .88rem; margin: .3rem 0; } a.download { white-space: nowrap; }
.sensitivity-banner { border-left: 4px solid #c98b00; background: #fff8e6; padding: .4rem .8rem; color: var(--ink); }
ol.not-retrieved li { font-size: .9rem; margin: .2rem 0; }
table.evidence-table { font-size: .84rem; } table.evidence-table td { vertical-align: top; }
@media (max-width: 900px) { .layout { grid-template-columns: 1fr; } nav.toc { position: static; max-height: none; } }
@media print {
  body { font-size: 10.5pt; background: #fff; }
  .layout { display: block; max-width: none; }
  nav.toc, .dt-search, .dt-length, .dt-paging, .dt-column-order, .dt-column-header button, .downloads { display: none; }
  main { padding: 0; }
  h2, h3 { break-after: avoid; }
  figure.report-figure, .report-table-wrap, .answer .statement, .cite-box { break-inside: avoid; }
  .report-table-wrap { overflow: visible; }
  a { color: var(--ink); text-decoration: none; }
  a.cite::after { content: ""; }
}
"""

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<div class="layout">
<header class="masthead">
<h1>{title}</h1>
<p>{version} · built {built}</p>
<p>Parameters: {parameters}</p>
{banner}
</header>
{toc}
<main>
{body}
<section class="report-section"><h2 id="references">References</h2>
{references}
</section>
</main>
</div>
</body>
</html>
"""
