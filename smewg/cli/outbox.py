"""``smewg outbox``: messages waiting for Slack, or already delivered."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from smewg.cli.options import JsonOption, a_cycle_of_the_plan, one_of
from smewg.cli.output import console, emit_json, fail_if_undelivered
from smewg.core.settings import get_settings
from smewg.core.store import read_session

app = typer.Typer(help="The notification outbox: list it, or deliver what waits.")


@app.callback(invoke_without_command=True)
def outbox(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only pending, delivered or failed messages.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only reminder, escalation, missed_deadline, failure, ...")] = None,
    year: Annotated[int | None, typer.Option(help="Only messages of this cycle.")] = None,
    json_output: JsonOption = False,
) -> None:
    """List the notification outbox (with no Slack token, messages wait here)."""
    if ctx.invoked_subcommand is not None:
        return
    from smewg.core.store.models import NOTIFICATION_KINDS, NOTIFICATION_STATUSES
    from smewg.work.outbox import list_notifications, notification_json

    one_of(status, NOTIFICATION_STATUSES, "--status")
    one_of(kind, NOTIFICATION_KINDS, "--kind")
    if year is not None:
        a_cycle_of_the_plan(year)

    with read_session(get_settings().resolved_database_url) as session:
        rows = [notification_json(r) for r in list_notifications(session, status=status, kind=kind, year=year)]
    if json_output:
        emit_json(rows)
        return
    table = Table(title=f"Outbox ({len(rows)} messages)")
    for column in ("id", "created", "kind", "channel", "status", "tries", "message"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            str(row["id"]),
            row["created_at"][:16],
            row["kind"],
            row["channel"],
            row["status"],
            str(row["attempts"]),
            row["text"][:120] + (f"\n[red]{row['last_error']}[/]" if row["last_error"] else ""),
        )
    console.print(table)


@app.command("send")
def send(json_output: JsonOption = False) -> None:
    """Deliver what waits in the outbox to Slack now (each message at most once)."""
    from smewg.core.store import create_store_engine, require_store
    from smewg.tasks.outbox import deliver

    settings = get_settings()
    require_store(settings.resolved_database_url)
    engine = create_store_engine(settings.resolved_database_url)
    try:
        report = deliver(engine, settings)
    finally:
        engine.dispose()
    if json_output:
        emit_json(report)
    else:
        console.print(f"delivered {report['delivered']}, failed {report['failed']}, waiting {report['waiting']}")
    fail_if_undelivered(report)
