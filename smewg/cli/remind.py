"""``smewg remind``: run the send-reminders flow (or show what it would queue)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from smewg.cli.options import AsOfOption, JsonOption, YearOption, calendar_in_force, parse_as_of, require_initialised_store
from smewg.cli.output import console, emit_json, fail_if_undelivered
from smewg.core.settings import get_settings


def remind(
    year: YearOption,
    as_of: AsOfOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be queued; send and store nothing.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Send the day's reminders to economies that have not submitted (a tracked Prefect run)."""
    day = parse_as_of(as_of)
    result: dict[str, Any]
    if dry_run:
        from smewg.core.clock import now_utc
        from smewg.core.cycle import open_cycle
        from smewg.work.reminders import queue_reminders

        with open_cycle(get_settings(), year) as context:
            queued = queue_reminders(context, day, now=now_utc(), dry_run=True)
        result = {"year": year, "as_of": day.isoformat(), "dry_run": True, "queued": queued}
    else:
        require_initialised_store()
        from smewg.flows.reminders import send_reminders

        result = send_reminders(year=year, as_of=day)
    result = {**result, "calendar": calendar_in_force(year)}
    if json_output:
        emit_json(result)
        if not dry_run:
            fail_if_undelivered(result["delivery"])
        return
    table = Table(title=f"Reminders {year} as of {day.isoformat()}" + (" (dry run: nothing sent)" if dry_run else ""))
    for column in ("economy", "step", "channel"):
        table.add_column(column)
    for item in result["queued"]:
        table.add_row(item["economy"], item["step"], item["channel"])
    console.print(table)
    console.print(f"calendar: {result['calendar']}", markup=False, soft_wrap=True)
    if not dry_run:
        d = result["delivery"]
        console.print(f"delivered {d['delivered']}, failed {d['failed']}, waiting in the outbox {d['waiting']}")
        fail_if_undelivered(d)
