"""Flow ``watch-deadlines``: escalations, missed-deadline and overdue alerts."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from smewg.flows.cycle_run import cycle_context, resolve_cycle
from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.deadlines import queue_deadline_alerts_task
from smewg.tasks.outbox import deliver_outbox_task
from smewg.work.untrusted import markdown_cell


@flow(
    name="watch-deadlines",
    timeout_seconds=30 * 60,
    description="Escalate late submissions, alert the Secretariat of missed deadlines and overdue steps, deliver the outbox.",
    **RUN_HOOKS,
)
def watch_deadlines(year: int | None = None, as_of: date | None = None) -> dict:
    """``year`` defaults to the cycle of ``as_of`` (default: today in Asia/Singapore)."""
    year, as_of = resolve_cycle(year, as_of)
    with cycle_context(year) as context:
        queued = queue_deadline_alerts_task(context, as_of)
        delivery = deliver_outbox_task(context)
    escalations = ", ".join(f"{e['economy']} ({e['step']})" for e in queued["escalations"]) or "none"
    alerts = "\n".join(f"- {markdown_cell(a['what'])}" for a in queued["alerts"]) or "- none"
    create_markdown_artifact(
        key=f"deadlines-{year}",
        markdown=(
            f"## Deadlines {year}, as of {as_of.isoformat()}\n\nEscalated: {escalations}\n\nSecretariat alerts:\n{alerts}\n\n"
            f"Delivered {delivery['delivered']}, failed {delivery['failed']}, waiting {delivery['waiting']}.\n"
        ),
        description=f"Deadline checks on {as_of.isoformat()}",
    )
    return {"year": year, "as_of": as_of.isoformat(), **queued, "delivery": delivery}
