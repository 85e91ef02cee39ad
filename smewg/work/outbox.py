"""The notification outbox: every message is written here first, once per dedupe key."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smewg.core.store.models import NotificationRow
from smewg.work.messages import Message


def enqueue(session: Session, message: Message, *, now: datetime) -> bool:
    """Add ``message`` unless its dedupe key is already there; True when it was added."""
    if session.scalar(select(NotificationRow.id).where(NotificationRow.dedupe_key == message.dedupe_key)):
        return False
    try:
        # A concurrent run may insert the same key between the check and here: the
        # unique constraint decides, and only this savepoint is rolled back.
        with session.begin_nested():
            session.add(
                NotificationRow(
                    dedupe_key=message.dedupe_key,
                    kind=message.kind,
                    channel=message.channel,
                    economy_code=message.economy_code,
                    cycle_year=message.cycle_year,
                    due_on=message.due_on,
                    text=message.text,
                    blocks=message.blocks,
                    status="pending",
                    attempts=0,
                    created_at=now,
                )
            )
    except IntegrityError:
        return False
    return True


def sent_keys(session: Session, prefix: str) -> set[str]:
    """Dedupe keys already in the outbox (delivered or not) that start with ``prefix``."""
    return set(session.scalars(select(NotificationRow.dedupe_key).where(NotificationRow.dedupe_key.startswith(prefix))))


_NOTIFICATIONS = cast("Table", NotificationRow.__table__)
_MESSAGES_PER_ECONOMY = (
    select(_NOTIFICATIONS.c.economy_code, func.count())
    .where(
        _NOTIFICATIONS.c.kind.in_(bindparam("kinds", expanding=True)),
        _NOTIFICATIONS.c.cycle_year == bindparam("year"),
        _NOTIFICATIONS.c.due_on <= bindparam("up_to"),
    )
    .group_by(_NOTIFICATIONS.c.economy_code)
)
"""Built once: every rollup and status page runs it, and building it cost more than running it."""


def messages_per_economy(session: Session, year: int, kinds: tuple[str, ...], *, up_to: date) -> dict[str, int]:
    """How many messages of ``kinds`` each economy was sent for cycle ``year``, counted on
    the cycle day each belongs to (so a backfill counts them on their day)."""
    rows = session.execute(_MESSAGES_PER_ECONOMY, {"kinds": list(kinds), "year": year, "up_to": up_to})
    return {str(code): int(cast("int", count)) for code, count in rows if code is not None}


def failed_runs_alerted(session: Session, year: int, *, before: datetime) -> int:
    """Failure alerts about runs of cycle ``year`` (flows with another year's parameters are not counted)."""
    return int(
        session.scalar(
            select(func.count()).where(
                NotificationRow.kind == "failure", NotificationRow.cycle_year == year, NotificationRow.created_at < before
            )
        )
        or 0
    )


def notification_counts(session: Session) -> dict[tuple[int | None, str, str], int]:
    """(cycle year, kind, status) -> how many notifications: one grouped query."""
    query = select(NotificationRow.cycle_year, NotificationRow.kind, NotificationRow.status, func.count()).group_by(
        NotificationRow.cycle_year, NotificationRow.kind, NotificationRow.status
    )
    return {(year, kind, status): count for year, kind, status, count in session.execute(query)}


def list_notifications(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    year: int | None = None,
    economy: str | None = None,
    notification_id: int | None = None,
) -> list[NotificationRow]:
    query = select(NotificationRow).order_by(NotificationRow.id)
    if notification_id is not None:
        query = query.where(NotificationRow.id == notification_id)
    if economy:
        query = query.where(NotificationRow.economy_code == economy)
    if status:
        query = query.where(NotificationRow.status == status)
    if kind:
        query = query.where(NotificationRow.kind == kind)
    if year:
        query = query.where(NotificationRow.cycle_year == year)
    return list(session.scalars(query))


def notification_json(row: NotificationRow) -> dict:
    """The ``smewg outbox --json`` shape of SPEC section 7."""
    return {
        "id": row.id,
        "channel": row.channel,
        "economy": row.economy_code,
        "kind": row.kind,
        "dedupe_key": row.dedupe_key,
        "status": row.status,
        "attempts": row.attempts,
        "created_at": row.created_at.isoformat(),
        "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None,
        "year": row.cycle_year,
        "due_on": row.due_on.isoformat() if row.due_on else None,
        "text": row.text,
        "last_error": row.last_error,
    }
