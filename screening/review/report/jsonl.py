"""The ``jsonl`` report: one screening result per line (the ``screen --format json`` object).

Streamable and round-trippable: ``ScreeningResult.model_validate_json(line)`` reads a line
back. Skipped inputs are not written (they go to stderr and the exit status).
"""

from __future__ import annotations

from typing import TextIO

from screening.review.bulk import ResultWriter, Reviewed
from screening.review.report._common import BaseReport


class JsonlReport(BaseReport):
    """One compact JSON result per line."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.results = ResultWriter(out)

    def add(self, item: Reviewed) -> None:
        """Write one result line."""
        self.results.write(item.result_text, end="\n")
