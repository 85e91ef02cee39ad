"""The status of a cycle on a given day, from the store only (no Prefect): for `smewg status`."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smewg.core.calendar import calendar_path
from smewg.core.cycle import CycleContext, open_cycle
from smewg.core.settings import Settings, flow_run_page
from smewg.core.store import require_store, session_scope
from smewg.core.store.models import (
    CycleRow,
    NotificationRow,
    ReviewVersionRow,
    RollupSnapshotRow,
    ValidationResultRow,
)
from smewg.work.cycle_steps import step_states
from smewg.work.cycles import Version, first_usable_days, used_versions, versions_of_years
from smewg.work.formatting import counted
from smewg.work.outbox import failed_runs_alerted, messages_per_economy


def run_url(flow_run_id: str) -> str | None:
    """The run's page in the Prefect UI (``PREFECT_UI_URL``); read from the environment so that
    this read-only command never imports Prefect."""
    base = os.environ.get("PREFECT_UI_URL")
    return flow_run_page(base, flow_run_id) if base else None


def cycle_status(settings: Settings, year: int, as_of: date) -> dict[str, Any]:
    """Read-only: a missing store is an error naming ``smewg init``, never an empty file."""
    require_store(settings.resolved_database_url)
    with open_cycle(settings, year) as context, session_scope(context.engine) as session:
        return status_document(session, context, as_of)


def _rejection(session: Session, submission: Version) -> str:
    """Why a version was rejected: its first error, as the economy was told."""
    problems = session.scalar(select(ValidationResultRow.problems).where(ValidationResultRow.submission_id == submission.id))
    errors = [p for p in problems or [] if p.get("severity") == "error"] or list(problems or [])
    if not errors:
        return submission.file_name
    message = str(errors[0]["message"])
    return message if submission.file_name in message else f"{submission.file_name}: {message}"


def _steps_reached(session: Session, year: int, as_of: date) -> dict[str, str]:
    """Per economy, the latest reminder or escalation step sent by ``as_of`` (e.g. "T+7")."""
    rows = session.execute(
        select(NotificationRow.economy_code, NotificationRow.dedupe_key)
        .where(
            NotificationRow.cycle_year == year,
            NotificationRow.kind.in_(("reminder", "escalation")),
            NotificationRow.due_on <= as_of,
        )
        .order_by(NotificationRow.due_on, NotificationRow.id)
    )
    return {code: key.split(":")[4] for code, key in rows if code}


def _state_code(entry: dict[str, Any]) -> str:
    """SPEC section 7's state: on_time, late (submitted after its deadline), missing
    (nothing usable yet), rejected (its latest file was rejected; ``reason`` says why)."""
    if entry["submitted"]:
        return "late" if entry["late"] else "on_time"
    return "rejected" if entry["last_file_rejected"] else "missing"


def _state(entry: dict[str, Any]) -> str:
    """The state in words, for the table and the cycle page."""
    if entry["submitted"]:
        return "submitted late" if entry["late"] else "submitted on time"
    if entry["last_file_rejected"]:
        return "last file rejected"
    return "missing, past the deadline" if entry["late"] else "not yet due"


def _next_action(entry: dict[str, Any], as_of: date, deadline: date, chased: int) -> str:
    """What the Secretariat does next for this economy, in a few words."""
    if entry["last_file_rejected"] and not entry["submitted"]:
        return "ask for a corrected file (the reason is in its acknowledgement)"
    if not entry["submitted"]:
        days = (as_of - deadline).days
        if days > 0:
            sent = f", {counted(chased, 'reminder')} and escalations sent" if chased else ""
            return f"chase: {counted(days, 'day')} past the deadline{sent}"
        return f"wait: due {deadline.isoformat()} (in {counted(-days, 'day')})"
    if entry["quarantined_rows"]:
        return f"ask for corrections: {counted(entry['quarantined_rows'], 'row')} quarantined"
    if entry["flagged_rows"]:
        return f"check {counted(entry['flagged_rows'], 'row')} flagged for a check with the focal point"
    return "none"


def status_document(session: Session, context: CycleContext, as_of: date) -> dict[str, Any]:
    plan, year = context.catalogue.plan, context.year
    end = context.end_of_day(as_of)
    versions = versions_of_years(session, plan.id, [year])[year]
    used = used_versions(versions, end)
    first_arrival = first_usable_days(versions, context, as_of)
    chased = messages_per_economy(session, year, ("reminder", "escalation"), up_to=as_of)
    failed = failed_runs_alerted(session, year, before=end)
    cycle = session.scalar(select(CycleRow).where(CycleRow.plan_id == plan.id, CycleRow.year == year))
    rolled_up = (
        cycle is not None
        and (
            session.scalar(select(func.count()).where(RollupSnapshotRow.cycle_id == cycle.id, RollupSnapshotRow.as_of <= as_of))
            or 0
        )
        > 0
    )
    reviews = set(session.scalars(select(ReviewVersionRow.kind).where(ReviewVersionRow.plan_id == plan.id)))
    newest = {v.economy_code: v for v in versions if v.received_at < end}  # of any status; the newest wins
    steps_reached = _steps_reached(session, year, as_of)
    economies = []
    for economy in context.catalogue.participating():
        deadline = context.calendar.deadline_for(economy.code)
        submission = used.get(economy.code)
        # Late is judged by the first usable version: a correction after the deadline is not lateness.
        received = first_arrival.get(economy.code)
        late = (received > deadline) if received else as_of > deadline
        last = newest.get(economy.code)
        rejection = _rejection(session, last) if last is not None and last.status == "rejected" else None
        entry = {
            "economy": economy.code,
            "name": economy.name,
            "deadline": deadline.isoformat(),
            "extended": economy.code in context.calendar.extensions,
            "submitted": submission is not None,
            "version": submission.version if submission else None,
            "received_at": submission.received_at.isoformat() if submission else None,
            "late": late,
            "quarantined_rows": submission.rows_quarantined if submission else 0,
            "flagged_rows": submission.rows_flagged if submission else 0,
            "last_file_rejected": rejection,
            "reminders_and_escalations_sent": chased.get(economy.code, 0),
            "step_reached": steps_reached.get(economy.code),
        }
        entry["state"] = _state_code(entry)
        entry["state_text"] = _state(entry)
        entry["rows_quarantined"], entry["rows_flagged"] = entry["quarantined_rows"], entry["flagged_rows"]  # SPEC's names
        entry["reason"] = rejection
        entry["next_action"] = _next_action(entry, as_of, deadline, chased.get(economy.code, 0))
        economies.append(entry)
    done_checks = {"KPI rollup": rolled_up, **{r.name: r.kind in reviews for r in context.calendar.reviews}}
    milestones = []
    for milestone in context.calendar.milestones():
        if milestone.name in done_checks:
            state = "done" if done_checks[milestone.name] else ("overdue" if milestone.date < as_of else "upcoming")
        else:
            state = "passed" if milestone.date <= as_of else "upcoming"
        milestones.append({"name": milestone.name, "date": milestone.date.isoformat(), "state": state})
    submitted = sum(e["submitted"] for e in economies)
    late_count = sum(e["late"] for e in economies)
    steps = step_states(session, context, as_of, run_url)
    calendar_file = str(calendar_path(context.settings.schedule_dir, year).resolve())
    return {
        "year": year,
        "calendar": calendar_file,  # SPEC section 7's name
        "calendar_file": calendar_file,
        "steps": steps,
        "as_of": as_of.isoformat(),
        "economies": economies,
        "milestones": milestones,
        "failed_runs": int(failed),
        "summary": f"{submitted} of {len(economies)} submitted, {late_count} late",
    }
