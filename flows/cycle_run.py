"""What every cycle flow starts with: which cycle, which day, and the cycle's context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from smewg.core.clock import today
from smewg.core.cycle import CycleContext, open_cycle
from smewg.core.settings import get_settings


def resolve_cycle(year: int | None, as_of: date | None) -> tuple[int, date]:
    """``as_of`` defaults to today in the plan's time zone, ``year`` to the cycle of ``as_of``."""
    as_of = as_of or today()
    return (year or as_of.year), as_of


@contextmanager
def cycle_context(year: int) -> Iterator[CycleContext]:
    """The cycle's context for one flow run: files read once, one store engine, released at the end."""
    with open_cycle(get_settings(), year) as context:
        yield context
