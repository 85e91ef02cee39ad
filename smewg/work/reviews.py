"""Build a mid-term or final review as a recorded version: v1, v2, ... under
``$SMEWG_HOME/outputs/reviews/<kind>/v<N>/``.

A version is made only when its inputs (the rollup snapshots of the cycles it covers, the
plan, the report's layout version) differ from every earlier version's; building again on
unchanged inputs returns the existing version. Version N+1 records every figure that
differs from version N, and the economies whose corrections moved it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from smewg.core.cycle import CycleContext
from smewg.core.settings import public_link
from smewg.core.store import session_scope
from smewg.core.store.models import ReviewVersionRow
from smewg.work import messages
from smewg.work.outbox import enqueue
from smewg.work.review_data import ReviewData, changed_figures, load_review_data, snapshot_as_of
from smewg.work.review_report import render_html, report_model, write_pdf, write_xlsx
from smewg.work.rollup import rollup

REPORT_VERSION = 1
"""Bump when the report's content or layout changes: the next build makes a new version."""


@dataclass
class ReviewResult:
    kind: str
    version: int
    created: bool
    html: str
    pdf: str
    xlsx: str
    snapshot: dict[str, int]
    changed: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        """The ``smewg review --json`` shape of SPEC section 7 (plus ``created`` and ``xlsx``)."""
        return {
            "kind": self.kind,
            "version": self.version,
            "created": self.created,
            "html": self.html,
            "pdf": self.pdf,
            "xlsx": self.xlsx,
            "snapshot": self.snapshot,
            "changed": [
                {k: c.get(k) for k in ("indicator", "breakdown", "year", "statistic", "area", "old", "new", "unit", "economies")}
                for c in self.changed
            ],
        }


def review_dir(context: CycleContext, kind: str, version: int) -> Path:
    return context.settings.outputs_dir / "reviews" / kind / f"v{version}"


def inputs_key(context: CycleContext, kind: str, snapshots: dict[int, int]) -> str:
    plan = context.catalogue.plan
    return hashlib.sha256(
        json.dumps(
            {"kind": kind, "snapshots": sorted(snapshots.items()), "report": REPORT_VERSION, "plan": plan.model_dump(mode="json")}
        ).encode()
    ).hexdigest()


def _result(row: ReviewVersionRow, created: bool) -> ReviewResult:
    return ReviewResult(
        row.kind,
        row.version,
        created,
        row.html_path or "",
        row.pdf_path or "",
        (row.details or {}).get("xlsx", ""),
        {str(y): s for y, s in (row.details or {}).get("snapshots", {}).items()},
        list(row.changes or []),
    )


def build_review(context: CycleContext, kind: str, as_of: date, snapshots: dict[int, int], *, now: datetime) -> ReviewResult:
    """The review on ``snapshots`` (cycle year -> rollup snapshot id); ``context`` is the review year's."""
    plan = context.catalogue.plan
    review = plan.review(kind)
    assert review is not None
    key = inputs_key(context, kind, snapshots)
    with session_scope(context.engine) as session:
        existing = session.scalar(
            select(ReviewVersionRow).where(
                ReviewVersionRow.plan_id == plan.id, ReviewVersionRow.kind == kind, ReviewVersionRow.inputs_key == key
            )
        )
        if existing is not None:
            return _result(existing, created=False)
        previous = session.scalar(
            select(ReviewVersionRow)
            .where(ReviewVersionRow.plan_id == plan.id, ReviewVersionRow.kind == kind)
            .order_by(ReviewVersionRow.version.desc())
            .limit(1)
        )
        version = (previous.version if previous else 0) + 1
        data = load_review_data(session, kind, snapshots)
        old: ReviewData | None = None
        if previous is not None and (previous.details or {}).get("snapshots"):
            old = load_review_data(session, kind, {int(y): s for y, s in previous.details["snapshots"].items()}, annex=False)
        previous_versions = (previous.details or {}).get("versions", {}) if previous else {}
    changes = changed_figures(old, data) if old is not None else []
    folder = review_dir(context, kind, version)
    chart_cache = context.settings.outputs_dir / "reviews" / ".charts"
    model = report_model(
        data,
        context.catalogue,
        title=review.title,
        reported_by=review.reported_by,
        audience=review.audience,
        version=version,
        as_of=as_of.isoformat(),
        built_at=now,
        inputs_key=key,
        changes=changes,
        chart_dir=chart_cache,
    )
    stem = f"smewg-{kind}-review-v{version}"
    # Written aside and moved into v<N>/ only once the version is recorded: a build beside
    # this one (same version number, other inputs) never overwrites a recorded version's files.
    building = folder.parent / f".building-{uuid.uuid4().hex}"
    building.mkdir(parents=True)
    # Typst lays the PDF out without holding the GIL: it runs beside the HTML and XLSX.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-pdf") as pdf_writer:
        pdf = pdf_writer.submit(write_pdf, model, building / f"{stem}.pdf")
        (building / f"{stem}.html").write_text(render_html(model), encoding="utf-8")
        write_xlsx(data, plan, building / f"{stem}.xlsx", model)
        pdf.result()
    html_path, pdf_path, xlsx_path = (folder / f"{stem}.{suffix}" for suffix in ("html", "pdf", "xlsx"))
    versions = {str(y): c.versions.get(str(y), {}) for y, c in data.snapshots.items()}
    files = {str(y): c.files for y, c in data.snapshots.items()}
    details = {
        "snapshots": {str(y): s for y, s in sorted(snapshots.items())},
        "versions": versions,
        "files": files,
        "xlsx": str(xlsx_path),
        "code_version": model["code_version"],
        "report_version": REPORT_VERSION,
        "years": data.years,
    }
    row = ReviewVersionRow(
        plan_id=plan.id,
        kind=kind,
        version=version,
        snapshot_ids=sorted(snapshots.values()),
        html_path=str(html_path),
        pdf_path=str(pdf_path),
        changes=changes,
        created_at=now,
        inputs_key=key,
        as_of=as_of,
        details=details,
    )
    names = {e.code: e.name for e in context.catalogue.economies}
    corrections = sorted(
        (names.get(code, code), int(year), number, files[year].get(code, ""))
        for year, by_economy in versions.items()
        for code, number in by_economy.items()
        if previous is not None and previous_versions.get(year, {}).get(code) != number
    )
    message = messages.review(
        key=f"review:{plan.id}:{kind}:v{version}",
        channel=context.channels.secretariat,
        title=review.title,
        version=version,
        year=review.year,
        html=public_link(context.settings, html_path) or html_path.name,
        pdf=public_link(context.settings, pdf_path) or pdf_path.name,
        changed=len(changes),
        corrections=corrections,
    )
    try:
        with session_scope(context.engine) as session:
            session.add(row)
            session.flush()
            enqueue(session, message.on(as_of), now=now)
            result = _result(row, created=True)
        if folder.exists():  # left by a build that crashed before recording this version
            shutil.rmtree(folder)
        building.replace(folder)
        return result
    except IntegrityError:  # a build on the same inputs, or of the same version, finished first
        shutil.rmtree(building, ignore_errors=True)
        with session_scope(context.engine) as session:
            winner = session.scalar(
                select(ReviewVersionRow).where(
                    ReviewVersionRow.plan_id == plan.id, ReviewVersionRow.kind == kind, ReviewVersionRow.inputs_key == key
                )
            )
            if winner is None:
                raise
            return _result(winner, created=False)


def review_snapshot(context: CycleContext, as_of: date, *, refresh: bool, now: datetime) -> int:
    """The cycle's snapshot a review as of ``as_of`` reads: the newest one made by then, or a
    new rollup when there is none or ``refresh`` is asked (after corrections). A rollup on
    unchanged inputs returns the existing snapshot, so refreshing an untouched cycle is cheap."""
    if not refresh:
        with session_scope(context.engine) as session:
            existing = snapshot_as_of(session, context.plan_id, context.year, as_of)
            if existing is not None:
                return existing.id
    return rollup(context, as_of, now=now).snapshot_id
