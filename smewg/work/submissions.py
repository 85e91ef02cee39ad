"""Keep every submission version: the file's checksum, its rows and its validation.

One transaction per file: either the new version, its observations and its validation
result are all stored, or nothing is. The same bytes again change nothing. An accepted
new version supersedes the economy's previous accepted one, which is kept, marked
``superseded`` and linked to its successor. A rejected file supersedes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from smewg.core.store import session_scope
from smewg.core.store.models import CycleRow, ObservationRow, SubmissionRow, ValidationResultRow
from smewg.work.cycles import get_or_create_cycle
from smewg.work.messages import Message
from smewg.work.outbox import enqueue

SUITE_NAME = "submission"
STORED_PROBLEMS = 1_000
"""Problems kept with a version (the first ones, rows in file order); the total is kept
beside them. Each row's status is in its observation: a file of 500,000 bad rows would
otherwise store 73 MB of messages, and ``submissions --json`` print them all."""


@dataclass
class Outcome:
    """What happened to one file."""

    economy: str
    file: str
    checksum: str
    status: str  # accepted, rejected, or unchanged (same bytes as a stored version)
    version: int
    submission_id: int
    rows_accepted: int = 0
    rows_quarantined: int = 0
    rows_flagged: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)
    data_docs: str | None = None
    superseded: int | None = None  # version it replaced

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def find_version(session: Session, cycle_id: int, economy: str, checksum: str) -> SubmissionRow | None:
    return session.scalar(
        select(SubmissionRow).where(
            SubmissionRow.cycle_id == cycle_id, SubmissionRow.economy_code == economy, SubmissionRow.checksum == checksum
        )
    )


def stored_checksums(engine: Engine, plan_id: str, year: int, economies: set[str]) -> dict[tuple[str, str], tuple[int, int]]:
    """(economy, checksum) -> (version, submission id) of every file stored for the cycle by
    ``economies``: one query for a collection run (or one economy's task), however many
    files its inbox holds."""
    query = (
        select(SubmissionRow.economy_code, SubmissionRow.checksum, SubmissionRow.version, SubmissionRow.id)
        .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
        .where(CycleRow.plan_id == plan_id, CycleRow.year == year, SubmissionRow.economy_code.in_(economies))
    )
    with session_scope(engine) as session:
        return {(economy, checksum): (version, id_) for economy, checksum, version, id_ in session.execute(query)}


def previous_year_values(engine: Engine, plan_id: str, year: int, economy: str) -> dict[tuple[str, str], float]:
    """(indicator, breakdown) -> value of the economy's accepted data for ``year - 1``."""
    with session_scope(engine) as session:
        query = (
            select(ObservationRow.indicator_id, ObservationRow.breakdown, ObservationRow.value)
            .join(SubmissionRow, ObservationRow.submission_id == SubmissionRow.id)
            .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
            .where(
                CycleRow.plan_id == plan_id,
                CycleRow.year == year - 1,
                SubmissionRow.economy_code == economy,
                SubmissionRow.status == "accepted",
                ObservationRow.status != "quarantined",
                ObservationRow.value.is_not(None),
            )
        )
        return {(indicator, breakdown): value for indicator, breakdown, value in session.execute(query) if value is not None}


OBSERVATION_COLUMNS = ("submission_id", "row_number", "indicator_id", "breakdown", "value", "raw_value", "unit", "note", "status")


CHUNK_ROWS = 100_000


def _cut(column: pd.Series, width: int) -> np.ndarray:
    """Texts cut to their column's width (once per distinct text), missing ones as None."""
    codes, uniques = pd.factorize(column)
    cut = np.array([None, *(str(u)[:width] for u in uniques)], dtype=object)
    return cut[codes + 1]


def _observation_chunk(submission_id: int, frame: pd.DataFrame, statuses: pd.Series) -> dict[str, np.ndarray]:
    """Observation columns of Python objects (the driver binds no numpy scalars), in column
    order; NaN/inf values and missing texts as None, and a negative zero as zero."""
    # + 0.0 turns -0.0 into 0.0: PostgreSQL keeps a zero's sign and SQLite does not, so the
    # same answer ("-0") would print as "-0" on one back end and "0" on the other.
    values = frame["value"].to_numpy(dtype="float64", na_value=np.nan) + 0.0
    rows = len(frame)
    return {
        "submission_id": np.full(rows, submission_id, dtype=object),
        "row_number": frame["row"].to_numpy(dtype="int64").astype(object),
        "indicator_id": _cut(frame["indicator"], 16),
        "breakdown": _cut(frame["breakdown"], 32),
        "value": np.where(np.isfinite(values), values.astype(object), None),
        "raw_value": _cut(frame["raw_value"], 100),
        "unit": _cut(frame["unit"], 16),
        "note": frame["note"].to_numpy(dtype=object, na_value=None),
        "status": statuses.to_numpy(dtype=object),
    }


ROWS_PER_STATEMENT = 100


def _insert_observations(session: Session, submission_id: int, frame: pd.DataFrame, statuses: pd.Series) -> None:
    """Bulk insert in chunks, the driver's fastest way: COPY on PostgreSQL; elsewhere
    statements of :data:`ROWS_PER_STATEMENT` rows each, run with executemany.

    The ORM would build an object per row; for a million rows that is most of the time
    spent storing, and chunks keep memory flat. On SQLite, executemany's own work per
    statement (not the binding of values) was most of what remained: a million rows took
    6.3 s one row per statement and 2.8 s a hundred rows per statement
    (``bench/collect_throughput.py``).
    """
    connection = session.connection()
    names = ", ".join(OBSERVATION_COLUMNS)
    postgres = connection.dialect.name == "postgresql"
    placeholder = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    one_row = "(" + ", ".join(placeholder for _ in OBSERVATION_COLUMNS) + ")"
    chunks = (
        _observation_chunk(submission_id, frame.iloc[start : start + CHUNK_ROWS], statuses.iloc[start : start + CHUNK_ROWS])
        for start in range(0, len(frame), CHUNK_ROWS)
    )
    if postgres:
        # One COPY for every chunk: the server stores a chunk while the next one is written
        # (a COPY per chunk made each wait for the other). CSV: an unquoted empty field is
        # NULL; texts here are never empty strings.
        driver_connection: Any = connection.connection.driver_connection
        with (
            driver_connection.cursor() as cursor,
            cursor.copy(f"COPY observations ({names}) FROM STDIN (FORMAT csv)") as copy,
        ):
            for chunk in chunks:
                text = io.StringIO()
                csv.writer(text, lineterminator="\n").writerows(zip(*chunk.values()))  # None as an empty field
                copy.write(text.getvalue())
        return
    for chunk in chunks:
        table = np.column_stack(list(chunk.values()))
        whole = len(table) // ROWS_PER_STATEMENT * ROWS_PER_STATEMENT
        if whole:
            statement = f"INSERT INTO observations ({names}) VALUES " + ", ".join([one_row] * ROWS_PER_STATEMENT)
            connection.exec_driver_sql(
                statement, [tuple(r) for r in table[:whole].reshape(-1, ROWS_PER_STATEMENT * table.shape[1]).tolist()]
            )
        if whole < len(table):
            connection.exec_driver_sql(
                f"INSERT INTO observations ({names}) VALUES {one_row}", [tuple(r) for r in table[whole:].tolist()]
            )


def store_submission(
    engine: Engine,
    *,
    plan_id: str,
    year: int,
    economy: str,
    file_name: str,
    checksum: str,
    size_bytes: int,
    received_at: datetime,
    now: datetime,
    frame: pd.DataFrame | None,
    statuses: pd.Series | None,
    problems: list[dict[str, Any]],
    success: bool,
    statistics: dict[str, Any],
    data_docs: str | None,
    acknowledgement: Callable[[Outcome], Message] | None = None,
) -> Outcome:
    """Store one file's outcome atomically (``frame`` None: the whole file was rejected).

    A file none of whose rows can be accepted is rejected too: it must not replace an
    earlier version's data, nor stop the reminders. The acknowledgement to the economy is
    written to the outbox in the same transaction, so it can never be lost in between.
    """
    with session_scope(engine) as session:
        cycle = get_or_create_cycle(session, plan_id, year, now=now)
        existing = find_version(session, cycle.id, economy, checksum)
        if existing is not None:
            return Outcome(economy, file_name, checksum, "unchanged", existing.version, existing.id)
        version = (
            session.scalar(
                select(func.max(SubmissionRow.version)).where(
                    SubmissionRow.cycle_id == cycle.id, SubmissionRow.economy_code == economy
                )
            )
            or 0
        ) + 1
        counts = {"rows_accepted": 0, "rows_quarantined": 0, "rows_flagged": 0}
        if frame is not None and statuses is not None:
            counts = {
                "rows_accepted": int((statuses != "quarantined").sum()),
                "rows_quarantined": int((statuses == "quarantined").sum()),
                "rows_flagged": int((statuses == "flagged").sum()),
            }
        rejected = frame is None or counts["rows_accepted"] == 0
        if frame is not None and rejected:
            problems = [
                {
                    "row": None,
                    "field": None,
                    "severity": "error",
                    "message": f"{file_name}: no row could be accepted; correct the rows listed and send the file "
                    "again (data already accepted stays in use)",
                },
                *problems,
            ]
        submission = SubmissionRow(
            cycle_id=cycle.id,
            economy_code=economy,
            version=version,
            file_name=file_name[:500],
            checksum=checksum,
            size_bytes=size_bytes,
            received_at=received_at,
            status="rejected" if rejected else "accepted",
            **counts,
        )
        session.add(submission)
        session.flush()
        superseded = None
        if frame is not None:
            _insert_observations(session, submission.id, frame, statuses)
        if not rejected:
            previous = session.scalar(
                select(SubmissionRow).where(
                    SubmissionRow.cycle_id == cycle.id,
                    SubmissionRow.economy_code == economy,
                    SubmissionRow.status == "accepted",
                    SubmissionRow.id != submission.id,
                )
            )
            if previous is not None:
                previous.status, previous.superseded_by_id = "superseded", submission.id
                superseded = previous.version
        session.add(
            ValidationResultRow(
                submission_id=submission.id,
                suite_name=SUITE_NAME,
                success=success,
                evaluated_at=now,
                statistics={**statistics, "problems_total": len(problems)},
                problems=problems[:STORED_PROBLEMS],
                data_docs_path=data_docs,
            )
        )
        outcome = Outcome(
            economy,
            file_name,
            checksum,
            submission.status,
            version,
            submission.id,
            problems=problems,
            data_docs=data_docs,
            superseded=superseded,
            **counts,
        )
        if acknowledgement is not None:
            enqueue(session, acknowledgement(outcome), now=now)
        return outcome


def list_submissions(session: Session, plan_id: str, year: int) -> list[dict[str, Any]]:
    """The ``smewg submissions --json`` rows: every version, newest first per economy."""
    query = (
        select(SubmissionRow, ValidationResultRow)
        .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
        .outerjoin(ValidationResultRow, ValidationResultRow.submission_id == SubmissionRow.id)
        .where(CycleRow.plan_id == plan_id, CycleRow.year == year)
        .order_by(SubmissionRow.economy_code, SubmissionRow.version.desc())
    )
    rows = []
    for submission, validation in session.execute(query):
        rows.append(
            {
                "economy": submission.economy_code,
                "version": submission.version,
                "status": submission.status,
                "file": submission.file_name,
                "checksum": submission.checksum,
                "received_at": submission.received_at.isoformat(),
                "rows_accepted": submission.rows_accepted,
                "rows_quarantined": submission.rows_quarantined,
                "rows_flagged": submission.rows_flagged,
                "problems": validation.problems if validation else [],
                "problems_total": (validation.statistics or {}).get("problems_total", len(validation.problems))
                if validation
                else 0,
                "data_docs": validation.data_docs_path if validation else None,
                "superseded_by": submission.superseded_by_id,
            }
        )
    return rows
