"""Task queueing one day's reminders, escalations and Secretariat alerts together.

What the tasks of ``send-reminders`` and ``watch-deadlines`` queue, in one task run: the
simulation (``smewg demo``) plays ~70 action days, and each task run costs the client and
the server's run recorder bookkeeping of their own.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.work.deadlines import queue_deadline_alerts
from smewg.work.reminders import queue_reminders


@task(name="queue-day-messages", cache_policy=NO_CACHE)
def queue_day_messages_task(context: CycleContext, as_of: date) -> dict[str, list[dict[str, Any]]]:
    now = now_utc()
    queued = {"reminders": queue_reminders(context, as_of, now=now), **queue_deadline_alerts(context, as_of, now=now)}
    get_run_logger().info(
        "%d reminders, %d escalations and %d Secretariat alerts queued for %s",
        len(queued["reminders"]),
        len(queued["escalations"]),
        len(queued["alerts"]),
        as_of.isoformat(),
    )
    return queued
