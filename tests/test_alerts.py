"""Alerts that do not need the failing flow to survive: automations on a real Prefect server,
applied twice (one of each remains), and the alert-run flow they start, which never alerts a
failure twice."""

from __future__ import annotations

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from sqlalchemy import select

from smewg.core.settings import get_settings
from smewg.core.store import store_session
from smewg.core.store.models import NotificationRow
from smewg.flows.alerts import alert_run, apply_automations, automations
from smewg.flows.hooks import RUN_HOOKS
from tests.collection_helpers import store_with_calendar
from tests.test_reminders import CALENDAR

pytestmark = pytest.mark.prefect


@flow(name="smewg-test-failing", **RUN_HOOKS)
def _failing(year: int = 2022) -> None:
    raise RuntimeError("the inbox disk is full")


def test_automations_apply_twice_leaves_one_of_each(prefect_api):
    alert_run.to_deployment(name="alert-run").apply()
    first = apply_automations()
    second = apply_automations()
    assert {a["action"] for a in first} == {"created"}
    assert {a["action"] for a in second} == {"updated"}
    with get_client(sync_client=True) as client:
        deployment = client.read_deployment_by_name("alert-run/alert-run")
        for automation in automations(deployment.id):
            found = client.read_automations_by_name(automation.name)
            assert len(found) == 1, automation.name
            assert found[0].actions[0].type == automation.actions[0].type
    names = {a["name"] for a in second}
    assert {
        "smewg: alert when a flow run is failed",
        "smewg: alert when a flow run is crashed",
        "smewg: alert when a flow run is timed out",
        "smewg: alert when a flow run is late",
        "smewg: mark runs without a heartbeat as crashed",
    } == names


def test_the_automations_alert_and_the_hook_make_one_message(prefect_api, smewg_home, monkeypatch):
    store_with_calendar(smewg_home, monkeypatch, CALENDAR)
    state = _failing(return_state=True)
    assert state.is_failed()
    run_id = state.state_details.flow_run_id
    result = alert_run(flow_run_id=f"prefect.flow-run.{run_id}")  # as the Failed automation starts it
    assert (result["state"], result["queued"]) == ("Failed", False)  # the hook's message is already there
    with store_session(get_settings().resolved_database_url) as session:
        alerts = list(session.scalars(select(NotificationRow).where(NotificationRow.kind == "failure")))
    assert [a.dedupe_key for a in alerts] == [f"failure:{run_id}"]
    assert "the inbox disk is full" in alerts[0].text and alerts[0].cycle_year == 2022
