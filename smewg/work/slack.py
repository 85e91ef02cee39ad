"""Deliver the outbox to Slack with slack-sdk's ``WebClient`` and its retry handlers.

Delivery is at most once per message and never loses one:

* a delivery claims each message in the store before posting it (one conditional UPDATE,
  committed first): two deliveries running at once (the hourly collection and the morning
  reminders) never take the same message; a claim left by a killed run expires;
* each message carries its dedupe key in Slack message ``metadata``;
* 429 (honouring ``Retry-After``) is retried by slack-sdk's handler; 5xx and connection
  errors too, except for a post, which may have reached Slack before the error: such an
  answer, a read timeout or an expired claim marks the outcome unknown, and before the
  message is posted again the channel's history is searched for its dedupe key. The mark
  is a column of its own, cleared only when Slack confirms the post or the history shows
  it, so a failed lookup or a run with a bad token in between cannot lose it;
* ``invalid_auth`` and friends stop the run with one clear log line (every other message
  would fail the same way); ``channel_not_found`` names the channel and moves on; the
  commands that deliver exit 1 when a message could not go.

With no token configured nothing is sent: messages wait in the outbox (``smewg outbox``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.metadata import Metadata
from sqlalchemy import CursorResult, Engine, case, or_, select, true, update

from smewg.core.clock import now_utc
from smewg.core.settings import Settings
from smewg.core.store import session_scope
from smewg.core.store.models import NotificationRow
from smewg.work.messages import escape

METADATA_EVENT_TYPE = "smewg_notification"
AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "missing_scope", "no_permission"}
)
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
UNKNOWN_OUTCOME = "outcome unknown"
CLAIM_SECONDS = 15 * 60
"""Longer than any one post can take (timeouts x retries): a live delivery never loses its claim."""


def make_client(settings: Settings, token: str | None) -> WebClient | None:
    """A WebClient with slack-sdk's retry handlers, or None when there is no token.

    ``token`` comes from ``SMEWG_SLACK_TOKEN`` or a Prefect Secret block: resolving the
    block is the tasks layer's job (``smewg.tasks.outbox.slack_token``).
    """
    if not token:
        return None
    return WebClient(
        token=token,
        base_url=settings.slack_base_url,
        timeout=settings.slack_timeout_seconds,
        retry_handlers=[
            _ConnectionErrorRetry(),
            RateLimitErrorRetryHandler(max_retry_count=3),
            _ServerErrorRetry(max_retry_count=2),
        ],
    )


def _is_post(request: HttpRequest) -> bool:
    return request.url.rstrip("/").endswith("chat.postMessage")


class _ServerErrorRetry(ServerErrorRetryHandler):
    """slack-sdk's 5xx retry, except for posts: Slack may have posted the message before it
    failed, and resending blindly posts it twice. A post's 5xx is an unknown outcome instead
    (the channel's history is searched before the next attempt)."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response=None, error=None) -> bool:
        return not _is_post(request) and super()._can_retry(state=state, request=request, response=response, error=error)


class _ConnectionErrorRetry(ConnectionErrorRetryHandler):
    """slack-sdk's connection retry; a post is resent only when the connection was refused
    (nothing was sent). A reset or a dropped answer may follow a delivered post."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response=None, error=None) -> bool:
        if _is_post(request) and not _refused(error):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def _refused(error: BaseException | None) -> bool:
    reason = getattr(error, "reason", error)
    return isinstance(reason, ConnectionRefusedError)


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    waiting: int = 0
    elsewhere: int = 0  # being sent by another delivery running at the same time
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "delivered": self.delivered,
            "failed": self.failed,
            "waiting": self.waiting,
            "elsewhere": self.elsewhere,
            "problems": self.problems,
        }


class _StopDelivery(Exception):
    """Slack cannot take any message this run (bad token, unreachable)."""


class _ChannelIds:
    """Channel names to ids, looked up once per run (history needs ids, posting takes names)."""

    def __init__(self, client: WebClient):
        self._client = client
        self._ids: dict[str, str] | None = None

    def get(self, channel: str) -> str | None:
        if not channel.startswith("#"):
            return channel
        if self._ids is None:  # SlackResponse iterates over the pages itself
            self._ids = {
                f"#{c['name']}": c["id"]
                for page in self._client.conversations_list(limit=200, types="public_channel,private_channel")
                for c in page["channels"]
            }
        return self._ids.get(channel)


def _already_posted(client: WebClient, channels: _ChannelIds, row: NotificationRow) -> bool:
    """True when a message carrying ``row``'s dedupe key is in its channel's history."""
    channel_id = channels.get(row.channel)
    if channel_id is None:
        return False
    oldest = f"{row.created_at.timestamp() - 60:.6f}"
    for page in client.conversations_history(channel=channel_id, oldest=oldest, include_all_metadata=True, limit=200):
        for message in page["messages"]:
            metadata = message.get("metadata") or {}
            if (
                metadata.get("event_type") == METADATA_EVENT_TYPE
                and (metadata.get("event_payload") or {}).get("dedupe_key") == row.dedupe_key
            ):
                return True
    return False


def _deliver_one(client: WebClient, channels: _ChannelIds, row: NotificationRow, logger: logging.Logger) -> bool:
    """Post one message; True when Slack has it. Raises _StopDelivery when no message can go.

    ``row.outcome_unknown`` is set by every ambiguous answer and cleared only when Slack
    confirms the post or the channel's history shows it: a failed lookup or a run with a bad
    token in between leaves it set, so the message is never posted blindly twice.
    """
    label = f"message {row.id} ({row.kind}) to {row.channel}"
    try:
        if row.outcome_unknown:
            if _already_posted(client, channels, row):
                logger.info("%s was posted before its answer was lost; not posting it again", label)
                return True
            logger.info("%s: not in the channel's history; posting it", label)
        client.chat_postMessage(
            channel=row.channel,
            text=escape(row.text),  # file names, cells and errors in it must not mention or link
            blocks=row.blocks,
            metadata=Metadata(event_type=METADATA_EVENT_TYPE, event_payload={"dedupe_key": row.dedupe_key}),
        )
        return True
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        status = error.response.status_code if error.response is not None else None
        if code in AUTH_ERRORS:
            row.last_error = f"slack refused the token: {code}"
            logger.error(
                "Slack refused the token (%s) while sending %s: check SMEWG_SLACK_TOKEN; undelivered messages stay in the outbox",
                code,
                label,
            )
            raise _StopDelivery from None
        if code in CHANNEL_ERRORS:
            row.last_error = f"{code}: {row.channel}"
            logger.error(
                "Slack channel %s: %s; %s stays in the outbox. Invite the bot to the channel or correct config/slack.yaml",
                row.channel,
                code,
                label,
            )
            return False
        if status is not None and status >= 500:
            row.outcome_unknown = True
            row.last_error = f"{UNKNOWN_OUTCOME}: Slack answered HTTP {status}; its history is checked before a resend"
            logger.warning("Slack answered HTTP %s for %s; it may have been posted, the next run checks", status, label)
            return False
        row.last_error = f"slack error {code or status}"
        logger.warning("Slack did not take %s (%s, HTTP %s) after retries; it stays in the outbox", label, code, status)
        return False
    except TimeoutError:
        row.outcome_unknown = True
        row.last_error = f"{UNKNOWN_OUTCOME}: no answer within the time limit; checked for a duplicate before resending"
        logger.warning(
            "Slack did not answer in time for %s; it may have been posted, the next run checks before resending", label
        )
        return False
    except (URLError, ConnectionError, OSError) as error:
        if not _refused(error):  # a connection dropped mid-request may have delivered the post
            row.outcome_unknown = True
        row.last_error = f"cannot reach Slack: {getattr(error, 'reason', error)}"
        logger.error("Cannot reach Slack (%s); undelivered messages stay in the outbox", getattr(error, "reason", error))
        raise _StopDelivery from None


def _claim(engine: Engine, notification_id: int, token: str, now: datetime) -> bool:
    """Take ``notification_id`` for this delivery; False when another delivery has it.

    One UPDATE, committed before anything is posted: SQLite serialises it, PostgreSQL
    re-checks the condition after a concurrent claim commits, so two deliveries never both
    succeed. A claim left behind (a killed run) expires after ``CLAIM_SECONDS`` and marks
    the message's outcome unknown.
    """
    with session_scope(engine) as session:
        claimed = session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.id == notification_id,
                NotificationRow.status != "delivered",
                or_(NotificationRow.claimed_until.is_(None), NotificationRow.claimed_until < now),
            )
            .values(
                claim_token=token,
                claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                outcome_unknown=case((NotificationRow.claim_token.is_not(None), true()), else_=NotificationRow.outcome_unknown),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(cast(CursorResult, claimed).rowcount == 1)


def deliver_outbox(
    engine: Engine, client: WebClient | None, *, logger: logging.Logger | None = None, clock: Callable[[], datetime] = now_utc
) -> DeliveryReport:
    """Try every undelivered message once, oldest first; each outcome is committed at once."""
    logger = logger or logging.getLogger("smewg.slack")
    report = DeliveryReport()
    with session_scope(engine) as session:
        ids = list(
            session.scalars(select(NotificationRow.id).where(NotificationRow.status != "delivered").order_by(NotificationRow.id))
        )
    if client is None:
        report.waiting = len(ids)
        if ids:
            logger.info("No Slack token configured: %d messages wait in the outbox (smewg outbox)", len(ids))
        return report
    channels = _ChannelIds(client)
    for position, notification_id in enumerate(ids):
        token = uuid.uuid4().hex
        if not _claim(engine, notification_id, token, clock()):
            report.elsewhere += 1  # another delivery is sending it (or has sent it)
            continue
        with session_scope(engine) as session:
            row = session.get(NotificationRow, notification_id)
            if row is None or row.claim_token != token:
                continue
            row.attempts += 1
            row.claim_token, row.claimed_until = None, None
            try:
                delivered = _deliver_one(client, channels, row, logger)
            except _StopDelivery:
                row.status = "failed"
                report.failed += 1
                report.waiting = len(ids) - position - 1
                report.problems.append(row.last_error or "stopped")
                return report
            if delivered:
                row.status, row.delivered_at, row.last_error, row.outcome_unknown = "delivered", clock(), None, False
                report.delivered += 1
            else:
                row.status = "failed"
                report.failed += 1
                report.problems.append(row.last_error or "unknown")
    return report
