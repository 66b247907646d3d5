"""Packaging: the rulebook ships inside the wheel, and the installed package loads it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_carries_the_rulebook(tmp_path: Path) -> None:
    """Build the wheel offline, run from it (not the checkout), and load the shipped rulebook."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("dealscreen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "screening/rules/regimes.yaml" in names
    assert any(n.startswith("screening/rules/cfius_800/") and n.endswith(".yaml") for n in names)
    assert "screening/py.typed" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import screening, screening.rulebook.book as r;"
        "b = r.load_rulebook();"
        "print(screening.__file__); print(r.default_rules_dir()); print(len(b.rules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    module, rules_dir, count = proc.stdout.split()
    assert module.startswith(str(site)), module
    assert rules_dir.startswith(str(site)), rules_dir
    assert int(count) > 0
