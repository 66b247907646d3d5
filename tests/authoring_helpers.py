"""Small rulebooks for the authoring-toolchain tests: the shipped regimes and only the two part
800 reference lists (loading every shipped list would make each temporary rulebook slow)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = ("excepted_foreign_states.yaml", "appendix_a_part800.yaml")


def small_rulebook(tmp: Path, files: dict[str, str]) -> Path:
    """A rulebook dir with the shipped regimes, two reference lists and the given files."""
    base = tmp / "rb"
    (base / "reference").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "rules" / "regimes.yaml", base / "regimes.yaml")
    for name in REFERENCES:
        shutil.copy(ROOT / "rules" / "reference" / name, base / "reference" / name)
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return base
