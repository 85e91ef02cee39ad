"""Alerts that do not depend on the failing flow surviving: the ``alert-run`` flow and the
server-side automations that start it (``smewg automations apply``).

A flow's own hooks alert when it fails or crashes, but a run killed by SIGKILL or the OOM
killer, one that stops sending heartbeats, or one that never starts (Late) runs no hook.
The Prefect server's automations see those state changes and run the ``alert-run``
deployment, which writes the same outbox message a hook would (dedupe key
``failure:<flow run id>``): whichever comes first is sent, the other is a no-op, so no
failure is alerted twice. A zombie run (no heartbeat for 90 s) is first marked Crashed,
which then alerts through the Crashed automation.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.actions import ChangeFlowRunState, RunDeployment
from prefect.events.schemas.automations import AutomationCore, EventTrigger, Posture

from smewg.core.clock import now_utc
from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.flows.hooks import RUN_HOOKS, cycle_year_of, run_link
from smewg.tasks.outbox import deliver
from smewg.work import messages
from smewg.work.outbox import enqueue

ALERT_DEPLOYMENT = "alert-run/alert-run"
STATE_EVENTS = {"Failed": "failed", "Crashed": "crashed", "TimedOut": "timed out", "Late": "late"}


@flow(
    name="alert-run",
    timeout_seconds=5 * 60,
    description="Alert the Secretariat about a flow run that failed, crashed, timed out or is late.",
    **RUN_HOOKS,
)
def alert_run(flow_run_id: str) -> dict[str, Any]:
    """Queue (once per run) and deliver the alert for ``flow_run_id``: the message a hook would write.

    It never ends Failed (a fault is logged and returned): a failing alert run would start
    the Failed automation, which starts another alert run.
    """
    try:
        return _alert(flow_run_id)
    except Exception as error:  # see the docstring: no alert loop
        get_run_logger().exception("could not alert about flow run %s", flow_run_id)
        return {"flow_run_id": flow_run_id, "error": f"{error.__class__.__name__}: {error}"}


def _alert(flow_run_id: str) -> dict[str, Any]:
    run_id = UUID(flow_run_id.removeprefix("prefect.flow-run."))
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(run_id)
        flow_name = client.read_flow(flow_run.flow_id).name
    state: str = (flow_run.state.name if flow_run.state else None) or "Unknown"
    settings = get_settings()
    parameters = dict(flow_run.parameters or {})
    message = messages.failure(
        key=f"failure:{run_id}",
        channel=settings.slack_secretariat_channel,
        flow_name=flow_name,
        parameters=parameters,
        error=(flow_run.state.message if flow_run.state else None) or state,
        link=run_link(run_id),
        state=state,
        year=cycle_year_of(parameters),
    )
    engine = create_store_engine(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            queued = enqueue(session, message, now=now_utc())
        delivery = deliver(engine, settings, logger=get_run_logger())
    finally:
        engine.dispose()
    return {"flow_run_id": str(run_id), "state": state, "queued": queued, "delivery": delivery}


def automations(alert_deployment_id: UUID) -> list[AutomationCore]:
    """The automations ``smewg automations apply`` keeps on the server, one per name."""
    alert = RunDeployment(
        source="selected", deployment_id=alert_deployment_id, parameters={"flow_run_id": "{{ event.resource.id }}"}
    )
    defined = [
        AutomationCore(
            name=f"smewg: alert when a flow run is {label}",
            description=f"Runs {ALERT_DEPLOYMENT} for every smewg flow run that is {label}; the message is the one the "
            "flow's own hook writes (same dedupe key), so it is sent once.",
            trigger=EventTrigger(
                expect={f"prefect.flow-run.{state}"},
                match={"prefect.resource.id": "prefect.flow-run.*"},
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
            actions=[alert],
        )
        for state, label in STATE_EVENTS.items()
    ]
    defined.append(
        AutomationCore(
            name="smewg: mark runs without a heartbeat as crashed",
            description="A running flow run that sent no heartbeat for 90 s is marked Crashed (then alerted as crashed).",
            trigger=EventTrigger(
                after={"prefect.flow-run.heartbeat"},
                expect={
                    "prefect.flow-run.heartbeat",
                    "prefect.flow-run.Completed",
                    "prefect.flow-run.Failed",
                    "prefect.flow-run.Cancelled",
                    "prefect.flow-run.Crashed",
                },
                match={"prefect.resource.id": "prefect.flow-run.*"},
                for_each={"prefect.resource.id"},
                posture=Posture.Proactive,
                threshold=1,
                within=timedelta(seconds=90),
            ),
            actions=[
                ChangeFlowRunState(state=StateType.CRASHED, name="Crashed", message="No heartbeat for 90 s: the process died")
            ],
        )
    )
    return defined


def apply_automations() -> list[dict[str, str]]:
    """Create or update every automation, idempotently: afterwards each name exists exactly once."""
    with get_client(sync_client=True) as client:
        try:
            deployment = client.read_deployment_by_name(ALERT_DEPLOYMENT)
        except Exception as error:  # ObjectNotFound: say what to do
            raise LookupError(
                f"the deployment {ALERT_DEPLOYMENT} is not on the server; deploy prefect.yaml first (prefect deploy --all)"
            ) from error
        applied = []
        for automation in automations(deployment.id):
            existing = client.read_automations_by_name(automation.name)
            if existing:
                client.update_automation(existing[0].id, automation)
                for duplicate in existing[1:]:  # left by an earlier non-idempotent `prefect automation create`
                    client.delete_automation(duplicate.id)
                applied.append({"name": automation.name, "action": "updated"})
            else:
                client.create_automation(automation)
                applied.append({"name": automation.name, "action": "created"})
    return applied
