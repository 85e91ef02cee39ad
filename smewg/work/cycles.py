"""Store queries about a cycle as a whole: its row, its submissions' versions, which of them a
rollup uses, and when each economy first sent a usable one."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
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


def versions_of_years(session: Session, plan_id: str, years: Collection[int]) -> dict[int, list[SubmissionRow]]:
    """Every version received for each of ``years``' cycles (one query), per economy oldest first."""
    rows = session.execute(
        select(CycleRow.year, SubmissionRow)
        .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
        .where(CycleRow.plan_id == plan_id, CycleRow.year.in_(sorted(years)))
        .order_by(CycleRow.year, SubmissionRow.economy_code, SubmissionRow.version)
    )
    versions: dict[int, list[SubmissionRow]] = {year: [] for year in years}
    for year, row in rows:
        versions[year].append(row)
    return versions


def usable_versions(versions: Iterable[SubmissionRow], end_of_as_of: datetime) -> list[SubmissionRow]:
    """Those of ``versions`` a rollup may use: not rejected, received before ``end_of_as_of``."""
    return [v for v in versions if v.status != "rejected" and v.received_at < end_of_as_of]


def used_versions(versions: list[SubmissionRow], end_of_as_of: datetime) -> dict[str, SubmissionRow]:
    """Per economy, the newest usable one of ``versions`` (oldest first)."""
    return {v.economy_code: v for v in usable_versions(versions, end_of_as_of)}  # the newest per economy wins


def used_submissions(session: Session, plan_id: str, year: int, end_of_as_of: datetime) -> dict[str, SubmissionRow]:
    """Per economy, the newest non-rejected version received before ``end_of_as_of``."""
    return used_versions(versions_of_years(session, plan_id, [year])[year], end_of_as_of)


def first_usable_days(versions: Iterable[SubmissionRow], context: CycleContext, as_of: date) -> dict[str, date]:
    """Per economy, the day (plan time zone) its first usable one of ``versions`` arrived, by
    the end of ``as_of``.

    Lateness is judged by this day: a correction sent after the deadline is not lateness.
    """
    first: dict[str, datetime] = {}
    for version in usable_versions(versions, context.end_of_day(as_of)):
        first[version.economy_code] = min(version.received_at, first.get(version.economy_code, version.received_at))
    zone = ZoneInfo(context.calendar.timezone)
    return {code: arrived.astimezone(zone).date() for code, arrived in first.items()}
