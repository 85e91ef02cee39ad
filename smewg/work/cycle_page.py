"""The cycle page: one self-contained HTML page per cycle for the Secretariat, and an index.

Written to ``$SMEWG_HOME/outputs/site/cycle-YYYY.html`` by every flow run that changes the
cycle (collection, rollup, the daily cycle): the status table of ``smewg status`` (the same
document, so the figures agree), the cycle's steps with their Prefect runs, a submissions
matrix (economy x cycle), a coverage matrix (economy x indicator), and links to the
validation reports, exports and reviews. No scripts, no network; every text that came from
outside is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from smewg.core.calendar import calendar_path
from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext, load_cycle_context
from smewg.core.store import session_scope
from smewg.core.store.models import ReviewVersionRow, ValidationResultRow
from smewg.work.cycles import used_submissions
from smewg.work.html_pages import page_template
from smewg.work.rollup import observations_of
from smewg.work.status import status_document

STATE_CLASS = {
    "submitted on time": "ontime",
    "submitted late": "late",
    "missing, past the deadline": "missing-past",
    "last file rejected": "rejected",
    "not yet due": "muted",
}


def site_dir(context: CycleContext) -> Path:
    return context.settings.outputs_dir / "site"


def write_cycle_page(context: CycleContext, as_of: date) -> Path:
    """Write the cycle's page and the index; return the page's path."""
    folder = site_dir(context)
    folder.mkdir(parents=True, exist_ok=True)
    with session_scope(context.engine) as session:
        status = status_document(session, context, as_of)
        page = {
            "status": status,
            "state_class": STATE_CLASS,
            "written": f"{now_utc():%Y-%m-%d %H:%M} UTC",
            "calendar_name": Path(status["calendar_file"]).name,
            "years": list(context.catalogue.plan.period.years),
            "submissions": _submissions_by_year(session, context, as_of),
            "indicators": list(context.catalogue.plan.all_indicators()),
            "coverage": _coverage(session, context, as_of),
            "reports": _reports(session, context, as_of, folder),
            "outputs": _outputs(session, context, folder),
        }
    path = folder / f"cycle-{context.year}.html"
    path.write_text(page_template("cycle.html.j2").render(page), encoding="utf-8")
    _write_index(folder)
    return path


def _submissions_by_year(session: Session, context: CycleContext, as_of: date) -> dict[int, dict[str, str]]:
    """Per cycle of the plan that has a calendar, each economy's state as of ``as_of``."""
    states: dict[int, dict[str, str]] = {}
    for year in context.catalogue.plan.period.years:
        if year == context.year:
            other = context
        elif calendar_path(context.settings.schedule_dir, year).is_file():
            other = load_cycle_context(context.settings, year)
        else:
            states[year] = {}
            continue
        document = status_document(session, other, as_of)
        states[year] = {e["economy"]: e["state_text"] for e in document["economies"]}
    return states


def _coverage(session: Session, context: CycleContext, as_of: date) -> dict[tuple[str, str], str]:
    """(economy, indicator) -> reported / no-data, from the versions the rollup would use."""
    used = used_submissions(session, context.plan_id, context.year, context.end_of_day(as_of))
    rows = observations_of(session, list(used.values()), {s.id: context.year for s in used.values()})
    answered = rows[rows["value"].notna() | rows["note"].notna()]
    # A value anywhere in an economy's rows of an indicator makes it "reported", else "no-data".
    reported = answered.assign(has_value=answered["value"].notna()).groupby(["economy", "indicator"])["has_value"].any()
    return {key: "reported" if has_value else "no-data" for key, has_value in reported.items()}


def _reports(session: Session, context: CycleContext, as_of: date, folder: Path) -> dict[str, str]:
    used = used_submissions(session, context.plan_id, context.year, context.end_of_day(as_of))
    ids = {s.id: code for code, s in used.items()}
    links = {}
    for submission_id, path in session.execute(
        select(ValidationResultRow.submission_id, ValidationResultRow.data_docs_path).where(
            ValidationResultRow.submission_id.in_(list(ids))
        )
    ):
        if path and Path(path).is_file():
            links[ids[submission_id]] = _relative(Path(path), folder)
    return links


def _outputs(session: Session, context: CycleContext, folder: Path) -> list[tuple[str, str]]:
    outputs = [
        (f"KPI export {path.name}", _relative(path, folder))
        for path in sorted((context.settings.exports_dir / str(context.year)).glob("smewg-kpi-*"))
    ]
    for kind, version, html, pdf in session.execute(
        select(ReviewVersionRow.kind, ReviewVersionRow.version, ReviewVersionRow.html_path, ReviewVersionRow.pdf_path)
        .where(ReviewVersionRow.plan_id == context.plan_id)
        .order_by(ReviewVersionRow.kind, ReviewVersionRow.version)
    ):
        for label, path in (("HTML", html), ("PDF", pdf)):
            if path and Path(path).is_file():
                outputs.append((f"{kind} review v{version} ({label})", _relative(Path(path), folder)))
    return outputs


def _relative(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()


def _write_index(folder: Path) -> None:
    pages = sorted(folder.glob("cycle-*.html"))
    items = "".join(f'<li><a href="{p.name}">Cycle {p.stem.removeprefix("cycle-")}</a></li>' for p in pages)
    (folder / "index.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>SMEWG cycles</title>'
        '<style>body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em;}</style></head>'
        f"<body><h1>SMEWG cycles</h1><ul>{items}</ul></body></html>",
        encoding="utf-8",
    )
