"""Tasks that set up a simulated plan period: demo calendars and simulated submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from smewg.core.catalogue import load_catalogue
from smewg.core.cycle import CycleContext
from smewg.core.settings import get_settings
from smewg.work.demo_calendar import write_demo_calendars
from smewg.work.simulate_submissions import simulate_a_correction, simulate_submissions


@task(name="write-demo-calendars")
def write_demo_calendars_task() -> list[int]:
    """A calendar per cycle of the plan in ``SMEWG_SCHEDULE_DIR`` (with an extension and activities)."""
    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    return [int(path.stem.rsplit("-", 1)[1]) for path in write_demo_calendars(settings.schedule_dir, plan)]


@task(name="simulate-submissions", cache_policy=NO_CACHE)
def simulate_submissions_task(context: CycleContext) -> list[dict[str, Any]]:
    """Realistic, deterministic submission files for the cycle, dated as they would arrive."""
    files = simulate_submissions(context.settings.resolved_inbox, context.catalogue, context.calendar)
    return [
        {
            "economy": f.economy,
            "file": str(f.path),
            "received_at": f.received_at.isoformat(),
            "bad_rows": f.bad_rows,
            "correction": f.correction,
        }
        for f in files
    ]


@task(name="simulate-correction", cache_policy=NO_CACHE)
def simulate_correction_task(context: CycleContext, received: datetime) -> dict[str, str] | None:
    """One economy resends its file with one figure corrected (arriving at ``received``)."""
    return simulate_a_correction(context, received)
