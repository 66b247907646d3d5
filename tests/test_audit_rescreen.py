"""`dealscreen audit rescreen`: re-screen the recorded deals a list or rulebook change can affect."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from screening.audit.rescreen import changed_entries, party_names
from screening.audit.store import Store
from screening.model.loader import load_deal
from screening.rulebook.book import default_rules_dir, load_rulebook
from tests.conftest import ROOT

DEALS = ROOT / "fixtures" / "deals"
PICKED = (
    "wandertrip-travel-app-30pct",
    "voltaic-prc-battery-maker-equity",
    "jinhai-voltcore-stake",
)


def _layer_adding_to_sdn(tmp_path: Path, name: str) -> Path:
    """A rulebook layer whose OFAC SDN list is the bundled one plus one entry."""
    layer = tmp_path / "layer"
    target = layer / "reference" / "restricted" / "ofac_sdn.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(default_rules_dir() / "reference" / "restricted" / "ofac_sdn.yaml", target)
    with target.open("a", encoding="utf-8") as fh:
        fh.write(
            f"  - value: {name}\n    from: 2020-01-01\n"
            "    attributes: {country: CN, program: SDGT, source: test}\n"
        )
    return layer


def _record(db: Path) -> None:
    from screening.cli.app import main

    files = [str(DEALS / f"{d}.yaml") for d in PICKED]
    for f in files:
        assert main(["screen", f, "--db", f"sqlite:///{db}"]) == 0


def test_party_names_walk_every_chain() -> None:
    """The investor, co-investors, target and every owner at every level are screened."""
    deal = load_deal(DEALS / "jinhai-voltcore-stake.yaml")
    names = party_names(deal)
    assert deal.investor.name in names and deal.target.name in names
    assert all(o.name in names for o in deal.investor.owners or [])


def test_no_change_no_rescreen(tmp_path: Path) -> None:
    """With today's rulebook unchanged, nothing is selected."""
    from screening.audit.rescreen import rescreen

    db = tmp_path / "a.db"
    _record(db)
    with Store(f"sqlite:///{db}") as store:
        assert rescreen(store, load_rulebook(), lists_changed=True, rulebook_changed=True) == []


def test_a_new_sdn_entry_rescreens_only_the_deal_it_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A party listed under another legal form is matched by an added entry; only its deal is re-screened."""
    from screening.cli.app import main

    db = tmp_path / "a.db"
    _record(db)
    capsys.readouterr()
    layer = _layer_adding_to_sdn(tmp_path, "Suzhou Luxing Network Technology Company Limited")
    args = [
        "audit",
        "rescreen",
        "--lists-changed",
        "--rules",
        str(layer),
        "--db",
        f"sqlite:///{db}",
    ]
    assert main([*args, "--dry-run"]) == 0
    out, _ = capsys.readouterr()
    assert out.splitlines()[-1] == "re-screened 1 deal(s); 1 verdict change(s)"
    assert "wandertrip-travel-app-30pct:" in out and "(dry run)" in out
    assert "changed OFAC SDN List entry `Suzhou Luxing Network Technology Company Limited`" in out
    with Store(f"sqlite:///{db}") as store:
        assert store.count() == 3
    assert main(args) == 0
    out, _ = capsys.readouterr()
    assert "→ prohibited (screening 1 → screening 4)" in out
    with Store(f"sqlite:///{db}") as store:
        assert store.count() == 4 and store.verify().ok
    # Once recorded under today's rulebook, the deal is not selected again.
    assert main(args) == 0
    out, _ = capsys.readouterr()
    assert out.strip() == "re-screened 0 deal(s); 0 verdict change(s)"


def test_rulebook_changed_selects_every_older_screening(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Any other rulebook version selects the deal, whatever changed."""
    from screening.cli.app import main

    db = tmp_path / "a.db"
    _record(db)
    capsys.readouterr()
    layer = _layer_adding_to_sdn(tmp_path, "Nobody In These Deals Ltd")
    args = ["audit", "rescreen", "--rules", str(layer), "--db", f"sqlite:///{db}", "--dry-run"]
    assert main([*args, "--lists-changed"]) == 0
    assert capsys.readouterr()[0].strip() == "re-screened 0 deal(s); 0 verdict change(s)"
    assert main([*args, "--rulebook-changed"]) == 0
    assert "re-screened 3 deal(s); 0 verdict change(s)" in capsys.readouterr()[0]


def test_rescreen_needs_a_reason(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --lists-changed or --rulebook-changed: a usage error (exit 2)."""
    from screening.cli.app import main

    assert main(["audit", "rescreen", "--db", f"sqlite:///{tmp_path / 'a.db'}"]) == 2
    assert "--lists-changed or --rulebook-changed" in capsys.readouterr()[1]


def test_changed_entries_include_removed_ones() -> None:
    """A removed entry is a change too (a deal matched by it may now be clear)."""
    book = load_rulebook()
    emptied = type(book.references)({})
    changed = changed_entries(book.references, emptied)
    sdn = changed.get("restricted_ofac_sdn")
    assert sdn is not None and len(sdn.entries) == len(
        book.references.get("restricted_ofac_sdn").entries  # type: ignore[union-attr]
    )
