"""Collect one economy's new files: parse, validate, store, document, acknowledge.

Each file is judged on its own; a bad file never changes what is stored for any other
file or economy. The economy's focal point gets an acknowledgement (through the
outbox) for every new version: what was accepted, and row by row what to fix.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.core.settings import public_link
from smewg.work import messages
from smewg.work.inbox import InboxFile, scan_inbox
from smewg.work.parse import ParsedSubmission, SubmissionRejected, parse_submission
from smewg.work.quality import FileToValidate, Validation, validate_many
from smewg.work.submissions import Outcome, previous_year_values, store_submission, stored_checksums
from smewg.work.untrusted import terminal_safe
from smewg.work.validation_report import write_validation_report


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


@dataclass
class _Arrival:
    """One new file read and parsed, waiting for its validation."""

    item: InboxFile
    data: bytes
    checksum: str
    parsed: ParsedSubmission | None
    rejection: SubmissionRejected | None
    previous: dict[tuple[str, str], float] | None = None


def _read(context: CycleContext, item: InboxFile, stored: dict[tuple[str, str], tuple[int, int]]) -> Outcome | _Arrival:
    """``unchanged`` when the same bytes were stored before (``stored``: see
    :func:`stored_checksums`); else the file read and parsed."""
    data = item.path.read_bytes()
    checksum = hashlib.sha256(data).hexdigest()
    plan = context.catalogue.plan
    if (item.economy, checksum) in stored:
        version, submission_id = stored[(item.economy, checksum)]
        return Outcome(item.economy, item.path.name, checksum, "unchanged", version, submission_id)
    try:
        # Parsed from the bytes the checksum was taken of, not the path (it may change meanwhile).
        parsed = parse_submission(
            item.path,
            data=data,
            economy=item.economy,
            year=context.year,
            registry=context.catalogue.economies,
            kinds={i.id: i.kind for i in plan.all_indicators()},
            max_bytes=context.settings.max_submission_bytes,
        )
    except SubmissionRejected as rejection:
        return _Arrival(item, data, checksum, None, rejection)
    previous = previous_year_values(context.engine, plan.id, context.year, item.economy)
    return _Arrival(item, data, checksum, parsed, None, previous)


def _store(context: CycleContext, arrival: _Arrival, validation: Validation | None, *, logger) -> Outcome:
    """Store one judged file with its acknowledgement, then write its validation report."""
    item = arrival.item
    received_on = item.received_at.astimezone(ZoneInfo(context.calendar.timezone)).date()
    report = context.settings.data_docs_dir / str(context.year) / item.economy / f"{arrival.checksum[:16]}.html"
    common: dict[str, Any] = dict(
        plan_id=context.plan_id,
        year=context.year,
        economy=item.economy,
        file_name=item.path.name,
        checksum=arrival.checksum,
        size_bytes=len(arrival.data),
        received_at=item.received_at,
        now=now_utc(),
        acknowledgement=lambda outcome: acknowledgement_for(context, received_on, outcome),
    )
    if arrival.rejection is not None or arrival.parsed is None or validation is None:
        rejection = arrival.rejection
        problem = (
            {"row": rejection.row, "field": rejection.field, "severity": "error", "message": str(rejection)} if rejection else {}
        )
        logger.warning("%s/%s rejected: %s", item.economy, terminal_safe(item.path.name), terminal_safe(rejection))
        return store_submission(
            context.engine,
            **common,
            frame=None,
            statuses=None,
            problems=[problem],
            success=False,
            statistics={"rejected": True},
            data_docs=None,
        )
    outcome = store_submission(
        context.engine,
        **common,
        frame=arrival.parsed.frame,
        statuses=validation.statuses,
        problems=validation.problems,
        success=validation.success,
        statistics=validation.statistics,
        data_docs=str(report),
    )
    if outcome.status != "unchanged":
        write_validation_report(
            report,
            validation,
            outcome,
            economy_name=context.catalogue.economies.get(item.economy).name,
            year=context.year,
            received=item.received_at,
            frame=arrival.parsed.frame,
            indicator_names={i.id: i.name for i in context.catalogue.plan.all_indicators()},
        )
        logger.info(
            "%s/%s stored as version %d: %d rows accepted, %d quarantined, %d flagged",
            item.economy,
            terminal_safe(item.path.name),
            outcome.version,
            outcome.rows_accepted,
            outcome.rows_quarantined,
            outcome.rows_flagged,
        )
    return outcome


def collect_files(context: CycleContext, files: list[InboxFile], *, logger=None) -> list[Outcome]:
    """Judge and store ``files`` in their order (an economy's oldest first, so that its newest
    ends up the accepted version). Every file is read and parsed, the new ones validated
    together (one Great Expectations run for the lot: see ``quality.validate_many``), then
    each is stored in a transaction of its own: a bad file changes nothing for the others."""
    logger = logger or logging.getLogger("smewg.collect")
    read: list[Outcome | _Arrival] = []
    stored = stored_checksums(context.engine, context.plan_id, context.year, {f.economy for f in files}) if files else {}
    for item in files:
        try:
            read.append(_read(context, item, stored))
        except OSError as error:  # gone or unreadable since the scan: the next run sees it again
            logger.warning("%s/%s cannot be read (%s); left for the next run", item.economy, terminal_safe(item.path.name), error)
    arrivals = [r for r in read if isinstance(r, _Arrival) and r.parsed is not None]
    judged = validate_many(
        [FileToValidate(a.parsed.frame, a.parsed.problems, a.previous) for a in arrivals if a.parsed is not None],
        context.catalogue.plan,
        context.year,
    )
    validations = {id(a): v for a, v in zip(arrivals, judged, strict=True)}
    return [r if isinstance(r, Outcome) else _store(context, r, validations.get(id(r)), logger=logger) for r in read]


def collect_economy(context: CycleContext, files: list[InboxFile], *, logger=None) -> list[Outcome]:
    """One economy's new files, oldest first."""
    return collect_files(context, files, logger=logger)


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
    """Every economy's new files that had arrived by ``as_of``, judged together."""
    files, _ = inbox_for(context, as_of)
    return collect_files(context, [item for economy in sorted(files) for item in files[economy]], logger=logger)
