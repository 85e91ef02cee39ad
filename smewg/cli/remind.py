"""``smewg remind``: run the send-reminders flow (or show what it would queue)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer
from rich.table import Table

from smewg.cli.output import console, emit_json
from smewg.clock import today
from smewg.settings import get_settings


def parse_as_of(value: str | None) -> date:
    if value is None:
        return today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint="--as-of") from None


AsOfOption = Annotated[str | None, typer.Option("--as-of", help="The day to act as (YYYY-MM-DD); default today in Asia/Singapore.")]


def remind(
    year: Annotated[int, typer.Option(help="The cycle's reference year.")],
    as_of: AsOfOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be queued; send and store nothing.")] = False,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Send the day's reminders to economies that have not submitted (a tracked Prefect run)."""
    day = parse_as_of(as_of)
    if dry_run:
        from smewg.clock import now_utc
        from smewg.cycle import load_cycle_context
        from tasks.reminders import queue_reminders

        queued = queue_reminders(load_cycle_context(get_settings(), year), day, now=now_utc(), dry_run=True)
        result = {"year": year, "as_of": day.isoformat(), "dry_run": True, "queued": queued}
    else:
        from flows.reminders import send_reminders

        result = send_reminders(year=year, as_of=day)
    if json_output:
        emit_json(result)
        return
    table = Table(title=f"Reminders {year} as of {day.isoformat()}" + (" (dry run: nothing sent)" if dry_run else ""))
    for column in ("economy", "step", "channel"):
        table.add_column(column)
    for item in result["queued"]:
        table.add_row(item["economy"], item["step"], item["channel"])
    console.print(table)
    if not dry_run:
        d = result["delivery"]
        console.print(f"delivered {d['delivered']}, failed {d['failed']}, waiting in the outbox {d['waiting']}")
