"""The submission contract with economies (SPEC section 4): columns, units, file kinds."""

from __future__ import annotations

from functools import lru_cache

import pycountry

CSV_COLUMNS = ("economy", "year", "indicator", "breakdown", "value", "unit", "note")
"""Exactly these columns, in this order, in a CSV submission."""

TEMPLATE_INFO_COLUMNS = ("indicator_name", "kind")
"""Read-only helper columns of the XLSX template; accepted and ignored when parsing."""

TEMPLATE_COLUMNS = ("economy", "year", "indicator", "indicator_name", "kind", "breakdown", "value", "unit", "note")
DATA_SHEET = "Data"
META_SHEET = "_meta"
TEMPLATE_VERSION = "1"
ACCEPTED_SUFFIXES = (".csv", ".xlsx")
NO_DATA_NOTES = ("not collected", "not applicable", "not available", "confidential")

# Test/fund codes are not currencies anyone reports in.
_NOT_REAL = {"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA"}


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """ISO 4217 codes a submission may use for amounts (from pycountry)."""
    return frozenset(c.alpha_3 for c in pycountry.currencies if c.alpha_3 not in _NOT_REAL)


def unit_for_kind(kind: str, currency: str) -> str:
    """The unit pre-filled in a template row: the kind itself, or the economy's currency."""
    return currency if kind == "amount" else kind
