"""The number format of a submission's ``value`` cells: the one definition of it.

The parser normalises what it can read with certainty and refuses the rest with a
message; the Great Expectations suite judges the result with the same patterns, which
reach it as suite parameters (``plain_number_pattern``, ``whole_number_pattern``).

Digits are ASCII only: ``\\d`` would also accept Arabic-Indic or full-width digits, which
``float()`` then reads differently or not at all.
"""

from __future__ import annotations

import re

PLAIN_NUMBER_PATTERN = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
"""A number as ``float()`` reads it: ``1234``, ``-1.5``, ``.5``, ``1e6``."""
WHOLE_NUMBER_PATTERN = r"^[+-]?[0-9]+(?:\.0*)?$"
"""A count: ``1234`` or ``1234.0``."""

PLAIN_NUMBER = re.compile(PLAIN_NUMBER_PATTERN)
COMMA_GROUPS = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")
SPACE_GROUPS = re.compile(r"^[+-]?[0-9]{1,3}([ \u00a0\u202f][0-9]{3})+(\.[0-9]+)?$")
DECIMAL_COMMA = re.compile(r"^[+-]?[0-9]{1,3}(\.[0-9]{3})*,[0-9]+$")


def suite_parameters() -> dict[str, str]:
    """The patterns as the suite file names them."""
    return {"plain_number_pattern": PLAIN_NUMBER_PATTERN, "whole_number_pattern": WHOLE_NUMBER_PATTERN}


def normalise_number(text: str, kind: str | None) -> tuple[str, str | None]:
    """(text to check as a number, problem message or None) for one value cell.

    "1,234,567", "1,234.5" and "1 234" lose their separators, "1,234" too for counts
    (which are whole), and "12%" is 12 for percent indicators. "1.234,5" or "1,5" are
    refused with the way to write them, never guessed.
    """
    text = text.strip().replace("\u00a0", " ")
    if text == "" or PLAIN_NUMBER.match(text):
        return text, None
    if text.endswith("%"):
        number = text[:-1].strip()
        if kind == "percent" and PLAIN_NUMBER.match(number):
            return number, None
        if kind == "percent":
            return text, f"'{text}' is not a number"
        return text, f"'{text}' has a percent sign but this indicator is a {kind or 'non-percent'} value; write the number only"
    if SPACE_GROUPS.match(text):
        return re.sub(r"[ \u202f]", "", text), None
    if COMMA_GROUPS.match(text):
        groups = text.count(",")
        if groups > 1 or "." in text or kind == "count":
            return text.replace(",", ""), None
        return text, (
            f"'{text}' is ambiguous (thousands separator or decimal comma?); "
            f"write {text.replace(',', '')} or {text.replace(',', '.')}"
        )
    if DECIMAL_COMMA.match(text):
        return text, f"'{text}' uses a decimal comma; write it as {text.replace('.', '').replace(',', '.')}"
    return text, f"'{text}' is not a number"
