"""Tasks of the annual cycle: what is due on a day, and the record of what ran."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.core.store import session_scope
from smewg.work.cycle_steps import CalendarStep, DayPlan, plan_day, record_steps, reviews_due, reviews_reading


@task(name="plan-cycle-day", cache_policy=NO_CACHE)
def plan_day_task(context: CycleContext, as_of: date) -> DayPlan:
    with session_scope(context.engine) as session:
        return plan_day(session, context, as_of)


@task(name="record-cycle-steps", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=2)
def record_steps_task(
    context: CycleContext,
    steps: list[CalendarStep],
    state: str,
    as_of: date,
    flow_run_id: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    with session_scope(context.engine) as session:
        record_steps(session, context, steps, state=state, as_of=as_of, flow_run_id=flow_run_id, now=now_utc(), detail=detail)


@task(name="reviews-due", cache_policy=NO_CACHE)
def reviews_due_task(context: CycleContext, as_of: date, rolled_up: bool) -> dict[str, bool]:
    """Asked after the day's rollup, so that a snapshot made today is seen today."""
    with session_scope(context.engine) as session:
        return reviews_due(session, context, as_of, rolled_up=rolled_up)


@task(name="reviews-reading-cycle", cache_policy=NO_CACHE)
def reviews_reading_task(context: CycleContext) -> list[str]:
    """Kinds of the built reviews that read this cycle (stale when its rollup changes)."""
    with session_scope(context.engine) as session:
        return reviews_reading(session, context)
