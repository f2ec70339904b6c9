"""A living systematic review pipeline: search -> dedupe -> screen -> extract -> analyse -> report."""

__version__ = "0.1.0"
