"""Everything a cycle's flows need to know, loaded once: catalogue, calendar, channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smewg.calendar import Calendar, calendar_path, load_calendar
from smewg.catalogue import Catalogue, load_catalogue
from smewg.channels import ChannelDirectory, load_channels
from smewg.settings import Settings
from smewg.store.models import CycleRow, SubmissionRow


@dataclass(frozen=True)
class CycleContext:
    settings: Settings
    catalogue: Catalogue
    calendar: Calendar
    channels: ChannelDirectory

    @property
    def plan_id(self) -> str:
        return self.catalogue.plan.id

    @property
    def year(self) -> int:
        return self.calendar.year

    def end_of_day(self, day: date) -> datetime:
        """The first instant after ``day`` in the plan's time zone (for "received by" checks)."""
        return datetime.combine(day + timedelta(days=1), time(), tzinfo=ZoneInfo(self.calendar.timezone))


def load_cycle_context(settings: Settings, year: int) -> CycleContext:
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    calendar = load_calendar(calendar_path(settings.schedule_dir, year), catalogue.plan)
    channels = load_channels(settings.slack_file, settings.slack_secretariat_channel)
    return CycleContext(settings, catalogue, calendar, channels)


def get_or_create_cycle(session: Session, plan_id: str, year: int, *, now: datetime) -> CycleRow:
    """The cycle's row, created on first use; safe when several workers create it at once."""
    query = select(CycleRow).where(CycleRow.plan_id == plan_id, CycleRow.year == year)
    cycle = session.scalar(query)
    if cycle is None:
        try:
            with session.begin_nested():
                cycle = CycleRow(plan_id=plan_id, year=year, created_at=now)
                session.add(cycle)
        except IntegrityError:  # another worker created it first
            cycle = session.scalar(query)
    return cycle


def economies_with_accepted_submission(session: Session, context: CycleContext, as_of: date) -> set[str]:
    """Economies that had an accepted submission (perhaps since corrected) by the end of ``as_of``."""
    query = (select(SubmissionRow.economy_code).join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
             .where(CycleRow.plan_id == context.plan_id, CycleRow.year == context.year,
                    SubmissionRow.status.in_(("accepted", "superseded")),
                    SubmissionRow.received_at < context.end_of_day(as_of)))
    return set(session.scalars(query))
