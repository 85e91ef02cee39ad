"""Task queueing the day's reminders."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.work.reminders import queue_reminders


@task(name="queue-reminders", cache_policy=NO_CACHE)
def queue_reminders_task(context: CycleContext, as_of: date) -> list[dict[str, Any]]:
    queued = queue_reminders(context, as_of, now=now_utc())
    get_run_logger().info("%d reminders queued for %s", len(queued), as_of.isoformat())
    return queued
