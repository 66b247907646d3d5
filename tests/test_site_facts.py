"""Sites: named installations checked against Appendix A, "none within N miles", land in a deal."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from screening import screen
from screening.cli.app import main
from screening.facts.derive import derive
from screening.model.deal import Deal
from screening.model.numbers import Range

BASE: dict[str, Any] = {
    "id": "site",
    "name": "Site",
    "kind": "real_estate",
    "investor": {"name": "Buyer", "kind": "company", "country": "CN"},
    "target": {"name": "Parcel LLC", "country": "US"},
    "site": {"transaction": "purchase"},
    "completion_date": "2025-06-30",
}


def _view(rulebook: Any, **site: Any) -> Any:
    data = copy.deepcopy(BASE)
    data["site"].update(site)
    deal = Deal.model_validate(data).root
    assert deal.completion_date is not None
    return derive(deal, rulebook.references, deal.completion_date)


def test_a_misspelt_installation_is_flagged_with_did_you_mean(
    rulebook: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name not in Appendix A leaves its part unknown, and `check` names the closest one."""
    view = _view(rulebook, nearest_installation="Adelphi Laboratry Center")
    assert view.get("site.installation_part") is None
    assert (
        "(did you mean `Adelphi Laboratory Center`?)" in view.derivations["site.installation_part"]
    )
    path = tmp_path / "deal.yaml"
    data = copy.deepcopy(BASE)
    data["site"]["nearest_installation"] = "Adelphi Laboratry Center"
    path.write_text(json.dumps(data))
    path = path.rename(tmp_path / "deal.json")
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert (
        f"dealscreen: {path}: warning: $.site.nearest_installation: no installation "
        "`Adelphi Laboratry Center` in Appendix A to part 802 (did you mean `Adelphi Laboratory "
        "Center`?)"
    ) in err


def test_a_listed_installation_gives_its_part(rulebook: Any) -> None:
    """The list, not the record, says which part of Appendix A the installation is in."""
    view = _view(rulebook, nearest_installation="Adelphi Laboratory Center")
    assert view.get("site.installation_part") == 1


def test_none_within_n_miles_settles_proximity_without_a_distance(rulebook: Any) -> None:
    """`no_installation_within_miles: 100` is "more than 100 miles": neither 1 nor 100 holds."""
    view = _view(rulebook, no_installation_within_miles=100)
    assert view.get("site.miles_to_installation") == Range(more_than=Decimal(100))
    assert view.get("site.within_one_mile") is False
    assert view.get("site.within_100_miles") is False


def test_an_estimated_distance_is_a_range(rulebook: Any) -> None:
    """An estimate of 20 to 60 miles is within 100 miles but not within 1 mile."""
    view = _view(rulebook, miles_to_installation={"min": 20, "max": 60}, installation_part=2)
    assert view.get("site.within_one_mile") is False
    assert view.get("site.within_100_miles") is True


def test_an_acquisition_with_premises_asks_the_part_802_questions(rulebook: Any) -> None:
    """Without a `site` block, an acquisition that includes a plant leaves part 802 open."""
    data = copy.deepcopy(BASE)
    del data["site"]
    data.update(kind="acquisition", assets_only=True, assets={"premises": True})
    result = screen(Deal.model_validate(data), rulebook=rulebook)
    assert any(q.regime == "cfius_802" for q in result.open_questions)
    data["assets"] = {"premises": False}
    result = screen(Deal.model_validate(data), rulebook=rulebook)
    assert not any(q.regime == "cfius_802" for q in result.open_questions)
