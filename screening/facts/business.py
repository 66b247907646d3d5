"""Whether acquired or contributed assets constitute a U.S. business (31 CFR 800.252, 800.301(c)).

A deal team knows what passes with the assets (staff, customer lists, IP and know-how, brands,
equipment, premises, inventory), whether they are operated or could be restarted, and where
they are. The regulation's reading, as its examples apply it: assets that carry on a business in
the United States (people or customers with them, operated or ready to restart) are a U.S.
business; bare tangible assets or a bare licence, or a business that cannot be restarted, are
not. Anything between is left unknown, for counsel, rather than guessed. A stipulated conclusion
(``assets_constitute_us_business``) is used as given and explained as stipulated.
"""

from __future__ import annotations

from screening.facts.sections.base import Tri, and3, not3, or3
from screening.model.deal import AssetIndicia


def assets_form_business(assets: AssetIndicia) -> tuple[Tri, str]:
    """Three-valued: do these assets constitute a U.S. business? With a one-line reason."""
    a = assets
    if a.in_united_states is False:
        return False, "the assets are not located or used in the United States (800.252)"
    operating = a.operating
    if operating is None and a.months_since_operated is not None:
        operating = a.months_since_operated == 0
    live = or3([operating, a.revivable])
    bare = and3([not3(a.staff), not3(a.customer_lists), not3(a.brands)])
    if bare is True:
        return False, (
            "no staff, customer lists or brands pass with the assets: bare assets (equipment, "
            "premises, inventory or a licence) are not a U.S. business (800.301(c), (e))"
        )
    if live is False:
        return False, (
            "the assets are not operated and could not be restarted as a business with what is "
            "acquired (800.252)"
        )
    people = or3([a.staff, a.customer_lists])
    if and3([a.in_united_states, people, live]) is True:
        return True, (
            "staff or customer relationships pass with assets operated (or ready to restart) in "
            "the United States: they carry on a business there (800.252, 800.301(c))"
        )
    missing = [
        name
        for name, value in (
            ("where the assets are", a.in_united_states),
            ("whether staff or customers pass with them", people),
            ("whether they are operated or could be restarted", live),
        )
        if value is None
    ]
    return None, "not settled by the record: " + ", ".join(missing or ["case by case"])


def us_business_assets(
    stipulated: bool | None, assets: AssetIndicia | None, what: str
) -> tuple[Tri, str | None]:
    """The stipulated conclusion if given, else the one derived from the indicia."""
    if stipulated is not None:
        return stipulated, f"{what}: stipulated in the record ({'yes' if stipulated else 'no'})"
    if assets is None:
        return None, None
    status, why = assets_form_business(assets)
    return status, f"{what}: {why}"
