"""Flow ``annual-cycle``: once a day, whatever the year's calendar has due.

Templates on the call for data, collection, reminders and the deadline watch, the KPI
rollup on its date and every week after (corrections are picked up), a review on its
milestone date and again when a cycle it covers has a newer rollup. Every step is
idempotent, so running the flow twice on a day, or on every day, does nothing twice. Each
calendar step it covered is recorded (done or failed, with this run), for ``smewg status``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run

from smewg.flows.cycle_run import cycle_context, resolve_cycle
from smewg.flows.hooks import RUN_HOOKS
from smewg.flows.review import assemble_review
from smewg.tasks.collect import collect_economy_task, ensure_cycle_task
from smewg.tasks.cycle import plan_day_task, record_steps_task, reviews_due_task
from smewg.tasks.deadlines import queue_deadline_alerts_task
from smewg.tasks.outbox import deliver_outbox_task
from smewg.tasks.reminders import queue_reminders_task
from smewg.tasks.rollup import export_snapshot_task, rollup_task
from smewg.tasks.site import write_cycle_page_task
from smewg.tasks.templates import write_templates_task
from smewg.work.collect import inbox_for


@flow(
    name="annual-cycle",
    # Well under the daily schedule: a hung day times out (and is alerted) and the next day's
    # run, which redoes whatever is still due, is not cancelled by the one-run limit.
    timeout_seconds=3 * 60 * 60,
    description="Run whatever the cycle's calendar has due today; safe to run daily or twice.",
    **RUN_HOOKS,
)
def annual_cycle(as_of: date | None = None, year: int | None = None) -> dict[str, Any]:
    year, as_of = resolve_cycle(year, as_of)
    run_id = str(flow_run.get_id()) if flow_run.get_id() else None
    done: dict[str, Any] = {}
    failed: list[str] = []
    with cycle_context(year) as context:
        plan = plan_day_task(context, as_of)
        if plan.idle:
            return {"year": year, "as_of": as_of.isoformat(), "plan": plan.as_dict(), "done": done, "failed": failed}
        ensure_cycle_task(context)

        def attempt(name: str, call) -> Any:
            state = call(return_state=True)
            if state.is_completed():
                done[name] = state.result()
                return done[name]
            failed.append(name)
            get_run_logger().error("step %s failed: %s", name, state.message)
            return None

        if plan.templates:
            attempt("templates", lambda **kw: write_templates_task(context, **kw))
        if plan.collect:
            files, _ = inbox_for(context, as_of)
            futures = [collect_economy_task.submit(context, files[economy]) for economy in sorted(files)]
            outcomes = [f.result(raise_on_failure=False) for f in futures]
            done["collect"] = [o for result in outcomes if isinstance(result, list) for o in result if o["status"] != "unchanged"]
            if any(not isinstance(result, list) for result in outcomes):
                failed.append("collect")
        if plan.chase:
            attempt("reminders", lambda **kw: queue_reminders_task(context, as_of, **kw))
            attempt("deadlines", lambda **kw: queue_deadline_alerts_task(context, as_of, **kw))
        if plan.rollup:
            snapshot = attempt("rollup", lambda **kw: rollup_task(context, as_of, **kw))
            if snapshot:  # written again even when unchanged: a failed export is redone on the next rollup day
                attempt("exports", lambda **kw: export_snapshot_task(context, snapshot["snapshot_id"], **kw))
        ran = {
            "templates": plan.templates and "templates" not in failed,
            "reminders": plan.chase and "reminders" not in failed,
            "escalations": plan.chase and "deadlines" not in failed,
            "rollup": plan.rollup and not {"rollup", "exports"} & set(failed),
        }
        tried = {"templates": plan.templates, "reminders": plan.chase, "escalations": plan.chase, "rollup": plan.rollup}
        record_steps_task(context, [s for s in plan.covers if ran.get(s.kind)], "done", as_of, run_id)
        record_steps_task(context, [s for s in plan.covers if tried.get(s.kind) and not ran.get(s.kind)], "failed", as_of, run_id)
        deliver_outbox_task(context)
        attempt("cycle page", lambda **kw: write_cycle_page_task(context, as_of, **kw))
        reviews = reviews_due_task(context, as_of, plan.rollup and "rollup" not in failed) if plan.review_day else {}
    for kind, rerun in reviews.items():
        state = assemble_review(kind=kind, as_of=as_of, rerun=rerun, return_state=True)
        if state.is_completed():
            done[f"review-{kind}"] = {k: v for k, v in state.result().items() if k in ("version", "created", "html", "pdf")}
        else:
            failed.append(f"review-{kind}")
    review_steps = [s for s in plan.covers if s.kind.startswith("review-")]
    if review_steps:  # a review built earlier (by hand) counts as its step done
        with cycle_context(year) as context:
            record_steps_task(context, [s for s in review_steps if s.kind not in failed], "done", as_of, run_id)
            record_steps_task(context, [s for s in review_steps if s.kind in failed], "failed", as_of, run_id)
    summary = {"year": year, "as_of": as_of.isoformat(), "plan": plan.as_dict(), "done": sorted(done), "failed": failed}
    create_markdown_artifact(
        key=f"annual-cycle-{year}",
        description=f"Annual cycle {year}, {as_of.isoformat()}",
        markdown=f"## Cycle {year}, {as_of.isoformat()}\n\nRan: {', '.join(sorted(done)) or 'nothing'}"
        f"\n\nFailed: {', '.join(failed) or 'nothing'}\n",
    )
    if failed:
        raise RuntimeError(f"cycle {year} on {as_of.isoformat()}: {', '.join(failed)} failed; the next run retries them")
    return {**summary, "collected": len(done.get("collect", []))}
