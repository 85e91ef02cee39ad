"""Flow ``simulate-cycle``: play a cycle forward on the days where something happens.

Used by the ``simulate-plan-period`` flow (``smewg demo``) and for backfills: on each day
a file arrived in the inbox it collects it (as ``collect-submissions`` does); on the
calendar's rollup date it rolls the KPIs up and exports them (as ``rollup-kpis`` does);
on each action day it queues what ``send-reminders`` and ``watch-deadlines`` would (one task); then
it delivers the outbox.
"""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_table_artifact

from smewg.core import progress
from smewg.flows.cycle_run import cycle_context
from smewg.flows.hooks import RUN_HOOKS
from smewg.flows.review import assemble_review
from smewg.tasks.collect import collect_arrivals_task, ensure_cycle_task
from smewg.tasks.day_messages import queue_day_messages_task
from smewg.tasks.outbox import deliver_outbox_task
from smewg.tasks.rollup import export_snapshot_task, rollup_task
from smewg.tasks.site import write_cycle_page_task
from smewg.work.simulate_submissions import SimulationDays, simulation_days


def _doing(day: date, days: SimulationDays) -> str:
    """What the simulation does on ``day``, in a few words (for a progress bar)."""
    work = [
        what
        for what, due in (
            ("collection", day in days.collections),
            ("KPI rollup", day == days.rollup),
            (f"{days.reviews.get(day)} review", day in days.reviews),
            ("reminders", day in days.actions),
        )
        if due
    ]
    return f"{day:%d %b}: {', '.join(work)}"


@flow(
    name="simulate-cycle",
    timeout_seconds=2 * 60 * 60,
    description="Run a cycle's reminders and deadline checks on every action day up to `until`.",
    **RUN_HOOKS,
)
def simulate_cycle(year: int, until: date | None = None) -> dict:
    return play_cycle(year, until)


def play_cycle(year: int, until: date | None = None) -> dict:
    """The cycle played day by day, in the calling flow (``simulate-cycle``, or the demo's
    ``simulate-plan-period``, which runs four cycles without a subflow each: a sync subflow
    costs ~0.5-1 s of bookkeeping)."""
    with cycle_context(year) as context:
        ensure_cycle_task(context)
        days = simulation_days(context, until)
        timeline, rolled_up, reviews = [], None, []
        bar = f"cycle-{year}"
        progress.started(bar, f"cycle {year}", len(days.all) + 1)
        for day in days.all:
            progress.advanced(bar, 0, _doing(day, days))
            collected = collect_arrivals_task(context, day) if day in days.collections else []
            if day == days.rollup:
                snapshot = rollup_task(context, day)
                rolled_up = {**snapshot, "files": export_snapshot_task(context, snapshot["snapshot_id"])["files"]}
            if day in days.reviews:
                reviews.append(assemble_review(kind=days.reviews[day], as_of=day))
            queued = queue_day_messages_task(context, day) if day in days.actions else {}
            timeline.append(
                {
                    "day": day.isoformat(),
                    "files_collected": len(collected),
                    "reminders": len(queued.get("reminders", [])),
                    "escalations": len(queued.get("escalations", [])),
                    "secretariat_alerts": len(queued.get("alerts", [])),
                }
            )
            progress.advanced(bar)
        progress.advanced(bar, 0, "delivering the outbox")
        delivery = deliver_outbox_task(context)
        if days.all:
            write_cycle_page_task(context, days.all[-1])
        progress.advanced(bar, 1, "done")
    create_table_artifact(
        key=f"simulated-cycle-{year}", table=timeline, description=f"Messages queued on each action day of the {year} cycle"
    )
    return {"year": year, "days": timeline, "delivery": delivery, "rollup": rolled_up, "reviews": reviews}
