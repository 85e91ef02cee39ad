"""Numbers as people read them: thousands separators and a precision that fits the figure.

Counts are whole numbers, amounts whole currency units, percents and their means two
decimals, changes signed (percent change one decimal, percentage points two).
"""

from __future__ import annotations

import math

DASH = "–"


def is_missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def figure_text(value: float | None, statistic: str, kind: str, unit: str | None = None) -> str:
    """A rollup figure (``statistic`` of an indicator of ``kind``) as printed in reports."""
    if is_missing(value):
        return DASH
    assert value is not None
    if statistic in ("N_REPORTING", "N_NO_DATA"):
        return f"{value:,.0f}"
    if statistic.startswith("CHANGE_"):
        return f"{value:+,.2f} pp" if unit == "pp" else f"{value:+,.1f} %"
    if kind == "percent":
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def percent_text(value: float | None, decimals: int = 0) -> str:
    """A rate out of 100 (response rate, on-time rate)."""
    return DASH if is_missing(value) else f"{value:,.{decimals}f} %"


def count_text(value: float | None) -> str:
    return DASH if is_missing(value) else f"{value:,.0f}"


def counted(count: int, noun: str) -> str:
    """``1 row``, ``2 rows``, ``1,250 rows``: a count with its noun in agreement."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
