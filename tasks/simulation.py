"""Tasks that set up a simulated plan period: demo calendars and simulated submissions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from smewg.core.catalogue import load_catalogue
from smewg.core.cycle import CycleContext, open_cycle
from smewg.core.settings import get_settings
from smewg.work.demo_calendar import write_demo_calendars
from smewg.work.simulate_submissions import SimulatedFile, simulate_a_correction, simulate_submissions
from smewg.work.templates import write_templates


@task(name="write-demo-calendars")
def write_demo_calendars_task() -> list[int]:
    """A calendar per cycle of the plan in ``SMEWG_SCHEDULE_DIR`` (with an extension and activities)."""
    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    return [int(path.stem.rsplit("-", 1)[1]) for path in write_demo_calendars(settings.schedule_dir, plan)]


def _described(files: list[SimulatedFile]) -> list[dict[str, Any]]:
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


@task(name="prepare-simulated-cycle", cache_policy=NO_CACHE)
def prepare_simulated_cycle_task(year: int) -> dict[str, list[dict[str, Any]]]:
    """Cycle ``year``'s call for data (every economy's templates) and its simulated
    submissions. It takes only the year and opens the cycle from the settings, so that it
    can run in a worker process of the flow's task runner."""
    with open_cycle(get_settings(), year) as context:
        templates = write_templates(context.settings, context.catalogue, year)
        files = simulate_submissions(context.settings.resolved_inbox, context.catalogue, context.calendar)
    return {"templates": templates, "submissions": _described(files)}


@task(name="simulate-correction", cache_policy=NO_CACHE)
def simulate_correction_task(context: CycleContext, received: datetime) -> dict[str, str] | None:
    """One economy resends its file with one figure corrected (arriving at ``received``)."""
    return simulate_a_correction(context, received)
