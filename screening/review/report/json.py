"""The ``json`` report: one document, ``{"results": [...], "summary": {...}}``.

The results array is streamed as results arrive, so the summary comes after it in the text
(JSON readers do not care about key order). Each result carries the input it came from under
``source`` next to the screening result itself under ``result``.
"""

from __future__ import annotations

import json
from typing import TextIO

from screening.review.bulk import ResultWriter, Reviewed, Summary
from screening.review.report._common import BaseReport


class JsonReport(BaseReport):
    """A single JSON document with every result and the batch summary."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.results = ResultWriter(out)
        self.count = 0
        out.write('{\n"results": [')

    def add(self, item: Reviewed) -> None:
        """Append one result to the array."""
        self.out.write(",\n" if self.count else "\n")
        self.out.write(f'{{"source": {json.dumps(item.source, ensure_ascii=False)}, ')
        self.out.write('"result": ')
        self.results.write(item.result_text)
        self.out.write("}")
        self.count += 1

    def finish(self, summary: Summary) -> None:
        """Close the array and write the summary."""
        self.out.write("\n],\n" if self.count else "],\n")
        body = json.dumps(summary.to_jsonable(), ensure_ascii=False, indent=2)
        self.out.write(f'"summary": {body}\n}}\n')
