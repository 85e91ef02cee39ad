"""Flow ``rollup-kpis``: the cycle's KPI snapshot, its tables as artifacts, and its exports."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from smewg.flows.cycle_run import cycle_context, resolve_cycle
from smewg.flows.events import review_stale
from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.cycle import reviews_reading_task
from smewg.tasks.rollup import export_snapshot_task, rollup_task
from smewg.tasks.site import write_cycle_page_task


def _summary(year: int, as_of: date, snapshot: dict, exported: dict) -> str:
    overall = exported["analytics"]
    return (
        f"## KPI rollup {year} (as of {as_of.isoformat()})\n\n"
        f"Snapshot {snapshot['snapshot_id']} ({'new' if snapshot['created'] else 'unchanged inputs: existing'}), "
        f"{len(snapshot['submission_ids'])} submission versions used.\n\n"
        f"Response rate {overall.get('response_rate', 0):.0f}%, on time {overall.get('on_time_rate', 0):.0f}%, "
        f"median {overall.get('median_days_from_call')} days from the call, {overall.get('reminders_sent')} reminders, "
        f"{overall.get('correction_rounds')} correction rounds.\n\n"
        + "\n".join(f"- {fmt}: `{path}`" for fmt, path in exported["files"].items())
        + "\n"
    )


@flow(
    name="rollup-kpis",
    timeout_seconds=60 * 60,
    description="Roll the cycle's accepted submissions up into a KPI snapshot and export it.",
    **RUN_HOOKS,
)
def rollup_kpis(year: int | None = None, as_of: date | None = None) -> dict:
    year, as_of = resolve_cycle(year, as_of)
    with cycle_context(year) as context:
        snapshot = rollup_task(context, as_of)
        exported = export_snapshot_task(context, snapshot["snapshot_id"])
        stale = reviews_reading_task(context) if snapshot["created"] else []
        page = write_cycle_page_task(context, as_of)
    for kind in stale:
        review_stale(context.plan_id, kind, year, as_of)
    create_table_artifact(
        key=f"kpi-rollup-{year}",
        table=exported["table"],
        description=f"KPI rollup {year}, snapshot {snapshot['snapshot_id']} (totals)",
    )
    create_markdown_artifact(
        key=f"kpi-rollup-summary-{year}", markdown=_summary(year, as_of, snapshot, exported), description=f"KPI rollup {year}"
    )
    return {"year": year, "as_of": as_of.isoformat(), **snapshot, "files": exported["files"], "cycle_page": page}
