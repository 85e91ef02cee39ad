"""State hooks every flow carries: a failed or crashed run alerts the Secretariat channel
with the flow's name, parameters, the error and a link to the run in the Prefect UI."""

from __future__ import annotations

import logging

from prefect.settings import PREFECT_UI_URL

from smewg import messages
from smewg.clock import now_utc
from smewg.settings import get_settings
from smewg.store import create_store_engine, session_scope
from tasks.outbox import enqueue
from tasks.slack import deliver_outbox, make_client

logger = logging.getLogger("smewg.hooks")


def run_link(flow_run_id) -> str:
    base = (PREFECT_UI_URL.value() or "").rstrip("/")
    return f"{base}/runs/flow-run/{flow_run_id}"


def alert_secretariat(flow, flow_run, state) -> None:
    """Queue one failure alert per run and try to deliver it; a hook must never raise."""
    try:
        settings = get_settings()
        message = messages.failure(
            key=f"failure:{flow_run.id}", channel=settings.slack_secretariat_channel, flow_name=flow.name,
            parameters=dict(flow_run.parameters or {}), error=state.message or state.name,
            link=run_link(flow_run.id), state=state.name)
        engine = create_store_engine(settings.resolved_database_url)
        try:
            with session_scope(engine) as session:
                enqueue(session, message, now=now_utc())
            deliver_outbox(engine, make_client(settings), logger=logger)
        finally:
            engine.dispose()
    except Exception:  # the alert path must not mask the run's own failure
        logger.exception("could not alert the Secretariat about flow run %s", getattr(flow_run, "id", "?"))


FAILURE_HOOKS = {"on_failure": [alert_secretariat], "on_crashed": [alert_secretariat]}
