"""Deal records: the typed input of a screening (pydantic v2).

A deal is one of several kinds (a discriminated union on ``kind``). Every fact a record leaves out
is ``None``: unknown, which is never the same as false or zero. Lists that are ``None`` are
unknown too; an empty list says "none". Percentages and money are ``Decimal``.

The field descriptions are the glossary of the deal format; ``dealscreen schema`` prints them as a
JSON Schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, model_validator

from screening.model.basetypes import Count, Country, Record
from screening.model.ext.apps import App, ConnectedVehicle
from screening.model.ext.data import DataTransaction
from screening.model.ext.defense import DefenseSupply
from screening.model.ext.energy import EnergyCredit
from screening.model.ext.exports import TechnologyRelease
from screening.model.ext.farmland import Farmland
from screening.model.ext.offtake import SupplyTerms
from screening.model.ext.outbound import Outbound
from screening.model.ext.padfa import DataBrokerage
from screening.model.ext.site import Site
from screening.model.ext.supply import SupplyChain
from screening.model.numbers import MilesValue, MoneyValue, PercentValue

# --------------------------------------------------------------------------------------------
# Vocabularies


class PartyKind(StrEnum):
    """What sort of person or body a party is."""

    company = "company"
    individual = "individual"
    fund = "fund"
    government = "government"
    state_owned_enterprise = "state_owned_enterprise"


class RestrictedList(StrEnum):
    """Restricted-party lists a party can be on."""

    bis_entity_list = "bis_entity_list"
    bis_unverified_list = "bis_unverified_list"
    bis_meu_list = "bis_meu_list"
    ofac_sdn = "ofac_sdn"
    ns_cmic = "ns_cmic"
    dod_1260h = "dod_1260h"
    uflpa_entity_list = "uflpa_entity_list"
    fcc_covered_list = "fcc_covered_list"


class Disqualifier(StrEnum):
    """Events in the prior five years that disqualify an excepted investor, 31 CFR 800.219(c)."""

    cfius_misstatement_or_breach = "cfius_misstatement_or_breach"
    presidential_action = "presidential_action"
    ofac_violation = "ofac_violation"
    ddtc_debarment = "ddtc_debarment"
    bis_order = "bis_order"
    nnsa_810_penalty = "nnsa_810_penalty"
    us_felony = "us_felony"


class ControlMatter(StrEnum):
    """The important matters of 31 CFR 800.208(a)(1)-(10) a party can determine or veto."""

    sale_of_principal_assets = "sale_of_principal_assets"
    reorganization_merger_dissolution = "reorganization_merger_dissolution"
    facilities = "facilities"
    major_expenditures_budget = "major_expenditures_budget"
    new_business_lines = "new_business_lines"
    significant_contracts = "significant_contracts"
    proprietary_information_policy = "proprietary_information_policy"
    officers_senior_managers = "officers_senior_managers"
    sensitive_technology_employees = "sensitive_technology_employees"
    organizational_documents = "organizational_documents"


class MinorityProtection(StrEnum):
    """The minority-shareholder protections of 31 CFR 800.208(c) that do not confer control."""

    veto_sale_of_substantially_all_assets = "veto_sale_of_substantially_all_assets"
    veto_contracts_with_majority_investors = "veto_contracts_with_majority_investors"
    veto_guarantees_for_majority_investors = "veto_guarantees_for_majority_investors"
    preemptive_anti_dilution = "preemptive_anti_dilution"
    veto_class_rights_changes = "veto_class_rights_changes"
    veto_charter_amendments_on_these = "veto_charter_amendments_on_these"


class InvolvementArea(StrEnum):
    """Areas of substantive decision-making, 31 CFR 800.211(b)(3)."""

    sensitive_personal_data = "sensitive_personal_data"
    critical_technologies = "critical_technologies"
    critical_infrastructure = "critical_infrastructure"


class CriticalTechnologyBasis(StrEnum):
    """The categories of critical technologies, 31 CFR 800.215(a)-(f)."""

    usml = "usml"
    ccl_multilateral = "ccl_multilateral"
    doe_part_810 = "doe_part_810"
    nrc_part_110 = "nrc_part_110"
    select_agent = "select_agent"
    ecra_1758 = "ecra_1758"


class LicenseException(StrEnum):
    """EAR licence exceptions that matter for the 800.401(e)(6) carve-out (and others)."""

    TSU = "TSU"
    ENC = "ENC"
    STA = "STA"
    other = "other"
    none = "none"


class InfrastructureFunction(StrEnum):
    """The column-2 functions of Appendix A to part 800."""

    own = "own"
    operate = "operate"
    manufacture = "manufacture"
    service = "service"
    supply = "supply"


class DataCategory(StrEnum):
    """Categories of identifiable data, 31 CFR 800.241(a)(1)(ii)(A)-(J)."""

    financial_distress = "financial_distress"
    consumer_report = "consumer_report"
    insurance_application = "insurance_application"
    health = "health"
    private_communications = "private_communications"
    geolocation = "geolocation"
    biometric = "biometric"
    government_id = "government_id"
    clearance_status = "clearance_status"
    clearance_application = "clearance_application"


# --------------------------------------------------------------------------------------------
# Parties and ownership


class Controller(Record):
    """A person that controls a party other than through a recorded stake (31 CFR 800.208).

    Record it when who controls an entity is known but the stake is not (a founder holding
    super-voting shares, a state that appoints the board by statute, a GP of a fund), so that
    foreign-person status (800.224) and ties to a country of concern can be traced.
    """

    name: str = Field(
        description="the controlling person's name as in the source", min_length=1, max_length=200
    )
    kind: PartyKind = Field(description="what sort of person or body the controller is")
    country: Country | None = Field(
        None, description="country of organization (entities) or nationality (individuals)"
    )
    principal_place_of_business: Country | None = Field(
        None, description="an entity's principal place of business (800.239)"
    )
    nationalities: list[Country] | None = Field(
        None, description="every nationality of an individual; None = unknown"
    )
    residences: list[Country] | None = Field(
        None,
        description="countries an individual resides in (permanent or habitual); None = unknown",
    )
    controlled_by: Controller | None = Field(
        None, description="who in turn controls this controller, if it is an entity; None = unknown"
    )


class Owner(Record):
    """A holder of an interest in a party, with its own owners (an ownership chain)."""

    name: str = Field(
        description="the holder's name as in the source", min_length=1, max_length=200
    )
    kind: PartyKind = Field(description="what sort of person or body the holder is")
    country: Country | None = Field(
        None, description="country of organization (entities) or nationality (individuals)"
    )
    principal_place_of_business: Country | None = Field(
        None, description="an entity owner's principal place of business (800.239); None = unknown"
    )
    nationalities: list[Country] | None = Field(
        None, description="every nationality of an individual owner; None = unknown"
    )
    residences: list[Country] | None = Field(
        None, description="countries an individual owner resides in; None = unknown"
    )
    controlled_by: Controller | None = Field(
        None, description="who controls this owner, when known but not through a recorded stake"
    )
    board_us_or_excepted_pct: PercentValue | None = Field(
        None,
        description=(
            "for a parent of the investor: share of its board members and observers who are U.S. "
            "or excepted-state nationals (800.219(a)(3)(iii))"
        ),
    )
    minimum_excepted_ownership_met: bool | None = Field(
        None, description="for a parent of the investor: 800.219(a)(3)(v) is met"
    )
    disqualifiers: list[Disqualifier] | None = Field(
        None, description="for a parent of the investor: 800.219(c)(1) events; [] = none"
    )
    voting_pct: PercentValue | None = Field(
        None, description="voting interest held in the owned party"
    )
    equity_pct: PercentValue | None = Field(
        None, description="equity interest held in the owned party"
    )
    is_general_partner: bool | None = Field(
        None, description="the owner is the general partner or managing member of the owned fund"
    )
    lists: list[RestrictedList] | None = Field(
        default_factory=list,
        description="restricted lists it is on; omitted or [] = none, null = not known (rules "
        "that need it stay open questions)",
    )
    owners: list[Owner] | None = Field(
        None, max_length=50, description="this owner's own holders; None = unknown, [] = none"
    )
    owners_complete: bool = Field(
        True,
        description="false: the owners listed are known holders and others may exist (the rest "
        "of the interest stays unknown); true (the default): the list is every holder",
    )


class Clearance(Record):
    """A prior CFIUS action on a deal by the same investor in the same target."""

    kind: Literal["control", "covered_investment"] = Field(
        description="what CFIUS cleared: control or a covered investment"
    )
    cleared_on: dt.date = Field(description="date CFIUS concluded action")
    rights: list[str] = Field(
        default_factory=list,
        description="rights cleared then: board_seat, observer, nomination, mnpti, involvement",
    )


class LimitedPartner(Record):
    """A limited partner (or equivalent) of an investment fund investor, 31 CFR 800.307.

    800.307 takes a foreign LP's *indirect* investment through the fund out of covered
    investments when all of 800.307(a)(1)-(6) hold; it never removes the fund's own investment.
    """

    name: str = Field(
        description="the limited partner's name as in the source", min_length=1, max_length=200
    )
    kind: PartyKind = Field(description="what sort of person or body the limited partner is")
    country: Country | None = Field(
        None, description="country of organization (entities) or nationality (individuals)"
    )
    principal_place_of_business: Country | None = Field(
        None, description="an entity's principal place of business (800.239); None = unknown"
    )
    nationalities: list[Country] | None = Field(
        None, description="every nationality of an individual limited partner; None = unknown"
    )
    residences: list[Country] | None = Field(
        None, description="countries an individual limited partner resides in; None = unknown"
    )
    controlled_by_foreign_person: bool | None = Field(
        None,
        description="a foreign national, government or entity controls this limited partner "
        "(800.224(a)(2), (b)); None = unknown",
    )
    controlled_by: Controller | None = Field(
        None, description="who controls this limited partner, when known but not through a stake"
    )
    owners: list[Owner] | None = Field(
        None, max_length=50, description="the limited partner's own holders; None = unknown"
    )
    owners_complete: bool = Field(
        True, description="false: others may hold the limited partner besides those listed"
    )
    equity_pct: PercentValue | None = Field(None, description="share of the fund's commitments")
    advisory_board_member: bool | None = Field(
        None, description="sits (or has a designee) on the fund's advisory board or a committee"
    )
    controls_fund: bool | None = Field(
        None,
        description=(
            "can approve or control the fund's investment decisions or the GP's decisions on "
            "portfolio companies, or dismiss, select or set the pay of the GP (800.307(a)(3)-(4))"
        ),
    )
    mnpti_access: bool | None = Field(
        None,
        description="gets material nonpublic technical information of the target (800.307(a)(5))",
    )
    portfolio_rights: bool | None = Field(
        None,
        description=(
            "gets a board seat, observer, nomination or involvement right in the target "
            "(800.211(b); 800.307(a)(6))"
        ),
    )
    ct_authorization_required: bool | None = Field(
        None,
        description=(
            "a U.S. regulatory authorization would be required to export the target's critical "
            "technology to this LP (800.401(c)(1))"
        ),
    )
    lists: list[RestrictedList] = Field(
        default_factory=list, description="restricted lists it is on; omitted or [] = none"
    )


class SanctionsScreening(Record):
    """An attested screening of a party's ownership for blocked persons (OFAC 50 Percent Rule).

    The owners list holds holders of 10% or more and may be incomplete, so small blocked stakes
    that add up to 50% cannot be ruled out from it; a compliance screening of the whole
    ownership, attested with its date, who ran it and its result, can.
    """

    date: dt.date = Field(description="date the ownership screening was completed")
    by: str = Field(
        description="who screened (firm or person, and the screening service used)",
        min_length=1,
        max_length=200,
    )
    result: Literal["no_blocked_owners", "blocked_owners_found"] = Field(
        description="no_blocked_owners: no blocked person holds any interest, directly or "
        "indirectly; blocked_owners_found: one or more does"
    )


class Party(Record):
    """The foreign investor (or a co-investor): who acquires the interest."""

    name: str = Field(description="the party's name as in the source", min_length=1, max_length=200)
    kind: PartyKind = Field(description="what sort of person or body the party is")
    country: Country | None = Field(None, description="country of organization or nationality")
    nationalities: list[Country] | None = Field(
        None, description="every nationality of an individual (800.219(a)(1))"
    )
    principal_place_of_business: Country | None = Field(
        None, description="country of the principal place of business (800.239)"
    )
    equity_primarily_traded_in: Country | None = Field(
        None, description="where the party's equity is primarily traded, if it is listed"
    )
    majority_owned_by_us_nationals: bool | None = Field(
        None, description="shown to be majority owned ultimately by U.S. nationals (800.220(b))"
    )
    controlled_by_foreign_person: bool | None = Field(
        None, description="a foreign national, government or entity controls it (800.224(b))"
    )
    controlled_by: Controller | None = Field(
        None,
        description=(
            "who controls the party when known but not through a recorded stake (800.208); "
            "None = not recorded"
        ),
    )
    residences: list[Country] | None = Field(
        None, description="countries an individual resides in; None = unknown"
    )
    owners: list[Owner] | None = Field(
        None, max_length=50, description="holders of 10% or more; None = unknown, [] = none"
    )
    owners_complete: bool = Field(
        True,
        description="false: the owners listed are known holders and others may exist (the rest "
        "of the interest stays unknown); true (the default): the list is every holder",
    )
    lists: list[RestrictedList] | None = Field(
        default_factory=list,
        description="restricted lists it is on; omitted or [] = none, null = not known (rules "
        "that need it stay open questions)",
    )
    sanctions_ownership_screened: SanctionsScreening | None = Field(
        None,
        description="an attested screening of the party's whole ownership for blocked persons "
        "(OFAC 50 Percent Rule): date, by whom, result",
    )
    us_sanctions_nexus: bool | None = Field(
        None,
        description="the party's part in the deal is subject to U.S. sanctions jurisdiction: it is "
        "a U.S. person, acts in the United States, pays or is paid in U.S. dollars through U.S. "
        "banks, uses U.S. persons or U.S.-origin goods, or is a foreign entity owned or controlled "
        "by a U.S. person (31 CFR 515.329, 560.215); None = unknown",
    )
    # Excepted investor criteria, 800.219(a)(3); apply to the party and to every parent.
    board_us_or_excepted_pct: PercentValue | None = Field(
        None, description="share of board members and observers who are U.S. or excepted nationals"
    )
    minimum_excepted_ownership_met: bool | None = Field(
        None, description="the minimum excepted ownership of 800.233 is met"
    )
    disqualifiers: list[Disqualifier] | None = Field(
        None, description="800.219(c) events in the five years before completion; [] = none"
    )
    # Funds, 800.307 and 800.401(d)(1), (e)(3)
    gp_is_foreign_person: bool | None = Field(
        None, description="for a fund: its general partner or managing member is a foreign person"
    )
    gp_ultimately_controlled_by_us_nationals: bool | None = Field(
        None,
        description=(
            "for a fund: its general partner or managing member is ultimately controlled "
            "exclusively by U.S. nationals (800.401(e)(3)(ii)(A)); a fact of its own, distinct "
            "from gp_is_foreign_person"
        ),
    )
    investment_adviser: Controller | None = Field(
        None,
        description=(
            "for a pooled fund: its investment adviser (15 U.S.C. 80b-2(a)(11)); a U.S. adviser "
            "is a parent under 31 CFR 850.219(c); None = not recorded"
        ),
    )
    limited_partners: list[LimitedPartner] | None = Field(
        None,
        max_length=200,
        description=(
            "for a fund: its limited partners with the rights each has (800.307); "
            "None = unknown, [] = none"
        ),
    )
    managed_exclusively_by_gp: bool | None = Field(
        None, description="for a fund: managed exclusively by its GP (800.307(a)(1))"
    )
    lp_advisory_board_compliant: bool | None = Field(
        None, description="foreign LPs on the advisory board meet 800.307(a)(3)-(4)"
    )
    foci_mitigated: bool | None = Field(
        None, description="operates under a DCSA FOCI mitigation instrument (800.401(e)(2))"
    )


class CoInvestor(Record):
    """Another foreign investor in the same deal."""

    party: Party = Field(description="the co-investor")
    voting_pct: PercentValue | None = Field(
        None, description="voting interest the co-investor holds after the deal"
    )
    acts_in_concert: bool | None = Field(
        None, description="acts with the investor under a formal or informal arrangement"
    )
    concert_with: list[str] | None = Field(
        None,
        description="names of the other co-investors it acts in concert with ([] = none); "
        "omitted: two co-investors that both act with the investor act together, otherwise "
        "whether they do is not known",
    )
    rights: Rights | None = Field(
        None,
        description="what this co-investor itself acquires in the deal (a consortium member): "
        "given, its own CFIUS status and filing duty are screened, with the investor and the "
        "other co-investors as its co-investors (800.401(a) applies to each foreign person that "
        "acquires); `{}` = a member whose rights are not known; omitted = not screened as a "
        "member (e.g. an existing holder or a joint-venture partner)",
    )
    acquires_in_deal: bool | None = Field(
        None,
        description="whether this co-investor acquires its interest in this deal (true) or "
        "already held it (false); given `rights`, it acquires. None = not recorded: a "
        "co-investor with a voting stake and no `rights` may be a party acquiring (800.236(a)(1), "
        "800.401(a)), so it is screened as a member whose rights are not known for the ceiling "
        "only, with an open question; true without `rights` = a member whose rights are not known",
    )
    held_before: bool | None = Field(
        None,
        description="whether this co-investor held any interest or right in the target before "
        "the deal: false = a new investor (every right new, no earlier clearance); true = see "
        "`prior`. Omitted with no `prior` = not known: a top-up of a cleared stake may not be "
        "covered (800.304(f)(2), 800.305), so a member's duty stays open",
    )
    prior: PriorPosition | None = Field(
        None,
        description="what this co-investor held before the deal (its rights, and CFIUS "
        "clearances of its earlier steps), read when it is screened as a consortium member "
        "(800.303(b), 800.304(f)(2), 800.305); omitted = not known unless `held_before: false`",
    )

    @property
    def voting(self) -> PercentValue | None:
        """Its voting interest after the deal: `voting_pct`, else `rights.voting_pct`."""
        if self.voting_pct is not None or self.rights is None:
            return self.voting_pct
        return self.rights.voting_pct


# --------------------------------------------------------------------------------------------
# The U.S. business


class CriticalTechnology(Record):
    """A critical technology (800.215) the U.S. business produces, designs, tests or develops."""

    description: str = Field(description="what the technology is", min_length=1, max_length=500)
    basis: CriticalTechnologyBasis = Field(description="800.215 category that makes it critical")
    eccn: str | None = Field(
        None,
        description='Export Control Classification Number, quoted (e.g. "3E001")',
        pattern=r"^[0-9][A-E][0-9]{3}(\.[a-z0-9.]+)?$",
    )
    usml_category: str | None = Field(
        None, description="USML category, e.g. XI(a)", pattern=r"^[IVXL]+(\([a-z0-9]+\))*$"
    )
    authorization_required: bool | None = Field(
        None,
        description=(
            "a U.S. regulatory authorization (800.254) is required to export it to the "
            "investor and its 25%-or-more foreign holders (800.401(c)(1))"
        ),
    )
    license_exception: LicenseException | None = Field(
        None, description="an EAR licence exception available for every such export"
    )
    activity_current: bool | None = Field(
        None, description="produced now, or the ability to produce is retained (800.248(d)(3))"
    )
    controlled_from: dt.date | None = Field(
        None,
        description="date the item became controlled (a critical technology); one controlled "
        "only after the earliest of signing, tender, proxy and completion does not count for "
        "this deal (800.401(c)(3))",
    )
    license_required_to: list[Country] | None = Field(
        None,
        description="countries to which exporting it needs a U.S. regulatory authorization "
        "(800.254; licence exceptions ignored, 800.401(c)(2)); the screening works out which "
        "persons need one: the investor by principal place of business (nationalities for an "
        "individual) and its 25%-or-more foreign holders (800.401(c)(1)(v), 800.256). "
        "`authorization_required`, if given, is used as stipulated",
    )


class InfrastructureRole(Record):
    """A covered investment critical infrastructure item (Appendix A) and the function performed."""

    item: str = Field(pattern=r"^(i\([ab]\)|[ivx]+)$", description="Appendix A item, e.g. xi")
    function: InfrastructureFunction = Field(
        description="the column 2 function performed (own, operate, ...)"
    )
    description: str | None = Field(None, description="the asset in plain words")


class SensitiveData(Record):
    """Sensitive personal data the U.S. business maintains or collects (800.241)."""

    categories: list[DataCategory] | None = Field(
        None, description="800.241(a)(1)(ii) categories held; [] = none"
    )
    individuals_max_12_months: Count | None = Field(
        None, description="most individuals with identifiable data held at any point in 12 months"
    )
    business_objective_over_1m: bool | None = Field(
        None, description="demonstrated business objective to hold such data on >1,000,000"
    )
    data_integral_to_products: bool | None = Field(
        None, description="the data is integral to the business's products (800.241(a)(1)(i)(B))"
    )
    targets_us_government_personnel: bool | None = Field(
        None, description="targets or tailors products to USG national-security personnel (800.247)"
    )
    genetic_test_results: bool | None = Field(
        None, description="maintains identifiable genetic test results (800.241(a)(2))"
    )


class Facility(Record):
    """A site of the U.S. business or of the deal."""

    name: str = Field(description="the site's name", min_length=1, max_length=200)
    state: str | None = Field(
        None, description="U.S. state or territory (two letters)", pattern=r"^[A-Z]{2}$"
    )
    miles_to_listed_installation: MilesValue | None = Field(
        None, description="distance to the nearest listed installation; a range if estimated"
    )


class USBusiness(Record):
    """The target: the U.S. business (or the assets) the investor acquires an interest in."""

    name: str = Field(description="the business's name", min_length=1, max_length=200)
    country: Country | None = Field(None, description="country of organization")
    naics: str | None = Field(
        None, description="NAICS code (2 to 6 digits)", pattern=r"^[0-9]{2,6}$"
    )
    interstate_commerce: bool | None = Field(
        None, description="engaged in interstate commerce in the United States (800.252)"
    )
    critical_technologies: list[CriticalTechnology] | None = Field(
        None, description="critical technologies produced, designed, tested or developed; [] = none"
    )
    infrastructure: list[InfrastructureRole] | None = Field(
        None, description="Appendix A to part 800 items and functions; [] = none"
    )
    sensitive_data: SensitiveData | None = Field(
        None, description="sensitive personal data held (800.241)"
    )
    lists: list[RestrictedList] | None = Field(
        default_factory=list,
        description="restricted lists the record declares for the target; null = not known",
    )
    sanctions_ownership_screened: SanctionsScreening | None = Field(
        None,
        description="an attested screening of the target's whole ownership for blocked persons "
        "(OFAC 50 Percent Rule): date, by whom, result",
    )
    facilities: list[Facility] | None = Field(
        None, description="sites of the business; None = unknown, [] = none"
    )
    certificated_air_carrier: bool | None = Field(
        None, description="a certificated U.S. air carrier (800.401(d)(2))"
    )
    owners: list[Owner] | None = Field(
        None,
        max_length=50,
        description=(
            "the target's holders (for the OFAC 50 Percent Rule on the target side); "
            "None = unknown, [] = none"
        ),
    )
    owners_complete: bool = Field(
        True,
        description="false: the owners listed are known holders and others may exist (the rest "
        "of the interest stays unknown); true (the default): the list is every holder",
    )


# --------------------------------------------------------------------------------------------
# Rights and terms


class Rights(Record):
    """What the foreign investor gets (or will hold) after the deal."""

    voting_pct: PercentValue | None = Field(
        None, description="voting interest the investor holds after the deal"
    )
    equity_pct: PercentValue | None = Field(
        None, description="equity interest the investor holds after the deal"
    )
    board_seats: Count | None = Field(None, description="board seats the investor appoints")
    board_size: Count | None = Field(None, description="seats on the board")
    board_observer: bool | None = Field(None, description="a board observer right (800.211(b)(2))")
    board_nomination_right: bool | None = Field(
        None, description="a right to nominate a director (800.211(b)(2))"
    )
    mnpti_access: bool | None = Field(
        None, description="access to material nonpublic technical information (800.232)"
    )
    involvement: list[InvolvementArea] | None = Field(
        None, description="involvement in substantive decision-making (800.211(b)(3))"
    )
    control_matters: list[ControlMatter] | None = Field(
        None, description="800.208(a) matters the investor can determine, direct or veto"
    )
    minority_protections: list[MinorityProtection] = Field(
        description="800.208(c) minority protections held", default_factory=list
    )
    passive_undertaking: bool | None = Field(
        None, description="held solely for passive investment (800.243)"
    )
    loan_default_control_likely: bool | None = Field(
        None, description="lending: default makes foreign control significantly possible"
    )
    # Control (800.208): counsel's conclusion, and the governance facts behind it.
    control: bool | None = Field(
        None,
        description="stipulated conclusion (e.g. counsel's) that the investor does (true) or does "
        "not (false) control the target (800.208); shown as stipulated. false settles the "
        "judgement-based indicators (vetoes, blocking, dominant minority), not a voting or "
        "board majority",
    )
    decision_threshold_pct: PercentValue | None = Field(
        None,
        description="share of votes needed to decide the 800.208(a) important matters (a "
        "supermajority such as 66.67 or 75); omitted = a simple majority, more than 50% (the "
        "corporate-law default)",
    )
    dominant_minority: bool | None = Field(
        None,
        description="the investor's minority holding is dominant (e.g. the largest, facing "
        "dispersed holders), which 800.208(a) names as a source of control",
    )
    largest_other_holder_pct: PercentValue | None = Field(
        None, description="the largest voting interest held by any one other holder"
    )


class History(Record):
    """What has already happened to the deal: closing, notice to CFIUS, mitigation."""

    closed: bool | None = Field(None, description="the deal has already closed (completed)")
    notified: bool | None = Field(
        None, description="CFIUS received a notice or declaration for this deal"
    )
    mitigation_agreement: bool | None = Field(
        None,
        description="a CFIUS mitigation agreement or condition (section 721(l)) already binds "
        "the parties for the target",
    )
    cfius_action_concluded: bool | None = Field(
        None,
        description="CFIUS advised the parties in writing that it concluded all action under "
        "section 721 on this transaction (800.407(a)(4), 800.506, 800.508(d)) or that it is not a "
        "covered transaction (800.701(b)(1)-(2)), with or without a mitigation agreement",
    )


class PriorPosition(Record):
    """What the investor held before the deal, for changes of rights and follow-on investments."""

    rights: Rights = Field(description="rights held before the deal")
    clearances: list[Clearance] | None = Field(
        description="earlier CFIUS actions on the investor's stake ([] = none, the default; "
        "null = not known)",
        default_factory=list,
    )


CoInvestor.model_rebuild()


class AssetIndicia(Record):
    """What is acquired or contributed, for whether the assets constitute a U.S. business.

    31 CFR 800.252 and 800.301(c): assets are a U.S. business when they carry on business in
    the United States (people, customers, know-how with the means to use them); a bare building,
    bare equipment or a bare licence is not (800.301(e) examples). Every fact left out is unknown.
    """

    staff: bool | None = Field(None, description="employees of the business move with the assets")
    customer_lists: bool | None = Field(
        None, description="customer lists, contracts or relationships pass with the assets"
    )
    ip_know_how: bool | None = Field(
        None, description="intellectual property, know-how or software pass with the assets"
    )
    brands: bool | None = Field(
        None, description="trade names, brands, web presence or goodwill pass with the assets"
    )
    equipment: bool | None = Field(None, description="production equipment or machinery")
    premises: bool | None = Field(None, description="a plant, office or other premises")
    inventory: bool | None = Field(None, description="inventory or work in progress")
    operating: bool | None = Field(
        None, description="the assets are operated as a business now (or were until the deal)"
    )
    months_since_operated: Count | None = Field(
        None, description="months since the assets were last operated as a business"
    )
    revivable: bool | None = Field(
        None,
        description="the business could be restarted with what is acquired (no rebuilding of "
        "staff, customers or know-how)",
    )
    in_united_states: bool | None = Field(
        None, description="the assets are located and used in the United States"
    )


class ContingentEquity(Record):
    """Convertible or contingent equity (800.207, 800.308)."""

    converts_to_voting_pct: PercentValue | None = Field(
        None, description="voting interest on conversion"
    )
    conversion_in_holders_control: bool | None = Field(
        None, description="conversion is at the holder's option (800.308)"
    )
    conversion_imminent: bool | None = Field(None, description="conversion is imminent (800.308)")


# --------------------------------------------------------------------------------------------
# Deals


class DealBase(Record):
    """Facts every deal kind has."""

    id: str = Field(
        description="stable record id (letters, digits, . _ -)",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
    )
    name: str = Field(description="a one-line name of the deal", min_length=1, max_length=300)
    description: str | None = Field(None, description="free text about the deal", max_length=5000)
    investor: Party = Field(description="the foreign investor")
    co_investors: list[CoInvestor] = Field(
        default_factory=list, max_length=50, description="other foreign investors in the deal"
    )
    co_investors_complete: bool = Field(
        True,
        description="false: the co-investors listed are known and others may exist; true (the "
        "default): the list is every other investor",
    )
    target: USBusiness = Field(description="the U.S. business (or assets) invested in")
    rights: Rights = Field(description="what the investor gets", default_factory=Rights)
    prior: PriorPosition | None = Field(
        None, description="what the investor held before (earlier steps and clearances)"
    )
    history: History | None = Field(
        None, description="what has already happened: closed, notified, mitigation"
    )
    value_usd: MoneyValue | None = Field(None, description="transaction value")
    signing_date: dt.date | None = Field(None, description="date the agreement was signed")
    completion_date: dt.date | None = Field(
        None, description="date of completion (the screening date unless given)"
    )
    tender_offer_date: dt.date | None = Field(
        None, description="date a tender offer was made, if any (800.401(c)(3))"
    )
    proxy_solicitation_date: dt.date | None = Field(
        None, description="date a proxy solicitation began, if any (800.401(c)(3))"
    )
    evasion_structure: bool | None = Field(
        None, description="structured to evade section 721, e.g. a funded straw buyer (800.213(d))"
    )
    # Facts for the regimes beyond part 800, each in its own module (screening/model/ext/).
    site: Site | None = Field(None, description="the land or facility (31 CFR part 802)")
    outbound: Outbound | None = Field(None, description="outbound investment facts (31 CFR 850)")
    data_transaction: DataTransaction | None = Field(
        None, description="access to U.S. data by the counterparty (28 CFR part 202)"
    )
    energy: EnergyCredit | None = Field(None, description="clean-energy tax credits at stake")
    supply_chain: SupplyChain | None = Field(None, description="goods supplied and their origin")
    app: App | None = Field(None, description="a consumer application or data platform (PAFACA)")
    vehicle: ConnectedVehicle | None = Field(
        None, description="connected-vehicle systems (15 CFR 791 subpart D)"
    )
    farmland: Farmland | None = Field(
        None, description="U.S. agricultural land held or acquired (AFIDA)"
    )
    export_control: TechnologyRelease | None = Field(
        None, description="technology released or items exported to the counterparty (EAR)"
    )
    data_brokerage: DataBrokerage | None = Field(
        None, description="data of U.S. individuals made available for consideration (PADFA)"
    )
    defense_supply: DefenseSupply | None = Field(
        None, description="batteries supplied to defence customers (FY2024 NDAA s.154)"
    )
    expected: dict[str, Any] | None = Field(
        None, description="fixture metadata: expected verdict and rule ids (ignored by screening)"
    )

    @model_validator(mode="after")
    def _consortium_consistent(self) -> DealBase:
        names = [co.party.name for co in self.co_investors]
        for i, co in enumerate(self.co_investors):
            for name in co.concert_with or []:
                if name not in names or name == co.party.name:
                    raise ValueError(
                        f"co_investors[{i}].concert_with: `{name}` is not the name of another "
                        "co-investor"
                    )
            own = co.rights.voting_pct if co.rights is not None else None
            if own is not None and co.voting_pct is not None and own != co.voting_pct:
                raise ValueError(
                    f"co_investors[{i}]: rights.voting_pct and voting_pct differ; give one"
                )
            if co.prior is not None and co.held_before is False:
                raise ValueError(
                    f"co_investors[{i}]: `prior` is what it held before the deal, but "
                    "held_before is false; give one"
                )
            if co.rights is not None and co.acquires_in_deal is False:
                raise ValueError(
                    f"co_investors[{i}]: `rights` is what it acquires in the deal, but "
                    "acquires_in_deal is false; give one"
                )
        return self

    @model_validator(mode="after")
    def _export_recipients_named(self) -> DealBase:
        x = self.export_control
        if x is None or x.recipient_parties is None:
            return self
        names = [self.investor.name, *(co.party.name for co in self.co_investors)]
        for i, name in enumerate(x.recipient_parties):
            if name not in names:
                raise ValueError(
                    f"export_control.recipient_parties[{i}]: `{name}` is not the name of the "
                    "investor or of a co-investor"
                )
        return self


class EquityStake(DealBase):
    """Acquisition of shares or other equity in a U.S. business."""

    kind: Literal["equity_stake"] = Field(description="deal kind: equity_stake")
    open_market_purchase: bool | None = Field(None, description="bought on the open market")
    supply_terms: SupplyTerms | None = Field(
        None,
        description="supply or offtake terms between the investor and the U.S. business "
        "(prepayment, security, exclusivity, volume share, know-how, licence, technical "
        "information)",
    )


class Acquisition(DealBase):
    """Acquisition of a business, part of one, or assets."""

    kind: Literal["acquisition"] = Field(description="deal kind: acquisition")
    assets_only: bool | None = Field(None, description="assets are acquired, not an entity")
    assets_constitute_us_business: bool | None = Field(
        None,
        description="stipulated conclusion that the assets form a U.S. business (800.301(c)); "
        "prefer `assets`, from which the screening derives it",
    )
    assets: AssetIndicia | None = Field(
        None, description="what is acquired, for whether the assets form a U.S. business"
    )


class JointVenture(DealBase):
    """Formation of, or entry into, a joint venture."""

    kind: Literal["joint_venture"] = Field(description="deal kind: joint_venture")
    us_contribution: Literal["us_business", "assets_not_business", "ip_license", "cash"] | None = (
        Field(
            None,
            description="stipulated: what the U.S. side contributes; prefer `contributed_assets`",
        )
    )
    contributed_assets: AssetIndicia | None = Field(
        None,
        description="what the U.S. side contributes: is it a U.S. business (800.301(d))",
    )
    jv_country: Country | None = Field(None, description="country where the JV is organized")
    supply_terms: SupplyTerms | None = Field(
        None,
        description="supply or offtake terms between the investor and the U.S. business "
        "(prepayment, security, exclusivity, volume share, know-how, licence, technical "
        "information)",
    )


class SupplyPartnership(DealBase):
    """Long-term supply, offtake or technology licensing."""

    kind: Literal["supply_partnership"] = Field(description="deal kind: supply_partnership")
    arrangement: Literal["supply", "offtake", "license"] | None = Field(
        None, description="supply, offtake or licence"
    )
    term_years: Annotated[int, Field(ge=0, le=100)] | None = Field(
        None, description="term of the arrangement in years"
    )
    transfers_business_operations: bool | None = Field(
        None, description="facilities, customers, technology or staff pass to the partner (800.302)"
    )
    supply_terms: SupplyTerms | None = Field(
        None,
        description="supply or offtake terms between the investor and the U.S. business "
        "(prepayment, security, exclusivity, volume share, know-how, licence, technical "
        "information)",
    )


class RealEstate(DealBase):
    """Purchase, lease or concession of real estate."""

    kind: Literal["real_estate"] = Field(description="deal kind: real_estate")
    property_rights: Annotated[int, Field(ge=0, le=4)] | None = Field(
        None, description="how many of the four 802.233 rights (prefer site.property_rights)"
    )


class Greenfield(DealBase):
    """A new plant or facility built by the investor."""

    kind: Literal["greenfield"] = Field(description="deal kind: greenfield")
    through_newly_formed_subsidiary: bool | None = Field(
        None, description="built through a newly formed subsidiary"
    )


class Lending(DealBase):
    """A loan or convertible debt."""

    kind: Literal["lending"] = Field(description="deal kind: lending")
    contingent_equity: ContingentEquity | None = Field(
        None, description="convertible or contingent equity (800.207)"
    )
    supply_terms: SupplyTerms | None = Field(
        None,
        description="supply or offtake terms between the investor and the U.S. business "
        "(prepayment, security, exclusivity, volume share, know-how, licence, technical "
        "information)",
    )


class OutboundInvestment(DealBase):
    """A U.S. person's investment abroad (31 CFR part 850); no part 800 rules apply."""

    kind: Literal["outbound_investment"] = Field(description="deal kind: outbound_investment")


AnyDeal = Annotated[
    EquityStake
    | Acquisition
    | JointVenture
    | SupplyPartnership
    | RealEstate
    | Greenfield
    | Lending
    | OutboundInvestment,
    Field(discriminator="kind"),
]


class Deal(RootModel[Any]):
    """Any deal record; ``Deal.model_validate(data).root`` is the concrete deal."""

    # Built on first use (see Record). The root is declared here rather than as the generic's
    # parameter: a parametrized ``RootModel[AnyDeal]`` is a class of its own, built at import.
    model_config = ConfigDict(defer_build=True)

    root: AnyDeal


DealRecord = (
    EquityStake
    | Acquisition
    | JointVenture
    | SupplyPartnership
    | RealEstate
    | Greenfield
    | Lending
    | OutboundInvestment
)
DEAL_KINDS = (
    "equity_stake",
    "acquisition",
    "joint_venture",
    "supply_partnership",
    "real_estate",
    "greenfield",
    "lending",
    "outbound_investment",
)


def content_hash(record: DealRecord | Deal) -> str:
    """SHA-256 of a deal's canonical JSON (sorted keys, no whitespace): equal deals, equal
    hashes. The audit store keeps it as ``deal_hash``; ``review --resume`` matches on it."""
    data = (record.root if isinstance(record, Deal) else record).model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
