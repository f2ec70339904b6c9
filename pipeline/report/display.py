"""What notebooks show readers: captioned figures and tables, escaped text, citations.

Everything a notebook displays from the data passes through here, so data values are always
HTML-escaped (a title holding `<script>` or `&` shows as text) and captions are numbered by the renderer."""

from __future__ import annotations

import base64
import html
import io
import re
import zipfile
from collections.abc import Iterable
from datetime import datetime

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from IPython.display import HTML  # noqa: E402

from pipeline.report.citations import cite  # noqa: E402


def escape(value: object) -> str:
    """HTML-escape a data value; a literal `[@` in data is not taken for a citation marker."""
    return html.escape(str(value)).replace("[@", "[&#64;")


def figure_html(fig, caption: str) -> str:
    buffer = io.BytesIO()
    # A fixed creation date keeps PNG bytes identical between builds of the same data.
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (f'<figure class="report-figure"><img alt="{escape(caption)}" '
            f'src="data:image/png;base64,{data}"/><figcaption><span class="figure-number"></span> '
            f'{escape(caption)}</figcaption></figure>')


def show_figure(fig, caption: str) -> HTML:
    return HTML(figure_html(fig, caption))


MISSING = "not reported"


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value))


def _cell(value: object) -> object:
    """A value as a reader should see it: whole numbers without '.0', missing values as 'not reported'."""
    if _is_missing(value):
        return MISSING
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every cell formatted for reading (the published CSVs keep the raw values)."""
    return frame.astype(object).apply(lambda column: column.map(_cell))


def table_html(frame: pd.DataFrame, caption: str, citation_column: str | None = None, note: str = "") -> str:
    """A captioned table; `citation_column` holds study ids rendered as numbered citations."""
    # Any `[@` in the escaped table came from data, never from us: neutralise it before adding citations.
    body = for_people(frame).to_html(index=False, escape=True, na_rep=MISSING, border=0, classes="report-table")
    body = body.replace("[@", "[&#64;")
    if citation_column is not None and citation_column in frame.columns:
        # Citation markers are inserted after escaping, so only the study ids (checked keys) become links.
        for study_id in frame[citation_column].dropna().unique():
            escaped = escape(study_id)
            body = body.replace(f"<td>{escaped}</td>", f"<td>{escaped} {cite(str(study_id))}</td>")
    note_html = f'<p class="table-note">{escape(note)}</p>' if note else ""
    return (f'<div class="report-table-wrap"><p class="table-caption"><span class="table-number"></span> '
            f"{escape(caption)}</p>{body}{note_html}</div>")


def show_table(frame: pd.DataFrame, caption: str, citation_column: str | None = None, note: str = "") -> HTML:
    return HTML(table_html(frame, caption, citation_column, note))


def paragraph(text: str, citations: Iterable[str] = ()) -> HTML:
    """Escaped prose with optional citations appended."""
    keys = list(citations)
    suffix = f" {cite(*keys)}" if keys else ""
    return HTML(f"<p>{escape(text)}{suffix}</p>")


def bullet_list(items: Iterable[str]) -> HTML:
    return HTML("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")


FIXED_TIME = datetime(2000, 1, 1)


def _fixed_zip_times(data: bytes) -> bytes:
    """The same zip with every entry dated FIXED_TIME, so two builds of the same data give the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "docProps/core.xml":  # openpyxl stamps the save time here whatever it is told
                content = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", content)
            target.writestr(zipfile.ZipInfo(item.filename, FIXED_TIME.timetuple()[:6]), content)
    return out.getvalue()


def download_links(name: str, frame: pd.DataFrame) -> str:
    """CSV and Excel copies of a table, embedded in the page (data: links), so a reader can take the data away
    from the single HTML file, offline. The values are the published table's, unformatted."""
    from openpyxl import Workbook

    csv = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
    book = Workbook(write_only=True)  # rows streamed to the file: several times faster for long tables
    sheet = book.create_sheet(name[:31])
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if _is_missing(x) else (x.item() if hasattr(x, "item") else x) for x in row])
    book.properties.created = book.properties.modified = FIXED_TIME
    saved = io.BytesIO()
    book.save(saved)
    xlsx = _fixed_zip_times(saved.getvalue())
    kinds = (("csv", "text/csv", csv), ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                        xlsx))
    links = " · ".join(f'<a class="download" download="{escape(name)}.{ext}" '
                       f'href="data:{mime};base64,{base64.b64encode(data).decode("ascii")}">{ext.upper()}</a>'
                       for ext, mime, data in kinds)
    return f'<p class="downloads">Download {escape(name)}: {links}</p>'
