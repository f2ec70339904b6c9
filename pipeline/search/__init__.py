"""Stage 1, search: take in records from the live sources (PubMed E-utilities, Europe PMC) and from database
exports (RIS, MEDLINE, BibTeX, CSV), and link duplicates.

Reads review.toml's [sources] and the network or an export file; writes each run once as
data/raw/<source>/<run>/records.csv and appends a row to data/raw/search_log.csv. Raw data is never
rewritten. `dedupe` links every record to its canonical record (computed, never stored)."""
