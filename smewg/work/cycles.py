"""Store queries about a cycle as a whole: its row, its submissions' versions, which of them a
rollup uses, and when each economy first sent a usable one."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smewg.core.cycle import CycleContext
from smewg.core.store import session_scope
from smewg.core.store.models import CycleRow, SubmissionRow

_CYCLES = cast("Table", CycleRow.__table__)
_SUBMISSIONS = cast("Table", SubmissionRow.__table__)

# Built once with bind parameters, not per call: building and keying a statement cost more
# than running it on a rerun's few rows (a 60-pair rerun runs one of each).
_CYCLE_ID = select(_CYCLES.c.id).where(_CYCLES.c.plan_id == bindparam("plan_id"), _CYCLES.c.year == bindparam("year"))


@dataclass(frozen=True, slots=True)
class Version:
    """One version of an economy's submission, as the cycle's reports and rollup read it:
    a plain record rather than an ORM object (a rollup reads every version of three years,
    and loading them as ORM objects cost a 60-pair rerun a twentieth of its time)."""

    id: int
    economy_code: str
    version: int
    file_name: str
    received_at: datetime
    status: str
    rows_quarantined: int
    rows_flagged: int


_VERSIONS = (
    select(_CYCLES.c.year, *(_SUBMISSIONS.c[field.name] for field in fields(Version)))
    .join(_CYCLES, _SUBMISSIONS.c.cycle_id == _CYCLES.c.id)
    .where(_CYCLES.c.plan_id == bindparam("plan_id"), _CYCLES.c.year.in_(bindparam("years", expanding=True)))
    .order_by(_CYCLES.c.year, _SUBMISSIONS.c.economy_code, _SUBMISSIONS.c.version)
)


def get_or_create_cycle_id(session: Session, plan_id: str, year: int, *, now: datetime) -> int:
    """The cycle's id, its row created on first use; safe when several workers create it at once."""
    found = session.execute(_CYCLE_ID, {"plan_id": plan_id, "year": year}).scalar()
    return found if found is not None else get_or_create_cycle(session, plan_id, year, now=now).id


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


def versions_of_years(session: Session, plan_id: str, years: Collection[int]) -> dict[int, list[Version]]:
    """Every version received for each of ``years``' cycles (one query), per economy oldest first."""
    versions: dict[int, list[Version]] = {year: [] for year in years}
    rows = cast("Iterable[tuple[int, Any]]", session.execute(_VERSIONS, {"plan_id": plan_id, "years": sorted(years)}).all())
    for year, *columns in rows:
        versions[year].append(Version(*columns))
    return versions


def usable_versions(versions: Iterable[Version], end_of_as_of: datetime) -> list[Version]:
    """Those of ``versions`` a rollup may use: not rejected, received before ``end_of_as_of``."""
    end = end_of_as_of.astimezone(UTC)  # as the store's instants: compared without a time zone lookup each
    return [v for v in versions if v.status != "rejected" and v.received_at < end]


def used_versions(versions: list[Version], end_of_as_of: datetime) -> dict[str, Version]:
    """Per economy, the newest usable one of ``versions`` (oldest first)."""
    return {v.economy_code: v for v in usable_versions(versions, end_of_as_of)}  # the newest per economy wins


def used_submissions(session: Session, plan_id: str, year: int, end_of_as_of: datetime) -> dict[str, Version]:
    """Per economy, the newest non-rejected version received before ``end_of_as_of``."""
    return used_versions(versions_of_years(session, plan_id, [year])[year], end_of_as_of)


def first_usable_days(versions: Iterable[Version], context: CycleContext, as_of: date) -> dict[str, date]:
    """Per economy, the day (plan time zone) its first usable one of ``versions`` arrived, by
    the end of ``as_of``.

    Lateness is judged by this day: a correction sent after the deadline is not lateness.
    """
    first: dict[str, datetime] = {}
    for version in usable_versions(versions, context.end_of_day(as_of)):
        first[version.economy_code] = min(version.received_at, first.get(version.economy_code, version.received_at))
    zone = ZoneInfo(context.calendar.timezone)
    return {code: arrived.astimezone(zone).date() for code, arrived in first.items()}
