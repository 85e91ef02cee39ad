"""The ``smewg`` command line for the Secretariat (typer + rich).

Read-only commands never start Prefect; ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import os
import sys

import typer

from smewg.cli import automations, cycle, economies, plan, schedule
from smewg.cli.collection import collect, simulate, submissions, templates
from smewg.cli.cycle import watch
from smewg.cli.demo import demo
from smewg.cli.outbox import app as outbox_app
from smewg.cli.output import print_error
from smewg.cli.remind import remind
from smewg.cli.review import review
from smewg.cli.rollup import export, rollup, status
from smewg.cli.serve import serve
from smewg.cli.store import init
from smewg.core.config_files import ConfigFileError
from smewg.core.store.db import StoreMissing

app = typer.Typer(
    name="smewg",
    help="Run the APEC SME Working Group's yearly strategic-plan cycle.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("init")(init)
app.command("demo")(demo)
app.command("remind")(remind)
app.command("templates")(templates)
app.command("simulate")(simulate)
app.command("collect")(collect)
app.command("submissions")(submissions)
app.command("rollup")(rollup)
app.command("export")(export)
app.command("status")(status)
app.command("review")(review)
app.add_typer(plan.app, name="plan")
app.add_typer(schedule.app, name="schedule")
app.add_typer(economies.app, name="economies")
app.add_typer(outbox_app, name="outbox")
app.add_typer(cycle.app, name="cycle")
app.add_typer(automations.app, name="automations")
app.command("watch")(watch)
app.command("serve")(serve)


def main() -> None:
    # No internet on these machines and no telemetry wanted anywhere.
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        app()
    except ConfigFileError as error:  # plan, economies, calendar, FX or Slack channels file
        print_error(str(error))
        sys.exit(2)
    except StoreMissing as error:
        print_error(str(error))
        sys.exit(3)
    except Exception as error:  # the operator gets one line, the traceback goes to stderr too
        from sqlalchemy.exc import OperationalError, ProgrammingError

        if isinstance(error, OperationalError | ProgrammingError):
            detail = str(error.orig)
            if "no such table" in detail or "does not exist" in detail:
                print_error(f"the store has no tables yet ({detail.splitlines()[0]}); run `smewg init` first")
            else:  # psycopg's messages run over several lines: one line for the operator
                print_error(f"cannot use the database: {' '.join(detail.split())}")
            sys.exit(3)
        raise
