"""Flow ``send-reminders``: remind economies still owing data before their deadline."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from smewg.flows.cycle_run import cycle_context, resolve_cycle
from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.outbox import deliver_outbox_task
from smewg.tasks.reminders import queue_reminders_task


@flow(
    name="send-reminders",
    timeout_seconds=30 * 60,
    description="Queue the day's reminder steps and deliver the outbox to Slack.",
    **RUN_HOOKS,
)
def send_reminders(year: int | None = None, as_of: date | None = None) -> dict:
    """``year`` defaults to the cycle of ``as_of`` (default: today in Asia/Singapore)."""
    year, as_of = resolve_cycle(year, as_of)
    with cycle_context(year) as context:
        queued = queue_reminders_task(context, as_of)
        delivery = deliver_outbox_task(context)
    lines = "\n".join(f"| {q['economy']} | {q['step']} | {q['channel']} |" for q in queued) or "| - | - | - |"
    create_markdown_artifact(
        key=f"reminders-{year}",
        markdown=(
            f"## Reminders {year}, as of {as_of.isoformat()}\n\n| economy | step | channel |\n|---|---|---|\n{lines}\n\n"
            f"Delivered {delivery['delivered']}, failed {delivery['failed']}, waiting {delivery['waiting']}.\n"
        ),
        description=f"Reminders queued on {as_of.isoformat()}",
    )
    return {"year": year, "as_of": as_of.isoformat(), "queued": queued, "delivery": delivery}
