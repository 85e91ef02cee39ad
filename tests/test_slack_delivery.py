"""Outbox delivery through the real slack_sdk.WebClient against a local Slack Web API."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from sqlalchemy import select

from smewg.core.clock import now_utc
from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import NotificationRow
from smewg.tasks.outbox import slack_token
from smewg.work import messages
from smewg.work.catalogue_sync import load_catalogue_into_store
from smewg.work.outbox import enqueue
from smewg.work.slack import deliver_outbox, make_client
from smewg.work.store_migration import migrate_store
from tests.slack_server import FakeSlack, SlackServer

TOKEN = "xoxb-0000000000-test-token-never-logged"
CHANNELS = {"#smewg-secretariat": "C0SECRET", "#smewg-fp-kor": "C0KOR", "#smewg-fp-per": "C0PER", "#smewg-fp-vnm": "C0VNM"}


@pytest.fixture
def slack(smewg_home, monkeypatch):
    fake = FakeSlack(token=TOKEN, channels=dict(CHANNELS), slow_seconds=2.5)
    with SlackServer(fake) as server:
        monkeypatch.setenv("SMEWG_SLACK_TOKEN", TOKEN)
        monkeypatch.setenv("SMEWG_SLACK_BASE_URL", server.base_url)
        monkeypatch.setenv("SMEWG_SLACK_TIMEOUT_SECONDS", "1")
        yield fake


@pytest.fixture
def engine(smewg_home):
    settings = get_settings()
    migrate_store(settings)
    load_catalogue_into_store(settings)
    engine = create_store_engine(settings.resolved_database_url)
    yield engine
    engine.dispose()


def _queue(engine, *channels: str) -> list[str]:
    keys = []
    with session_scope(engine) as session:
        for number, channel in enumerate(channels, start=1):
            key = f"test:{number}:{channel}"
            enqueue(
                session,
                messages.overdue_item(
                    key=key, channel=channel, year=2022, what=f"Step {number}", due=now_utc().date(), as_of=now_utc().date()
                ),
                now=now_utc(),
            )
            keys.append(key)
    return keys


def _rows(engine) -> dict[str, NotificationRow]:
    with session_scope(engine) as session:
        return {r.dedupe_key: r for r in session.scalars(select(NotificationRow))}


def _posted_keys(fake: FakeSlack) -> list[str]:
    return [m["metadata"]["event_payload"]["dedupe_key"] for m in fake.posted]


def _client():
    settings = get_settings()
    return make_client(settings, slack_token(settings))


def _posted_keys_in(fake: FakeSlack, channel_id: str) -> list[str]:
    return [m["metadata"]["event_payload"]["dedupe_key"] for m in fake.posted if m["channel"] == channel_id and m["metadata"]]


def _deliver(engine):
    return deliver_outbox(engine, _client())


def test_messages_arrive_once_with_blocks_and_fallback_text(slack, engine):
    keys = _queue(engine, "#smewg-secretariat", "#smewg-fp-kor")
    report = _deliver(engine)
    assert (report.delivered, report.failed) == (2, 0)
    assert sorted(_posted_keys(slack)) == sorted(keys)
    message = slack.posted_to("#smewg-fp-kor")[0]
    assert message["text"].startswith("SMEWG 2022: Step 2 was due")
    assert [b["type"] for b in message["blocks"]] == ["header", "section"]
    assert all(r.status == "delivered" and r.delivered_at for r in _rows(engine).values())
    assert _deliver(engine).delivered == 0  # nothing left to send
    assert len(slack.posted) == 2


def test_429_then_500_then_timeout_still_delivers_every_message_exactly_once(slack, engine):
    keys = _queue(engine, "#smewg-fp-kor", "#smewg-fp-per", "#smewg-fp-vnm")
    slack.script("chat.postMessage", "429", "500", "timeout")

    first = _deliver(engine)
    assert (first.delivered, first.failed) == (1, 2)
    rows = _rows(engine)
    assert rows[keys[0]].outcome_unknown and rows[keys[0]].last_error.startswith("outcome unknown: Slack answered HTTP 500")
    assert rows[keys[1]].outcome_unknown and rows[keys[1]].last_error.startswith("outcome unknown: no answer")
    # 429 is retried (Slack did not take it); a post's 500 is not resent blindly: 429, 500, the slow one, the third.
    assert slack.calls("chat.postMessage") == 4

    second = _deliver(engine)
    assert (second.delivered, second.failed) == (2, 0)
    assert sorted(_posted_keys(slack)) == sorted(keys)  # each once: the timed-out post was found, the 500 one sent
    assert slack.calls("chat.postMessage") == 5
    assert {r.status for r in _rows(engine).values()} == {"delivered"}
    assert not any(r.outcome_unknown for r in _rows(engine).values())


def test_a_post_slack_took_before_answering_500_is_in_the_channel_once(slack, engine):
    keys = _queue(engine, "#smewg-fp-kor", "#smewg-fp-per")
    slack.script("chat.postMessage", "500-posted", "500-posted", "500-posted")
    assert _deliver(engine).failed == 2
    assert _deliver(engine).delivered == 2  # found in the history, not posted again
    assert sorted(_posted_keys(slack)) == sorted(keys)


def test_the_unknown_outcome_survives_a_failed_lookup_and_a_bad_token(slack, engine, monkeypatch):
    """After a timeout the next runs may fail in other ways; the message must still be looked
    for before it is posted again, however many runs later."""
    keys = _queue(engine, "#smewg-fp-kor")
    slack.script("chat.postMessage", "timeout")
    assert _deliver(engine).failed == 1
    slack.script("conversations.history", "error:internal_error")  # the lookup itself fails
    assert _deliver(engine).failed == 1
    monkeypatch.setenv("SMEWG_SLACK_TOKEN", "xoxb-wrong")
    assert _deliver(engine).failed == 1
    monkeypatch.setenv("SMEWG_SLACK_TOKEN", TOKEN)
    assert _rows(engine)[keys[0]].outcome_unknown
    assert _deliver(engine).delivered == 1
    assert _posted_keys(slack) == keys  # posted once, by the first run


def test_a_post_lost_in_a_timeout_is_sent_on_the_next_run(slack, engine):
    keys = _queue(engine, "#smewg-fp-kor")
    slack.script("chat.postMessage", "timeout-lost")
    assert _deliver(engine).failed == 1
    assert slack.posted == []
    assert _deliver(engine).delivered == 1
    assert _posted_keys(slack) == keys
    assert _rows(engine)[keys[0]].attempts == 2


def test_a_timed_out_post_is_found_behind_a_page_of_newer_messages(slack, engine):
    """The duplicate check must ask for metadata and page through the history, as Slack needs."""
    keys = _queue(engine, "#smewg-fp-kor")
    slack.script("chat.postMessage", "timeout")
    assert _deliver(engine).failed == 1
    for number in range(250):  # people keep talking in the channel meanwhile
        slack.posted.append(
            {
                "channel": "C0KOR",
                "text": f"chat {number}",
                "blocks": None,
                "metadata": None,
                "ts": f"{now_utc().timestamp() + number / 1000:.6f}",
            }
        )
    assert _deliver(engine).delivered == 1
    assert _posted_keys_in(slack, "C0KOR") == keys
    assert slack.calls("chat.postMessage") == 1
    history = [r for r in slack.requests if r.method == "conversations.history"]
    assert len(history) >= 2, "the history has two pages at Slack's page size"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_the_local_slack_answers_as_slack_does(slack):
    """Error shapes and the metadata rule of the Web API, so the code under test cannot lean on a lenient fake."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=TOKEN, base_url=get_settings().slack_base_url)
    client.chat_postMessage(channel="#smewg-fp-kor", text="hi", metadata={"event_type": "x", "event_payload": {"k": 1}})
    plain = client.conversations_history(channel="C0KOR")["messages"][0]
    assert "metadata" not in plain
    with_metadata = client.conversations_history(channel="C0KOR", include_all_metadata=True)["messages"][0]
    assert with_metadata["metadata"]["event_payload"] == {"k": 1}
    for call, error in [
        (lambda: client.chat_postMessage(channel="#nowhere", text="hi"), "channel_not_found"),
        (lambda: client.chat_postMessage(channel="#smewg-fp-kor"), "no_text"),
        (lambda: client.conversations_history(channel="#nowhere"), "channel_not_found"),
        (lambda: WebClient(token="xoxb-wrong", base_url=client.base_url).auth_test(), "invalid_auth"),
        (lambda: WebClient(base_url=client.base_url).auth_test(), "not_authed"),
    ]:
        with pytest.raises(SlackApiError) as raised:
            call()
        assert raised.value.response.status_code == 200 and raised.value.response["error"] == error
    slack.script("chat.postMessage", "429")
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="#smewg-fp-kor", text="hi")
    assert raised.value.response.status_code == 429 and raised.value.response.headers["Retry-After"] == "1"


def test_persistent_server_errors_leave_the_message_waiting(slack, engine):
    keys = _queue(engine, "#smewg-fp-kor")
    slack.script("chat.postMessage", "500", "500", "500")
    for _ in range(3):  # each run: the history is searched (not there), the post fails again
        report = _deliver(engine)
        assert report.failed == 1 and "Slack answered HTTP 500" in report.problems[0]
        assert _rows(engine)[keys[0]].status == "failed"
    assert slack.calls("chat.postMessage") == 3  # never resent blindly within a run
    assert _deliver(engine).delivered == 1
    assert _posted_keys(slack) == keys


def test_invalid_auth_is_one_clear_log_line_and_nothing_is_lost(slack, engine, monkeypatch, caplog):
    _queue(engine, "#smewg-fp-kor", "#smewg-fp-per")
    monkeypatch.setenv("SMEWG_SLACK_TOKEN", "xoxb-wrong")
    with caplog.at_level(logging.ERROR, logger="smewg.slack"):
        report = _deliver(engine)
    assert (report.delivered, report.failed, report.waiting) == (0, 1, 1)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [
        "Slack refused the token (invalid_auth) while sending message 1 (missed_deadline) to "
        "#smewg-fp-kor: check SMEWG_SLACK_TOKEN; undelivered messages stay in the outbox"
    ]
    monkeypatch.setenv("SMEWG_SLACK_TOKEN", TOKEN)
    assert _deliver(engine).delivered == 2


def test_channel_not_found_names_the_channel_and_the_rest_go_through(slack, engine, caplog):
    keys = _queue(engine, "#smewg-fp-xyz", "#smewg-fp-kor")
    with caplog.at_level(logging.ERROR, logger="smewg.slack"):
        report = _deliver(engine)
    assert (report.delivered, report.failed) == (1, 1)
    assert any("Slack channel #smewg-fp-xyz: channel_not_found" in r.getMessage() for r in caplog.records)
    rows = _rows(engine)
    assert rows[keys[0]].status == "failed" and rows[keys[0]].last_error == "channel_not_found: #smewg-fp-xyz"
    assert rows[keys[1]].status == "delivered"


def test_slack_unreachable_leaves_everything_in_the_outbox(engine, monkeypatch, caplog):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SMEWG_SLACK_TOKEN", TOKEN)
    monkeypatch.setenv("SMEWG_SLACK_BASE_URL", f"http://127.0.0.1:{port}/api/")
    _queue(engine, "#smewg-fp-kor", "#smewg-fp-per")
    with caplog.at_level(logging.ERROR, logger="smewg.slack"):
        report = _deliver(engine)
    assert (report.delivered, report.failed, report.waiting) == (0, 1, 1)
    assert any("Cannot reach Slack" in r.getMessage() for r in caplog.records)
    assert {r.status for r in _rows(engine).values()} <= {"failed", "pending"}


def test_without_a_token_messages_wait_in_the_outbox(engine):
    _queue(engine, "#smewg-fp-kor")
    assert _client() is None
    report = _deliver(engine)
    assert (report.delivered, report.waiting) == (0, 1)
    assert [r.status for r in _rows(engine).values()] == ["pending"]


def test_the_token_never_appears_in_logs_or_outbox_rows(slack, engine, caplog, monkeypatch):
    _queue(engine, "#smewg-fp-kor", "#smewg-fp-nowhere")
    slack.script("chat.postMessage", "429", "timeout")
    with caplog.at_level(logging.DEBUG):
        _deliver(engine)
        _deliver(engine)
        monkeypatch.setenv("SMEWG_SLACK_TOKEN", "xoxb-wrong-token")
        _queue(engine, "#smewg-fp-per")
        _deliver(engine)
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert "slack_sdk" in {r.name.split(".")[0] for r in caplog.records}, "slack-sdk's debug log was not captured"
    assert TOKEN not in logged and "xoxb-wrong-token" not in logged
    for row in _rows(engine).values():
        assert TOKEN not in f"{row.text}{row.blocks}{row.last_error}"
    assert TOKEN not in repr(get_settings()) and TOKEN not in str(get_settings().model_dump())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_deliveries_at_once_post_each_message_once(slack, smewg_home, monkeypatch, backend):
    """Collection and reminders deliver the outbox on overlapping schedules: each delivery
    claims a message before posting it, so a slow Slack never gets the same message twice."""
    import threading

    from tests.conftest import create_postgres_database, drop_postgres_database

    database = None
    if backend == "postgresql":
        database, url = create_postgres_database()
        monkeypatch.setenv("SMEWG_DATABASE_URL", url)
    settings = get_settings()
    migrate_store(settings)
    load_catalogue_into_store(settings)
    engines = [create_store_engine(settings.resolved_database_url) for _ in range(2)]
    try:
        keys = _queue(engines[0], *(["#smewg-fp-kor", "#smewg-fp-per", "#smewg-fp-vnm"] * 7))
        slack.post_seconds = 0.2
        start = threading.Barrier(2)
        reports = []

        def deliver(engine):
            client = _client()
            start.wait()
            reports.append(deliver_outbox(engine, client))

        threads = [threading.Thread(target=deliver, args=(engine,)) for engine in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(_posted_keys(slack)) == sorted(keys)  # 21 posts for 21 messages
        assert sum(r.delivered for r in reports) == 21 and sum(r.failed for r in reports) == 0
        assert all(r.delivered > 0 for r in reports)  # both worked, on different messages
        assert {r.status for r in _rows(engines[0]).values()} == {"delivered"}
    finally:
        for engine in engines:
            engine.dispose()
        if database:
            drop_postgres_database(database)


def test_a_claim_left_by_a_killed_delivery_expires_and_is_checked_before_posting(slack, engine):
    """A delivery killed between its claim and Slack's answer leaves the message claimed: it
    waits until the claim expires, then counts as an unknown outcome (history first)."""
    from datetime import timedelta

    from smewg.work.slack import CLAIM_SECONDS, _claim

    keys = _queue(engine, "#smewg-fp-kor")
    with session_scope(engine) as session:
        notification = session.scalar(select(NotificationRow))
        notification_id = notification.id
    killed_at = now_utc()
    assert _claim(engine, notification_id, "killed-run", killed_at)
    client = _client()
    client.chat_postMessage(
        channel="#smewg-fp-kor", text="x", metadata={"event_type": "smewg_notification", "event_payload": {"dedupe_key": keys[0]}}
    )
    assert deliver_outbox(engine, client).elsewhere == 1  # still claimed: not taken
    later = lambda: killed_at + timedelta(seconds=CLAIM_SECONDS + 1)  # noqa: E731
    report = deliver_outbox(engine, client, clock=later)
    assert report.delivered == 1
    assert _posted_keys(slack) == keys  # found in the history, not posted a second time


def test_text_from_outside_can_neither_mention_nor_link_in_slack(slack, engine):
    """A file name or a cell can hold Slack syntax: posted, it is shown, not obeyed, in the
    fallback text as in the blocks."""
    hostile = "<!channel> <!here> <@U024BE7LH> <https://evil.example|click me> & co.csv"
    with session_scope(engine) as session:
        enqueue(
            session,
            messages.acknowledgement(
                key="ack:hostile",
                channel="#smewg-fp-kor",
                economy_code="KOR",
                economy_name="Korea <!everyone>",
                year=2022,
                file=hostile,
                version=1,
                status="rejected",
                accepted=0,
                quarantined=0,
                flagged=0,
                problems=[
                    {"row": 2, "field": "indicator", "severity": "error", "message": "'<!subteam^S1>' is not an indicator"}
                ],
                report=None,
            ),
            now=now_utc(),
        )
    assert _deliver(engine).delivered == 1
    posted = slack.posted_to("#smewg-fp-kor")[0]
    everything = posted["text"] + json.dumps(posted["blocks"])
    for syntax in ("<!channel>", "<!here>", "<@U024BE7LH>", "<https://", "<!everyone>", "<!subteam"):
        assert syntax not in everything, syntax
    assert "&lt;!here&gt;" in posted["text"] and "&amp; co.csv" in posted["text"]
    assert "<!here>" in _rows(engine)["ack:hostile"].text  # the outbox keeps it as written
