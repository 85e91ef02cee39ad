"""Flow ``collect-submissions``: every economy's new files, checked and stored, in parallel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from flows.hooks import FAILURE_HOOKS
from smewg.clock import today
from smewg.cycle import load_cycle_context
from smewg.settings import get_settings
from tasks.collect import collect_economy_task, ensure_cycle, inbox_for
from tasks.slack import deliver_outbox_task


def _summary(year: int, as_of: date, outcomes: list[dict], warnings: list[str]) -> str:
    new = [o for o in outcomes if o["status"] != "unchanged"]
    lines = [f"## Collection {year}, as of {as_of.isoformat()}", "",
             f"{len(new)} new file(s), {len(outcomes) - len(new)} already stored.", "",
             "| economy | file | version | status | accepted | quarantined | flagged |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {o['economy']} | {o['file']} | {o['version']} | {o['status']} | {o['rows_accepted']} | "
              f"{o['rows_quarantined']} | {o['rows_flagged']} |" for o in new]
    if warnings:
        lines += ["", "Inbox warnings:", *(f"- {w}" for w in warnings)]
    return "\n".join(lines) + "\n"


@flow(name="collect-submissions",
      description="Scan the inbox, validate new files with the GX suite, store every version, acknowledge to economies.",
      **FAILURE_HOOKS)
def collect_submissions(year: int | None = None, as_of: date | None = None) -> dict:
    as_of = as_of or today()
    year = year or as_of.year
    context = load_cycle_context(get_settings(), year)
    ensure_cycle(context)
    files, warnings = inbox_for(context, as_of)
    for warning in warnings:
        get_run_logger().warning(warning)
    futures = [collect_economy_task.submit(year, economy, as_of) for economy in sorted(files)]
    outcomes = [outcome for future in futures for outcome in future.result()]
    delivery = deliver_outbox_task()
    create_markdown_artifact(key=f"collection-{year}", markdown=_summary(year, as_of, outcomes, warnings),
                             description=f"Submissions collected on {as_of.isoformat()}")
    for outcome in outcomes:
        if outcome["status"] != "unchanged" and outcome["data_docs"]:
            create_link_artifact(key=f"data-docs-{year}-{outcome['economy'].lower()}",
                                 link=Path(outcome["data_docs"]).resolve().as_uri(),
                                 link_text=f"{outcome['economy']} v{outcome['version']} validation report",
                                 description=f"GX Data Docs for {outcome['file']}")
    return {"year": year, "as_of": as_of.isoformat(), "outcomes": outcomes, "warnings": warnings, "delivery": delivery}
