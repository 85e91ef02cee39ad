"""A whole cycle simulated day by day: each economy gets exactly its steps, once.

Expected steps are derived here from the calendar's dates by hand (not by calling the
step code): every step dated on or before the day the economy's data was accepted.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from sqlalchemy import select

from smewg.core.clock import now_utc
from smewg.core.cycle import open_cycle
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import NotificationRow, ReviewVersionRow, RollupSnapshotRow, SubmissionRow
from smewg.work.cycles import get_or_create_cycle
from smewg.work.deadlines import queue_deadline_alerts
from smewg.work.reminders import queue_reminders
from tests.apec import APEC_ORDER
from tests.collection_helpers import store_with_calendar

ALL = APEC_ORDER
CALENDAR = {
    "year": 2022,
    "plan": "smewg-2021-2024",
    "timezone": "Asia/Singapore",
    "call_for_data": "2022-03-01",
    "deadline": "2022-05-31",
    "reminder_days_before": [30, 14, 7, 1],
    "escalation_days_after": [1, 7, 14],
    "quality_check": {"start": "2022-06-01", "end": "2022-06-30"},
    "rollup": "2022-07-15",
    "meetings": [{"name": "First SMEWG meeting", "date": "2022-04-20"}],
    "reviews": [{"kind": "midterm", "name": "Mid-term review", "date": "2022-08-27"}],
    "extensions": {"KOR": "2022-06-15"},
    "activities": [
        {
            "id": "A1",
            "title": "Workshop on <digital> trade & SMEs",
            "objective": "3.2",
            "lead": "PER",
            "due": "2022-05-10",
            "status": "in_progress",
        },
        {"id": "A2", "title": "Study on SME finance", "objective": "4.1", "lead": "JPN", "due": "2022-05-10", "status": "done"},
    ],
}
# Hand-computed step dates: deadline 31 May (KOR: 15 June by extension).
STEPS = {
    "T-30": date(2022, 5, 1),
    "T-14": date(2022, 5, 17),
    "T-7": date(2022, 5, 24),
    "T-1": date(2022, 5, 30),
    "T+1": date(2022, 6, 1),
    "T+7": date(2022, 6, 7),
    "T+14": date(2022, 6, 14),
}
KOR_STEPS = {
    "T-30": date(2022, 5, 16),
    "T-14": date(2022, 6, 1),
    "T-7": date(2022, 6, 8),
    "T-1": date(2022, 6, 14),
    "T+1": date(2022, 6, 16),
    "T+7": date(2022, 6, 22),
    "T+14": date(2022, 6, 29),
}
SUBMITTED = {"AUS": date(2022, 5, 10), "SGP": date(2022, 6, 3), "KOR": date(2022, 6, 20)}


@pytest.fixture
def cycle(database_url, smewg_home, monkeypatch):
    """The 2022 calendar above on a prepared store, on SQLite and on PostgreSQL."""
    settings = store_with_calendar(smewg_home, monkeypatch, CALENDAR)
    engine = create_store_engine(settings.resolved_database_url)
    yield settings, engine
    engine.dispose()


def _submit(engine, code: str, day: date) -> None:
    with session_scope(engine) as session:
        cycle = get_or_create_cycle(session, "smewg-2021-2024", 2022, now=now_utc())
        # 10:00 in Singapore on that day.
        received = datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)
        session.add(
            SubmissionRow(
                cycle_id=cycle.id,
                economy_code=code,
                version=1,
                file_name=f"{code}.csv",
                checksum=code.ljust(64, "0"),
                size_bytes=10,
                received_at=received,
                status="accepted",
            )
        )


def _run_day(settings, day: date) -> None:
    with open_cycle(settings, 2022) as context:
        queue_reminders(context, day, now=now_utc())
        queue_deadline_alerts(context, day, now=now_utc())


def _outbox(engine) -> list[NotificationRow]:
    with session_scope(engine) as session:
        return list(session.scalars(select(NotificationRow).order_by(NotificationRow.id)))


def _steps_by_economy(rows) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for row in rows:
        if row.kind in ("reminder", "escalation"):
            found.setdefault(row.economy_code, []).append(row.dedupe_key.split(":")[4])
    return found


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_a_cycle_day_by_day_sends_each_economy_exactly_its_steps(cycle):
    settings, engine = cycle
    for day in _days(date(2022, 2, 15), date(2022, 9, 30)):
        for code, submitted in SUBMITTED.items():
            if submitted == day:
                _submit(engine, code, day)
        _run_day(settings, day)

    expected = {}
    for code in ALL:
        steps = KOR_STEPS if code == "KOR" else STEPS
        last_day = SUBMITTED.get(code, date(2030, 1, 1)) - timedelta(days=1)
        expected[code] = [name for name, when in steps.items() if when <= last_day]
    rows = _outbox(engine)
    assert _steps_by_economy(rows) == expected
    assert expected["AUS"] == ["T-30"] and expected["SGP"][-1] == "T+1" and expected["KOR"][-1] == "T+1"

    reminders = [r for r in rows if r.kind == "reminder"]
    assert all(r.channel == f"#smewg-fp-{r.economy_code.lower()}" for r in reminders)
    assert all("2022-06-15" in r.text for r in reminders if r.economy_code == "KOR")

    # Rerunning any day of the cycle sends nothing new.
    for day in _days(date(2022, 4, 25), date(2022, 7, 20)):
        _run_day(settings, day)
    assert len(_outbox(engine)) == len(rows)


def test_the_secretariat_hears_who_is_late_when_they_are_escalated(cycle):
    settings, engine = cycle
    _submit(engine, "AUS", date(2022, 5, 10))
    _run_day(settings, date(2022, 6, 1))
    alerts = [r for r in _outbox(engine) if r.kind == "missed_deadline" and r.dedupe_key.startswith("missed_deadline")]
    assert len(alerts) == 1
    late = [c for c in ALL if c not in ("AUS", "KOR")]  # KOR's deadline is extended to 15 June
    assert alerts[0].channel == "#smewg-secretariat"
    assert alerts[0].text.startswith(
        f"SMEWG 2022: {len(late)} economies have missed their deadline as of 2022-06-01: " + ", ".join(late)
    )

    _run_day(settings, date(2022, 6, 1))
    _run_day(settings, date(2022, 6, 2))  # nobody passes a new step: no new alert
    assert len([r for r in _outbox(engine) if r.dedupe_key.startswith("missed_deadline")]) == 1
    _run_day(settings, date(2022, 6, 16))  # KOR passes its own T+1, the others their T+14
    latest = [r for r in _outbox(engine) if r.dedupe_key.startswith("missed_deadline")][-1]
    assert "KOR (T+1)" in latest.text and "BRN (T+14)" in latest.text


def test_skipped_days_catch_up_with_the_latest_step_only(cycle):
    settings, engine = cycle
    _run_day(settings, date(2022, 5, 20))  # T-30 (1 May) was missed; T-14 (17 May) is due
    _run_day(settings, date(2022, 5, 31))  # T-7 missed; T-1 (30 May) is due
    _run_day(settings, date(2022, 6, 10))  # T+1 missed; T+7 (7 June) is due
    _run_day(settings, date(2022, 5, 25))  # a late backfill of an earlier day sends nothing
    _run_day(settings, date(2022, 6, 10))
    assert _steps_by_economy(_outbox(engine))["BRN"] == ["T-14", "T-1", "T+7"]
    # KOR (deadline 15 June): T-30 (16 May) is due on 20 May; on 10 June T-7 (8 June) is, T-14 (1 June) skipped.
    assert _steps_by_economy(_outbox(engine))["KOR"] == ["T-30", "T-7"]


def test_nothing_is_sent_before_the_call_for_data_or_to_economies_that_submitted(cycle):
    settings, engine = cycle
    _run_day(settings, date(2022, 2, 28))
    assert _outbox(engine) == []
    for code in ALL:
        _submit(engine, code, date(2022, 3, 2))
    _run_day(settings, date(2022, 6, 30))
    kinds = {r.kind for r in _outbox(engine)}
    assert "reminder" not in kinds and "escalation" not in kinds


def test_overdue_activities_and_cycle_steps_are_alerted_once(cycle):
    settings, engine = cycle
    for code in ALL:
        _submit(engine, code, date(2022, 3, 2))
    _run_day(settings, date(2022, 5, 11))
    _run_day(settings, date(2022, 5, 12))
    overdue = [r for r in _outbox(engine) if r.dedupe_key.startswith("activity_overdue")]
    assert len(overdue) == 1  # A2 is done: only A1
    assert 'Work-plan activity A1 "Workshop on <digital> trade & SMEs"' in overdue[0].text
    section = overdue[0].blocks[1]["text"]["text"]
    assert "&lt;digital&gt; trade &amp; SMEs" in section and "<digital>" not in section

    _run_day(settings, date(2022, 7, 16))
    _run_day(settings, date(2022, 7, 17))
    assert len([r for r in _outbox(engine) if r.dedupe_key.endswith(":rollup")]) == 1

    with session_scope(engine) as session:  # a rollup exists: no alert for the next cycle step check
        cycle_row = get_or_create_cycle(session, "smewg-2021-2024", 2022, now=now_utc())
        session.add(
            RollupSnapshotRow(
                cycle_id=cycle_row.id, inputs_key="x", submission_ids=[], as_of=date(2022, 7, 20), created_at=now_utc()
            )
        )
        session.add(ReviewVersionRow(plan_id="smewg-2021-2024", kind="midterm", version=1, snapshot_ids=[], created_at=now_utc()))
    _run_day(settings, date(2022, 9, 1))
    assert not [r for r in _outbox(engine) if r.dedupe_key.endswith(":review-midterm")]


def test_the_midterm_review_not_built_by_its_date_is_alerted(cycle):
    settings, engine = cycle
    _run_day(settings, date(2022, 8, 28))
    review_alerts = [r for r in _outbox(engine) if r.dedupe_key.endswith(":review-midterm")]
    assert len(review_alerts) == 1 and "Mid-term review" in review_alerts[0].text


def test_an_extension_moves_that_economys_deadline_and_reminders(cycle):
    settings, engine = cycle
    _run_day(settings, date(2022, 5, 16))
    steps = _steps_by_economy(_outbox(engine))
    assert steps["KOR"] == ["T-30"]  # 15 June - 30 days
    assert steps["BRN"] == ["T-30"]  # 31 May - 30 days, sent on catch-up
    kor = [r for r in _outbox(engine) if r.economy_code == "KOR"][0]
    assert "due 2022-06-15" in kor.text


def test_an_extension_granted_mid_cycle_gives_the_new_steps(cycle, smewg_home):
    settings, engine = cycle
    for day in _days(date(2022, 5, 1), date(2022, 5, 25)):
        _run_day(settings, day)
    assert _steps_by_economy(_outbox(engine))["BRN"] == ["T-30", "T-14", "T-7"]
    extended = {**CALENDAR, "extensions": {**CALENDAR["extensions"], "BRN": "2022-06-30"}}
    (smewg_home / "schedule" / "cycle-2022.yaml").write_text(yaml.safe_dump(extended))
    for day in _days(date(2022, 5, 26), date(2022, 7, 20)):
        _run_day(settings, day)
    # The old T-30..T-7 went out; the new deadline's steps (31 May onwards) follow in full.
    assert _steps_by_economy(_outbox(engine))["BRN"] == [
        "T-30",
        "T-14",
        "T-7",
        "T-30",
        "T-14",
        "T-7",
        "T-1",
        "T+1",
        "T+7",
        "T+14",
    ]


def test_reminders_sent_are_counted_on_the_cycle_day_they_belong_to(cycle):
    from smewg.work.status import cycle_status

    settings, engine = cycle
    for day in _days(date(2022, 4, 25), date(2022, 6, 2)):  # a backfill: written today, due on those days
        _run_day(settings, day)
    on_20_may = {
        e["economy"]: e["reminders_and_escalations_sent"] for e in cycle_status(settings, 2022, date(2022, 5, 20))["economies"]
    }
    assert on_20_may["BRN"] == 2 and on_20_may["KOR"] == 1  # T-30, T-14; KOR (extended): T-30
    on_2_june = {
        e["economy"]: e["reminders_and_escalations_sent"] for e in cycle_status(settings, 2022, date(2022, 6, 2))["economies"]
    }
    assert on_2_june["BRN"] == 5  # four reminders and the T+1 escalation


def test_status_counts_the_failed_runs_of_its_own_cycle_only(cycle):
    """A failed run is counted in the cycle its parameters name (``year``, else ``as_of``'s year)."""
    from types import SimpleNamespace
    from uuid import uuid4

    from smewg.flows.hooks import alert_secretariat
    from smewg.work.status import cycle_status

    settings, engine = cycle
    flow, failed = SimpleNamespace(name="collect-submissions"), SimpleNamespace(name="Failed", message="boom")
    for parameters in ({"year": 2022, "as_of": "2022-06-01"}, {"as_of": "2022-06-02"}, {"year": 2023}, {}):
        alert_secretariat(flow, SimpleNamespace(id=uuid4(), parameters=parameters), failed)
    assert [r.cycle_year for r in _outbox(engine) if r.kind == "failure"] == [2022, 2022, 2023, None]
    from smewg.core.clock import today

    assert cycle_status(settings, 2022, today())["failed_runs"] == 2  # today in Singapore, whatever the hour in UTC
    assert cycle_status(settings, 2022, date(2022, 6, 30))["failed_runs"] == 0  # alerted after that day


def test_status_says_per_economy_what_happened_and_what_to_do_next(cycle):
    """On time, late, missing, last file rejected (with the reason), extended; rows
    quarantined and flagged; the step reached; the next action."""
    from datetime import UTC, datetime

    from smewg.core.clock import now_utc
    from smewg.work.collect import collect_all
    from smewg.work.deadlines import queue_deadline_alerts
    from smewg.work.reminders import queue_reminders
    from smewg.work.status import cycle_status
    from tests import collection_helpers as h

    settings, _ = cycle
    rows = h.valid_rows("AUS")
    rows[2][4] = "lots"  # one row to correct
    h.write_csv(h.inbox("AUS") / "AUS.csv", rows, received=datetime(2022, 5, 10, 2, tzinfo=UTC))
    h.write_csv(h.inbox("SGP") / "SGP.csv", h.valid_rows("SGP"), received=datetime(2022, 6, 3, 2, tzinfo=UTC))
    h.inbox("PER").mkdir(parents=True, exist_ok=True)
    (h.inbox("PER") / "PER.csv").write_bytes(b"")  # rejected: empty
    h.stamp(h.inbox("PER") / "PER.csv", datetime(2022, 5, 20, 2, tzinfo=UTC))
    context = h.context()
    collect_all(context, date(2022, 6, 10))
    for day in (STEPS["T-30"], STEPS["T-14"], STEPS["T+1"], STEPS["T+7"]):
        queue_reminders(context, day, now=now_utc())
        queue_deadline_alerts(context, day, now=now_utc())

    status = cycle_status(settings, 2022, date(2022, 6, 10))
    by = {e["economy"]: e for e in status["economies"]}
    assert (by["AUS"]["state_text"], by["AUS"]["quarantined_rows"]) == ("submitted on time", 1)
    assert by["AUS"]["next_action"] == "ask for corrections: 1 row quarantined"
    assert by["SGP"]["state_text"] == "submitted late" and by["SGP"]["next_action"] == "none"
    assert by["PER"]["state_text"] == "last file rejected" and by["PER"]["last_file_rejected"] == "PER.csv is empty"
    assert by["PER"]["next_action"].startswith("ask for a corrected file")
    assert by["VNM"]["state_text"] == "missing, past the deadline" and by["VNM"]["step_reached"] == "T+7"
    assert by["VNM"]["next_action"].startswith("chase: 10 days past the deadline, ")
    assert by["KOR"]["extended"] and by["KOR"]["state_text"] == "not yet due"
    # SPEC section 7's contract: state codes, the reason, SPEC's row-count names, the calendar used
    assert {c: by[c]["state"] for c in ("AUS", "SGP", "PER", "VNM", "KOR")} == {
        "AUS": "on_time",
        "SGP": "late",
        "PER": "rejected",
        "VNM": "missing",
        "KOR": "missing",
    }
    assert by["PER"]["reason"] == "PER.csv is empty" and (by["AUS"]["rows_quarantined"], by["AUS"]["rows_flagged"]) == (1, 0)
    assert status["calendar"].endswith("cycle-2022.yaml") and {"deadline", "received_at", "version"} <= set(by["AUS"])
    assert by["KOR"]["next_action"] == "wait: due 2022-06-15 (in 5 days)"
