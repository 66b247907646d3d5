"""What several reports share: sector names, level colours, a null base report."""

from __future__ import annotations

from screening.review.bulk import Invalid, Reviewed, Summary

# NAICS 2022 two-digit sectors (31-33, 44-45 and 48-49 are ranges of one sector each).
SECTORS = {
    "11": "Agriculture, forestry, fishing and hunting",
    "21": "Mining, quarrying, and oil and gas extraction",
    "22": "Utilities",
    "23": "Construction",
    "31": "Manufacturing",
    "32": "Manufacturing",
    "33": "Manufacturing",
    "42": "Wholesale trade",
    "44": "Retail trade",
    "45": "Retail trade",
    "48": "Transportation and warehousing",
    "49": "Transportation and warehousing",
    "51": "Information",
    "52": "Finance and insurance",
    "53": "Real estate and rental and leasing",
    "54": "Professional, scientific, and technical services",
    "55": "Management of companies and enterprises",
    "56": "Administrative and support and waste management services",
    "61": "Educational services",
    "62": "Health care and social assistance",
    "71": "Arts, entertainment, and recreation",
    "72": "Accommodation and food services",
    "81": "Other services (except public administration)",
    "92": "Public administration",
}

LEVEL_COLORS = {
    "clear": "#2e7d32",
    "covered": "#607d8b",
    "filing_advised": "#f9a825",
    "filing_required": "#ef6c00",
    "prohibited": "#c62828",
}
LEVEL_STYLES = {
    "clear": "green",
    "covered": "cyan",
    "filing_advised": "yellow",
    "filing_required": "bold dark_orange",
    "prohibited": "bold red",
}


def sector_name(code: str) -> str:
    """``33 Manufacturing`` for ``33``; ``unknown`` stays as it is."""
    name = SECTORS.get(code)
    return f"{code} {name}" if name else code


class BaseReport:
    """A report that ignores everything; formats override what they write.

    Every format uses an item's result within ``add`` and keeps no item (``reads_at_once``):
    results may stay in the workers' part files (``bulk.PartText``)."""

    reads_at_once = True

    def add(self, item: Reviewed) -> None:
        """Write one screened deal."""

    def invalid(self, item: Invalid) -> None:
        """Take note of one skipped input."""

    def finish(self, summary: Summary) -> None:
        """Write whatever comes after the last deal."""
