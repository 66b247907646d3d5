"""Restricted-party name matching measured on a labelled set (``tests/data/name_matches.yaml``).

Precision counts every flag (match or possible match) of a different party as a false positive;
recall counts the same party left unflagged as a miss. The figures are the ones
``docs/regimes/restricted_parties.md`` prints (checked below, so they cannot drift).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.name_matching import score

DOC = Path(__file__).resolve().parent.parent / "docs" / "regimes" / "restricted_parties.md"


def test_tuning_set_meets_the_targets() -> None:
    """Recall at least 0.98 and precision at least 0.95, exact matches where labelled exact."""
    s = score("cases")
    assert s.recall >= 0.98, s.wrong
    assert s.precision >= 0.95, s.wrong
    assert s.exact_found == s.exact_expected, s.wrong


def test_held_out_set_stays_above_its_floor() -> None:
    """The held-out cases (not used for tuning) stay at or above 0.95 both ways."""
    s = score("held_out")
    assert s.recall >= 0.95, s.wrong
    assert s.precision >= 0.95, s.wrong


@pytest.mark.parametrize("part", ["cases", "held_out"])
def test_docs_print_the_measured_figures(part: str) -> None:
    """The figures in the docs are today's, to three decimals."""
    s = score(part)
    line = re.search(rf"^\| `{part}` \|.*$", DOC.read_text(encoding="utf-8"), re.M)
    assert line, f"no row for {part} in {DOC.name}"
    want = (
        f"| `{part}` | {s.positives} | {s.negatives} | "
        f"{s.precision:.3f} | {s.recall:.3f} | {s.exact_found}/{s.exact_expected} |"
    )
    assert line.group(0) == want
