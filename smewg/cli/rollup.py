"""``smewg rollup``, ``smewg export`` and ``smewg status``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from smewg.cli.options import AsOfOption, JsonOption, YearOption, calendar_in_force, parse_as_of, require_initialised_store
from smewg.cli.output import console, emit_json, fail
from smewg.core.settings import get_settings
from smewg.work.untrusted import terminal_safe


def rollup(year: YearOption, as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """Roll the cycle's KPIs up into a snapshot and export it (a tracked Prefect run)."""
    require_initialised_store()
    from smewg.flows.rollup import rollup_kpis

    result = {**rollup_kpis(year=year, as_of=parse_as_of(as_of)), "calendar": calendar_in_force(year)}
    if json_output:
        emit_json(result)
        return
    state = "new snapshot" if result["created"] else "inputs unchanged: existing snapshot"
    console.print(
        f"KPI rollup {year}: {state} {result['snapshot_id']} from {len(result['submission_ids'])} submission versions",
        highlight=False,
    )
    for fmt, path in result["files"].items():
        console.print(f"  {fmt}: {path}", highlight=False, soft_wrap=True)
    console.print(f"calendar: {result['calendar']}", markup=False, soft_wrap=True)


def export(
    year: YearOption,
    format: Annotated[str, typer.Option("--format", help="sdmx-csv, csv or xlsx.")] = "sdmx-csv",
    out: Annotated[Path | None, typer.Option(help="File to write (default under $SMEWG_HOME/outputs/exports).")] = None,
) -> None:
    """Export the cycle's latest KPI snapshot (run `smewg rollup` first)."""
    from smewg.core.catalogue import load_catalogue
    from smewg.core.store import read_session
    from smewg.work.export import FORMATS, export_path, write_export
    from smewg.work.rollup import latest_snapshot, snapshot_figures

    if format not in FORMATS:
        fail(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    with read_session(settings.resolved_database_url) as session:
        snapshot = latest_snapshot(session, plan.id, year)
        if snapshot is None:
            fail(f"no KPI rollup for {year} yet; run `smewg rollup --year {year}` first")
        figures = snapshot_figures(session, snapshot.id)
        analytics = snapshot.details.get("analytics")
        snapshot_id = snapshot.id
    out = out or export_path(settings, year, snapshot_id, format)
    write_export(figures, plan, format, out, analytics)
    console.print(f"Wrote {out} (snapshot {snapshot_id})", highlight=False, soft_wrap=True)


def status(year: YearOption, as_of: AsOfOption = None, json_output: JsonOption = False) -> None:
    """One table of the cycle: who submitted, who is late, quarantined rows, reminders; milestones."""
    from smewg.work.status import cycle_status

    document = cycle_status(get_settings(), year, parse_as_of(as_of))
    if json_output:
        emit_json(document)
        return
    table = Table(
        title=f"SMEWG cycle {year} as of {document['as_of']}: {document['summary']}",
        caption=f"calendar: {document['calendar_file']}",  # which file's deadlines and extensions these are
    )
    for column in ("economy", "deadline", "state", "version", "quarantined", "flagged", "step reached", "next action"):
        table.add_column(column, overflow="fold")
    state_colour = {"submitted late": "yellow", "missing, past the deadline": "red", "last file rejected": "red"}
    for e in document["economies"]:
        state = Text(e["state_text"], style=state_colour.get(e["state_text"], ""))
        if e["last_file_rejected"]:
            state.append("\n" + terminal_safe(e["last_file_rejected"]), style="dim")
        table.add_row(
            e["economy"],
            e["deadline"] + (" (extended)" if e["extended"] else ""),
            state,
            str(e["version"] or ""),
            f"{e['quarantined_rows']:,}",
            f"{e['flagged_rows']:,}",
            e["step_reached"] or "",
            Text(e["next_action"]),
        )
    console.print(table)
    milestones = Table(title="Milestones")
    milestones.add_column("date")
    milestones.add_column("milestone")
    milestones.add_column("state")
    colour = {"done": "green", "overdue": "red", "upcoming": "dim", "passed": "dim"}
    for m in document["milestones"]:
        milestones.add_row(m["date"], m["name"], f"[{colour[m['state']]}]{m['state']}[/]")
    console.print(milestones)
    steps = Table(title="Cycle steps (annual-cycle flow)")
    for column in ("date", "step", "state", "run"):
        steps.add_column(column, overflow="fold")
    step_colour = {"done": "green", "failed": "red", "overdue": "red", "due": "yellow", "upcoming": "dim"}
    for s in document["steps"]:
        steps.add_row(s["date"], s["name"], f"[{step_colour[s['state']]}]{s['state']}[/]", s["run_url"] or "")
    console.print(steps)
    if document["failed_runs"]:
        console.print(f"[red]{document['failed_runs']} failed flow runs alerted this cycle[/] (smewg outbox --kind failure)")
