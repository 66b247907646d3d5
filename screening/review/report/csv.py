"""The ``csv`` report: one row per deal; with ``--csv-hits FILE`` a second file, one row per hit.

For spreadsheets: every text cell that a spreadsheet would take for a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return), file names and ids included, is prefixed
with ``'`` (OWASP's advice on CSV injection). Facts in the hits file are one JSON object per cell.

``verdict`` is the floor and ``ceiling`` the highest level some reading of the unknown facts
reaches; a regime's cell shows its range (``clear — could reach covered``) or ``not_in_force``,
never a bare level below its ceiling.
"""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from screening.review.bulk import Reviewed
from screening.review.report._common import BaseReport

DEAL_COLUMNS = [
    "source",
    "deal_id",
    "deal_name",
    "kind",
    "investor",
    "investor_country",
    "target",
    "naics",
    "verdict",
    "ceiling",
    "provisional",
]
HIT_COLUMNS = [
    "source",
    "deal_id",
    "rule_id",
    "regime",
    "kind",
    "outcome",
    "suppressed_by",
    "citation",
    "title",
    "explanation",
    "facts",
]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe(text: object) -> object:
    """A cell a spreadsheet will not evaluate (numbers pass through; text is checked)."""
    if not isinstance(text, str):
        return text
    return "'" + text if text.startswith(_FORMULA) else text


def _row(cells: list[object]) -> list[object]:
    return [safe(c) for c in cells]


class CsvReport(BaseReport):
    """Rows per deal (and per hit)."""

    def __init__(self, out: TextIO, *, regimes: list[str], hits: TextIO | None = None) -> None:
        self.regimes = regimes
        self.writer = csv.writer(out, lineterminator="\n")
        self.writer.writerow(
            [
                *DEAL_COLUMNS,
                *regimes,
                "reasons",
                "hits",
                "open_questions",
                "rulebook_version",
                "duplicate_of",
            ]
        )
        self.hits = csv.writer(hits, lineterminator="\n") if hits is not None else None
        if self.hits is not None:
            self.hits.writerow(HIT_COLUMNS)

    def add(self, item: Reviewed) -> None:
        """Write the deal's row (and its hits' rows)."""
        data: dict[str, Any] = json.loads(item.result_json)
        self.writer.writerow(
            _row(
                [
                    item.source,
                    item.deal_id,
                    safe(item.deal_name),
                    item.kind,
                    safe(item.investor),
                    item.investor_country,
                    safe(item.target),
                    item.naics,
                    item.verdict,
                    item.ceiling or item.verdict,
                    "yes" if item.provisional else "no",
                    *(item.regime_range(r) for r in self.regimes),
                    " ".join(item.reasons),
                    len(data["hits"]),
                    len(data["open_questions"]),
                    data["rulebook_version"],
                    item.duplicate_of or "",
                ]
            )
        )
        if self.hits is None:
            return
        for hit in data["hits"]:
            self.hits.writerow(
                _row(
                    [
                        item.source,
                        item.deal_id,
                        hit["rule_id"],
                        hit["regime"],
                        hit["kind"],
                        hit["outcome"] or "",
                        " ".join(hit["suppressed_by"]),
                        hit["citation"],
                        safe(hit["title"]),
                        safe(hit["explanation"]),
                        json.dumps(hit["facts"], ensure_ascii=False, sort_keys=True),
                    ]
                )
            )
