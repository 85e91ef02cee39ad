"""``smewg templates``, ``smewg simulate``, ``smewg collect`` and ``smewg submissions``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from smewg.cli.options import (
    AsOfOption,
    JsonOption,
    YearOption,
    a_cycle_of_the_plan,
    calendar_in_force,
    parse_as_of,
    require_initialised_store,
)
from smewg.cli.output import console, emit_json, err_console, fail
from smewg.core.settings import get_settings
from smewg.work.untrusted import terminal_safe


def templates(
    year: YearOption,
    economy: Annotated[list[str] | None, typer.Option(help="Only these economies (codes or names).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Write each economy's XLSX and CSV submission template for a cycle (the issue-templates flow)."""
    from smewg.core.catalogue import load_catalogue

    settings = get_settings()
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    codes = [catalogue.economies.resolve(e).code for e in economy] if economy else None
    from smewg.flows.templates import issue_templates

    written = issue_templates(year=year, economies=codes)
    if json_output:
        emit_json(written)
        return
    console.print(
        f"Wrote {len(written)} templates (XLSX and CSV) to {settings.outputs_dir / 'templates' / str(year)}", highlight=False
    )


def simulate(year: YearOption, json_output: JsonOption = False) -> None:
    """Write realistic simulated submissions for a cycle into the inbox (deterministic)."""
    from smewg.core.cycle import load_cycle_context
    from smewg.work.simulate_submissions import simulate_submissions

    settings = get_settings()
    context = load_cycle_context(settings, year)
    files = simulate_submissions(settings.resolved_inbox, context.catalogue, context.calendar)
    document = [
        {
            "economy": f.economy,
            "file": str(f.path),
            "received_at": f.received_at.isoformat(),
            "bad_rows": f.bad_rows,
            "correction": f.correction,
        }
        for f in files
    ]
    if json_output:
        emit_json(document)
        return
    console.print(
        f"Wrote {len(files)} files for {len({f.economy for f in files})} economies under {settings.resolved_inbox / str(year)}",
        highlight=False,
    )


def collect(year: YearOption, as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """Collect, check and store new submissions (a tracked Prefect run)."""
    require_initialised_store()
    from smewg.flows.collect import collect_submissions

    result = {**collect_submissions(year=year, as_of=parse_as_of(as_of)), "calendar": calendar_in_force(year)}
    if json_output:
        emit_json(result)
        return
    new = [o for o in result["outcomes"] if o["status"] != "unchanged"]
    table = Table(title=f"Collection {year} as of {result['as_of']}: {len(new)} new file(s)")
    for column in ("economy", "file", "version", "status", "accepted", "quarantined", "flagged"):
        table.add_column(column)
    for o in new:
        table.add_row(
            o["economy"],
            Text(terminal_safe(o["file"])),  # a file name is not markup, nor terminal control
            str(o["version"]),
            o["status"],
            str(o["rows_accepted"]),
            str(o["rows_quarantined"]),
            str(o["rows_flagged"]),
        )
    console.print(table)
    for warning in result["warnings"]:
        err_console.print(Text.assemble(("warning: ", "yellow"), terminal_safe(warning)), highlight=False)
    console.print(f"calendar: {result['calendar']}", markup=False, soft_wrap=True)


def submissions(year: YearOption, json_output: JsonOption = False) -> None:
    """Every submission version of a cycle: status, rows accepted/quarantined/flagged."""
    from smewg.core.catalogue import load_catalogue
    from smewg.core.store import read_session
    from smewg.work.submissions import list_submissions

    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    with read_session(settings.resolved_database_url) as session:
        rows = list_submissions(session, plan.id, year)
    if json_output:
        emit_json(rows)
        return
    table = Table(title=f"Submissions {year} ({len({r['economy'] for r in rows})} economies, {len(rows)} versions)")
    for column in ("economy", "version", "status", "accepted", "quarantined", "flagged", "received", "file"):
        table.add_column(column, overflow="fold")
    for r in rows:
        table.add_row(
            r["economy"],
            str(r["version"]),
            r["status"],
            f"{r['rows_accepted']:,}",
            f"{r['rows_quarantined']:,}",
            f"{r['rows_flagged']:,}",
            r["received_at"][:16],
            Text(terminal_safe(r["file"])),
        )
    console.print(table)


def received(
    file: Annotated[Path, typer.Argument(help="The file in the inbox (inbox/<YEAR>/<ECONOMY>/...).")],
    on: Annotated[str, typer.Option("--on", help="The day it really arrived (YYYY-MM-DD), e.g. the e-mail's date.")],
    at: Annotated[str, typer.Option("--at", help="The time it arrived (HH:MM, Asia/Singapore).")] = "09:00",
) -> None:
    """Record when a file really arrived (a file that came by e-mail and was copied in later).

    A file counts as received at its modification time; this sets it, so lateness and the
    reminders follow the real date. Do it before the file is collected: a stored version
    keeps the date it was stored with.
    """
    from datetime import datetime as moment
    from zoneinfo import ZoneInfo

    from smewg.core.catalogue import load_plan
    from smewg.core.clock import now_utc

    settings = get_settings()
    plan = load_plan(settings.plan_file)
    inbox = settings.resolved_inbox.resolve()
    path = file.resolve()
    try:
        year, economy = path.relative_to(inbox).parts[:2]
    except ValueError:
        fail(f"{file} is not in the inbox ({inbox}/<YEAR>/<ECONOMY>/); copy it there first", code=2)
    if not path.is_file() or not year.isdigit() or economy not in plan.economies:
        fail(f"{file} is not a file in an economy's folder of the inbox ({inbox}/<YEAR>/<ECONOMY>/)", code=2)
    day = parse_as_of(on)
    try:
        clock = moment.strptime(at, "%H:%M").time()
    except ValueError:
        raise typer.BadParameter(f"{at!r} is not a time; use HH:MM", param_hint="--at") from None
    when = moment.combine(day, clock, tzinfo=ZoneInfo(plan.timezone))
    if when > now_utc():
        fail(f"{on} {at} is in the future; give the day the file arrived", code=2)
    os.utime(path, (when.timestamp(), when.timestamp()))
    console.print(
        f"{terminal_safe(path.name)} ({economy}, cycle {year}) counts as received {when:%Y-%m-%d %H:%M %Z}", markup=False
    )


def data_docs(
    file: Annotated[Path, typer.Argument(help="A submission file (in the inbox, or anywhere with --year and --economy).")],
    year: Annotated[int | None, typer.Option(help="The cycle (default: from the file's inbox folder).")] = None,
    economy: Annotated[str | None, typer.Option(help="The economy (default: from the file's inbox folder).")] = None,
) -> None:
    """Write Great Expectations' Data Docs page for one file: the technical view of every
    rule of expectations/submission.json and what it found, a page that works offline."""
    from smewg.core.cycle import open_cycle
    from smewg.work.data_docs import write_data_docs
    from smewg.work.parse import SubmissionRejected

    settings = get_settings()
    path = file.resolve()
    if not path.is_file():
        fail(f"{file} is not a file", code=2)
    if year is None or economy is None:
        try:
            folder_year, folder_economy = path.relative_to(settings.resolved_inbox.resolve()).parts[:2]
        except ValueError:
            fail(f"{file} is not in the inbox ({settings.resolved_inbox}/<YEAR>/<ECONOMY>/); give --year and --economy", code=2)
        year = year or (int(folder_year) if folder_year.isdigit() else None)
        economy = economy or folder_economy
    if year is None:
        fail(f"{file}: the cycle is not in its path; give --year", code=2)
    a_cycle_of_the_plan(year)
    require_initialised_store(runs_flows=False)
    with open_cycle(settings, year) as context:
        code = context.catalogue.economies.resolve(economy).code
        try:
            page = write_data_docs(context, path, code)
        except SubmissionRejected as rejection:
            fail(f"{terminal_safe(path.name)} cannot be read, so no rule ran: {terminal_safe(rejection)}")
    console.print(f"Data Docs of {terminal_safe(path.name)} ({code}, cycle {year}): {page}", markup=False, soft_wrap=True)
