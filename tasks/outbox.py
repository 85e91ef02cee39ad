"""Task delivering the outbox to Slack; the Slack token is resolved here (it may live in a
Prefect Secret block, which only this layer may read)."""

from __future__ import annotations

from typing import Any, cast

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from sqlalchemy import Engine

from smewg.core.cycle import CycleContext
from smewg.core.settings import Settings
from smewg.work.slack import deliver_outbox, make_client


def slack_token(settings: Settings) -> str | None:
    """The bot token from ``SMEWG_SLACK_TOKEN``, else from the named Prefect Secret block."""
    if settings.slack_token is not None:
        return settings.slack_token.get_secret_value()
    if settings.slack_token_block:
        from prefect.blocks.system import Secret

        secret = cast(Secret, Secret.load(settings.slack_token_block))
        return str(secret.get())
    return None


def deliver(engine: Engine, settings: Settings, logger: Any = None) -> dict[str, Any]:
    """Deliver what waits; never raises for Slack's faults (undelivered messages stay)."""
    return deliver_outbox(engine, make_client(settings, slack_token(settings)), logger=logger).as_dict()


@task(name="deliver-outbox", cache_policy=NO_CACHE)
def deliver_outbox_task(context: CycleContext) -> dict[str, Any]:
    """Deliver what waits in the outbox. Never fails the flow: undelivered messages stay."""
    return deliver(context.engine, context.settings, logger=get_run_logger())
