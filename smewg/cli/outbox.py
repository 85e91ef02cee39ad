"""``smewg outbox``: messages waiting for Slack, or already delivered."""

from __future__ import annotations

import textwrap
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from smewg.cli.options import JsonOption, a_cycle_of_the_plan, one_of
from smewg.cli.output import console, emit_json, fail, fail_if_undelivered
from smewg.core.settings import get_settings
from smewg.core.store import read_session
from smewg.work.untrusted import terminal_safe

app = typer.Typer(help="The notification outbox: list it, or deliver what waits.")


@app.callback(invoke_without_command=True)
def outbox(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="Only pending, delivered or failed messages.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only reminder, escalation, missed_deadline, failure, ...")] = None,
    year: Annotated[int | None, typer.Option(help="Only messages of this cycle.")] = None,
    economy: Annotated[str | None, typer.Option(help="Only messages to this economy (code or name).")] = None,
    message_id: Annotated[int | None, typer.Option("--id", help="Show this one message whole.")] = None,
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

    settings = get_settings()
    code = None
    if economy is not None:
        from smewg.core.economies import load_economies

        code = load_economies(settings.economies_file).resolve(economy).code
    with read_session(settings.resolved_database_url) as session:
        found = list_notifications(session, status=status, kind=kind, year=year, economy=code, notification_id=message_id)
        rows = [notification_json(r) for r in found]
    if message_id is not None and not rows:
        fail(f"there is no message {message_id} in the outbox (smewg outbox lists them)")
    if json_output:
        emit_json(rows)
        return
    if message_id is not None:
        _show_whole(rows[0])
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
            _summary(row),
        )
    console.print(table)
    if rows:
        console.print("smewg outbox --id N shows a message whole.", style="dim")


def _summary(row: dict) -> Text:
    """The message's first 120 characters, cut between words; its error below in red. Text
    from outside is shown, never read as markup or terminal control."""
    summary = Text(textwrap.shorten(terminal_safe(row["text"]), 120, placeholder=" …"))
    if row["last_error"]:
        summary.append("\n" + terminal_safe(row["last_error"]), style="red")
    return summary


def _show_whole(row: dict) -> None:
    heading = f"message {row['id']}: {row['kind']} to {row['channel']}, {row['status']} after {row['attempts']} tries"
    console.print(Text(terminal_safe(heading), style="bold"))
    console.print(Text(f"created {row['created_at'][:16]} UTC" + (f", cycle {row['year']}" if row["year"] else "")))
    if row["last_error"]:
        console.print(Text(terminal_safe(row["last_error"]), style="red"))
    console.print()
    console.print(Text(terminal_safe(row["text"])), soft_wrap=True)


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
