"""Building small rulebooks in temporary directories for tests."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A minimal well-formed rule, for tests that break one thing in it.
GOOD = """
- id: t.foreign
  kind: finding
  title: Foreign person
  citation: 31 CFR 800.224
  when:
    - investor.foreign_person is true
  explain: "{investor.name} is a foreign person."
"""


def make_rulebook(tmp: Path, files: dict[str, str]) -> Path:
    """A rulebook dir with the shipped regimes and reference lists plus the given files."""
    base = tmp / "rb"
    base.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "rules" / "regimes.yaml", base / "regimes.yaml")
    shutil.copytree(ROOT / "rules" / "reference", base / "reference", dirs_exist_ok=True)
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return base


def rule_file(*rules: str) -> str:
    """A rule file of regime cfius_800 holding the given rule snippets (YAML, 2-space indent)."""
    body = "".join(textwrap.indent(textwrap.dedent(r).strip() + "\n", "  ") for r in rules)
    return "regime: cfius_800\nrules:\n" + body
