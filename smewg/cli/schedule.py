"""``smewg schedule new|show``: the yearly cycle calendars in ``schedule/``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from smewg.cli.options import JsonOption, YearOption, calendar_in_force
from smewg.cli.output import console, emit_json, fail
from smewg.core.calendar import calendar_path, dump_calendar, load_calendar, template_calendar
from smewg.core.catalogue import load_catalogue
from smewg.core.settings import get_settings

app = typer.Typer(help="Cycle calendars: deadlines, reminders, meetings, work-plan activities.", no_args_is_help=True)


@app.command("new")
def new(
    year: Annotated[int, typer.Argument(help="The cycle's reference year.")],
    force: Annotated[bool, typer.Option(help="Replace an existing calendar (its edits are lost).")] = False,
) -> None:
    """Create the calendar of a cycle from the template, with sensible dates."""
    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    if year not in plan.period.years:
        fail(f"{year} is outside the plan period {plan.period.start}-{plan.period.end} of {plan.id}")
    path = calendar_path(settings.schedule_dir, year)
    if path.exists() and not force:
        fail(f"{path} already exists; edit it, or use --force to start again from the template")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_calendar(template_calendar(year, plan)), encoding="utf-8")
    console.print(f"Wrote {path}; edit it, then check it with `smewg schedule show --year {year}`", highlight=False)


def calendar_document(calendar, catalogue) -> dict:
    """The ``schedule show --json`` document of SPEC section 7, reminders per the cycle's deadline."""
    return {
        "year": calendar.year,
        "plan": calendar.plan,
        "timezone": calendar.timezone,
        "call_for_data": calendar.call_for_data.isoformat(),
        "deadline": calendar.deadline.isoformat(),
        "reminders": [{"step": s.name, "date": s.date.isoformat()} for s in calendar.steps_for("") if s.kind == "reminder"],
        "escalations": [{"step": s.name, "date": s.date.isoformat()} for s in calendar.steps_for("") if s.kind == "escalation"],
        "milestones": [{"name": m.name, "date": m.date.isoformat()} for m in calendar.milestones()],
        "extensions": {code: day.isoformat() for code, day in calendar.extensions.items()},
        "activities": [{**a.model_dump(mode="json"), "priority": a.priority} for a in calendar.activities],
    }


@app.command("show")
def show(
    year: YearOption,
    json_output: JsonOption = False,
) -> None:
    """Show a cycle's calendar (validated against the plan)."""
    settings = get_settings()
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    calendar = load_calendar(calendar_path(settings.schedule_dir, year), catalogue.plan)
    document = {**calendar_document(calendar, catalogue), "calendar": calendar_in_force(year)}
    if json_output:
        emit_json(document)
        return
    table = Table(title=f"SMEWG cycle {year} ({calendar.timezone})")
    table.add_column("date")
    table.add_column("what")
    events = [(m["date"], m["name"]) for m in document["milestones"]]
    events += [(s["date"], f"reminder {s['step']}") for s in document["reminders"]]
    events += [(s["date"], f"escalation {s['step']}") for s in document["escalations"]]
    events += [(a["due"], f"activity {a['id']} due: {a['title']} ({a['lead']}, {a['status']})") for a in document["activities"]]
    for day, what in sorted(events):
        table.add_row(day, what)
    console.print(table)
    for code, day in document["extensions"].items():
        console.print(f"Extension: {code} until {day} (its reminders move with it)", highlight=False)
    console.print(f"calendar: {document['calendar']}", markup=False, soft_wrap=True)
