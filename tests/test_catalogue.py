"""The shipped 2021-2024 plan against the seed and the spec's canonical indicator table."""

from __future__ import annotations

import re

import pytest

from smewg.core.catalogue import load_catalogue, load_plan
from smewg.core.paths import DEFAULT_PLAN_FILE, ECONOMIES_FILE
from tests.apec import APEC_ORDER
from tests.conftest import FIXTURES


def _spec_table() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """id -> (name, kind, breakdowns), parsed from the spec's table (kept verbatim in fixtures)."""
    rows = {}
    for line in (FIXTURES / "spec_indicator_table.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.match(r"^(\d\.\d\.\d|G\.\d)$", cells[0]):
            rows[cells[0]] = (cells[1], cells[2], tuple(b.strip() for b in cells[3].split(",")))
    return rows


def _seed_text() -> str:
    text = (FIXTURES / "seed_strategic_plan_2021_2024.txt").read_text()
    # Undo the extraction damage that splits words ("start- ups") and collapse whitespace.
    text = re.sub(r"(\w)- (\w)", r"\1-\2", text)
    return re.sub(r"\s+", " ", text).lower()


@pytest.fixture(scope="module")
def plan():
    return load_plan(DEFAULT_PLAN_FILE)


def test_plan_has_five_priorities_fourteen_objectives_45_indicators_and_six_general(plan):
    assert [p.id for p in plan.priorities] == ["1", "2", "3", "4", "5"]
    assert [o.id for o in plan.objectives()] == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "2.1",
        "2.2",
        "2.3",
        "2.4",
        "3.1",
        "3.2",
        "4.1",
        "4.2",
        "5.1",
        "5.2",
    ]
    assert len(list(plan.indicators())) == 45
    assert [g.id for g in plan.general_indicators] == [f"G.{n}" for n in range(1, 7)]


def test_every_indicator_matches_the_spec_reading_of_the_seed(plan):
    expected = _spec_table()
    assert len(expected) == 51, "the fixture table itself is incomplete"
    actual = {i.id: (i.name, i.kind, i.breakdowns) for i in plan.all_indicators()}
    assert actual == expected


def test_priority_and_objective_titles_come_from_the_seed(plan):
    seed = _seed_text()
    missing = [item.id for item in (*plan.priorities, *plan.objectives()) if item.title.lower() not in seed]
    assert missing == []


def test_success_factors_come_from_the_seed(plan):
    seed = _seed_text()
    for priority in plan.priorities:
        assert priority.success_factors, f"priority {priority.id} has no specific success factors"
        for factor in priority.success_factors:
            assert factor.lower() in seed, factor
    assert len(plan.critical_success_factors) == 3


def test_reviews_midterm_2022_by_the_chair_and_final_2024_to_ministers(plan):
    midterm, final = plan.review("midterm"), plan.review("final")
    assert (midterm.year, midterm.reported_by) == (2022, "Chair of the SMEWG")
    assert (final.year, final.audience) == (2024, "APEC SME Ministers")


def test_plan_covers_all_21_economies_in_apec_order():
    catalogue = load_catalogue(DEFAULT_PLAN_FILE, ECONOMIES_FILE)
    assert [e.code for e in catalogue.participating()] == APEC_ORDER


def test_a_second_plan_loads_without_code_changes():
    catalogue = load_catalogue(FIXTURES / "plan-2025-2028.yaml", ECONOMIES_FILE)
    plan = catalogue.plan
    assert (plan.id, plan.period.start, plan.period.end) == ("smewg-2025-2028", 2025, 2028)
    assert plan.indicator("2.1.1").breakdowns == ("total", "women")
    assert plan.review("midterm").year == 2026


def test_a_plan_s_json_form_is_its_own_after_a_copy_with_changes():
    """Rollups hash the plan's JSON form, made once per plan: a copy with a changed title
    must not carry the original's along (its snapshots would be keyed as the original's)."""
    import json

    plan = load_plan(DEFAULT_PLAN_FILE)
    assert json.loads(plan.json_text) == plan.model_dump(mode="json")
    edited = plan.model_copy(update={"title": "Edited"})
    assert json.loads(edited.json_text)["title"] == "Edited"
    assert json.loads(plan.json_text)["title"] == plan.title
