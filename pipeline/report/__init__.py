"""Reports are views of the run: figures built from the ledger and the tables, rendered as JSON and HTML."""

from pipeline.report.figures import SCHEMA_VERSION, build_report
from pipeline.report.html import render_html

__all__ = ["SCHEMA_VERSION", "build_report", "render_html"]
