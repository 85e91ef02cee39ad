"""Collect one economy's new files: parse, validate, store, document, acknowledge.

Each file is judged on its own; a bad file never changes what is stored for any other
file or economy. The economy's focal point gets an acknowledgement (through the
outbox) for every new version: what was accepted, and row by row what to fix.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.core.settings import public_link
from smewg.work import messages
from smewg.work.inbox import InboxFile, scan_inbox
from smewg.work.parse import SubmissionRejected, parse_submission
from smewg.work.quality import validate, write_data_docs
from smewg.work.submissions import Outcome, already_stored, previous_year_values, store_submission


def _checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def acknowledgement_for(context: CycleContext, received_on: date, outcome: Outcome) -> messages.Message:
    economy = context.catalogue.economies.get(outcome.economy)
    return messages.acknowledgement(
        key=f"acknowledgement:{context.plan_id}:{context.year}:{outcome.economy}:{outcome.checksum}",
        channel=context.channels.focal_point(outcome.economy),
        economy_code=outcome.economy,
        economy_name=economy.name,
        year=context.year,
        file=outcome.file,
        version=outcome.version,
        status=outcome.status,
        accepted=outcome.rows_accepted,
        quarantined=outcome.rows_quarantined,
        flagged=outcome.rows_flagged,
        problems=outcome.problems,
        report=public_link(context.settings, outcome.data_docs),
    ).on(received_on)


def process_file(engine: Engine, context: CycleContext, item: InboxFile, *, logger: logging.Logger | Any) -> Outcome:
    """Judge and store one file; ``unchanged`` when the same bytes were stored before."""
    data = item.path.read_bytes()
    checksum = _checksum(data)
    plan = context.catalogue.plan
    stored = already_stored(engine, plan.id, context.year, item.economy, checksum)
    if stored is not None:
        return Outcome(item.economy, item.path.name, checksum, "unchanged", stored.version, stored.id)

    kinds = {i.id: i.kind for i in plan.all_indicators()}
    docs_path = context.settings.data_docs_dir / str(context.year) / item.economy / f"{checksum[:16]}.html"
    received_on = item.received_at.astimezone(ZoneInfo(context.calendar.timezone)).date()
    common: dict[str, Any] = dict(
        plan_id=plan.id,
        year=context.year,
        economy=item.economy,
        file_name=item.path.name,
        checksum=checksum,
        size_bytes=len(data),
        received_at=item.received_at,
        now=now_utc(),
        acknowledgement=lambda outcome: acknowledgement_for(context, received_on, outcome),
    )
    try:
        # Parsed from the bytes the checksum was taken of, not the path (it may change meanwhile).
        parsed = parse_submission(
            item.path,
            data=data,
            economy=item.economy,
            year=context.year,
            registry=context.catalogue.economies,
            kinds=kinds,
            max_bytes=context.settings.max_submission_bytes,
        )
    except SubmissionRejected as rejection:
        problem = {"row": rejection.row, "field": rejection.field, "severity": "error", "message": str(rejection)}
        logger.warning("%s/%s rejected: %s", item.economy, item.path.name, rejection)
        return store_submission(
            engine,
            **common,
            frame=None,
            statuses=None,
            problems=[problem],
            success=False,
            statistics={"rejected": True},
            data_docs=None,
        )

    previous = previous_year_values(engine, plan.id, context.year, item.economy)
    validation = validate(parsed.frame, plan, context.year, parse_problems=parsed.problems, previous=previous)
    stats = validation.statistics
    write_data_docs(
        validation.result,
        docs_path,
        heading=(
            f"{item.path.name}: {item.economy}, cycle {context.year}, received {item.received_at:%Y-%m-%d %H:%M} UTC; "
            f"{stats['rows_accepted']} rows accepted ({stats['rows_flagged']} flagged), {stats['rows_quarantined']} quarantined"
        ),
    )
    outcome = store_submission(
        engine,
        **common,
        frame=parsed.frame,
        statuses=validation.statuses,
        problems=validation.problems,
        success=validation.success,
        statistics=validation.statistics,
        data_docs=str(docs_path),
    )
    logger.info(
        "%s/%s stored as version %d: %d rows accepted, %d quarantined, %d flagged",
        item.economy,
        item.path.name,
        outcome.version,
        outcome.rows_accepted,
        outcome.rows_quarantined,
        outcome.rows_flagged,
    )
    return outcome


def collect_economy(context: CycleContext, files: list[InboxFile], *, logger=None) -> list[Outcome]:
    """Process an economy's files oldest first (so the newest ends up the accepted version)."""
    logger = logger or logging.getLogger("smewg.collect")
    return [process_file(context.engine, context, item, logger=logger) for item in files]


def inbox_for(context: CycleContext, as_of: date) -> tuple[dict[str, list[InboxFile]], list[str]]:
    """Each economy's files that had arrived by ``as_of``, and the inbox's warnings."""
    return scan_inbox(
        context.settings.resolved_inbox,
        context.year,
        list(context.catalogue.plan.economies),
        as_of=as_of,
        timezone=context.calendar.timezone,
        now=now_utc(),
        quiet_seconds=context.settings.inbox_quiet_seconds,
    )


def collect_all(context: CycleContext, as_of: date, *, logger=None) -> list[Outcome]:
    """Every economy's files that had arrived by ``as_of``, one economy after another."""
    files, _ = inbox_for(context, as_of)
    return [outcome for economy in sorted(files) for outcome in collect_economy(context, files[economy], logger=logger)]
