"""Everything a cycle's work needs to know, loaded once per flow run and handed down:
the settings, the plan catalogue, the calendar, the Slack channels and one store engine."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from smewg.core.calendar import Calendar, calendar_path, load_calendar
from smewg.core.catalogue import Catalogue, load_catalogue
from smewg.core.channels import ChannelDirectory, load_channels
from smewg.core.settings import Settings
from smewg.core.store import shared_store_engine


class CycleContext:
    """Handed to every task of a flow run as one opaque value.

    A plain class on purpose: Prefect walks dataclass and pydantic task parameters looking
    for futures, and this object (an engine, the whole catalogue) is not data to walk.
    """

    def __init__(self, settings: Settings, catalogue: Catalogue, calendar: Calendar, channels: ChannelDirectory):
        self.settings = settings
        self.catalogue = catalogue
        self.calendar = calendar
        self.channels = channels

    def __repr__(self) -> str:
        return f"CycleContext(plan={self.plan_id!r}, year={self.year})"

    @property
    def plan_id(self) -> str:
        return self.catalogue.plan.id

    @property
    def year(self) -> int:
        return self.calendar.year

    @cached_property
    def engine(self) -> Engine:
        """The store's engine (the process's for this URL: see :func:`shared_store_engine`);
        its pool is thread-safe."""
        return shared_store_engine(self.settings.resolved_database_url)

    def close(self) -> None:
        """Release the store's connections (a no-op when the store was never used); the
        engine and its compiled statements stay for the next context. Closing them lets
        SQLite fold its write-ahead log into the store file (see :func:`shared_store_engine`)."""
        if "engine" in self.__dict__:
            self.__dict__.pop("engine").dispose()

    def end_of_day(self, day: date) -> datetime:
        """The first instant after ``day`` in the plan's time zone (for "received by" checks)."""
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(self.calendar.timezone))


_PARSED: dict[str, tuple[Catalogue, Calendar, ChannelDirectory]] = {}
"""Parsed and validated files by their content (they are frozen models, safe to share)."""


def load_cycle_context(settings: Settings, year: int) -> CycleContext:
    """The context of cycle ``year``. The plan, economies, calendar and Slack files are
    parsed and validated once per content in a process (a flow run opens a context for
    every step); an edited file is read again, a missing or broken one raises as always."""
    files = (settings.plan_file, settings.economies_file, calendar_path(settings.schedule_dir, year), settings.slack_file)
    digest = hashlib.sha256(f"{settings.slack_secretariat_channel}\0{year}".encode())
    try:
        for path in files:
            digest.update(f"\0{path}\0".encode() + Path(path).read_bytes())
    except OSError:
        return CycleContext(settings, *_parse(settings, year))  # raises the loader's own error
    key = digest.hexdigest()
    if key not in _PARSED:
        if len(_PARSED) >= 64:
            _PARSED.clear()
        _PARSED[key] = _parse(settings, year)
    return CycleContext(settings, *_PARSED[key])


def _parse(settings: Settings, year: int) -> tuple[Catalogue, Calendar, ChannelDirectory]:
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    calendar = load_calendar(calendar_path(settings.schedule_dir, year), catalogue.plan)
    channels = load_channels(settings.slack_file, settings.slack_secretariat_channel)
    return catalogue, calendar, channels


@contextmanager
def open_cycle(settings: Settings, year: int) -> Iterator[CycleContext]:
    """The cycle's context for one run of work, its store connections released at the end."""
    context = load_cycle_context(settings, year)
    try:
        yield context
    finally:
        context.close()
