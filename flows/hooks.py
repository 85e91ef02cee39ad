"""State hooks every flow carries: a failed or crashed run alerts the Secretariat channel
with the flow's name, parameters, the error and a link to the run in the Prefect UI; a
running run started by a ``smewg`` command carries the tag of its process."""

from __future__ import annotations

import logging
from typing import Any

from prefect.settings import PREFECT_UI_URL

from smewg.core.clock import now_utc
from smewg.core.settings import flow_run_page, get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.tasks.outbox import deliver
from smewg.work import messages
from smewg.work.outbox import enqueue

logger = logging.getLogger("smewg.hooks")


def run_link(flow_run_id: Any) -> str:
    return flow_run_page(PREFECT_UI_URL.value(), flow_run_id)


def cycle_year_of(parameters: dict[str, Any]) -> int | None:
    """The cycle a run worked on: its ``year`` parameter, else the year of its ``as_of``."""
    if parameters.get("year"):
        return int(parameters["year"])
    as_of = parameters.get("as_of")
    return int(str(as_of)[:4]) if as_of else None


def alert_secretariat(flow: Any, flow_run: Any, state: Any) -> None:
    """Queue one failure alert per run and try to deliver it; a hook must never raise."""
    try:
        settings = get_settings()
        message = messages.failure(
            key=f"failure:{flow_run.id}",
            channel=settings.slack_secretariat_channel,
            flow_name=flow.name,
            parameters=dict(flow_run.parameters or {}),
            error=state.message or state.name,
            link=run_link(flow_run.id),
            state=state.name,
            year=cycle_year_of(dict(flow_run.parameters or {})),
        )
        engine = create_store_engine(settings.resolved_database_url)
        try:
            with session_scope(engine) as session:
                enqueue(session, message, now=now_utc())
            deliver(engine, settings, logger=logger)
        finally:
            engine.dispose()
    except Exception:  # the alert path must not mask the run's own failure
        logger.exception("could not alert the Secretariat about flow run %s", getattr(flow_run, "id", "?"))


_process_tag: dict[str, str] = {}


def tag_runs_with(tag: str) -> None:
    """From now on, every flow run of this process is tagged ``tag`` when it starts running
    (a command's process tag: see :mod:`smewg.flows.killed_runs`)."""
    _process_tag["tag"] = tag


def tag_with_process(flow: Any, flow_run: Any, state: Any) -> None:
    """The run gets its command's process tag (nothing when none was set; never raises).

    On the flow run only, not through Prefect's ``tags()`` context: that reaches every
    task run as well, and a tagged task run first asks the server for the tag's
    concurrency slots, one request per task run (~9 s of the demo's 160 task runs)."""
    tag = _process_tag.get("tag")
    if tag is None or tag in (flow_run.tags or []):
        return
    try:
        from prefect.client.orchestration import get_client

        tags = [*(flow_run.tags or []), tag]
        with get_client(sync_client=True) as client:
            client.update_flow_run(flow_run.id, tags=tags)
        flow_run.tags = tags  # a retry's Running state finds the tag there, not stale tags
    except Exception:
        logger.exception("could not tag flow run %s with its process", getattr(flow_run, "id", "?"))


RUN_HOOKS: dict[str, Any] = {
    "on_running": [tag_with_process],
    "on_failure": [alert_secretariat],
    "on_crashed": [alert_secretariat],
}
