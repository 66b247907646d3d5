"""The ``table`` report: one line per deal for a terminal, the verdict coloured by level.

Rows are printed as results arrive (a rich ``Table`` would need the whole batch first), in fixed
columns: deal id, kind, investor and country, target, overall verdict, top reasons (rule ids).
A provisional verdict shows its range, ``clear → filing_required`` (floor → ceiling).
Deal text is passed to rich as ``Text``, never as markup, so ``[brackets]`` in a name are shown
as they are; control characters (terminal escape sequences) and bidi overrides are shown escaped.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.text import Text

from screening.engine.verdict import LEVELS, NOT_IN_FORCE
from screening.errors import printable
from screening.review.bulk import Invalid, Reviewed, Summary
from screening.review.report._common import LEVEL_STYLES, BaseReport

_NAMES = ("DEAL", "KIND", "INVESTOR", "TARGET", "VERDICT", "REASONS")
_SHARES = (0.22, 0.0, 0.28, 0.22, 0.0, 0.28)  # of what the fixed kind and verdict columns leave
_FIXED = {"KIND": 20, "VERDICT": 28}


def column_widths(width: int) -> list[int]:
    """Widths of the six columns for a line of ``width`` characters."""
    free = width - sum(_FIXED.values())
    return [
        _FIXED.get(n) or max(int(free * share), 8) for n, share in zip(_NAMES, _SHARES, strict=True)
    ]


def _cell(text: str, width: int) -> str:
    text = printable(" ".join(text.split()), keep_newlines=False)
    if len(text) > width - 1:
        text = text[: width - 2] + "…"
    return text.ljust(width)


class TableReport(BaseReport):
    """A streamed terminal table."""

    def __init__(self, out: TextIO, *, color: bool = False, width: int = 160) -> None:
        self.console = Console(
            file=out,
            force_terminal=color,
            no_color=not color,
            color_system="standard" if color else None,
            width=max(width, 80),
            highlight=False,
            emoji=False,
            soft_wrap=True,
        )
        self.widths = column_widths(self.console.width)
        header = "".join(_cell(n, w) for n, w in zip(_NAMES, self.widths, strict=True))
        self.console.print(Text(header.rstrip(), style="bold"))

    def _row(self, cells: list[str], verdict: str, style: str, reasons: str) -> None:
        line = Text("".join(_cell(c, w) for c, w in zip(cells, self.widths[:4], strict=True)))
        line.append(_cell(verdict, self.widths[4]), style=style)
        line.append(_cell(reasons, self.widths[5]).rstrip())
        self.console.print(line)

    def add(self, item: Reviewed) -> None:
        """Print one deal."""
        country = f" ({item.investor_country})" if item.investor_country else ""
        verdict = item.verdict
        if item.provisional:
            verdict = f"{item.verdict} → {item.ceiling}"  # the range: never a bare floor
        reasons = ", ".join(item.reasons) or "-"
        if item.duplicate_of is not None:
            reasons = f"duplicate id; {reasons}"
        cells = [item.deal_id, item.kind, item.investor + country, item.target]
        self._row(cells, verdict, LEVEL_STYLES.get(item.verdict, ""), reasons)

    def invalid(self, item: Invalid) -> None:
        """Print one skipped input, with its first problem."""
        first = item.problems[0] if item.problems else None
        reason = f"{first.code}: {first.message}" if first else "invalid"
        self._row([item.source, "", "", ""], "INVALID", "bold magenta", reason)

    def finish(self, summary: Summary) -> None:
        """Print the counts per verdict."""
        line = Text(f"\n{summary.screened} screened, {summary.invalid} invalid")
        for level in reversed(LEVELS):
            line.append(" · ")
            line.append(f"{level} {summary.verdicts[level]}", style=LEVEL_STYLES[level])
        if summary.verdicts.get(NOT_IN_FORCE):
            line.append(f" · {NOT_IN_FORCE} {summary.verdicts[NOT_IN_FORCE]}")
        if summary.provisional:
            line.append(
                f"\n→ provisional: {summary.provisional} could reach a higher level "
                "(open questions)"
            )
        self.console.print(line)
