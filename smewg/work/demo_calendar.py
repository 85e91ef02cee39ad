"""Deterministic demo data: calendars for every cycle of the plan, with the kind of
entries the Secretariat adds by hand (an extension, a few work-plan activities)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from smewg.core.calendar import Activity, Calendar, calendar_path, dump_calendar, template_calendar
from smewg.core.catalogue import Plan


def demo_calendar(year: int, plan: Plan) -> Calendar:
    base = template_calendar(year, plan)
    activities = (
        Activity(
            id=f"{year}-A1",
            title="Workshop on digital trade for women-led SMEs",
            objective="3.2",
            lead="PER",
            due=date(year, 4, 15),
            status="done",
        ),
        Activity(
            id=f"{year}-A2",
            title="APEC forum on alternative finance for start-ups",
            objective="4.1",
            lead="JPN",
            due=date(year, 6, 30),
            status="in_progress",
        ),
        Activity(
            id=f"{year}-A3",
            title="Study on SME participation in government procurement",
            objective="5.1",
            lead="CHL",
            due=date(year, 11, 30),
            status="planned",
        ),
    )
    return base.model_copy(update={"extensions": {"PNG": base.deadline + timedelta(days=14)}, "activities": activities})


def write_demo_calendars(schedule_dir: Path, plan: Plan) -> list[Path]:
    """One demo calendar per cycle of the plan period, written into ``schedule_dir``."""
    schedule_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for year in plan.period.years:
        path = calendar_path(schedule_dir, year)
        path.write_text(dump_calendar(demo_calendar(year, plan)), encoding="utf-8")
        written.append(path)
    return written
