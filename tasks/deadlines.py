"""Task queueing the day's escalations and Secretariat alerts."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.work.deadlines import queue_deadline_alerts


@task(name="queue-deadline-alerts", cache_policy=NO_CACHE)
def queue_deadline_alerts_task(context: CycleContext, as_of: date) -> dict[str, list[dict[str, Any]]]:
    queued = queue_deadline_alerts(context, as_of, now=now_utc())
    get_run_logger().info(
        "%d escalations and %d Secretariat alerts queued for %s",
        len(queued["escalations"]),
        len(queued["alerts"]),
        as_of.isoformat(),
    )
    return queued
