"""The cycle's flows on a real Prefect server, talking to a local Slack Web API."""

from __future__ import annotations

import importlib
import pkgutil
import re
from datetime import date
from uuid import UUID

import httpx
import pytest
from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import select

import smewg.flows
from smewg.core.settings import get_settings
from smewg.core.store import store_session
from smewg.core.store.models import NotificationRow
from smewg.flows.deadlines import watch_deadlines
from smewg.flows.hooks import alert_secretariat
from smewg.flows.reminders import send_reminders
from tests.apec import APEC_ORDER
from tests.collection_helpers import store_with_calendar
from tests.slack_server import FakeSlack, SlackServer
from tests.test_reminders import CALENDAR

TOKEN = "xoxb-1111111111-flow-test-token"
pytestmark = pytest.mark.prefect


@pytest.fixture
def slack(smewg_home, monkeypatch):
    codes = [code.lower() for code in APEC_ORDER]
    channels = {f"#smewg-fp-{code}": f"C{n:04d}" for n, code in enumerate(codes)}
    channels["#smewg-secretariat"] = "CSECRETARIAT"
    fake = FakeSlack(token=TOKEN, channels=channels)
    with SlackServer(fake) as server:
        monkeypatch.setenv("SMEWG_SLACK_TOKEN", TOKEN)
        monkeypatch.setenv("SMEWG_SLACK_BASE_URL", server.base_url)
        monkeypatch.setenv("SMEWG_SLACK_TIMEOUT_SECONDS", "2")
        store_with_calendar(smewg_home, monkeypatch, CALENDAR)
        yield fake


def _outbox() -> list[NotificationRow]:
    with store_session(get_settings().resolved_database_url) as session:
        return list(session.scalars(select(NotificationRow).order_by(NotificationRow.id)))


def test_send_reminders_flow_delivers_each_reminder_once(prefect_api, slack):
    state = send_reminders(year=2022, as_of=date(2022, 5, 17), return_state=True)
    assert state.is_completed()
    result = state.result()
    assert len(result["queued"]) == 21 and result["delivery"]["delivered"] == 21
    assert len(slack.posted) == 21
    kor = slack.posted_to("#smewg-fp-kor")[0]
    assert "due 2022-06-15" in kor["text"]  # its extension

    again = send_reminders(year=2022, as_of=date(2022, 5, 17))
    assert again["queued"] == [] and len(slack.posted) == 21

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["reminders-2022"])))
    assert any("| KOR | T-30 | #smewg-fp-kor |" in a.data for a in artifacts)
    assert all(TOKEN not in (a.data or "") for a in artifacts)


def test_watch_deadlines_flow_escalates_and_alerts_the_secretariat(prefect_api, slack):
    result = watch_deadlines(year=2022, as_of=date(2022, 6, 1))
    assert len(result["escalations"]) == 20  # everyone but KOR, whose deadline is extended
    assert [m["text"].split(":")[0] for m in slack.posted_to("#smewg-secretariat")] == [
        "SMEWG 2022",
        "SMEWG 2022",
    ]  # missed deadline, activity A1 overdue
    assert len(slack.posted) == 22


def test_a_failing_flow_sends_one_alert_with_a_working_link_to_its_run(prefect_api, slack):
    state = watch_deadlines(year=2023, as_of=date(2023, 6, 1), return_state=True)  # no 2023 calendar here
    assert state.is_failed()

    failures = [row for row in _outbox() if row.kind == "failure"]
    assert len(failures) == 1
    alert = failures[0]
    assert alert.status == "delivered" and alert.channel == "#smewg-secretariat"
    assert "Flow watch-deadlines failed" in alert.text
    assert "year=2023" in alert.text and "as_of=2023-06-01" in alert.text
    assert "no calendar; create it with `smewg schedule new 2023`" in alert.text

    link = re.search(r"Run: (\S+)$", alert.text).group(1)
    assert link.startswith(prefect_api.removesuffix("/api") + "/runs/flow-run/")
    run_id = UUID(link.rsplit("/", 1)[1])
    assert run_id == state.state_details.flow_run_id
    page = httpx.get(link, headers={"Accept": "text/html"}, follow_redirects=True, timeout=10)
    assert page.status_code == 200 and "<html" in page.text.lower()
    with get_client(sync_client=True) as client:
        assert client.read_flow_run(run_id).state.is_failed()

    posted = slack.posted_to("#smewg-secretariat")
    assert len(posted) == 1 and f"<{link}|Open the run in Prefect>" in posted[0]["blocks"][1]["text"]["text"]


def _project_flows() -> list[Flow]:
    found = []
    for module_info in pkgutil.iter_modules(smewg.flows.__path__):
        module = importlib.import_module(f"smewg.flows.{module_info.name}")
        found += [obj for obj in vars(module).values() if isinstance(obj, Flow) and obj.__module__ == module.__name__]
    return found


def test_every_flow_alerts_the_secretariat_on_failure_and_crash():
    project_flows = _project_flows()
    assert {f.name for f in project_flows} >= {"prepare-store", "send-reminders", "watch-deadlines"}
    for flow in project_flows:
        assert alert_secretariat in flow.on_failure_hooks, flow.name
        assert alert_secretariat in flow.on_crashed_hooks, flow.name


def test_the_token_can_come_from_a_prefect_secret_block(prefect_api, slack, monkeypatch):
    from prefect.blocks.system import Secret

    from smewg.tasks.outbox import slack_token
    from smewg.work.slack import make_client

    Secret(value=TOKEN).save("smewg-slack-token", overwrite=True)
    monkeypatch.delenv("SMEWG_SLACK_TOKEN")
    monkeypatch.setenv("SMEWG_SLACK_TOKEN_BLOCK", "smewg-slack-token")
    client = make_client(get_settings(), slack_token(get_settings()))
    assert client.auth_test()["ok"] is True
    assert TOKEN not in repr(get_settings())


def test_remind_exits_non_zero_in_one_line_when_slack_takes_nothing(prefect_api, slack):
    """Slack answering 500 to every post: nothing is posted twice, every reminder stays in
    the outbox, and the command says so in one line and exits 1 (a scheduler sees it)."""
    from typer.testing import CliRunner

    from smewg.cli import app

    slack.script("chat.postMessage", *["500"] * 60)
    result = CliRunner().invoke(app, ["remind", "--year", "2022", "--as-of", "2022-05-17"])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "21 message(s) could not be delivered" in errors[0] and "smewg outbox send" in errors[0]
    assert slack.posted == [] and slack.calls("chat.postMessage") == 21  # each tried once, none resent blindly
    assert {r.status for r in _outbox()} == {"failed"} and all(r.outcome_unknown for r in _outbox())
