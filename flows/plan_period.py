"""Flow ``simulate-plan-period``: the whole plan period played forward (what ``smewg demo`` runs).

A fresh store, a calendar per cycle, and for each cycle: the call for data's templates,
simulated submissions arriving over the cycle, and the cycle played day by day
(collection, reminders, escalations, the KPI rollup on its date). On a review's date the
review is assembled (mid-term 2022, final 2024); two weeks after the mid-term review one
economy corrects a 2022 figure, and the mid-term review is rebuilt with its "what changed"
appendix. Deterministic; no network; messages wait in the local outbox unless a Slack token
is configured.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from prefect import flow

from smewg.core import progress
from smewg.flows.cycle_run import cycle_context
from smewg.flows.hooks import RUN_HOOKS
from smewg.flows.review import assemble_review
from smewg.flows.simulate import play_cycle
from smewg.tasks.collect import collect_arrivals_task
from smewg.tasks.simulation import simulate_correction_task, simulate_submissions_task, write_demo_calendars_task
from smewg.tasks.store import load_catalogue_task, migrate_store_task
from smewg.tasks.templates import write_templates_task


@flow(name="simulate-plan-period", description="Simulate every cycle of the plan period end to end (the demo).", **RUN_HOOKS)
def simulate_plan_period() -> dict:
    # The steps of prepare-store, issue-templates and simulate-cycle as tasks of this one run,
    # not as subflows: the same work, and the whole period is one run with its tasks in the UI.
    prepared = {"migration": migrate_store_task(), "catalogue": load_catalogue_task()}
    years = write_demo_calendars_task()
    cycles, reviews = {}, []
    for year in years:
        with cycle_context(year) as context:
            write_templates_task(context)
            simulated = simulate_submissions_task(context)
        cycles[year] = {"files": len(simulated), **play_cycle(year)}
        for built in cycles[year]["reviews"]:
            reviews.append(built)
            if built["kind"] == "midterm":
                reviews.append(_correct_and_rebuild(year, built["kind"], date.fromisoformat(built["as_of"])))
    return {"prepared": prepared, "years": years, "cycles": cycles, "reviews": reviews}


def _correct_and_rebuild(year: int, kind: str, review_day: date) -> dict:
    """An economy corrects a figure two weeks after the review; collected, then the review rerun."""
    arrival = review_day + timedelta(days=14)
    bar = f"{kind}-rerun"
    progress.started(bar, f"{kind} rerun", 2)
    progress.advanced(bar, 0, f"{arrival:%d %b %Y}: a correction arrives")
    with cycle_context(year) as context:
        received = datetime.combine(arrival, time(10), tzinfo=ZoneInfo(context.calendar.timezone))
        correction = simulate_correction_task(context, received)
        collect_arrivals_task(context, arrival)
    progress.advanced(bar, 1, f"the {kind} review rebuilt")
    rebuilt = assemble_review(kind=kind, as_of=arrival + timedelta(days=1), rerun=True)
    progress.advanced(bar, 1, "done")
    return {**rebuilt, "correction": correction}
