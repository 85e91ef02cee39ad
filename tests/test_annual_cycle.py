"""The annual-cycle flow on a real Prefect API, day by day through a simulated 2022 cycle.

The flow runs on every day something can happen (the calendar's steps, each file's
arrival, the rollup and its weekly reruns, the review) and on quiet days between; every
message goes out once, every output is built once, and a second run on a day adds nothing.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from smewg.cli import app
from smewg.core.cycle import open_cycle
from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import NotificationRow, ReviewVersionRow, RollupSnapshotRow
from smewg.flows.annual_cycle import annual_cycle
from smewg.work.collect import collect_all
from smewg.work.demo_calendar import write_demo_calendars
from smewg.work.simulate_submissions import simulate_submissions
from tests import collection_helpers as h

pytestmark = pytest.mark.prefect


def _store_counts(settings) -> dict[str, object]:
    engine = create_store_engine(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            keys = list(session.scalars(select(NotificationRow.dedupe_key)))
            return {
                "messages": Counter(keys),
                "snapshots": session.scalar(select(func.count()).select_from(RollupSnapshotRow)),
                "reviews": session.scalar(select(func.count()).select_from(ReviewVersionRow)),
            }
    finally:
        engine.dispose()


def test_the_annual_cycle_run_day_by_day_does_each_thing_once(prefect_api, smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    settings = get_settings()
    from smewg.core.catalogue import load_catalogue

    write_demo_calendars(settings.schedule_dir, load_catalogue(settings.plan_file, settings.economies_file).plan)
    with open_cycle(settings, 2021) as context:  # the mid-term review also reads 2021
        simulate_submissions(settings.resolved_inbox, context.catalogue, context.calendar)
        collect_all(context, date(2021, 12, 31))
    with open_cycle(settings, 2022) as context:
        files = simulate_submissions(settings.resolved_inbox, context.catalogue, context.calendar)
        calendar = context.calendar
        zone = ZoneInfo(calendar.timezone)
        days = set(calendar.action_days(list(context.catalogue.plan.economies)))
        days |= {f.received_at.astimezone(zone).date() for f in files}
        days |= {
            calendar.call_for_data,
            calendar.rollup,
            calendar.rollup + timedelta(days=7),
            *(r.date for r in calendar.reviews),
        }
        days |= {date(2022, 2, 20), date(2022, 4, 2), date(2022, 8, 30)}  # quiet days
    days = sorted(d for d in days if d <= date(2022, 8, 31))

    twice = {calendar.call_for_data, calendar.rollup, calendar.reviews[0].date}
    for day in days:
        result = annual_cycle(as_of=day)
        assert result["failed"] == []
        if day in twice:
            before = _store_counts(settings)
            again = annual_cycle(as_of=day)
            assert again["collected"] == 0 and "templates" not in again["done"]
            assert _store_counts(settings) == before, f"a second run on {day} changed the store"

    counts = _store_counts(settings)
    assert max(counts["messages"].values()) == 1  # each message once (the dedupe keys are unique)
    assert counts["reviews"] == 1  # the mid-term review built once, on its date
    templates = sorted((settings.outputs_dir / "templates" / "2022").glob("*.xlsx"))
    assert len(templates) == 21 and len({t.stat().st_mtime_ns for t in templates}) >= 1

    # Read-only commands never import Prefect: the run links use PREFECT_UI_URL from the environment.
    monkeypatch.setenv("PREFECT_UI_URL", prefect_api.removesuffix("/api"))
    status = json.loads(CliRunner().invoke(app, ["status", "--year", "2022", "--as-of", "2022-09-30", "--json"]).stdout)
    steps = {s["name"]: s for s in status["steps"]}
    assert steps["templates"]["state"] == "done" and steps["templates"]["run_url"].startswith(prefect_api.removesuffix("/api"))
    assert steps["KPI rollup"]["state"] == "done"
    assert steps["reminders T-30"]["state"] == "done" and steps["escalations T+14"]["state"] == "done"
    review = calendar.reviews[0].name
    assert steps[review]["state"] == "done"
    assert {s["state"] for s in status["steps"]} == {"done"}
    by_hand = CliRunner().invoke(app, ["cycle", "run", "--as-of", "2022-08-31", "--json"])
    assert by_hand.exit_code == 0 and json.loads(by_hand.stdout)["collected"] == 0
