"""Tasks of the collection: one economy's new files, or every arrival of a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.work.collect import collect_all, collect_economy
from smewg.work.cycles import ensure_cycle
from smewg.work.inbox import InboxFile


@task(name="ensure-cycle", cache_policy=NO_CACHE)
def ensure_cycle_task(context: CycleContext) -> None:
    """The cycle's row exists before parallel collection tasks need it."""
    ensure_cycle(context, now=now_utc())


@task(name="collect-economy", retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE)
def collect_economy_task(context: CycleContext, files: list[InboxFile]) -> list[dict[str, Any]]:
    """One economy's new files, oldest first. Retried once: a failed transaction left nothing behind."""
    return [o.as_dict() for o in collect_economy(context, files, logger=get_run_logger())]


@task(name="collect-arrivals", cache_policy=NO_CACHE)
def collect_arrivals_task(context: CycleContext, as_of: date) -> list[dict[str, Any]]:
    """Every economy's new files, one after another (for simulations that step day by day)."""
    outcomes = collect_all(context, as_of, logger=get_run_logger())
    return [o.as_dict() for o in outcomes if o.status != "unchanged"]
