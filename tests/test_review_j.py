"""Review J: under-calls in the outbound (31 CFR 850) and data security (28 CFR 202) regimes.

Each case is one of the reviewer's records (notes/review-J.md, /tmp/rvJ/), rebuilt here from the
shipped fixture it was made from, and names the paragraph it tests. Every case failed before the
fix: the regime came out lower than the regulation gives, or `clear` with no open question.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from screening import screen
from screening.facts.derive import derive
from screening.facts.sections.base import AtLeast
from screening.model.deal import Deal
from tests.conftest import FIXTURES


def fixture(name: str, **changes: Any) -> dict[str, Any]:
    """A shipped fixture as a dict, without its expectations, with top-level changes."""
    data = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())
    data.pop("expected", None)
    data.update(changes)
    return data


def run(data: dict[str, Any], rulebook: Any, regime: str) -> tuple[str, str, set[str], Any]:
    result = screen(Deal.model_validate(data).root, rulebook=rulebook)
    reg = result.regimes[regime]
    fired = {h.rule_id for h in result.hits if not h.suppressed_by}
    return reg.verdict, reg.ceiling, fired, result


GRANITE = "granite-fund-mature-node-designer"
FAB_14 = {"activities": ["ic_fabrication"], "fabricated_ic_types": ["logic"], "logic_node_nm": 14}


# ------------------------------------------------------------------------------------------
# Finding 1: 850.224(m) lists unknown when not recorded; the target's own lists count


def test_unrecorded_target_lists_are_unknown_not_empty(rulebook: Any) -> None:
    """850.224(m): lists nobody recorded leave the prohibition open (rvJ f1_lists_missing)."""
    data = fixture(GRANITE)
    del data["outbound"]["target_lists"]
    verdict, ceiling, _, result = run(data, rulebook, "outbound_850")
    assert (verdict, ceiling) == ("filing_required", "prohibited")
    assert any(
        q.rule_id == "outbound.prohibited.listed_party"
        and "outbound.target_lists" in q.unknown_facts
        for q in result.open_questions
    )


def test_target_party_lists_reach_850_224_m(rulebook: Any) -> None:
    """850.224(m)(1): an Entity-List target declared on the party record (rvJ f1b)."""
    data = fixture(GRANITE)
    del data["outbound"]["target_lists"]
    data["target"]["lists"] = ["bis_entity_list"]
    verdict, _, fired, _ = run(data, rulebook, "outbound_850")
    assert verdict == "prohibited"
    assert "outbound.prohibited.listed_party" in fired


def test_recorded_empty_lists_still_settle_the_question(rulebook: Any) -> None:
    """850.224(m): `target_lists: []` is a recorded fact; the fixture stays filing_required."""
    verdict, ceiling, _, _ = run(fixture(GRANITE), rulebook, "outbound_850")
    assert (verdict, ceiling) == ("filing_required", "filing_required")


# ------------------------------------------------------------------------------------------
# Finding 2: no outbound block - controlled foreign entity, target held by PRC persons

CAYMAN_VEHICLE = {
    "name": "Granite Cayman Holdings Ltd.",
    "kind": "company",
    "country": "KY",
    "principal_place_of_business": "KY",
    "owners": [
        {"name": "Granite US Parent Inc.", "kind": "company", "country": "US", "voting_pct": 100}
    ],
    "disqualifiers": [],
}


def test_cfe_without_outbound_block_is_open(rulebook: Any) -> None:
    """850.206, 850.302: a U.S. parent's Cayman vehicle buying into a PRC chip designer is not
    clear without an outbound block (rvJ f3_cfe_no_outbound)."""
    data = fixture(GRANITE, kind="equity_stake", investor=CAYMAN_VEHICLE)
    del data["outbound"]
    verdict, ceiling, fired, _ = run(data, rulebook, "outbound_850")
    assert "outbound.us_person" in fired
    assert verdict == "clear" and ceiling == "prohibited"


def test_target_held_by_prc_company_is_a_person_of_a_country_of_concern(rulebook: Any) -> None:
    """850.221(d): a Cayman target 100% held by a PRC company (rvJ f3b_ky_target_cn_ppb)."""
    target = {
        "name": "Lingxin Holdings (Cayman) Ltd.",
        "country": "KY",
        "owners": [
            {"name": "Shanghai Lingxin Co.", "kind": "company", "country": "CN", "voting_pct": 100}
        ],
        "interstate_commerce": False,
    }
    data = fixture(GRANITE, kind="equity_stake", target=target)
    del data["outbound"]
    deal = Deal.model_validate(data).root
    view = derive(deal, rulebook.references, dt.date(2025, 7, 10))
    assert view.get("outbound.coc_person") is True
    assert view.get("outbound.recorded") is None
    _, ceiling, _, _ = run(data, rulebook, "outbound_850")
    assert ceiling == "prohibited"
    # With the outbound block, the recorded owners settle 850.221 without target_coc_owned_pct.
    data = fixture(GRANITE, target=target)
    data["outbound"] |= FAB_14 | {"activities": ["ic_fabrication"]}
    verdict, _, _, _ = run(data, rulebook, "outbound_850")
    assert verdict == "prohibited"


def test_non_us_target_without_block_is_unknown(rulebook: Any) -> None:
    """850.221(b): a Singapore target may be headquartered in the PRC; nothing records it."""
    target = {"name": "SG Chips Pte.", "country": "SG", "interstate_commerce": False}
    data = fixture(GRANITE, kind="equity_stake", target=target)
    del data["outbound"]
    view = derive(Deal.model_validate(data).root, rulebook.references, dt.date(2025, 7, 10))
    assert view.get("outbound.coc_person") is None
    assert isinstance(view.get("outbound.target_lists"), AtLeast)


# ------------------------------------------------------------------------------------------
# Finding 5: rights beyond standard minority protections


def test_listed_shares_with_control_or_mnpti_are_not_excepted(rulebook: Any) -> None:
    """850.501(a)(2): control and MNPTI access are beyond the six protections (rvJ f5, f5b)."""
    for rights in ({"control": True, "mnpti_access": True}, {"mnpti_access": True}):
        data = fixture("atlas-hk-listed-chipmaker-shares")
        data["rights"] = data["rights"] | rights
        verdict, _, fired, _ = run(data, rulebook, "outbound_850")
        assert verdict == "prohibited", rights
        assert "outbound.exempt.public_securities" not in fired


def test_dsp_listed_shares_with_control_are_an_investment_agreement(rulebook: Any) -> None:
    """28 CFR 202.228(b)(3): a stipulated control right is beyond minority protections (rvJ d3)."""
    data = fixture("nanhai-am-cardiomed-listed-4pct")
    data["rights"] = data["rights"] | {"control": True}
    view = derive(Deal.model_validate(data).root, rulebook.references, dt.date(2026, 3, 31))
    assert view.get("data.beyond_minority_protections") is True
    _, _, fired, _ = run(data, rulebook, "dsp_202")
    assert "dsp.passive_investment_excluded" not in fired
    assert "dsp.investment_agreement" in fired


# ------------------------------------------------------------------------------------------
# Finding 6: knowledge recorded as false


def test_knowledge_false_after_completion_is_an_850_403_notification(rulebook: Any) -> None:
    """850.403, 850.404(c): the record states the facts, so the U.S. person knows them by the
    screening date; after completion it notifies within 30 days (rvJ f2_knows_false)."""
    data = fixture(GRANITE)
    data["outbound"] |= FAB_14 | {"knows_relevant_facts": False}
    verdict, _, fired, result = run(data, rulebook, "outbound_850")
    assert verdict == "filing_required"
    assert "outbound.post_transaction_knowledge" in fired
    hit = next(h for h in result.hits if h.rule_id == "outbound.post_transaction_knowledge")
    assert "2025-08-09" in hit.explanation  # screened on completion, 2025-07-10, + 30 days


def test_knowledge_false_before_completion_is_knowledge(rulebook: Any) -> None:
    """850.216, 850.104(b): screened before completion, the record's facts are known at the time
    of the transaction: a 14 nm fab is prohibited."""
    data = fixture(GRANITE)
    data["outbound"] |= FAB_14 | {"knows_relevant_facts": False}
    deal = Deal.model_validate(data).root
    result = screen(deal, rulebook=rulebook, as_of=dt.date(2025, 6, 15))
    assert result.regimes["outbound_850"].verdict == "prohibited"


# ------------------------------------------------------------------------------------------
# Finding 7: the employee-compensation exception is an individual's


def test_employee_compensation_exception_needs_an_individual(rulebook: Any) -> None:
    """850.501(f): "receipt of employment compensation by an individual" (rvJ f8)."""
    data = fixture(GRANITE)
    data["outbound"]["employee_compensation"] = True
    verdict, _, fired, _ = run(data, rulebook, "outbound_850")
    assert verdict == "filing_required"
    assert "outbound.exempt.employee_compensation" not in fired


# ------------------------------------------------------------------------------------------
# Finding 3: bulk aggregated across datasets (28 CFR 202.205)

HELIXA = "helixa-genomes-sale-shenzhen"


def _split(distinct: bool | None) -> dict[str, Any]:
    data = fixture(HELIXA)
    dtx = data["data_transaction"]
    dtx["agreements"] = ["vendor"]
    dtx["counterparty_access"] = True
    dtx["biospecimens"] = False
    dtx["cisa_compliant"] = True
    dtx["datasets"] = [
        {"description": "genomes, batch A", "categories": ["human_genomic"], "count": 90},
        {"description": "genomes, batch B", "categories": ["human_genomic"], "count": 90},
    ]
    if distinct is not None:
        dtx["datasets_distinct"] = distinct
    return data


def test_bulk_is_aggregated_across_datasets(rulebook: Any) -> None:
    """202.205 ("aggregated across covered data transactions"), 202.303: two genomic datasets
    of 90 distinct persons are 180 > 100 (rvJ d1_split_datasets vs d1b_one_dataset)."""
    verdict, _, fired, _ = run(_split(True), rulebook, "dsp_202")
    assert verdict == "prohibited"
    assert "dsp.prohibited.omic" in fired


def test_possibly_overlapping_datasets_leave_bulk_open(rulebook: Any) -> None:
    """202.205: 90 and 90 persons who may be the same are 90 to 180: unknown, not clear."""
    verdict, ceiling, _, result = run(_split(None), rulebook, "dsp_202")
    assert ceiling == "prohibited"
    assert verdict != "prohibited"
    assert any(q.rule_id == "dsp.prohibited.omic" for q in result.open_questions)


# ------------------------------------------------------------------------------------------
# Finding 9: real estate is an investment agreement (28 CFR 202.228(a)(1))


def test_real_estate_is_an_investment_agreement(rulebook: Any) -> None:
    """202.228(a)(1): an ownership interest in "Real estate located in the United States"."""
    data = fixture(HELIXA)
    view = derive(
        Deal.model_validate(
            {
                **{k: data[k] for k in ("id", "name", "investor", "target", "completion_date")},
                "kind": "real_estate",
                "rights": {},
                "data_transaction": {"agreements": [], "counterparty_access": True},
            }
        ).root,
        rulebook.references,
        dt.date(2025, 6, 30),
    )
    assert view.get("data.investment") is True


# ------------------------------------------------------------------------------------------
# Finding 4: a foreign consortium member that is a covered person (28 CFR 202.210, 202.211)


def test_covered_person_co_investor_is_screened_for_part_202(rulebook: Any) -> None:
    """202.210, 202.211(a)(1), 202.228, 202.401: a PRC co-investor with 15% and an observer,
    with access to 3.2M devices' geolocation, is a restricted transaction whatever the lead is
    (rvJ d2_prc_co_investor: a Singapore lead at 10%, passive)."""
    data = fixture("qiantu-trailway-15pct-observer")
    qiantu = {"party": data["investor"], "rights": data["rights"], "acts_in_concert": False}
    data["investor"] = {
        "name": "Lion City Growth Pte. Ltd.",
        "kind": "company",
        "country": "SG",
        "principal_place_of_business": "SG",
        "lists": [],
        "owners": [
            {
                "name": "Tan Wei Ming",
                "kind": "individual",
                "country": "SG",
                "voting_pct": 100,
                "equity_pct": 100,
            }
        ],
    }
    data["rights"] = data["rights"] | {
        "voting_pct": 10,
        "equity_pct": 10,
        "board_observer": False,
        "passive_undertaking": True,
    }
    data["co_investors"] = [qiantu]
    verdict, ceiling, _, _ = run(data, rulebook, "dsp_202")
    assert verdict == "filing_advised"
    assert ceiling == "prohibited"  # CISA requirements not decided (202.401)


# ------------------------------------------------------------------------------------------
# Finding 8: the LP route's completion date is the fund's (31 CFR 850.204(b))


def test_lp_route_due_date_names_the_funds_completion_date(rulebook: Any) -> None:
    """850.204(b): for 850.210(a)(6) the completion date is when the interest in the covered
    foreign person is transferred to the fund; the derivation says to record that date."""
    data = fixture("sierra-lp-5m-frontier-model")
    view = derive(Deal.model_validate(data).root, rulebook.references, dt.date(2025, 6, 30))
    assert "850.204(b)" in view.derivations["outbound.notification_due"]
