"""What notebooks show readers: captioned figures and tables, escaped text, citations.

Everything a notebook displays from the data passes through here, so data values are always
HTML-escaped (a title holding `<script>` or `&` shows as text) and captions are numbered by the renderer."""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable

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


def table_html(frame: pd.DataFrame, caption: str, citation_column: str | None = None, note: str = "") -> str:
    """A captioned table; `citation_column` holds study ids rendered as numbered citations."""
    # Any `[@` in the escaped table came from data, never from us: neutralise it before adding citations.
    body = frame.to_html(index=False, escape=True, na_rep="", border=0, classes="report-table")
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
