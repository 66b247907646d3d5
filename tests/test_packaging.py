"""Packaging: the rulebook ships inside the wheel, and the installed package loads it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def _source_copy(to: Path) -> Path:
    """The files a build reads, copied out of the checkout: building writes ``build/`` and
    ``*.egg-info`` next to the sources, and tests write nothing into the checkout."""
    src = to / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("screening", "rules"):
        shutil.copytree(ROOT / name, src / name, ignore=skip)
    return src


def test_wheel_carries_the_rulebook(tmp_path: Path) -> None:
    """Build the wheel offline, run from it (not the checkout), and load the shipped rulebook."""
    before = _checkout_state()
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path)],
        cwd=_source_copy(tmp_path),
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("dealscreen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "screening/rules/regimes.yaml" in names
    assert any(n.startswith("screening/rules/cfius_800/") and n.endswith(".yaml") for n in names)
    assert "screening/py.typed" in names
    # The shipped rule files, parsed when the wheel was built: one entry per distinct text.
    prebuilt = [n for n in names if n.startswith("screening/rulebook/prebuilt/")]
    texts = {p.read_text() for p in (ROOT / "rules").rglob("*.yaml")}
    assert len(prebuilt) == len(texts)
    assert not [n for n in names if "__pycache__" in n]
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = (
        "import screening, screening.rulebook.book as r;"
        "b = r.load_rulebook();"
        "print(screening.__file__); print(r.default_rules_dir()); print(len(b.rules))"
    )
    user_cache = tmp_path / "user-cache"
    env = {
        "PYTHONPATH": str(site),
        "PATH": "/usr/bin:/bin",
        "DEALSCREEN_CACHE_DIR": str(user_cache),
    }
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    module, rules_dir, count = proc.stdout.split()
    assert module.startswith(str(site)), module
    assert rules_dir.startswith(str(site)), rules_dir
    assert int(count) > 0
    # Every document came from the prebuilt entries: nothing was parsed, so nothing cached.
    assert not list(user_cache.rglob("*.json"))
    # A damaged prebuilt entry is ignored: that file is parsed (and cached for the user).
    entry = site / sorted(prebuilt)[0]
    entry.write_text(entry.read_text()[:100])
    again = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert again.returncode == 0, again.stderr
    assert again.stdout == proc.stdout
    assert len(list(user_cache.rglob("*.json"))) == 1
    assert _checkout_state() == before, "the build wrote into the checkout"


def _checkout_state() -> set[str]:
    """Top-level names in the checkout (a build writes ``build/`` and ``*.egg-info`` here)."""
    return {p.name for p in ROOT.iterdir()}


def test_every_subpackage_is_listed_for_the_wheel() -> None:
    """A package missing from [tool.setuptools] packages would be left out of the wheel."""
    import tomllib

    from tests.conftest import ROOT

    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "screening").rglob("__init__.py")
    }
    assert found <= listed, sorted(found - listed)
