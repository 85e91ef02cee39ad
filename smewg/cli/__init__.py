"""The ``smewg`` command line for the Secretariat (typer + rich).

Read-only commands never start Prefect; ``--json`` prints one JSON document on stdout.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
from pathlib import Path

import typer
from typer.exceptions import TyperException

from smewg.cli import automations, cycle, economies, plan, proposals, schedule
from smewg.cli.collection import collect, data_docs, received, simulate, submissions, templates
from smewg.cli.cycle import watch
from smewg.cli.demo import demo
from smewg.cli.outbox import app as outbox_app
from smewg.cli.output import log_path, print_error
from smewg.cli.remind import remind
from smewg.cli.review import review
from smewg.cli.rollup import export, rollup, status
from smewg.cli.serve import serve
from smewg.cli.store import init
from smewg.core.config_files import ConfigFileError
from smewg.core.economies import UnknownEconomy
from smewg.core.store.db import StoreMissing
from smewg.work.untrusted import terminal_safe

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
app.command("received")(received)
app.command("submissions")(submissions)
app.command("data-docs")(data_docs)
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
app.add_typer(proposals.app, name="proposals")
app.command("watch")(watch)
app.command("serve")(serve)


def _no_final_garbage_collection() -> None:
    """At exit Python walks every object the libraries left behind (Prefect, Great
    Expectations, pandas, matplotlib) looking for garbage: 1.3-1.7 s after `smewg demo`'s
    last line, measured. The process is ending and its memory goes back whole, so the
    objects are frozen out of that walk. What it gives up: objects caught in reference
    cycles are not finalised at exit. smewg writes its files in ``with`` blocks and commits
    its transactions before returning; logs are flushed by logging's own exit handler."""
    gc.disable()
    gc.freeze()


def main() -> None:
    """Exit codes: 0 done, 1 failed (one line on stderr naming the log with the details),
    2 a usage error or a configuration file to correct, 3 the store cannot be used."""
    atexit.unregister(_no_final_garbage_collection)  # once, however often main() runs in a process
    atexit.register(_no_final_garbage_collection)
    # No internet on these machines and no telemetry wanted anywhere.
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    try:
        code = app(standalone_mode=False, prog_name="smewg")
    except typer.Abort:
        print_error("interrupted")
        sys.exit(130)
    except TyperException as error:  # a usage error: click would draw a box around it
        context = getattr(error, "ctx", None)
        where = f"; see `{context.command_path} --help`" if context is not None else ""
        message = error.format_message() if hasattr(error, "format_message") else str(error)
        print_error(f"{message.rstrip('.')}{where}")
        sys.exit(getattr(error, "exit_code", 2))
    except UnknownEconomy as error:  # a name typed on the command line, with the nearest economy
        print_error(str(error.args[0]) if error.args else str(error))
        sys.exit(2)
    except ConfigFileError as error:  # plan, economies, calendar, FX or Slack channels file
        print_error(str(error))
        sys.exit(2)
    except StoreMissing as error:
        print_error(str(error))
        sys.exit(3)
    except Exception as error:  # the operator gets one line, the traceback goes to the log
        from sqlalchemy.exc import OperationalError, ProgrammingError

        if isinstance(error, OperationalError | ProgrammingError):
            detail = str(error.orig)
            if "no such column" in detail or ("column" in detail and "does not exist" in detail):
                print_error(
                    f"the store is older than this version of smewg ({detail.splitlines()[0]}); "
                    "run `smewg init` to upgrade it (nothing stored is lost)"
                )
            elif "no such table" in detail or "does not exist" in detail:
                print_error(f"the store has no tables yet ({detail.splitlines()[0]}); run `smewg init` first")
            else:  # psycopg's messages run over several lines: one line for the operator
                print_error(f"cannot use the database: {' '.join(detail.split())}")
            sys.exit(3)
        print_error(f"{_first_line(error)} (the details are in {_log_traceback(error)})")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


def _first_line(error: BaseException) -> str:
    text = " ".join(str(error).split())[:300] or type(error).__name__
    return terminal_safe(text if isinstance(error, RuntimeError | ValueError) else f"{type(error).__name__}: {text}")


def _log_traceback(error: BaseException) -> Path:
    import traceback

    from smewg.core.clock import now_utc

    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            log.write(f"\n{now_utc().isoformat()} smewg {' '.join(sys.argv[1:])}\n")
            log.write("".join(traceback.format_exception(error)))
    except OSError:
        traceback.print_exception(error)  # no log file: the details on stderr after all
    return path
