"""Store queries about a cycle as a whole: its row, and who has an accepted submission."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smewg.core.cycle import CycleContext
from smewg.core.store import session_scope
from smewg.core.store.models import CycleRow, SubmissionRow


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
    assert cycle is not None
    return cycle


def ensure_cycle(context: CycleContext, *, now: datetime) -> None:
    """Create the cycle's row before parallel workers need it."""
    with session_scope(context.engine) as session:
        get_or_create_cycle(session, context.plan_id, context.year, now=now)


def economies_with_accepted_submission(session: Session, context: CycleContext, as_of: date) -> set[str]:
    """Economies that had an accepted submission (perhaps since corrected) by the end of ``as_of``."""
    query = (
        select(SubmissionRow.economy_code)
        .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
        .where(
            CycleRow.plan_id == context.plan_id,
            CycleRow.year == context.year,
            SubmissionRow.status.in_(("accepted", "superseded")),
            SubmissionRow.received_at < context.end_of_day(as_of),
        )
    )
    return set(session.scalars(query))


def first_usable_arrivals(session: Session, context: CycleContext, as_of: date) -> dict[str, date]:
    """Per economy, the day (plan time zone) its first usable version arrived, by the end of ``as_of``.

    Lateness is judged by this day: a correction sent after the deadline is not lateness.
    """
    rows = session.execute(
        select(SubmissionRow.economy_code, func.min(SubmissionRow.received_at))
        .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
        .where(
            CycleRow.plan_id == context.plan_id,
            CycleRow.year == context.year,
            SubmissionRow.status != "rejected",
            SubmissionRow.received_at < context.end_of_day(as_of),
        )
        .group_by(SubmissionRow.economy_code)
    ).all()
    zone = ZoneInfo(context.calendar.timezone)
    return {code: first.astimezone(zone).date() for code, first in rows}
