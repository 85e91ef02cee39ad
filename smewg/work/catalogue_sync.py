"""Load the plan catalogue and the economies into the store, idempotently.

Running it again with the same files changes nothing; an edited title is updated in
place; an item removed from the file is reported, never deleted (submissions and
rollups may refer to it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smewg.core.catalogue import Catalogue, load_catalogue
from smewg.core.clock import now_utc
from smewg.core.settings import Settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import (
    EconomyRow,
    IndicatorRow,
    ObjectiveRow,
    PlanEconomyRow,
    PlanRow,
    PriorityAreaRow,
    ReviewMilestoneRow,
)


@dataclass
class SyncReport:
    """What a catalogue load changed, per table."""

    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    not_in_file: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(sum(self.inserted.values()) or sum(self.updated.values()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "inserted": dict(self.inserted),
            "updated": dict(self.updated),
            "not_in_file": self.not_in_file,
            "changed": self.changed,
        }


def _upsert(
    session: Session,
    model: Any,
    key: tuple,
    values: dict[str, Any],
    report: SyncReport,
    insert_only: dict[str, Any] | None = None,
) -> None:
    row = session.get(model, key)
    table = model.__tablename__
    if row is None:
        primary_keys = [column.key for column in model.__mapper__.primary_key]
        session.add(model(**dict(zip(primary_keys, key)), **values, **(insert_only or {})))
        report.inserted[table] += 1
        return
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if changed:
        for name, value in changed.items():
            setattr(row, name, value)
        report.updated[table] += 1


def sync_catalogue(session: Session, catalogue: Catalogue, *, now: datetime) -> SyncReport:
    """Bring the store's catalogue tables in line with ``catalogue``; return what changed."""
    report = SyncReport()
    plan = catalogue.plan

    for economy in catalogue.economies:
        _upsert(
            session,
            EconomyRow,
            (economy.code,),
            {
                "name": economy.name,
                "alpha2": economy.alpha2,
                "apec_order": economy.order,
                "aliases": list(economy.aliases),
            },
            report,
        )
    session.flush()

    _upsert(
        session,
        PlanRow,
        (plan.id,),
        {
            "title": plan.title,
            "source": plan.source,
            "period_start": plan.period.start,
            "period_end": plan.period.end,
            "timezone": plan.timezone,
            "critical_success_factors": list(plan.critical_success_factors),
        },
        report,
        insert_only={"loaded_at": now},
    )
    session.flush()

    for code in plan.economies:
        _upsert(session, PlanEconomyRow, (plan.id, code), {}, report)

    for p_position, priority in enumerate(plan.priorities, start=1):
        _upsert(
            session,
            PriorityAreaRow,
            (plan.id, priority.id),
            {
                "position": p_position,
                "title": priority.title,
                "success_factors": list(priority.success_factors),
            },
            report,
        )
    session.flush()
    for o_position, (priority, objective) in enumerate(((p, o) for p in plan.priorities for o in p.objectives), start=1):
        _upsert(
            session,
            ObjectiveRow,
            (plan.id, objective.id),
            {
                "priority_id": priority.id,
                "position": o_position,
                "title": objective.title,
            },
            report,
        )
    session.flush()

    position = 0
    for objective in plan.objectives():
        for indicator in objective.indicators:
            position += 1
            _upsert(
                session,
                IndicatorRow,
                (plan.id, indicator.id),
                {
                    "objective_id": objective.id,
                    "position": position,
                    "name": indicator.name,
                    "kind": indicator.kind,
                    "breakdowns": list(indicator.breakdowns),
                    "group_name": indicator.group,
                },
                report,
            )
    for indicator in plan.general_indicators:
        position += 1
        _upsert(
            session,
            IndicatorRow,
            (plan.id, indicator.id),
            {
                "objective_id": None,
                "position": position,
                "name": indicator.name,
                "kind": indicator.kind,
                "breakdowns": list(indicator.breakdowns),
                "group_name": indicator.group,
            },
            report,
        )

    for review in plan.reviews:
        _upsert(
            session,
            ReviewMilestoneRow,
            (plan.id, review.kind),
            {
                "year": review.year,
                "title": review.title,
                "reported_by": review.reported_by,
                "audience": review.audience,
            },
            report,
        )
    session.flush()

    known_indicators = {i.id for i in plan.all_indicators()}
    stored = session.scalars(select(IndicatorRow.id).where(IndicatorRow.plan_id == plan.id))
    report.not_in_file = sorted(f"indicator {i}" for i in stored if i not in known_indicators)
    return report


def load_catalogue_into_store(settings: Settings, *, now: datetime | None = None) -> SyncReport:
    """Read the plan and economies files named in ``settings`` and sync them into the store."""
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    engine = create_store_engine(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            return sync_catalogue(session, catalogue, now=now or now_utc())
    finally:
        engine.dispose()
