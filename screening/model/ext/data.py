"""Deal-record facts: access to government-related or bulk U.S. personal data (28 CFR 202).

The counterparty of the data transaction is the deal's investor (the buyer of data, the vendor,
the employee or contractor, the investor). Counts are of U.S. persons (U.S. devices for precise
geolocation) at any point in the preceding 12 months, aggregated across transactions between the
same U.S. person and the same counterparty (28 CFR 202.205).
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from screening.model.basetypes import Count, Country, Record


class DspCategory(StrEnum):
    """Categories of sensitive personal data, 28 CFR 202.249 (bulk thresholds in 202.205)."""

    human_genomic = "human_genomic"
    human_omic_other = "human_omic_other"
    biometric = "biometric"
    precise_geolocation = "precise_geolocation"
    personal_health = "personal_health"
    personal_financial = "personal_financial"
    covered_personal_identifiers = "covered_personal_identifiers"


class DataAgreement(StrEnum):
    """The four kinds of covered data transaction, 28 CFR 202.210."""

    data_brokerage = "data_brokerage"
    vendor = "vendor"
    employment = "employment"
    investment = "investment"


class Dataset(Record):
    """One dataset the counterparty gets access to; several categories make a combined dataset."""

    description: str | None = Field(None, description="what the data set is", max_length=500)
    categories: list[DspCategory] = Field(
        description="bulk data categories (28 CFR 202)", min_length=1
    )
    count: Count | None = Field(
        None,
        description="U.S. persons (devices, for precise geolocation) in the preceding 12 months",
    )


class DataTransaction(Record):
    """Access to U.S. government-related or bulk sensitive personal data (28 CFR part 202)."""

    agreements: list[DataAgreement] | None = Field(
        None,
        description=(
            "kinds of agreement with the counterparty; an equity stake, acquisition or joint "
            "venture is an investment agreement whether or not listed; [] = none"
        ),
    )
    counterparty_access: bool | None = Field(
        None, description="the deal gives the counterparty access to the data (202.210)"
    )
    datasets: list[Dataset] | None = Field(None, description="data accessed; [] = none")
    datasets_distinct: bool | None = Field(
        None,
        description=(
            "true: the datasets are about different U.S. persons (devices), so their counts add "
            "up per category (202.205); otherwise the aggregate lies between the largest dataset "
            "and the sum"
        ),
    )
    government_related: bool | None = Field(
        None,
        description=(
            "government-related data (202.222): geolocation in a listed government area, or "
            "data marketed as linked to U.S. Government personnel"
        ),
    )
    biospecimens: bool | None = Field(
        None, description="human biospecimens from which bulk human 'omic data could be derived"
    )
    cisa_compliant: bool | None = Field(
        None,
        description="the CISA Security Requirements for Restricted Transactions are implemented",
    )
    onward_transfer_safeguards: bool | None = Field(
        None,
        description=(
            "brokerage contract bars onward transfer to countries of concern or covered persons "
            "and requires breach reports within 14 days (202.302)"
        ),
    )
    interest_passive_security: bool | None = Field(
        None,
        description=(
            "the interest is a publicly traded security, an interest in a registered fund or "
            "BDC, or an LP interest without managerial ability (202.228)"
        ),
    )
    counterparty_primary_residence: Country | None = Field(
        None, description="an individual counterparty's country of primary residence"
    )
    counterparty_in_us: bool | None = Field(
        None, description="an individual counterparty is located in the United States"
    )
    counterparty_employed_by_covered_person: bool | None = Field(
        None, description="an individual counterparty works for a covered person (202.211(a)(3))"
    )
    counterparty_designated: bool | None = Field(
        None, description="the Attorney General has designated the counterparty (202.211(a)(5))"
    )
    structured_to_evade: bool | None = Field(
        None, description="the deal has the purpose of evading part 202 (202.304)"
    )
    official_business: bool | None = Field(
        None, description="ordinarily incident to official U.S. Government business (202.504)"
    )
    cfius_action: bool | None = Field(
        None,
        description=(
            "CFIUS has taken a qualifying action (a mitigation agreement, condition or order) on "
            "this investment agreement (28 CFR 202.207, 202.508 [src]); a filing or a clearance "
            "without mitigation does not count"
        ),
    )
