"""Bulk-review reports: ``table`` (rich, for a terminal), ``json``, ``jsonl``, ``csv``, ``html``.

Every report is written as results arrive (input order) and finished with the batch summary;
none holds the whole batch except where its format forces it (nothing does, so far: the JSON
document and the HTML page stream their deal arrays too). Reports are deterministic: no clock,
no host names, the same bytes for the same inputs whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from screening.review.bulk import Report, Reviewed
from screening.rulebook.book import Rulebook

FORMATS = ("table", "json", "jsonl", "csv", "html")
SUFFIX_FORMATS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
    ".txt": "table",
}


def open_report(
    fmt: str,
    out: TextIO,
    *,
    book: Rulebook,
    color: bool = False,
    width: int = 160,
    csv_hits: TextIO | None = None,
    mitigation: Callable[[Reviewed], dict[str, Any] | None] | None = None,
) -> Report:
    """A report of format ``fmt`` writing to ``out`` (``mitigation``: html only)."""
    if fmt == "table":
        from screening.review.report.table import TableReport

        return TableReport(out, color=color, width=width)
    if fmt == "json":
        from screening.review.report.json import JsonReport

        return JsonReport(out)
    if fmt == "jsonl":
        from screening.review.report.jsonl import JsonlReport

        return JsonlReport(out)
    if fmt == "csv":
        from screening.review.report.csv import CsvReport

        return CsvReport(out, regimes=list(book.regimes), hits=csv_hits)
    if fmt == "html":
        from screening.review.report.html import HtmlReport

        return HtmlReport(out, book=book, mitigation=mitigation)
    raise ValueError(f"unknown report format `{fmt}`")


__all__ = ["FORMATS", "SUFFIX_FORMATS", "open_report"]
