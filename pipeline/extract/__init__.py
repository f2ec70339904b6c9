"""Stage 3, extract: one YAML form per included study (every stated value with its provenance), its JBI
appraisal, the context cohorts, the dual extraction and the bibliography, checked against the protocol's
schema and compiled into the public tidy tables.

Reads data/extraction, data/appraisal, data/context, data/dual_extraction and references.bib; writes
nothing itself (the build publishes the tidy tables to data/processed). `suggest` pre-fills new forms."""
