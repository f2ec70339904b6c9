"""The report's figures (matplotlib). Each returns a Figure; notebooks caption and show it."""

from __future__ import annotations

import matplotlib

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
    """A PRISMA 2020 flow diagram for an updated review: previous studies, new identification, new and total."""
    fig, ax = plt.subplots(figsize=(8.4, 6.6))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")

    def wrap(text: str) -> str:
        return text.replace("; ", "\n")

    _box(ax, 0.02, 0.80, 0.22, 0.14, f"Studies in previous\nversion: {counts['previous_studies']}\n"
                                      f"Reports: {counts['previous_reports']}", "#f4f0e6")
    _box(ax, 0.30, 0.80, 0.32, 0.14, f"Records identified:\ndatabases {counts['database_results']}\n"
                                      f"websites / seed corpus {counts['website_results']}")
    _box(ax, 0.68, 0.80, 0.30, 0.14, f"Removed before screening:\nduplicates {counts['duplicates']}")
    _box(ax, 0.30, 0.60, 0.32, 0.12, f"Records screened\n(title / abstract): {counts['records_screened']}")
    _box(ax, 0.68, 0.60, 0.30, 0.12, f"Records excluded: {counts['records_excluded']}")
    sought = counts["dbr_sought_reports"] + counts["other_sought_reports"]
    assessed = counts["dbr_assessed"] + counts["other_assessed"]
    _box(ax, 0.30, 0.42, 0.32, 0.12, f"Reports sought: {sought}\nassessed for eligibility: {assessed}")
    excluded = "; ".join(x for x in (counts["dbr_excluded"], counts["other_excluded"]) if x)
    _box(ax, 0.68, 0.22, 0.30, 0.32, "Reports excluded:\n" + wrap(excluded or "none"))
    _box(ax, 0.30, 0.22, 0.32, 0.12, f"New studies included: {counts['new_studies']}\n"
                                      f"New reports: {counts['new_reports']}", "#e6f2ea")
    _box(ax, 0.16, 0.02, 0.46, 0.12, f"Total studies in this version: {counts['total_studies']}\n"
                                      f"Total reports: {counts['total_reports']}", "#e6f2ea")
    _arrow(ax, 0.46, 0.80, 0.46, 0.72)
    _arrow(ax, 0.62, 0.87, 0.68, 0.87)
    _arrow(ax, 0.62, 0.66, 0.68, 0.66)
    _arrow(ax, 0.46, 0.60, 0.46, 0.54)
    _arrow(ax, 0.62, 0.48, 0.68, 0.44)
    _arrow(ax, 0.46, 0.42, 0.46, 0.34)
    _arrow(ax, 0.46, 0.22, 0.46, 0.14)
    _arrow(ax, 0.13, 0.80, 0.30, 0.14)
    ax.text(0.02, 0.97, "Previous studies", fontsize=8, weight="bold")
    ax.text(0.30, 0.97, "Identification of new studies", fontsize=8, weight="bold")
    fig.tight_layout()
    return fig
