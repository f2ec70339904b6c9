"""Shared foundations every stage stands on: errors, secrets and redaction, the typed configuration
(review.toml), the project layout (where each file lives), the controlled vocabularies, identifiers that
become paths, YAML forms and strict CSV reading, crash-safe writes and the project lock.

Reads and writes nothing by itself; depends on no stage."""
