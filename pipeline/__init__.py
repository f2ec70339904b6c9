"""A living systematic review pipeline: search -> dedupe -> screen -> extract -> analyse -> report."""

from pipeline.core.secrets import redact_log_records

__version__ = "0.1.0"

redact_log_records()
