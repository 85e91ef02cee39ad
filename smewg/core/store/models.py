"""The store's tables (SQLAlchemy 2.0 declarative). Alembic migrations create them.

Nothing here is ever deleted by the application: a corrected submission is a new
version that supersedes the old one, a rerun rollup is a new snapshot, a rebuilt
review is a new version. Catalogue rows (plans, indicators, economies) are keyed by
the ids people use (``1.1.1``, ``KOR``) within a plan.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SUBMISSION_STATUSES = ("accepted", "rejected", "superseded")
OBSERVATION_STATUSES = ("accepted", "flagged", "quarantined")
NOTIFICATION_KINDS = ("reminder", "escalation", "missed_deadline", "acknowledgement", "failure", "review", "proposals")
NOTIFICATION_STATUSES = ("pending", "delivered", "failed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# Big integer ids on PostgreSQL, plain INTEGER on SQLite (which only autoincrements INTEGER).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC instants on every back end (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store instants with a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict: JSON, list: JSON}


# -- the plan catalogue ------------------------------------------------------------


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(100))
    period_start: Mapped[int]
    period_end: Mapped[int]
    timezone: Mapped[str] = mapped_column(String(64))
    critical_success_factors: Mapped[list] = mapped_column(default=list)
    loaded_at: Mapped[datetime]


class PriorityAreaRow(Base):
    __tablename__ = "priority_areas"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    success_factors: Mapped[list] = mapped_column(default=list)


class ObjectiveRow(Base):
    __tablename__ = "objectives"
    __table_args__ = (ForeignKeyConstraint(["plan_id", "priority_id"], ["priority_areas.plan_id", "priority_areas.id"]),)

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(8), primary_key=True)
    priority_id: Mapped[str] = mapped_column(String(8))
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))


class IndicatorRow(Base):
    """An objective indicator (``objective_id`` set) or a general indicator ``G.n`` (null)."""

    __tablename__ = "indicators"
    __table_args__ = (
        ForeignKeyConstraint(["plan_id", "objective_id"], ["objectives.plan_id", "objectives.id"]),
        CheckConstraint(_in("kind", ("count", "percent", "amount")), name="kind"),
    )

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    objective_id: Mapped[str | None] = mapped_column(String(8))
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    breakdowns: Mapped[list]
    group_name: Mapped[str | None] = mapped_column(String(100))


class ReviewMilestoneRow(Base):
    __tablename__ = "review_milestones"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    reported_by: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(200))


class EconomyRow(Base):
    __tablename__ = "economies"

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    alpha2: Mapped[str] = mapped_column(String(2), unique=True)
    apec_order: Mapped[int]
    aliases: Mapped[list] = mapped_column(default=list)


class PlanEconomyRow(Base):
    __tablename__ = "plan_economies"

    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), primary_key=True)
    economy_code: Mapped[str] = mapped_column(ForeignKey("economies.code"), primary_key=True)


# -- the yearly cycle --------------------------------------------------------------


class CycleRow(Base):
    __tablename__ = "cycles"
    __table_args__ = (UniqueConstraint("plan_id", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    year: Mapped[int]
    created_at: Mapped[datetime]


class SubmissionRow(Base):
    """One file received from one economy for one cycle. Every version is kept."""

    __tablename__ = "submissions"
    __table_args__ = (
        UniqueConstraint("cycle_id", "economy_code", "version"),
        UniqueConstraint("cycle_id", "economy_code", "checksum"),
        CheckConstraint(_in("status", SUBMISSION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    economy_code: Mapped[str] = mapped_column(ForeignKey("economies.code"))
    version: Mapped[int]
    file_name: Mapped[str] = mapped_column(String(500))
    checksum: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    rows_accepted: Mapped[int] = mapped_column(default=0)
    rows_quarantined: Mapped[int] = mapped_column(default=0)
    rows_flagged: Mapped[int] = mapped_column(default=0)


class ObservationRow(Base):
    """One row of a submission in the long format; quarantined rows are kept, marked."""

    __tablename__ = "observations"
    __table_args__ = (
        CheckConstraint(_in("status", OBSERVATION_STATUSES), name="status"),
        Index("ix_observations_submission_indicator", "submission_id", "indicator_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    row_number: Mapped[int]
    indicator_id: Mapped[str] = mapped_column(String(16))
    breakdown: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    raw_value: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))


class ValidationResultRow(Base):
    __tablename__ = "validation_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    suite_name: Mapped[str] = mapped_column(String(100))
    success: Mapped[bool] = mapped_column(Boolean)
    evaluated_at: Mapped[datetime]
    statistics: Mapped[dict] = mapped_column(default=dict)
    problems: Mapped[list] = mapped_column(default=list)
    data_docs_path: Mapped[str | None] = mapped_column(String(1000))


# -- notifications -----------------------------------------------------------------


class NotificationRow(Base):
    """The outbox: every message is written here first, then delivered (maybe later)."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(_in("kind", NOTIFICATION_KINDS), name="kind"),
        CheckConstraint(_in("status", NOTIFICATION_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(100))
    economy_code: Mapped[str | None] = mapped_column(ForeignKey("economies.code"))
    cycle_year: Mapped[int | None]
    due_on: Mapped[date | None] = mapped_column(Date)
    """The cycle day the message belongs to (a run's as_of), not the wall-clock day it was written."""
    text: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    """Set by the delivery that is sending the message (see ``smewg.work.slack``)."""
    claimed_until: Mapped[datetime | None]
    """Until then no other delivery takes the message; a claim left behind by a killed run expires."""
    outcome_unknown: Mapped[bool] = mapped_column(default=False, server_default=false())
    """A post may have reached Slack without an answer (timeout, 5xx, dropped connection, a
    claim that expired): the channel's history is searched before it is posted again. Cleared
    only by a confirmed post or a history lookup that found it."""


# -- rollups and reviews -----------------------------------------------------------


class RollupSnapshotRow(Base):
    """A KPI rollup computed from exactly the submission versions in ``submission_ids``."""

    __tablename__ = "rollup_snapshots"
    __table_args__ = (UniqueConstraint("cycle_id", "inputs_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"))
    inputs_key: Mapped[str] = mapped_column(String(64))
    submission_ids: Mapped[list]
    as_of: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime]
    details: Mapped[dict] = mapped_column(default=dict, server_default=text("'{}'"))
    """FX rates used, amounts not converted, cycle analytics, versions used per year."""


class RollupFigureRow(Base):
    """A figure, held by the snapshot that computed it. A snapshot's figures are those its
    parts point to (see :class:`RollupSnapshotPartRow`), then its own coverage figures."""

    __tablename__ = "rollup_figures"
    __table_args__ = (Index("ix_rollup_figures_snapshot_indicator", "snapshot_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("rollup_snapshots.id"))
    indicator_id: Mapped[str] = mapped_column(String(16))
    breakdown: Mapped[str] = mapped_column(String(32))
    year: Mapped[int]
    statistic: Mapped[str] = mapped_column(String(32))
    value: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(16))
    economies: Mapped[list] = mapped_column(default=list)


class RollupSnapshotPartRow(Base):
    """One plan indicator's figures in a snapshot, at ``position`` in plan order: the rows of
    ``source_snapshot_id`` for that indicator. The source is the snapshot itself for the
    indicators it computed and, for those a rerun reused, the snapshot that computed them:
    a rerun after one correction writes one part per indicator, not a copy of every figure."""

    __tablename__ = "rollup_snapshot_parts"

    snapshot_id: Mapped[int] = mapped_column(ForeignKey("rollup_snapshots.id"), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[str] = mapped_column(String(16))
    source_snapshot_id: Mapped[int] = mapped_column(ForeignKey("rollup_snapshots.id"))
    figures: Mapped[int]
    """How many figures the source holds for the indicator."""


class ReviewVersionRow(Base):
    """One build of a review: the snapshots it read, where its files are, what changed since the last."""

    __tablename__ = "review_versions"
    __table_args__ = (UniqueConstraint("plan_id", "kind", "version"), UniqueConstraint("plan_id", "kind", "inputs_key"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int]
    snapshot_ids: Mapped[list]
    html_path: Mapped[str | None] = mapped_column(String(1000))
    pdf_path: Mapped[str | None] = mapped_column(String(1000))
    changes: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime]
    inputs_key: Mapped[str | None] = mapped_column(String(64))
    """Hash of the snapshots, plan and report version: the same inputs never make a second version."""
    as_of: Mapped[date | None] = mapped_column(Date)
    details: Mapped[dict] = mapped_column(default=dict, server_default=text("'{}'"))
    """Provenance: snapshots per year, submission versions used, code version, file checksums."""


# -- the cycle's own steps ---------------------------------------------------------------


class CycleStepRow(Base):
    """One step of a cycle's calendar (templates, a reminder day, the rollup, a review) as the
    annual-cycle flow last ran it: done or failed, on which day, by which flow run."""

    __tablename__ = "cycle_steps"
    __table_args__ = (UniqueConstraint("plan_id", "year", "step", "due_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    year: Mapped[int]
    step: Mapped[str] = mapped_column(String(60))
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    run_on: Mapped[date] = mapped_column(Date)
    flow_run_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime]
