"""Flow ``issue-templates``: the call for data's files, one XLSX and CSV template per economy."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from smewg.flows.cycle_run import cycle_context, resolve_cycle
from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.templates import write_templates_task


@flow(
    name="issue-templates",
    timeout_seconds=30 * 60,
    description="Write each economy's XLSX and CSV submission template for a cycle.",
    **RUN_HOOKS,
)
def issue_templates(
    year: int | None = None, as_of: date | None = None, economies: list[str] | None = None
) -> list[dict[str, str]]:
    """``economies``: canonical codes (default: every economy of the plan)."""
    year, as_of = resolve_cycle(year, as_of)
    with cycle_context(year) as context:
        written = write_templates_task(context, economies)
    rows = "\n".join(f"| {w['economy']} | `{w['xlsx']}` | `{w['csv']}` |" for w in written)
    create_markdown_artifact(
        key=f"templates-{year}",
        description=f"Submission templates for {year}",
        markdown=f"## Templates {year}\n\n| economy | XLSX | CSV |\n|---|---|---|\n{rows}\n",
    )
    return written
