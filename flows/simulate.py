"""Flow ``simulate-cycle``: play a cycle's calendar forward on the days where something is due.

Used by ``smewg demo`` and for backfills: it runs the same tasks as ``send-reminders`` and
``watch-deadlines`` for each action day of the calendar, then delivers the outbox once.
"""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.hooks import FAILURE_HOOKS
from smewg.cycle import load_cycle_context
from smewg.settings import get_settings
from tasks.deadlines import queue_deadline_alerts_task
from tasks.reminders import queue_reminders_task
from tasks.slack import deliver_outbox_task


@flow(name="simulate-cycle", description="Run a cycle's reminders and deadline checks on every action day up to `until`.",
      **FAILURE_HOOKS)
def simulate_cycle(year: int, until: date | None = None) -> dict:
    context = load_cycle_context(get_settings(), year)
    days = [d for d in context.calendar.action_days([e.code for e in context.catalogue.participating()])
            if until is None or d <= until]
    timeline = []
    for day in days:
        reminders = queue_reminders_task(year, day)
        deadlines = queue_deadline_alerts_task(year, day)
        timeline.append({"day": day.isoformat(), "reminders": len(reminders),
                         "escalations": len(deadlines["escalations"]), "secretariat_alerts": len(deadlines["alerts"])})
    delivery = deliver_outbox_task()
    create_table_artifact(key=f"simulated-cycle-{year}", table=timeline,
                          description=f"Messages queued on each action day of the {year} cycle")
    return {"year": year, "days": timeline, "delivery": delivery}
