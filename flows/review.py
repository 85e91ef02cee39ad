"""Flow ``assemble-review``: the mid-term (2022) or final (2024) review of the plan, as a new
version when its inputs changed (HTML, PDF, XLSX, a "what changed" appendix)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_link_artifact, create_markdown_artifact

from smewg.core.catalogue import load_catalogue
from smewg.core.clock import today
from smewg.core.settings import get_settings
from smewg.flows.cycle_run import cycle_context
from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.outbox import deliver_outbox_task
from smewg.tasks.reviews import build_review_task, review_snapshot_task
from smewg.work.review_data import covered_years
from smewg.work.untrusted import markdown_cell


def _summary(result: dict, as_of: date) -> str:
    state = "new version" if result["created"] else "inputs unchanged: existing version"
    lines = [
        f"## {result['kind'].title()} review, version {result['version']} ({state})",
        "",
        f"Data as of {as_of.isoformat()}; snapshots " + ", ".join(f"{y}: {s}" for y, s in result["snapshot"].items()),
        "",
        f"- HTML: `{result['html']}`",
        f"- PDF: `{result['pdf']}`",
        f"- XLSX: `{result['xlsx']}`",
    ]
    if result["changed"]:
        lines += [
            "",
            f"{len(result['changed'])} figures changed since the previous version:",
            "",
            "| indicator | breakdown | year | figure | old | new | economies |",
            "|---|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {c['indicator']} | {c['breakdown']} | {c['year']} | {c['statistic']} {c['area']} | {c['old']} | {c['new']} | "
            f"{markdown_cell(' '.join(c['economies']))} |"
            for c in result["changed"][:200]
        ]
    return "\n".join(lines) + "\n"


@flow(
    name="assemble-review",
    timeout_seconds=60 * 60,
    description="Assemble the mid-term or final review from the cycles' KPI rollups.",
    **RUN_HOOKS,
)
def assemble_review(kind: str, as_of: date | None = None, rerun: bool = False) -> dict:
    """``kind``: midterm or final (years from the plan file). ``rerun``: roll the cycles up again
    first, so that corrections sent since the last build are in."""
    as_of = as_of or today()
    settings = get_settings()
    years = covered_years(load_catalogue(settings.plan_file, settings.economies_file).plan, kind)
    snapshots = {}
    for year in years:
        with cycle_context(year) as context:
            snapshots[year] = review_snapshot_task(context, as_of, rerun)
    with cycle_context(years[-1]) as context:
        result = build_review_task(context, kind, as_of, snapshots)
        delivery = deliver_outbox_task(context)
    create_markdown_artifact(key=f"review-{kind}", markdown=_summary(result, as_of), description=f"{kind} review")
    for label, path in (("HTML", result["html"]), ("PDF", result["pdf"])):
        create_link_artifact(
            key=f"review-{kind}-{label.lower()}",
            link=Path(path).resolve().as_uri(),
            link_text=f"{kind} review v{result['version']} ({label})",
        )
    return {**result, "as_of": as_of.isoformat(), "delivery": delivery}
