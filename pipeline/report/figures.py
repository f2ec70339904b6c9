"""The report's figures (matplotlib). Each returns a Figure; notebooks caption and show it."""

from __future__ import annotations

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False,
                     "svg.hashsalt": "lsr", "figure.dpi": 110})

BAR = "#1f5f8b"
MUTED = "#9aa5b5"


def horizontal_counts(counts: pd.Series, xlabel: str, highlight_last: tuple[str, ...] = ()):
    """Counts per category as horizontal bars, largest on top; `highlight_last` categories greyed."""
    counts = counts[counts > 0].sort_values()
    fig, ax = plt.subplots(figsize=(6.4, 0.32 * max(len(counts), 3) + 0.8))
    colours = [MUTED if name in highlight_last else BAR for name in counts.index]
    ax.barh(counts.index, counts.values, color=colours)
    for y, value in enumerate(counts.values):
        ax.text(value, y, f" {value}", va="center", fontsize=8)
    ax.set_xlabel(xlabel)
    ax.xaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    return fig


def timing_histogram(months: pd.Series, timing: pd.Series):
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    order = ["before", "concurrent", "after", "not reported"]
    counts = timing.value_counts().reindex(order, fill_value=0)
    ax.bar(counts.index, counts.values, color=[BAR, BAR, BAR, MUTED])
    for x, value in enumerate(counts.values):
        ax.text(x, value, str(value), ha="center", va="bottom", fontsize=8)
    ax.set_ylabel("patients")
    ax.set_xlabel("kidney disease relative to the myositis diagnosis")
    fig.tight_layout()
    return fig


def _box(ax, x, y, w, h, text, colour="#eef1f6"):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.01,rounding_size=0.01",
                                facecolor=colour, edgecolor="#5b6475", linewidth=0.8))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=7.2, wrap=True)


def _arrow(ax, x1, y1, x2, y2):
    ax.annotate("", xy=(x2, y2), xytext=(x1, y1), arrowprops={"arrowstyle": "->", "color": "#5b6475", "lw": 0.8})


def prisma_flow(counts: dict[str, object]):
    """A PRISMA 2020 flow diagram for an updated review, every box a field of the counts (prisma.csv), so the
    figure and the table cannot disagree."""
    fig, ax = plt.subplots(figsize=(8.6, 7.6))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")

    def total(name: str) -> int:
        return int(counts[f"dbr_{name}"] or 0) + int(counts[f"other_{name}"] or 0)

    excluded = "; ".join(x for x in (counts["dbr_excluded"], counts["other_excluded"]) if x) or "none"
    _box(ax, 0.02, 0.83, 0.22, 0.12, f"Studies in previous\nversion: {counts['previous_studies']}\n"
                                      f"Reports: {counts['previous_reports']}", "#f4f0e6")
    _box(ax, 0.30, 0.83, 0.32, 0.12, f"Records identified:\ndatabases and imports {counts['database_results']}\n"
                                      f"offline seed corpus {counts['website_results']}")
    _box(ax, 0.68, 0.83, 0.30, 0.12, f"Removed before screening:\nduplicates {counts['duplicates']}")
    _box(ax, 0.30, 0.66, 0.32, 0.11, f"Records screened: {counts['records_screened']}\n"
                                      f"awaiting screening: {counts['records_awaiting_screening']}")
    _box(ax, 0.68, 0.66, 0.30, 0.11, f"Records excluded: {counts['records_excluded']}")
    _box(ax, 0.30, 0.50, 0.32, 0.10, f"Reports sought for retrieval: {total('sought_reports')}")
    _box(ax, 0.68, 0.50, 0.30, 0.10, f"Reports not retrieved: {total('notretrieved_reports')}\n"
                                      f"(text reachable cannot confirm eligibility)")
    _box(ax, 0.30, 0.34, 0.32, 0.10, f"Reports assessed for eligibility: {total('assessed')}\n"
                                      f"awaiting assessment: {counts['reports_awaiting_assessment']}")
    _box(ax, 0.68, 0.28, 0.30, 0.16, "Reports excluded:\n" + excluded.replace("; ", "\n"))
    _box(ax, 0.30, 0.17, 0.32, 0.11, f"New studies included: {counts['new_studies']}\n"
                                      f"New reports: {counts['new_reports']}", "#e6f2ea")
    _box(ax, 0.68, 0.07, 0.30, 0.15, f"Context studies: {counts['context_studies']}\n(cohorts and reviews with\n"
                                      "aggregate counts; excluded as\nreports, pooled for frequency)", "#f4f0e6")
    _box(ax, 0.16, 0.01, 0.46, 0.10, f"Total studies in this version: {counts['total_studies']}\n"
                                      f"Total reports: {counts['total_reports']}", "#e6f2ea")
    for x1, y1, x2, y2 in ((0.46, 0.83, 0.46, 0.77), (0.62, 0.89, 0.68, 0.89), (0.62, 0.715, 0.68, 0.715),
                           (0.46, 0.66, 0.46, 0.60), (0.62, 0.55, 0.68, 0.55), (0.46, 0.50, 0.46, 0.44),
                           (0.62, 0.39, 0.68, 0.36), (0.46, 0.34, 0.46, 0.28), (0.46, 0.17, 0.46, 0.11),
                           (0.13, 0.06, 0.16, 0.06)):
        _arrow(ax, x1, y1, x2, y2)
    ax.plot([0.13, 0.13], [0.83, 0.06], color="#5b6475", lw=0.8)
    ax.text(0.02, 0.975, "Previous studies", fontsize=8, weight="bold")
    ax.text(0.30, 0.975, "Identification of new studies", fontsize=8, weight="bold")
    fig.tight_layout()
    return fig


def forest_plot(studies: pd.DataFrame, pooled: pd.DataFrame, labels: dict[str, str]):
    """One row per study (proportion and exact interval, square sized by n) and a diamond per pooling method,
    with the prediction interval as a line under each diamond. `labels` names each study for the axis."""
    rows = len(studies) + 2 * len(pooled)
    fig, ax = plt.subplots(figsize=(6.8, 0.42 * rows + 1.2))
    y = rows
    ticks, names = [], []
    for row in studies.itertuples():
        ax.plot([row.ci_low, row.ci_high], [y, y], color=MUTED, lw=1)
        ax.scatter([row.proportion], [y], marker="s", s=20 + 80 * row.n / studies.n.max(), color=BAR, zorder=3)
        ticks.append(y)
        names.append(f"{labels.get(row.study_id, row.study_id)}  {row.events}/{row.n}")
        y -= 1
    for row in pooled.itertuples():
        y -= 0.5
        ax.fill([row.ci_low, row.estimate, row.ci_high, row.estimate], [y, y + 0.3, y, y - 0.3], color="#c98b00")
        ax.plot([row.pi_low, row.pi_high], [y - 0.45, y - 0.45], color="#c98b00", lw=1, ls=":")
        ticks.append(y)
        names.append(f"pooled, {row.method} ({row.k} studies)")
        y -= 1.5
    ax.set_yticks(ticks, names)
    ax.set_xlim(0, max(0.5, float(studies.ci_high.max()) + 0.05))
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("proportion of patients (95% interval; dotted: prediction interval)")
    ax.grid(axis="x", color="#e3e6ec", lw=0.6)
    fig.tight_layout()
    return fig
