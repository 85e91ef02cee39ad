"""Flow ``rollup-kpis``: the cycle's KPI snapshot, its tables as artifacts, and its exports."""

from __future__ import annotations

from datetime import date

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from flows.hooks import FAILURE_HOOKS
from smewg.clock import today
from smewg.cycle import load_cycle_context
from smewg.settings import get_settings
from smewg.store import store_session
from tasks.export import FORMATS, write_export
from tasks.rollup import rollup_task, snapshot_figures
from smewg.store.models import RollupSnapshotRow


@task(name="export-snapshot")
def export_snapshot_task(year: int, snapshot_id: int) -> dict:
    """Write the snapshot's SDMX-CSV, CSV and XLSX files; return their paths and the headline tables."""
    settings = get_settings()
    context = load_cycle_context(settings, year)
    with store_session(settings.resolved_database_url) as session:
        figures = snapshot_figures(session, snapshot_id)
        details = session.get(RollupSnapshotRow, snapshot_id).details
    suffix = {"sdmx-csv": "sdmx.csv", "csv": "csv", "xlsx": "xlsx"}
    files = {fmt: str(write_export(figures, context.catalogue.plan, fmt,
                                   settings.exports_dir / str(year) / f"smewg-kpi-{year}-s{snapshot_id}.{suffix[fmt]}",
                                   details.get("analytics")))
             for fmt in FORMATS}
    headline = figures[(figures["breakdown"] == "total") & figures["statistic"].isin(["N_REPORTING", "SUM", "MEAN"])]
    table = [{"indicator": r.indicator, "statistic": r.statistic, "value": None if r.value != r.value else round(r.value, 2),
              "unit": r.unit} for r in headline.itertuples()]
    return {"files": files, "table": table, "analytics": details.get("analytics", {}).get("overall", {})}


@flow(name="rollup-kpis", description="Roll the cycle's accepted submissions up into a KPI snapshot and export it.",
      **FAILURE_HOOKS)
def rollup_kpis(year: int | None = None, as_of: date | None = None) -> dict:
    as_of = as_of or today()
    year = year or as_of.year
    snapshot = rollup_task(year, as_of)
    exported = export_snapshot_task(year, snapshot["snapshot_id"])
    create_table_artifact(key=f"kpi-rollup-{year}", table=exported["table"],
                          description=f"KPI rollup {year}, snapshot {snapshot['snapshot_id']} (totals)")
    overall = exported["analytics"]
    create_markdown_artifact(
        key=f"kpi-rollup-summary-{year}",
        markdown=(f"## KPI rollup {year} (as of {as_of.isoformat()})\n\n"
                  f"Snapshot {snapshot['snapshot_id']} ({'new' if snapshot['created'] else 'unchanged inputs: existing'}), "
                  f"{len(snapshot['submission_ids'])} submission versions used.\n\n"
                  f"Response rate {overall.get('response_rate', 0):.0f}%, on time {overall.get('on_time_rate', 0):.0f}%, "
                  f"median {overall.get('median_days_from_call')} days from the call, {overall.get('reminders')} reminders, "
                  f"{overall.get('correction_rounds')} correction rounds.\n\n"
                  + "\n".join(f"- {fmt}: `{path}`" for fmt, path in exported["files"].items()) + "\n"),
        description=f"KPI rollup {year}")
    return {"year": year, "as_of": as_of.isoformat(), **snapshot, "files": exported["files"]}
