"""The status of a cycle on a given day, from the store only (no Prefect): for `smewg status`."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from smewg.cycle import load_cycle_context
from smewg.settings import Settings
from smewg.store import store_session
from smewg.store.models import CycleRow, NotificationRow, ReviewVersionRow, RollupSnapshotRow, SubmissionRow
from tasks.rollup import used_submissions


def cycle_status(settings: Settings, year: int, as_of: date) -> dict[str, Any]:
    context = load_cycle_context(settings, year)
    plan = context.catalogue.plan
    end = context.end_of_day(as_of)
    with store_session(settings.resolved_database_url) as session:
        used = used_submissions(session, plan.id, year, end)
        first_arrival = dict(session.execute(
            select(SubmissionRow.economy_code, func.min(SubmissionRow.received_at))
            .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
            .where(CycleRow.plan_id == plan.id, CycleRow.year == year, SubmissionRow.status != "rejected",
                   SubmissionRow.received_at < end)
            .group_by(SubmissionRow.economy_code)).all())
        reminders = dict(session.execute(
            select(NotificationRow.economy_code, func.count()).where(
                NotificationRow.kind.in_(("reminder", "escalation")), NotificationRow.cycle_year == year,
                NotificationRow.due_on <= as_of).group_by(NotificationRow.economy_code)).all())
        failed = session.scalar(select(func.count()).where(NotificationRow.kind == "failure",
                                                           NotificationRow.created_at < end)) or 0
        cycle = session.scalar(select(CycleRow).where(CycleRow.plan_id == plan.id, CycleRow.year == year))
        rolled_up = cycle is not None and session.scalar(select(func.count()).where(
            RollupSnapshotRow.cycle_id == cycle.id, RollupSnapshotRow.as_of <= as_of)) > 0
        reviews = set(session.scalars(select(ReviewVersionRow.kind).where(ReviewVersionRow.plan_id == plan.id)))
    zone = end.tzinfo
    economies = []
    for economy in context.catalogue.participating():
        deadline = context.calendar.deadline_for(economy.code)
        submission = used.get(economy.code)
        # Late is judged by the first usable version: a correction after the deadline is not lateness.
        first = first_arrival.get(economy.code)
        received = first.astimezone(zone).date() if first else None
        late = (received > deadline) if received else as_of > deadline
        economies.append({"economy": economy.code, "name": economy.name, "deadline": deadline.isoformat(),
                          "submitted": submission is not None, "version": submission.version if submission else None,
                          "received_at": submission.received_at.isoformat() if submission else None, "late": late,
                          "quarantined_rows": submission.rows_quarantined if submission else 0,
                          "reminders_sent": int(reminders.get(economy.code, 0))})
    done_checks = {"KPI rollup": rolled_up, **{r.name: r.kind in reviews for r in context.calendar.reviews}}
    milestones = []
    for milestone in context.calendar.milestones():
        if milestone.name in done_checks:
            state = "done" if done_checks[milestone.name] else ("overdue" if milestone.date < as_of else "upcoming")
        else:
            state = "passed" if milestone.date <= as_of else "upcoming"
        milestones.append({"name": milestone.name, "date": milestone.date.isoformat(), "state": state})
    submitted = sum(e["submitted"] for e in economies)
    late = sum(e["late"] for e in economies)
    return {"year": year, "as_of": as_of.isoformat(), "economies": economies, "milestones": milestones,
            "failed_runs": int(failed), "summary": f"{submitted} of {len(economies)} submitted, {late} late"}
