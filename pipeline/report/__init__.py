"""Stage 5, report: the notebooks executed with papermill in one kernel, rendered without code into one
self-contained HTML page with numbered figures, tables and citations; the section helpers the notebooks
call; publication of the page and the tidy tables together.

Reads the tidy tables, references.bib and notebooks/; writes reports/latest (or the -o folder) and
data/processed."""
