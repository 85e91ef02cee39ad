"""Flow ``simulate-plan-period``: the whole plan period played forward (what ``smewg demo`` runs).

A fresh store, a calendar per cycle, and for each cycle: the call for data's templates,
simulated submissions arriving over the cycle, and the cycle played day by day
(collection, reminders, escalations, the KPI rollup on its date). Deterministic; no
network; messages wait in the local outbox unless a Slack token is configured.
"""

from __future__ import annotations

from prefect import flow

from smewg.flows.cycle_run import cycle_context
from smewg.flows.hooks import FAILURE_HOOKS
from smewg.flows.prepare_store import prepare_store
from smewg.flows.simulate import simulate_cycle
from smewg.flows.templates import issue_templates
from smewg.tasks.simulation import simulate_submissions_task, write_demo_calendars_task


@flow(name="simulate-plan-period", description="Simulate every cycle of the plan period end to end (the demo).", **FAILURE_HOOKS)
def simulate_plan_period() -> dict:
    prepared = prepare_store()
    years = write_demo_calendars_task()
    cycles = {}
    for year in years:
        issue_templates(year=year)
        with cycle_context(year) as context:
            simulated = simulate_submissions_task(context)
        cycles[year] = {"files": len(simulated), **simulate_cycle(year=year)}
    return {"prepared": prepared, "years": years, "cycles": cycles}
