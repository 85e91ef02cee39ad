"""``smewg demo``: the plan period simulated on the embedded default, end to end.

The orchestration is the ``simulate-plan-period`` flow; this command points every setting
at a fresh folder (``$SMEWG_HOME/demo``), runs the flow, and prints where every output is.
All on a real, temporary Prefect server; no network; the same result every time.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from smewg.cli.output import console, err_console, fail, send_logs_to
from smewg.cli.plan import counts_line, plan_document
from smewg.core import progress
from smewg.core.catalogue import load_catalogue
from smewg.core.settings import HOME_SETTINGS_FILE, get_settings


def _isolate(demo_home: Path) -> None:
    """Point every setting of this process at the demo folder: nothing else is touched."""
    os.environ["SMEWG_HOME"] = str(demo_home)
    os.environ["SMEWG_SCHEDULE_DIR"] = str(demo_home / "schedule")
    for name in ("SMEWG_DATABASE_URL", "SMEWG_INBOX", "SMEWG_SLACK_TOKEN", "SMEWG_SLACK_TOKEN_BLOCK"):
        os.environ.pop(name, None)
    os.environ.setdefault("PREFECT_HOME", str(demo_home / "prefect"))


def demo(
    home: Annotated[
        Path | None, typer.Option(help="Where the demo's state goes (default $SMEWG_HOME/demo). Replaced on each run.")
    ] = None,
) -> None:
    """Run the whole demo on the embedded default and print where every output is."""
    demo_home = (home or get_settings().home / "demo").resolve()
    try:
        if demo_home.exists():
            shutil.rmtree(demo_home)
        demo_home.mkdir(parents=True)
    except OSError as error:
        fail(f"cannot make the demo's folder {demo_home} ({error.strerror}); pass --home with a folder you can write to")
    _isolate(demo_home)
    # The commands printed below take only SMEWG_HOME: the folder says where its calendars are.
    (demo_home / HOME_SETTINGS_FILE).write_text(
        f"# Written by smewg demo: the settings of this folder (read when SMEWG_HOME={demo_home}).\n"
        f"SMEWG_SCHEDULE_DIR={demo_home / 'schedule'}\n",
        encoding="utf-8",
    )
    log_path = demo_home / "demo.log"
    send_logs_to(log_path, prefect=False)
    from smewg.cli.prefect_api import launch_temporary_server, use_prefect

    launch_temporary_server(log_path)  # it boots while this process imports Prefect, the flows and GX
    send_logs_to(log_path)
    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    years = list(plan.period.years)
    err_console.print(
        f"Simulating the plan period {years[0]}-{years[-1]} with the flow simulate-plan-period: store, "
        "calendars, templates, submissions arriving over each cycle, collection, reminders and alerts, "
        "KPI rollup and exports, the mid-term and final reviews, and the mid-term rebuilt after a "
        f"correction, on a temporary local Prefect server. Run log: {log_path}",
        highlight=False,
    )
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from smewg.flows.plan_period import simulate_plan_period
    from smewg.work.quality import warm_up as warm_up_validation

    warm_up_validation()
    use_prefect(log_path)
    # Heartbeats tell a server that a worker's run is alive; this run lives and dies with
    # the command (and its temporary server), and each sync subflow would wait ~1 s for
    # its heartbeat thread to stop.
    with _progress_bars(), temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result = simulate_plan_period()
    prepared = result["prepared"]
    rolled_up = {year: cycle["rollup"] for year, cycle in result["cycles"].items()}

    console.print(f"Plan {plan.id}: " + counts_line(plan_document(plan)), style="dim", highlight=False, soft_wrap=True)
    console.print(_submissions_table(settings, plan.id, years))
    console.print(_outbox_table(settings, years))
    console.print()
    console.print("[bold]Outputs[/]")
    catalogue_rows = sum(prepared["catalogue"]["inserted"].values())
    console.print(
        f"  store (SQLite):    {settings.resolved_database_url}  ({catalogue_rows} catalogue rows, schema {prepared['migration']['to']})",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"  cycle calendars:   {settings.schedule_dir}/cycle-YYYY.yaml", highlight=False, soft_wrap=True)
    console.print(f"  outbox (no Slack): SMEWG_HOME={demo_home} smewg outbox", highlight=False, soft_wrap=True)
    console.print(f"  templates:         {settings.outputs_dir / 'templates'}/YYYY/", highlight=False, soft_wrap=True)
    console.print(f"  inbox (simulated): {settings.resolved_inbox}/YYYY/<ECONOMY>/", highlight=False, soft_wrap=True)
    console.print(f"  validation reports: {settings.data_docs_dir}/YYYY/<ECONOMY>/", highlight=False, soft_wrap=True)
    console.print(f"  submissions:       SMEWG_HOME={demo_home} smewg submissions --year YYYY", highlight=False, soft_wrap=True)
    for year, rolled in rolled_up.items():
        console.print(
            f"  KPI rollup {year}:   snapshot {rolled['snapshot_id']}: " + ", ".join(rolled["files"].values()),
            highlight=False,
            soft_wrap=True,
        )
    console.print(
        f"  cycle status:      SMEWG_HOME={demo_home} smewg status --year {years[-1]} --as-of {years[-1]}-12-31",
        highlight=False,
        soft_wrap=True,
    )
    for built in result["reviews"]:
        after = ""
        if built.get("correction"):
            fix = built["correction"]
            after = f" after {fix['economy']} corrected {fix['indicator']}: {len(built['changed'])} figures changed,"
        console.print(
            f"  {built['kind']} review v{built['version']} (as of {built['as_of']}){after} {built['html']} and {built['pdf']}",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"  cycle pages:       {settings.outputs_dir / 'site' / 'index.html'}", highlight=False, soft_wrap=True)
    console.print(f"  run log:           {log_path}", highlight=False, soft_wrap=True)
    console.print(
        f"  tracked runs:      PREFECT_HOME={os.environ['PREFECT_HOME']} {Path(sys.argv[0]).parent / 'prefect'} server start"
        ", then open http://127.0.0.1:4200 and its Runs page (the demo's flow run, its review subflows and every task run, with logs and artifacts)",
        highlight=False,
        soft_wrap=True,
    )


class _Bars:
    """A rich progress bar per piece of work the flows report (one per cycle)."""

    def __init__(self, bars: Progress):
        self.bars = bars
        self.tasks: dict[str, TaskID] = {}

    def started(self, key: str, description: str, total: int) -> None:
        self.tasks[key] = self.bars.add_task(description, total=total, note="")

    def advanced(self, key: str, steps: int, note: str) -> None:
        if key in self.tasks:
            self.bars.update(self.tasks[key], advance=steps, note=note)


@contextmanager
def _progress_bars() -> Iterator[None]:
    bars = Progress(
        TextColumn("{task.description:<15}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
        console=err_console,
    )
    with bars, progress.listening(_Bars(bars)):
        yield


def _submissions_table(settings, plan_id: str, years: list[int]) -> Table:
    from smewg.core.store import store_session
    from smewg.work.submissions import list_submissions

    table = Table(title="Submissions per simulated cycle")
    for column in ("cycle", "economies", "files", "corrections", "rejected", "rows accepted", "quarantined", "flagged"):
        table.add_column(column, justify="right")
    with store_session(settings.resolved_database_url) as session:
        for year in years:
            rows = list_submissions(session, plan_id, year)
            current = [r for r in rows if r["status"] == "accepted"]
            table.add_row(
                str(year),
                str(len({r["economy"] for r in rows})),
                str(len(rows)),
                str(sum(1 for r in rows if r["version"] > 1)),
                str(sum(1 for r in rows if r["status"] == "rejected")),
                str(sum(r["rows_accepted"] for r in current)),
                str(sum(r["rows_quarantined"] for r in current)),
                str(sum(r["rows_flagged"] for r in current)),
            )
    return table


def _outbox_table(settings, years: list[int]) -> Table:
    from smewg.core.store import store_session
    from smewg.work.outbox import notification_counts

    with store_session(settings.resolved_database_url) as session:
        counts = notification_counts(session)
    kinds = ("reminder", "escalation", "missed_deadline", "acknowledgement", "review")
    table = Table(title="Notifications per simulated cycle (all waiting in the local outbox)")
    table.add_column("cycle")
    for kind in kinds:
        table.add_column(kind.replace("_", " "), justify="right")
    for year in years:
        table.add_row(str(year), *(str(sum(n for (y, k, _), n in counts.items() if y == year and k == kind)) for kind in kinds))
    return table
