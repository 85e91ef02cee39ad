"""Flow ``issue-templates``: the call for data's files, one XLSX and CSV template per economy."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from flows.hooks import FAILURE_HOOKS
from smewg.clock import today
from tasks.templates import write_templates_task


@flow(name="issue-templates", description="Write each economy's XLSX and CSV submission template for a cycle.",
      **FAILURE_HOOKS)
def issue_templates(year: int | None = None, as_of: date | None = None) -> list[dict[str, str]]:
    year = year or (as_of or today()).year
    written = write_templates_task(year)
    rows = "\n".join(f"| {w['economy']} | `{w['xlsx']}` | `{w['csv']}` |" for w in written)
    create_markdown_artifact(key=f"templates-{year}", description=f"Submission templates for {year}",
                             markdown=f"## Templates {year}\n\n| economy | XLSX | CSV |\n|---|---|---|\n{rows}\n")
    return written
