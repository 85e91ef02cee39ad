"""Cycle calendars: template, validation on load, and the schedule/outbox/remind commands."""

from __future__ import annotations

import json
from datetime import date

import pytest
import yaml
from typer.testing import CliRunner

from smewg.cli import app
from smewg.core.calendar import CalendarError, load_calendar, template_calendar
from smewg.core.catalogue import load_plan
from smewg.core.paths import DEFAULT_PLAN_FILE, SCHEDULE_DIR
from tests.test_reminders import CALENDAR

PLAN = load_plan(DEFAULT_PLAN_FILE)
runner = CliRunner()


@pytest.fixture
def schedule_dir(smewg_home, monkeypatch):
    directory = smewg_home / "schedule"
    monkeypatch.setenv("SMEWG_SCHEDULE_DIR", str(directory))
    return directory


def _write(tmp_path, data) -> object:
    path = tmp_path / "cycle-2022.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_the_shipped_calendars_cover_the_plan_period_and_load():
    for year in PLAN.period.years:
        calendar = load_calendar(SCHEDULE_DIR / f"cycle-{year}.yaml", PLAN)
        assert calendar.year == year and calendar.call_for_data < calendar.deadline < calendar.rollup
    assert [r.kind for r in load_calendar(SCHEDULE_DIR / "cycle-2022.yaml", PLAN).reviews] == ["midterm"]
    assert [r.kind for r in load_calendar(SCHEDULE_DIR / "cycle-2024.yaml", PLAN).reviews] == ["final"]
    assert load_calendar(SCHEDULE_DIR / "cycle-2023.yaml", PLAN).reviews == ()


def test_template_steps_count_back_and_forward_from_the_deadline():
    calendar = template_calendar(2023, PLAN)
    steps = {s.name: s.date for s in calendar.steps_for("CHL")}
    assert steps == {
        "T-30": date(2023, 5, 1),
        "T-14": date(2023, 5, 17),
        "T-7": date(2023, 5, 24),
        "T-1": date(2023, 5, 30),
        "T+1": date(2023, 6, 1),
        "T+7": date(2023, 6, 7),
        "T+14": date(2023, 6, 14),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deadline": "2022-02-01"}, "deadline (2022-02-01) comes before call_for_data (2022-03-01)"),
        ({"rollup": "2022-06-15"}, "rollup (2022-06-15) comes before quality_check.end (2022-06-30)"),
        ({"extensions": {"KOR": "2022-05-01"}}, "extensions.KOR (2022-05-01) does not extend the deadline"),
        ({"extensions": {"XYZ": "2022-06-30"}}, "extensions.XYZ: not an economy of the plan"),
        ({"reminder_days_before": [120]}, "the first reminder (120 days before 2022-05-31) would come before the call for data"),
        ({"deadline": "someday"}, "deadline: Input should be a valid date"),
        (
            {"activities": [{"id": "A9", "title": "x", "objective": "6.1", "lead": "KOR", "due": "2022-05-01"}]},
            "activities[0] (id A9) > objective: '6.1' is not an objective of the plan",
        ),
        (
            {"activities": [{"id": "A9", "title": "x", "objective": "2.1", "lead": "Atlantis", "due": "2022-05-01"}]},
            "activities[0] (id A9) > lead: 'Atlantis' is not an economy of the plan",
        ),
        ({"reviews": [{"kind": "final", "name": "Final", "date": "2022-08-01"}]}, "the plan has no final review in 2022"),
    ],
)
def test_a_broken_calendar_names_file_and_key(tmp_path, change, message):
    path = _write(tmp_path, {**CALENDAR, **change})
    with pytest.raises(CalendarError) as raised:
        load_calendar(path, PLAN)
    assert str(path) in str(raised.value)
    assert message in str(raised.value)


def test_schedule_new_then_show_json(schedule_dir):
    result = runner.invoke(app, ["schedule", "new", "2022"])
    assert result.exit_code == 0, result.stderr
    assert (schedule_dir / "cycle-2022.yaml").exists()
    again = runner.invoke(app, ["schedule", "new", "2022"])
    assert again.exit_code == 1 and "already exists" in again.stderr

    document = json.loads(runner.invoke(app, ["schedule", "show", "--year", "2022", "--json"]).stdout)
    assert {
        "year",
        "timezone",
        "call_for_data",
        "deadline",
        "reminders",
        "escalations",
        "milestones",
        "extensions",
        "activities",
    } <= set(document)
    assert document["timezone"] == "Asia/Singapore"
    assert document["reminders"][0] == {"step": "T-30", "date": "2022-05-01"}
    assert document["escalations"][-1] == {"step": "T+14", "date": "2022-06-14"}
    assert any(m["name"].startswith("Mid-term review") for m in document["milestones"])


def test_schedule_new_refuses_a_year_outside_the_plan(schedule_dir):
    result = runner.invoke(app, ["schedule", "new", "2019"])
    assert result.exit_code == 1 and "outside the plan period 2021-2024" in result.stderr


def test_remind_dry_run_shows_what_would_go_and_stores_nothing(schedule_dir):
    schedule_dir.mkdir(parents=True)
    (schedule_dir / "cycle-2022.yaml").write_text(yaml.safe_dump(CALENDAR))
    assert runner.invoke(app, ["init"]).exit_code == 0
    result = runner.invoke(app, ["remind", "--year", "2022", "--as-of", "2022-05-17", "--dry-run", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["dry_run"] is True and len(document["queued"]) == 21
    assert {q["step"] for q in document["queued"]} == {"T-14", "T-30"}  # KOR's extension: its T-30 is 16 May
    assert json.loads(runner.invoke(app, ["outbox", "--json"]).stdout) == []


def test_remind_rejects_a_bad_date(schedule_dir):
    result = runner.invoke(app, ["remind", "--year", "2022", "--as-of", "17/05/2022", "--dry-run"])
    assert result.exit_code == 2 and "use YYYY-MM-DD" in result.stderr


def test_outbox_json_follows_the_contract(schedule_dir):
    schedule_dir.mkdir(parents=True)
    (schedule_dir / "cycle-2022.yaml").write_text(yaml.safe_dump(CALENDAR))
    runner.invoke(app, ["init"])
    from smewg.core.clock import now_utc
    from smewg.core.cycle import load_cycle_context
    from smewg.core.settings import get_settings
    from smewg.work.reminders import queue_reminders

    queue_reminders(load_cycle_context(get_settings(), 2022), date(2022, 5, 1), now=now_utc())
    rows = json.loads(runner.invoke(app, ["outbox", "--json"]).stdout)
    assert len(rows) == 20  # KOR's first reminder is later
    assert {"id", "channel", "economy", "kind", "dedupe_key", "status", "attempts", "created_at", "delivered_at"} <= set(rows[0])
    assert {r["status"] for r in rows} == {"pending"} and {r["kind"] for r in rows} == {"reminder"}
    table = runner.invoke(app, ["outbox", "--status", "pending"]).stdout
    assert "Outbox (20 messages)" in table


def test_a_cycle_context_is_parsed_once_per_content_and_again_after_an_edit(smewg_home, monkeypatch):
    """Every step of a flow run opens the cycle's context: unchanged files are not parsed
    again, an edited calendar is (its new dates are what the next step sees)."""
    import yaml

    from smewg.core.cycle import load_cycle_context
    from smewg.core.settings import get_settings
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    settings = get_settings()
    first, second = load_cycle_context(settings, 2022), load_cycle_context(settings, 2022)
    assert first.catalogue is second.catalogue and first.calendar is second.calendar
    path = smewg_home / "schedule" / "cycle-2022.yaml"
    edited = yaml.safe_load(path.read_text())
    edited["extensions"] = {"KOR": "2022-06-30"}
    path.write_text(yaml.safe_dump(edited))
    third = load_cycle_context(settings, 2022)
    assert third.calendar is not first.calendar and str(third.calendar.deadline_for("KOR")) == "2022-06-30"
    assert third.catalogue.plan == first.catalogue.plan


def test_a_calendar_whose_year_disagrees_with_its_file_name_is_refused_naming_both(smewg_home, monkeypatch):
    import yaml

    from smewg.core.calendar import CalendarError, load_calendar
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    path = smewg_home / "schedule" / "cycle-2023.yaml"
    document = yaml.safe_load((smewg_home / "schedule" / "cycle-2022.yaml").read_text())
    path.write_text(yaml.safe_dump(document))  # the 2022 calendar copied under the 2023 name
    with pytest.raises(CalendarError) as refused:
        load_calendar(path)
    assert str(refused.value) == (
        f"{path}: year: 2022, but the file is the calendar of 2023 (cycle-2023.yaml); "
        "correct the year or rename the file to cycle-2022.yaml"
    )
    assert load_calendar(smewg_home / "schedule" / "cycle-2022.yaml").year == 2022


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            {"extensions": {"Viet Nam": "2022-06-30", "VNM": "2022-07-15"}},
            "extensions: 'VNM' and 'Viet Nam' name the same economy (VNM); keep one",
        ),
        ({"extensions": {"Vietnamm": "2022-06-30"}}, "did you mean Viet Nam (VNM)?); keys are ISO alpha-3 codes"),
        ({"deadline": "30/06/2022"}, "(got '30/06/2022'; write dates as YYYY-MM-DD, e.g. 2023-06-30)"),
    ],
)
def test_calendar_mistakes_say_what_to_write(change, says, smewg_home, monkeypatch):
    import yaml

    from smewg.core.calendar import CalendarError, load_calendar
    from smewg.core.catalogue import load_catalogue
    from smewg.core.settings import get_settings
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    path = smewg_home / "schedule" / "cycle-2022.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(path.read_text()), **change}))
    settings = get_settings()
    with pytest.raises(CalendarError) as refused:
        load_calendar(path, load_catalogue(settings.plan_file, settings.economies_file).plan)
    assert says in str(refused.value)


def test_extensions_and_leads_may_name_an_economy_as_people_type_it(smewg_home, monkeypatch):
    """Issue 12: "Taiwan", "Viet Nam" or "korea" in a calendar extend that economy's deadline."""
    import yaml

    from smewg.core.calendar import load_calendar
    from smewg.core.catalogue import load_catalogue
    from smewg.core.settings import get_settings
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    path = smewg_home / "schedule" / "cycle-2022.yaml"
    document = yaml.safe_load(path.read_text())
    document["extensions"] = {"Taiwan": "2022-06-30", "Viet Nam": "2022-07-15", "korea": "2022-07-01"}
    document["activities"] = [{"id": "A1", "title": "Workshop", "objective": "2.1", "lead": "Taiwan", "due": "2022-09-30"}]
    path.write_text(yaml.safe_dump(document))
    settings = get_settings()
    calendar = load_calendar(path, load_catalogue(settings.plan_file, settings.economies_file).plan)
    assert calendar.extensions == {"TWN": date(2022, 6, 30), "VNM": date(2022, 7, 15), "KOR": date(2022, 7, 1)}
    assert calendar.deadline_for("TWN") == date(2022, 6, 30)
    assert calendar.activities[0].lead == "TWN"


@pytest.mark.parametrize(
    "written",
    [
        "activities:  # the work plan\n  - {id: A1, title: Workshop, objective: '2.1', lead: KOR, due: 2022-09-30}\n",
        "activities:\n- id: A1\n  title: Workshop\n  objective: '2.1'\n  lead: KOR\n  due: 2022-09-30\n",
        "activities: [{id: A1, title: Workshop, objective: '2.1', lead: KOR, due: 2022-09-30}]\n",
    ],
)
def test_an_activity_is_added_to_a_calendar_however_its_list_is_written(written, smewg_home, monkeypatch):
    import yaml

    from smewg.core.calendar import Activity, add_activity, load_calendar
    from smewg.core.catalogue import load_catalogue
    from smewg.core.settings import get_settings
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    path = smewg_home / "schedule" / "cycle-2022.yaml"
    kept = [line for line in path.read_text().splitlines() if not line.startswith("activities:")]
    path.write_text("\n".join(kept) + "\n# a note the Secretariat wrote\n" + written)
    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    added = Activity(id="SME 07 2021A", title="Exporters", objective="2.4", lead="VNM", due=date(2022, 11, 30))
    assert add_activity(path, added, plan) is True
    calendar = load_calendar(path, plan)
    assert [a.id for a in calendar.activities] == ["A1", "SME 07 2021A"]
    assert yaml.safe_load(path.read_text())["activities"][1]["lead"] == "VNM"
    if "[{" not in written:  # a block list is extended in place; a flow list is written again whole
        assert "# a note the Secretariat wrote" in path.read_text()
    assert add_activity(path, added, plan) is False
