"""Consortia: each foreign investor acquiring in one deal is screened for its own CFIUS duty."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import load_deal, screen, screen_many
from screening.cli.app import main
from screening.engine.consortium import _concert, member_record
from screening.engine.explain import render_json, render_text
from screening.errors import DealError
from screening.model.deal import CoInvestor, Deal, Party
from screening.model.levels import rank
from screening.model.loader import load_deal as load
from tests.conftest import FIXTURES

CONSORTIUM = FIXTURES / "gridstore-consortium-three-investors.yaml"


def _data() -> dict[str, Any]:
    deal = load_deal(CONSORTIUM)
    data: dict[str, Any] = deal.model_dump(mode="json", exclude_none=True)
    data.pop("expected", None)
    return data


def _screen(data: dict[str, Any], rulebook: Any) -> Any:
    return screen(Deal.model_validate(data), rulebook=rulebook)


def test_each_member_has_its_own_duty(rulebook: Any) -> None:
    """The state-owned member owes a declaration (800.401(b)); the passive 10% member none."""
    result = screen(load_deal(CONSORTIUM), rulebook=rulebook)
    assert result.consortium is not None
    by_name = {m.name: m for m in result.consortium.members}
    huaneng = by_name["Huaneng Storage Investment Co., Ltd."]
    assert huaneng.verdict == "filing_required"
    assert "cfius.mandatory.gov_substantial_interest" in huaneng.rules
    assert huaneng.foreign_person is True and huaneng.position == 0
    sakura = by_name["Sakura Trading Corporation"]
    assert (sakura.verdict, sakura.ceiling, sakura.rules) == ("clear", "clear", [])
    lead = by_name["Rheinland Infrastruktur GmbH"]
    assert (lead.role, lead.position, lead.verdict) == ("investor", None, "filing_advised")
    assert result.regimes["cfius_800"].verdict == "filing_required"
    assert result.regimes["cfius_800"].rules == ["cfius.mandatory.gov_substantial_interest"]
    assert result.verdict == result.consortium.verdict == "filing_required"


def test_never_lower_than_the_single_investor_answer(rulebook: Any) -> None:
    """Without member rights the deal is the lead's alone; with them, no regime goes down."""
    data = _data()
    single = _data()
    for co in single["co_investors"]:
        co.pop("rights")
    alone = _screen(single, rulebook)
    together = _screen(data, rulebook)
    assert alone.consortium is None
    assert "consortium" not in json.loads(render_json(alone))
    assert rank(together.verdict) >= rank(alone.verdict)
    for rid, regime in alone.regimes.items():
        assert rank(together.regimes[rid].verdict) >= rank(regime.verdict)
    assert together.consortium is not None
    assert together.consortium.members[0].verdict == alone.regimes["cfius_800"].verdict


def test_unknown_member_rights_stay_unknown(rulebook: Any) -> None:
    """A member whose rights are not known (`rights: {}`) leaves its duty open, not clear."""
    data = _data()
    data["co_investors"][0]["rights"] = {}
    result = _screen(data, rulebook)
    assert result.consortium is not None
    member = result.consortium.members[1]
    assert member.verdict == "clear" and member.ceiling == "filing_required"
    assert member.provisional and "could reach filing_required" in member.duty
    assert result.consortium.ceiling == "filing_required"
    # The deal's floor is the highest member floor (the lead's filing_advised); the member's
    # question stays open at deal level and names the member's own facts.
    assert result.verdict == "filing_advised" and result.provisional
    asked = [q for q in result.open_questions if q.question.startswith("For co-investor Huaneng")]
    assert asked and max(rank(q.outcome) for q in asked) == rank("filing_required")
    assert any(f.startswith("co_investors[0].rights.") for q in asked for f in q.unknown_facts)


def test_member_record_and_concert() -> None:
    """A member's record: its party and rights; the others as co-investors, concert as recorded."""
    deal = load_deal(CONSORTIUM)
    record = member_record(deal, 1)
    assert record.investor.name == "Sakura Trading Corporation"
    assert record.rights.voting_pct == 10 and record.prior is None
    names = [co.party.name for co in record.co_investors]
    assert names == ["Rheinland Infrastruktur GmbH", "Huaneng Storage Investment Co., Ltd."]
    assert [co.acts_in_concert for co in record.co_investors] == [False, False]
    assert all(co.rights is None for co in record.co_investors)

    def co(name: str, concert: bool | None, with_: list[str] | None = None) -> CoInvestor:
        return CoInvestor(
            party=Party(name=name, kind="company"), acts_in_concert=concert, concert_with=with_
        )

    assert _concert(co("a", True), co("b", True)) is True  # one group with the investor
    assert _concert(co("a", True), co("b", False)) is None
    assert _concert(co("a", None), co("b", None)) is None
    assert _concert(co("a", False, ["b"]), co("b", False)) is True
    assert _concert(co("a", True, []), co("b", True)) is False


def test_concert_gives_group_control(rulebook: Any) -> None:
    """Members acting in concert with the lead (40% + 25%) control as a group (800.208(b))."""
    data = _data()
    data["co_investors"][0]["acts_in_concert"] = True
    data["co_investors"][0]["concert_with"] = []
    data["co_investors"][1]["concert_with"] = []
    result = _screen(data, rulebook)
    lead = result.hit("cfius.covered_control_transaction")
    assert lead is not None
    assert result.consortium is not None
    assert result.consortium.members[1].verdict == "filing_required"


def test_member_voting_must_agree() -> None:
    """`voting_pct` and `rights.voting_pct` of one co-investor must not contradict each other."""
    data = _data()
    data["co_investors"][0]["voting_pct"] = 30
    with pytest.raises(ValueError, match=r"co_investors\[0\]: rights.voting_pct and voting_pct"):
        Deal.model_validate(data)
    data = _data()
    data["co_investors"][0]["concert_with"] = ["Nobody Ltd."]
    with pytest.raises(ValueError, match=r"`Nobody Ltd\.` is not the name of another co-investor"):
        Deal.model_validate(data)


def test_bad_concert_name_is_a_clean_cli_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The CLI reports it with the file and exits 2 (no traceback)."""
    text = CONSORTIUM.read_text().replace("concert_with: []", "concert_with: [Nobody]", 1)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(DealError):
        load(bad)
    code = main(["screen", str(bad), "--no-store"])
    _, err = capsys.readouterr()
    assert code == 2 and "bad.yaml" in err and "Nobody" in err and "Traceback" not in err


def test_outputs_show_members(rulebook: Any) -> None:
    """Text and JSON show each member's duty; output is byte-for-byte deterministic."""
    result = screen(load_deal(CONSORTIUM), rulebook=rulebook)
    text = render_text(result)
    assert "CONSORTIUM  3 investors" in text
    assert "Huaneng Storage Investment Co., Ltd. (co_investors[0], CN, 25% of the votes)" in text
    assert "800.403(a)" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    again = render_json(screen(load_deal(CONSORTIUM), rulebook=rulebook))
    assert render_json(result) == again
    members = json.loads(again)["consortium"]["members"]
    assert [m["verdict"] for m in members] == ["filing_advised", "filing_required", "clear"]


def test_batch_gives_the_same_result(rulebook: Any) -> None:
    """screen_many (bulk review) screens the members too."""
    deal = load_deal(CONSORTIUM)
    one = screen(deal, rulebook=rulebook)
    (many,) = screen_many([deal], rulebook=rulebook)
    assert render_json(one) == render_json(many)


def test_store_verify_and_replay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A consortium screening is recorded, verifies and replays exactly (members recomputed)."""
    db = f"sqlite:///{tmp_path / 'audit.db'}"
    assert main(["screen", str(CONSORTIUM), "--db", db, "--format", "json"]) == 0
    assert main(["audit", "verify", "--db", db]) == 0
    assert main(["audit", "replay", "1", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "reproduced exactly" in out and "still filing_required" in out


_UNKNOWN_OR = st.sampled_from  # a value from the list, None among them = unknown


@settings(max_examples=15)
@given(
    voting=st.one_of(st.none(), st.integers(0, 60)),
    seats=_UNKNOWN_OR([None, 0, 1, 4]),
    mnpti=_UNKNOWN_OR([None, False, True]),
    passive=_UNKNOWN_OR([None, False, True]),
    concert=_UNKNOWN_OR([None, False, True]),
    gov=_UNKNOWN_OR([None, 0, 30, 100]),
)
def test_member_floor_and_ceiling(
    rulebook: Any,
    voting: int | None,
    seats: int | None,
    mnpti: bool | None,
    passive: bool | None,
    concert: bool | None,
    gov: int | None,
) -> None:
    """Whatever a member's facts, the deal is never below the lead alone; floors stay below
    ceilings; and settling an unknown member fact lands between that member's floor and ceiling."""
    data = _data()
    member = data["co_investors"][0]
    member["acts_in_concert"] = concert
    member.pop("concert_with")
    data["co_investors"][1].pop("concert_with")
    member["party"]["owners"] = (
        None
        if gov is None
        else [{"name": "Example State", "kind": "government", "country": "CN", "voting_pct": gov}]
    )
    member["rights"] = {
        k: v
        for k, v in {
            "voting_pct": voting,
            "board_seats": seats,
            "board_size": 7,
            "mnpti_access": mnpti,
            "passive_undertaking": passive,
        }.items()
        if v is not None
    }
    single = copy.deepcopy(data)
    for co in single["co_investors"]:
        co.pop("rights")
    result = _screen(data, rulebook)
    alone = _screen(single, rulebook)
    assert rank(result.verdict) >= rank(alone.verdict)
    c = result.consortium
    assert c is not None
    assert c.verdict == max((m.verdict for m in c.members), key=rank)
    assert c.ceiling == max((m.ceiling for m in c.members), key=rank)
    for m in c.members:
        assert rank(m.verdict) <= rank(m.ceiling)
        assert m.provisional == (m.verdict != m.ceiling)
    assert result.provisional == bool(result.open_questions)
    assert rank(result.verdict) >= rank(c.verdict)
    mine = c.members[1]
    for field, values in (("mnpti_access", (False, True)), ("board_seats", (0, 4))):
        if field in member["rights"]:
            continue
        for value in values:
            settled = copy.deepcopy(data)
            settled["co_investors"][0]["rights"][field] = value
            got = _screen(settled, rulebook).consortium
            assert got is not None
            level = got.members[1].verdict
            assert rank(mine.verdict) <= rank(level) <= rank(mine.ceiling), (field, value)


def test_check_names_member_facts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`dealscreen check` lists a member's unknown facts under its co-investor entry."""
    text = CONSORTIUM.read_text()
    start = text.index("    rights:\n      voting_pct: 25")
    end = text.index("  - party:\n      name: Sakura")
    path = tmp_path / "member-unknown.yaml"
    path.write_text(text[:start] + "    rights: {}\n" + text[end:])
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert ": co-investor 0: " in out


def test_html_report_carries_members(tmp_path: Path) -> None:
    """The HTML review report embeds each member's duty and shows it in the deal's detail."""
    out = tmp_path / "report.html"
    code = main(["review", str(CONSORTIUM), "--format", "html", "--out", str(out), "--no-store"])
    assert code == 0
    page = out.read_text()
    assert "Consortium: each foreign investor" in page
    assert '"consortium"' in page and "Huaneng Storage Investment Co., Ltd." in page


def test_templates_offer_the_new_blocks(capsys: pytest.CaptureFixture[str]) -> None:
    """`dealscreen new` shows member rights, concert and the supply terms, commented."""
    assert main(["new", "equity_stake"]) == 0
    out = capsys.readouterr().out
    assert "# concert_with:" in out and "# rights:  # what this co-investor itself" in out
    assert main(["new", "supply_partnership"]) == 0
    out = capsys.readouterr().out
    for term in ("prepayment_usd", "security_interest", "exclusive", "volume_share_pct"):
        assert f"# {term}:" in out
    assert "# know_how_to_investor:" in out and "# licence_from_investor:" in out


def test_memo_shows_members_and_the_combined_action(rulebook: Any) -> None:
    """The memo is rebuilt on the combined verdicts and lists each member's duty."""
    from screening.engine.explain import render_memo

    result = screen(load_deal(CONSORTIUM), rulebook=rulebook)
    assert result.summary is not None
    assert result.summary.verdict == "filing_required"
    actions = {a.regime: a for a in result.summary.actions}
    assert actions["cfius_800"].rule_id == "cfius.mandatory.gov_substantial_interest"
    memo = render_memo(result)
    assert "## Each foreign investor's own CFIUS duty" in memo
    assert (
        "**filing_required** · Huaneng Storage Investment Co., Ltd. (co\\_investors\\[0\\])" in memo
    )
    assert "**clear** · Sakura Trading Corporation" in memo


HARBORLINE = FIXTURES / "harborline-wuxi-jinghong-supercomputer-stake.yaml"


def test_us_member_is_screened_for_outbound(rulebook: Any) -> None:
    """Review I, finding 1: a U.S. member behind a foreign lead owes its own part 850 duty.

    Harborline's 8% of a supercomputer maker (850.224(f)) is prohibited when Harborline buys
    alone; behind a Singapore lead, as a consortium member, it is still prohibited: the outbound
    prohibitions bind each U.S. person that undertakes a covered transaction (850.210, 850.302).
    """
    data: dict[str, Any] = load_deal(HARBORLINE).model_dump(mode="json", exclude_none=True)
    data.pop("expected", None)
    us_firm = data["investor"]
    data["investor"] = {
        "name": "Lion City Growth Pte. Ltd.",
        "kind": "company",
        "country": "SG",
        "principal_place_of_business": "SG",
        "owners": [],
        "disqualifiers": [],
    }
    data["rights"] = {**data["rights"], "voting_pct": 20, "equity_pct": 20}
    data["co_investors"] = [
        {"party": us_firm, "acts_in_concert": False, "rights": {**data["rights"], "voting_pct": 8}}
    ]
    data["co_investors"][0]["rights"]["equity_pct"] = 8
    result = _screen(data, rulebook)
    assert result.consortium is not None
    member = result.consortium.members[1]
    assert member.name == "Harborline Capital Partners LLC"
    assert member.verdict == "prohibited" and "outbound.prohibited" in member.rules
    assert result.regimes["outbound_850"].verdict == "prohibited"
    assert result.verdict == "prohibited"
    # A member that is not a U.S. person is screened for CFIUS only.
    data["co_investors"][0]["party"] = {**us_firm, "country": "SG"}
    other = _screen(data, rulebook)
    assert other.consortium is not None
    assert rank(other.regimes["outbound_850"].verdict) < rank("prohibited")


def test_co_investor_that_may_acquire_raises_the_ceiling(rulebook: Any) -> None:
    """Review I, finding 2: a co-investor with a voting stake and no `rights` may be a party
    acquiring (800.236(a)(1), 800.401(a)): its duty bounds the ceiling, not the floor, and the
    deal asks whether it acquires."""
    data = _data()
    huaneng = data["co_investors"][0]
    huaneng.pop("rights")
    huaneng["voting_pct"] = 25
    result = _screen(data, rulebook)
    assert result.verdict == "filing_advised"
    assert result.regimes["cfius_800"].ceiling == "filing_required" and result.provisional
    asked = [q for q in result.open_questions if q.rule_id == "consortium.acquires_in_deal"]
    assert [q.unknown_facts for q in asked] == [["co_investors[0].acquires_in_deal"]]
    assert asked[0].outcome == "filing_required" and "800.236(a)(1)" in asked[0].citation
    assert result.consortium is not None
    member = result.consortium.members[1]
    assert (member.verdict, member.ceiling) == ("clear", "filing_required")
    # Recorded as an existing holder: not screened as a member, no question.
    huaneng["acquires_in_deal"] = False
    held = _screen(data, rulebook)
    assert held.consortium is not None and len(held.consortium.members) == 2
    assert not [q for q in held.open_questions if q.rule_id == "consortium.acquires_in_deal"]
    # Recorded as acquiring, rights not known: a member whose rights are not known.
    huaneng["acquires_in_deal"] = True
    taking = _screen(data, rulebook)
    assert taking.regimes["cfius_800"].ceiling == "filing_required"
    huaneng["rights"] = {}
    huaneng["acquires_in_deal"] = False
    with pytest.raises(ValueError, match=r"co_investors\[0\]: `rights` is what it acquires"):
        Deal.model_validate(data)


def test_same_state_instrumentalities_concert_unknown(rulebook: Any) -> None:
    """Review I, finding 3: two PRC state-owned members (25% and 30%, both under SASAC) that
    each say they act alone may still control together: 800.208(b) weighs "whether they are
    agencies or instrumentalities of the national or subnational governments of a single
    foreign state". 55% under one state could be a covered control transaction with a
    government substantial interest (800.401(b)(1)): ceiling filing_required, open question."""
    data = _data()
    huaneng = data["co_investors"][0]
    huaneng["rights"].update(board_seats=0, passive_undertaking=True)
    gorges = copy.deepcopy(huaneng)
    gorges["party"]["name"] = "Three Gorges Storage Capital Co., Ltd."
    gorges["party"]["owners"][0]["name"] = "China Three Gorges Corporation"
    gorges["rights"].update(voting_pct=30, equity_pct=30)
    data["co_investors"][1] = gorges
    result = _screen(data, rulebook)
    assert result.regimes["cfius_800"].ceiling == "filing_required"
    asked = [
        q for q in result.open_questions if q.rule_id == "consortium.same_state_instrumentalities"
    ]
    assert len(asked) == 1 and asked[0].citation == "31 CFR 800.208(b)"
    assert asked[0].could_raise_to == "filing_required"  # stored results hash it (audit chain)
    assert asked[0].unknown_facts == [
        "co_investors[0].concert_with",
        "co_investors[1].concert_with",
    ]
    assert _concert(CoInvestor(**huaneng), CoInvestor(**gorges)) is None
    # Different states: each saying it acts alone settles it.
    gorges["party"]["country"] = "JP"
    gorges["party"]["kind"] = "company"
    gorges["party"]["owners"] = []
    assert _concert(CoInvestor(**huaneng), CoInvestor(**gorges)) is False


# A member's position before the deal: example 800.304(f)(2) (member prior holdings).

_OBSERVER_ONLY = {
    "voting_pct": 9,
    "equity_pct": 9,
    "board_seats": 0,
    "board_size": 7,
    "board_observer": True,
    "board_nomination_right": False,
    "mnpti_access": False,
    "involvement": [],
    "control_matters": [],
    "passive_undertaking": False,
}
_CLEARED_4PCT_OBSERVER = {
    "rights": {**_OBSERVER_ONLY, "voting_pct": 4, "equity_pct": 4},
    "clearances": [{"kind": "covered_investment", "cleared_on": "2024-05-01"}],
}


def _sakura_tops_up(prior: dict[str, Any] | None, held_before: bool | None) -> dict[str, Any]:
    """The GridStore consortium with Sakura (JP, not excepted) taking 9% with an observer."""
    data = _data()
    sakura = data["co_investors"][1]
    sakura.pop("held_before", None)
    sakura["rights"] = dict(_OBSERVER_ONLY)
    if prior is not None:
        sakura["prior"] = prior
    if held_before is not None:
        sakura["held_before"] = held_before
    return data


def _sakura(result: Any) -> Any:
    assert result.consortium is not None
    return next(m for m in result.consortium.members if m.position == 1)


def test_member_topping_up_a_cleared_stake_is_not_a_covered_investment(rulebook: Any) -> None:
    """Example 800.304(f)(2): CFIUS concluded action on a 4% covered investment with board
    observer rights in an unaffiliated TID U.S. business; the foreign person buys 5% more
    (to 9%) with no additional access, rights or involvement - "the proposed transaction is
    not a covered investment". Recorded as a consortium member's own `prior`, the member's
    screening says so; a new member (held nothing before) with the same rights makes one."""
    topped_up = _screen(_sakura_tops_up(_CLEARED_4PCT_OBSERVER, None), rulebook)
    member = _sakura(topped_up)
    assert (member.verdict, member.ceiling) == ("clear", "clear")
    assert member.rules == []
    own = screen(
        member_record(Deal.model_validate(_sakura_tops_up(_CLEARED_4PCT_OBSERVER, None)).root, 1),
        rulebook=rulebook,
    )
    assert "cfius.not_covered.follow_on_no_new_rights" in own.fired
    assert "cfius.covered_investment" not in own.fired

    new = _sakura(_screen(_sakura_tops_up(None, False), rulebook))
    assert new.verdict == "filing_advised"  # a covered investment in a critical-infrastructure TID
    assert new.ceiling == "filing_advised"

    # A new 800.211(b) right (a board seat) makes the top-up a covered investment (800.303(d)(4)).
    seat = _sakura_tops_up(_CLEARED_4PCT_OBSERVER, None)
    seat["co_investors"][1]["rights"]["board_seats"] = 1
    assert _sakura(_screen(seat, rulebook)).verdict == "filing_advised"


def test_member_prior_not_recorded_is_unknown_not_none(rulebook: Any) -> None:
    """With neither `prior` nor `held_before: false`, the member may be topping up a cleared
    stake (800.304(f)(2)) or one whose control CFIUS cleared (800.305): its covered
    transaction is open - floor below it, ceiling at it - and the deal asks about its own
    earlier position, named by its co-investor entry. Never counted as holding nothing."""
    result = _screen(_sakura_tops_up(None, None), rulebook)
    member = _sakura(result)
    assert member.verdict == "clear" and member.ceiling == "filing_advised"
    assert member.provisional
    record = member_record(Deal.model_validate(_sakura_tops_up(None, None)).root, 1)
    assert record.prior is not None and record.prior.clearances is None
    own = screen(record, rulebook=rulebook)
    facts = {f for q in own.open_questions for f in q.unknown_facts}
    assert {"deal.prior_investment_clearance", "deal.new_trigger_rights"} <= facts
    assert "cfius.covered" in member.open_questions
    # held_before: true without `prior` is the same: what it held is not known.
    again = _sakura(_screen(_sakura_tops_up(None, True), rulebook))
    assert (again.verdict, again.ceiling) == ("clear", "filing_advised")


def test_member_prior_contradicting_held_before_is_refused() -> None:
    """`prior` with `held_before: false` contradicts itself: a located validation error."""
    data = _sakura_tops_up(_CLEARED_4PCT_OBSERVER, False)
    with pytest.raises(ValueError, match=r"co_investors\[1\]: `prior` is what it held before"):
        Deal.model_validate(data)
