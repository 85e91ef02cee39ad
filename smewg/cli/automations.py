"""``smewg automations apply``: the server-side alerts (Failed, Crashed, TimedOut, Late, no heartbeat)."""

from __future__ import annotations

import typer
from rich.table import Table

from smewg.cli.options import JsonOption
from smewg.cli.output import console, emit_json, fail

app = typer.Typer(help="Server-side automations that alert the Secretariat.", no_args_is_help=True)


@app.command("apply")
def apply(json_output: JsonOption = False) -> None:
    """Create or update the automations on the Prefect server (PREFECT_API_URL); safe to run again."""
    import os

    if not os.environ.get("PREFECT_API_URL"):
        fail("automations live on a Prefect server: set PREFECT_API_URL to it (and deploy prefect.yaml first)")
    from smewg.flows.alerts import apply_automations

    try:
        applied = apply_automations()
    except LookupError as error:
        fail(str(error))
    if json_output:
        emit_json(applied)
        return
    table = Table(title="Automations on the Prefect server")
    table.add_column("automation")
    table.add_column("")
    for item in applied:
        table.add_row(item["name"], item["action"])
    console.print(table)
