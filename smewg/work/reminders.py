"""Reminder and escalation steps per economy, and the reminders of a day.

Each economy has one sequence of steps: reminders before its deadline (T-30, T-14, ...)
then escalations after it (T+1, T+7, ...). On a given day the step to send is the latest
one that is due, provided neither it nor any later step was sent before. So a day the
flow did not run is caught up by sending the latest due step once (earlier missed steps
are obsolete), and rerunning a day, or running an earlier day afterwards, sends nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from smewg.core.calendar import Step
from smewg.core.cycle import CycleContext
from smewg.core.settings import public_link
from smewg.core.store import session_scope
from smewg.work import messages
from smewg.work.cycles import economies_with_accepted_submission
from smewg.work.outbox import enqueue, sent_keys


def step_key(context: CycleContext, economy: str, step: Step) -> str:
    """Dated, so that an extension granted mid-cycle gives the economy its new steps."""
    return f"{step.kind}:{context.plan_id}:{context.year}:{economy}:{step.name}:{step.date.isoformat()}"


def step_to_send(steps: list[Step], as_of: date, already_sent: set[str], key_of) -> Step | None:
    """The latest due step, unless it or a later step was already sent."""
    due = [step for step in steps if step.date <= as_of]
    if not due:
        return None
    latest = due[-1]
    later_or_same = steps[steps.index(latest) :]
    if any(key_of(step) in already_sent for step in later_or_same):
        return None
    return latest


def due_steps(context: CycleContext, session, as_of: date, kind: str) -> list[tuple[str, Step]]:
    """(economy, step) pairs of ``kind`` to send on ``as_of`` to economies still owing data."""
    if as_of < context.calendar.call_for_data:
        return []
    accepted = economies_with_accepted_submission(session, context, as_of)
    sent = sent_keys(session, "reminder:") | sent_keys(session, "escalation:")
    found = []
    for economy in context.catalogue.participating():
        if economy.code in accepted:
            continue
        steps = context.calendar.steps_for(economy.code)
        step = step_to_send(steps, as_of, sent, lambda s, code=economy.code: step_key(context, code, s))
        if step is not None and step.kind == kind:
            found.append((economy.code, step))
    return found


def _template_link(context: CycleContext, code: str) -> str | None:
    """The economy's template, only when it was written (a reminder never points at nothing)."""
    path = context.settings.template_file(context.year, code)
    return public_link(context.settings, path) if path.is_file() else None


def queue_reminders(context: CycleContext, as_of: date, *, now: datetime, dry_run: bool = False) -> list[dict[str, Any]]:
    """Write the day's reminders to the outbox; return what was (or would be) queued."""
    queued = []
    with session_scope(context.engine) as session:
        for code, step in due_steps(context, session, as_of, "reminder"):
            economy = context.catalogue.economies.get(code)
            message = messages.reminder(
                key=step_key(context, code, step),
                channel=context.channels.focal_point(code),
                economy_code=code,
                economy_name=economy.name,
                year=context.year,
                step=step.name,
                deadline=context.calendar.deadline_for(code),
                as_of=as_of,
                template=_template_link(context, code),
            )
            if dry_run or enqueue(session, message.on(as_of), now=now):
                queued.append(
                    {
                        "economy": code,
                        "step": step.name,
                        "date": step.date.isoformat(),
                        "channel": message.channel,
                        "dedupe_key": message.dedupe_key,
                    }
                )
    return queued
