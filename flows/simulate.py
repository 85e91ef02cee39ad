"""Flow ``simulate-cycle``: play a cycle forward on the days where something happens.

Used by ``smewg demo`` and for backfills: on each day a file arrived in the inbox it
collects it (as ``collect-submissions`` does); on the calendar's rollup date it rolls the
KPIs up and exports them (as ``rollup-kpis`` does); on each action day it runs the tasks
of ``send-reminders`` and ``watch-deadlines``; then it delivers the outbox.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from prefect import flow
from prefect.artifacts import create_table_artifact

from flows.hooks import FAILURE_HOOKS
from smewg.cycle import load_cycle_context
from smewg.settings import get_settings
from flows.rollup import export_snapshot_task
from tasks.collect import collect_arrivals_task, ensure_cycle, inbox_for
from tasks.rollup import rollup_task
from tasks.deadlines import queue_deadline_alerts_task
from tasks.reminders import queue_reminders_task
from tasks.slack import deliver_outbox_task


@flow(name="simulate-cycle", description="Run a cycle's reminders and deadline checks on every action day up to `until`.",
      **FAILURE_HOOKS)
def simulate_cycle(year: int, until: date | None = None) -> dict:
    context = load_cycle_context(get_settings(), year)
    ensure_cycle(context)
    action_days = set(context.calendar.action_days([e.code for e in context.catalogue.participating()]))
    files, _ = inbox_for(context, until or date(year + 1, 12, 31))
    arrival_days = {f.received_at.astimezone(ZoneInfo(context.calendar.timezone)).date()
                    for economy_files in files.values() for f in economy_files}
    rollup_day = context.calendar.rollup
    timeline, rolled_up = [], None
    for day in sorted(d for d in action_days | arrival_days | {rollup_day} if until is None or d <= until):
        collected = collect_arrivals_task(year, day) if day in arrival_days else []
        if day == rollup_day:
            snapshot = rollup_task(year, day)
            rolled_up = {**snapshot, "files": export_snapshot_task(year, snapshot["snapshot_id"])["files"]}
        reminders, deadlines = [], {"escalations": [], "alerts": []}
        if day in action_days:
            reminders = queue_reminders_task(year, day)
            deadlines = queue_deadline_alerts_task(year, day)
        timeline.append({"day": day.isoformat(), "files_collected": len(collected), "reminders": len(reminders),
                         "escalations": len(deadlines["escalations"]), "secretariat_alerts": len(deadlines["alerts"])})
    delivery = deliver_outbox_task()
    create_table_artifact(key=f"simulated-cycle-{year}", table=timeline,
                          description=f"Messages queued on each action day of the {year} cycle")
    return {"year": year, "days": timeline, "delivery": delivery, "rollup": rolled_up}
