"""Options shared by the commands, defined once so that they read the same everywhere."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import typer

from smewg.core.clock import today


def a_cycle_of_the_plan(year: int) -> int:
    """A year outside the plan period would only ever find nothing: say the period instead."""
    from smewg.core.catalogue import load_plan
    from smewg.core.settings import get_settings

    period = load_plan(get_settings().plan_file).period
    if year not in period.years:
        raise typer.BadParameter(
            f"{year} is not a cycle of the plan; its cycles are {period.start}-{period.end}", param_hint="--year"
        )
    return year


def calendar_in_force(year: int) -> str:
    """The calendar file a command for cycle ``year`` reads: every such command names it
    (``calendar`` in ``--json``), so that a calendar from another folder is never a surprise."""
    from smewg.core.calendar import calendar_path
    from smewg.core.settings import get_settings

    return str(calendar_path(get_settings().schedule_dir, year).resolve())


def one_of(value: str | None, allowed: tuple[str, ...], option: str) -> str | None:
    """``value`` when it is one of ``allowed``; a usage error listing them otherwise."""
    if value is not None and value not in allowed:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(allowed)}", param_hint=option)
    return value


JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout (logs go to stderr).")]
YearOption = Annotated[int, typer.Option("--year", help="The cycle's reference year.", callback=a_cycle_of_the_plan)]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", help="The day to act as (YYYY-MM-DD); default today in Asia/Singapore.")
]


def parse_as_of(value: str | None) -> date:
    """The ``--as-of`` day, or today in the plan's time zone."""
    if value is None:
        return today()
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint="--as-of") from None


def require_initialised_store(*, runs_flows: bool = True) -> None:
    """Before a command starts a flow (and Prefect): a missing store is one line and exit 3,
    not a flow run that fails and leaves an empty database file behind. Then Prefect's log
    lines (flow and task runs, the temporary server) go to the log file, not the terminal:
    the command prints its result, and an error is one line naming the log. Last, the
    Prefect API the flows report to (:func:`smewg.cli.prefect_api.use_prefect`)."""
    from smewg.cli.output import log_path, send_logs_to
    from smewg.core.settings import get_settings
    from smewg.core.store import require_store

    require_store(get_settings().resolved_database_url)
    send_logs_to(log_path())
    if runs_flows:
        from smewg.cli.prefect_api import use_prefect

        use_prefect(log_path().with_name("prefect-server.log"))
