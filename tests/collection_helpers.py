"""Helpers for the collection tests: a prepared store, a calendar, valid rows, file writers."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from pathlib import Path

import yaml
from sqlalchemy import select

from smewg.core.calendar import dump_calendar, template_calendar
from smewg.core.catalogue import load_catalogue
from smewg.core.cycle import load_cycle_context
from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, store_session
from smewg.core.store.models import Base, SubmissionRow
from smewg.core.submission_format import CSV_COLUMNS
from smewg.work.catalogue_sync import load_catalogue_into_store
from smewg.work.store_migration import migrate_store
from smewg.work.templates import template_rows

YEAR = 2022


def prepare(home: Path, monkeypatch) -> None:
    schedule = home / "schedule"
    schedule.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("SMEWG_SCHEDULE_DIR", str(schedule))
    settings = get_settings()
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    for year in catalogue.plan.period.years:
        (schedule / f"cycle-{year}.yaml").write_text(dump_calendar(template_calendar(year, catalogue.plan)))
    migrate_store(settings)
    load_catalogue_into_store(settings)


def store_with_calendar(home: Path, monkeypatch, calendar: dict):
    """A migrated store with the catalogue, and ``calendar`` as its only cycle calendar."""
    schedule = home / "schedule"
    schedule.mkdir(parents=True, exist_ok=True)
    (schedule / f"cycle-{calendar['year']}.yaml").write_text(yaml.safe_dump(calendar))
    monkeypatch.setenv("SMEWG_SCHEDULE_DIR", str(schedule))
    settings = get_settings()
    migrate_store(settings)
    load_catalogue_into_store(settings)
    return settings


def context(year: int = YEAR):
    return load_cycle_context(get_settings(), year)


def valid_rows(code: str = "KOR", year: int = YEAR, scale: float = 1.0) -> list[list]:
    """One row per indicator and breakdown with plausible, distinct values (breakdowns below totals)."""
    ctx = context(year) if year == YEAR else load_cycle_context(get_settings(), year)
    economy = ctx.catalogue.economies.get(code)
    rows = []
    for number, row in enumerate(template_rows(ctx.catalogue, economy, year), start=1):
        if row.indicator.kind == "percent":
            value = 40.5 if row.breakdown == "total" else 10.25 + number / 10
        elif row.indicator.kind == "amount":
            value = (1_000_000 * number if row.breakdown == "total" else 1000 * number) * scale
        else:
            value = float((1000 + number) if row.breakdown == "total" else number) * scale
        rows.append([code, year, row.indicator.id, row.breakdown, value, row.unit, ""])
    return rows


def write_csv(
    path: Path,
    rows: list[list],
    header: tuple[str, ...] = CSV_COLUMNS,
    *,
    received: datetime | None = None,
    encoding: str = "utf-8",
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    stamp(path, received)
    return path


def stamp(path: Path, received: datetime | None) -> None:
    received = received or datetime(YEAR, 4, 1, 2, 0, tzinfo=UTC)
    os.utime(path, (received.timestamp(), received.timestamp()), follow_symlinks=False)


def inbox(code: str = "KOR", year: int = YEAR) -> Path:
    return get_settings().resolved_inbox / str(year) / code


def dump_store() -> dict[str, list[tuple]]:
    engine = create_store_engine(get_settings().resolved_database_url)
    try:
        with engine.connect() as connection:
            return {
                t.name: [tuple(r) for r in connection.execute(select(t).order_by(*t.primary_key.columns))]
                for t in Base.metadata.sorted_tables
            }
    finally:
        engine.dispose()


def submissions() -> list[SubmissionRow]:
    with store_session(get_settings().resolved_database_url) as session:
        return list(session.scalars(select(SubmissionRow).order_by(SubmissionRow.id)))


def write_yaml(path: Path, data) -> None:
    path.write_text(yaml.safe_dump(data))
