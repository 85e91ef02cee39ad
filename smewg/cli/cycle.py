"""``smewg cycle run``, ``smewg watch`` and ``smewg outbox send``: the steps an officer may run by hand."""

from __future__ import annotations

import typer
from rich.table import Table

from smewg.cli.options import AsOfOption, JsonOption, YearOption, calendar_in_force, parse_as_of, require_initialised_store
from smewg.cli.output import console, emit_json, fail, fail_if_undelivered

app = typer.Typer(help="The yearly cycle as one daily flow.", no_args_is_help=True)


@app.command("run")
def cycle_run(as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """Run whatever the cycle's calendar has due on the day (the annual-cycle flow, tracked)."""
    require_initialised_store()
    from smewg.flows.annual_cycle import annual_cycle

    day = parse_as_of(as_of)
    state = annual_cycle(as_of=day, return_state=True)
    if not state.is_completed():
        fail(
            f"the annual cycle of {day.isoformat()} did not complete: {state.message}; "
            "see `smewg status` and the run in the Prefect UI; the next run retries what failed",
            code=1,
        )
    done = state.result()
    result = {**done, "calendar": calendar_in_force(done["year"])}
    if json_output:
        emit_json(result)
        return
    console.print(
        f"Cycle {result['year']} on {result['as_of']}: ran {', '.join(result['done']) or 'nothing due'}"
        f"; {result['collected']} new file(s) collected",
        highlight=False,
    )
    console.print(f"calendar: {result['calendar']}", markup=False, soft_wrap=True)


def watch(year: YearOption, as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """The deadline watch: escalations to late economies and missed-deadline alerts (a tracked run)."""
    require_initialised_store()
    from smewg.flows.deadlines import watch_deadlines

    result = {**watch_deadlines(year=year, as_of=parse_as_of(as_of)), "calendar": calendar_in_force(year)}
    if json_output:
        emit_json(result)
        fail_if_undelivered(result["delivery"])
        return
    table = Table(title=f"Deadline watch {year} as of {result['as_of']}")
    table.add_column("economy")
    table.add_column("escalation step")
    for e in result["escalations"]:
        table.add_row(e["economy"], e["step"])
    console.print(table)
    for alert in result["alerts"]:
        console.print(f"Secretariat alert: {alert['what']}", highlight=False, markup=False)
    d = result["delivery"]
    console.print(f"delivered {d['delivered']}, failed {d['failed']}, waiting in the outbox {d['waiting']}")
    console.print(f"calendar: {result['calendar']}", markup=False, soft_wrap=True)
    fail_if_undelivered(d)
