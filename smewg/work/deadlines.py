"""After the deadline: escalations to economies and alerts to the Secretariat.

* An economy past its own deadline (extensions count) without an accepted submission
  gets its escalation steps (T+1, T+7, ...), with the same catch-up rule as reminders.
* Whenever economies are escalated, the Secretariat gets one missed-deadline alert
  listing who was escalated and everyone who is late.
* Work-plan activities past due (not done or cancelled) and the cycle's own steps not
  done by their date (KPI rollup, review reports) are alerted once each.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from smewg.core.cycle import CycleContext
from smewg.core.store import session_scope
from smewg.core.store.models import CycleRow, ReviewVersionRow, RollupSnapshotRow
from smewg.work import messages
from smewg.work.cycles import economies_with_accepted_submission
from smewg.work.outbox import enqueue
from smewg.work.reminders import due_steps, step_key


def late_economies(session, context: CycleContext, as_of: date) -> list[tuple[str, str, date]]:
    """(code, name, deadline) of economies past their deadline with no accepted submission."""
    accepted = economies_with_accepted_submission(session, context, as_of)
    return [
        (e.code, e.name, context.calendar.deadline_for(e.code))
        for e in context.catalogue.participating()
        if e.code not in accepted and context.calendar.deadline_for(e.code) < as_of
    ]


def _cycle_steps_not_done(session, context: CycleContext, as_of: date) -> list[tuple[str, str, date]]:
    """(key part, description, due date) of the cycle's own steps that are overdue."""
    overdue = []
    cycle = session.scalar(select(CycleRow).where(CycleRow.plan_id == context.plan_id, CycleRow.year == context.year))
    if context.calendar.rollup < as_of:
        snapshots = (
            0
            if cycle is None
            else len(session.scalars(select(RollupSnapshotRow.id).where(RollupSnapshotRow.cycle_id == cycle.id)).all())
        )
        if not snapshots:
            overdue.append(("rollup", f"The {context.year} KPI rollup", context.calendar.rollup))
    for review in context.calendar.reviews:
        if review.date >= as_of:
            continue
        built = session.scalar(
            select(ReviewVersionRow.id).where(ReviewVersionRow.plan_id == context.plan_id, ReviewVersionRow.kind == review.kind)
        )
        if built is None:
            overdue.append((f"review-{review.kind}", f"The {review.name}", review.date))
    return overdue


def queue_deadline_alerts(context: CycleContext, as_of: date, *, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Write the day's escalations and Secretariat alerts to the outbox; return what was queued."""
    queued: dict[str, list[dict[str, Any]]] = {"escalations": [], "alerts": []}
    secretariat = context.channels.secretariat
    prefix = f"{context.plan_id}:{context.year}"
    with session_scope(context.engine) as session:
        escalated = []
        for code, step in due_steps(context, session, as_of, "escalation"):
            economy = context.catalogue.economies.get(code)
            message = messages.escalation(
                key=step_key(context, code, step),
                channel=context.channels.focal_point(code),
                economy_code=code,
                economy_name=economy.name,
                year=context.year,
                step=step.name,
                deadline=context.calendar.deadline_for(code),
                as_of=as_of,
            )
            if enqueue(session, message.on(as_of), now=now):
                escalated.append((code, economy.name, step.name))
                queued["escalations"].append({"economy": code, "step": step.name, "channel": message.channel})
        if escalated:
            codes = "-".join(code for code, _, _ in escalated)
            alert = messages.missed_deadline(
                key=f"missed_deadline:{prefix}:{as_of.isoformat()}:{codes}",
                channel=secretariat,
                year=context.year,
                as_of=as_of,
                escalated=escalated,
                late=late_economies(session, context, as_of),
            )
            if enqueue(session, alert.on(as_of), now=now):
                queued["alerts"].append({"what": "missed deadline", "economies": [c for c, _, _ in escalated]})

        for activity in context.calendar.activities:
            if activity.status in ("done", "cancelled") or activity.due >= as_of:
                continue
            alert = messages.overdue_item(
                key=f"activity_overdue:{prefix}:{activity.id}:{activity.due.isoformat()}",
                channel=secretariat,
                year=context.year,
                what=f'Work-plan activity {activity.id} "{activity.title}"',
                due=activity.due,
                as_of=as_of,
                detail=f"Objective {activity.objective}, led by {activity.lead}, status {activity.status}.",
            )
            if enqueue(session, alert.on(as_of), now=now):
                queued["alerts"].append({"what": f"activity {activity.id} overdue"})

        for part, description, due in _cycle_steps_not_done(session, context, as_of):
            alert = messages.overdue_item(
                key=f"cycle_step_overdue:{prefix}:{part}",
                channel=secretariat,
                year=context.year,
                what=description,
                due=due,
                as_of=as_of,
            )
            if enqueue(session, alert.on(as_of), now=now):
                queued["alerts"].append({"what": f"{part} overdue"})
    return queued
