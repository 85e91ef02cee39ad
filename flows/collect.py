"""Flow ``collect-submissions``: every economy's new files, checked and stored, in parallel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from smewg.flows.cycle_run import cycle_context, resolve_cycle
from smewg.flows.events import cycle_corrected
from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.collect import collect_economy_task, ensure_cycle_task
from smewg.tasks.outbox import deliver_outbox_task
from smewg.tasks.site import write_cycle_page_task
from smewg.work.collect import inbox_for
from smewg.work.cycle_steps import corrections_after_rollup
from smewg.work.untrusted import markdown_cell


def _summary(year: int, as_of: date, outcomes: list[dict], warnings: list[str]) -> str:
    new = [o for o in outcomes if o["status"] != "unchanged"]
    lines = [
        f"## Collection {year}, as of {as_of.isoformat()}",
        "",
        f"{len(new)} new file(s), {len(outcomes) - len(new)} already stored.",
        "",
        "| economy | file | version | status | accepted | quarantined | flagged |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {o['economy']} | {markdown_cell(o['file'])} | {o['version']} | {o['status']} | {o['rows_accepted']:,} | "
        f"{o['rows_quarantined']:,} | {o['rows_flagged']:,} |"
        for o in new
    ]
    if warnings:
        lines += ["", "Inbox warnings:", *(f"- {markdown_cell(w)}" for w in warnings)]
    return "\n".join(lines) + "\n"


@flow(
    name="collect-submissions",
    # Under the hourly schedule: a hung collection times out (and is alerted) before the next
    # one is due, instead of holding the deployment's one slot and cancelling every later run.
    timeout_seconds=50 * 60,
    description="Scan the inbox, validate new files with the GX suite, store every version, acknowledge to economies.",
    **RUN_HOOKS,
)
def collect_submissions(year: int | None = None, as_of: date | None = None) -> dict:
    year, as_of = resolve_cycle(year, as_of)
    with cycle_context(year) as context:
        ensure_cycle_task(context)
        files, warnings = inbox_for(context, as_of)
        for warning in warnings:
            get_run_logger().warning(warning)
        futures = [collect_economy_task.submit(context, files[economy]) for economy in sorted(files)]
        outcomes = [outcome for future in futures for outcome in future.result()]
        delivery = deliver_outbox_task(context)
        corrected = corrections_after_rollup(context, outcomes, as_of)
        page = write_cycle_page_task(context, as_of)
    if corrected:  # one event per run, however many corrections: the rollup-kpis trigger reruns the rollup
        cycle_corrected(context.plan_id, year, corrected, as_of)
    create_markdown_artifact(
        key=f"collection-{year}",
        markdown=_summary(year, as_of, outcomes, warnings),
        description=f"Submissions collected on {as_of.isoformat()}",
    )
    for outcome in outcomes:
        if outcome["status"] != "unchanged" and outcome["data_docs"]:
            create_link_artifact(
                key=f"data-docs-{year}-{outcome['economy'].lower()}",
                link=Path(outcome["data_docs"]).resolve().as_uri(),
                link_text=f"{outcome['economy']} v{outcome['version']} validation report",
                description=f"Validation report for {markdown_cell(outcome['file'])}",
            )
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "outcomes": outcomes,
        "warnings": warnings,
        "delivery": delivery,
        "cycle_page": page,
    }
