"""The steps of a cycle's calendar, which of them are due on a day, and how each last ran.

The ``annual-cycle`` flow runs once a day: it asks :func:`plan_day` what is due, runs it,
and records each calendar step it covered with :func:`record_steps` (done or failed, the
day, the flow run). ``smewg status`` reads :func:`step_states`.

Steps, from the calendar:

* ``templates``: on the call for data, once.
* ``reminders T-30`` ... and ``escalations T+1`` ...: on each step's date (the default
  deadline's; economies with an extension get theirs on the same daily runs), until the
  last escalation of any economy has passed.
* ``KPI rollup``: on its date, then every week on the same weekday until the year ends
  (corrections are picked up; unchanged inputs make no new snapshot).
* ``<review name>``: on its milestone date, once; afterwards, rebuilt on the weekly rollup
  day when a cycle it covers has a newer snapshot than the review read.

Collection and the deadline watch run on every daily run inside the cycle's window; both
are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smewg.core.cycle import CycleContext
from smewg.core.store.models import CycleStepRow, ReviewVersionRow
from smewg.work.review_data import covered_years, snapshot_as_of


@dataclass(frozen=True)
class CalendarStep:
    name: str
    date: date
    kind: str
    """templates, reminders, escalations, rollup, review-midterm or review-final."""


def calendar_steps(context: CycleContext) -> list[CalendarStep]:
    calendar = context.calendar
    steps = [CalendarStep("templates", calendar.call_for_data, "templates")]
    steps += [CalendarStep(f"{s.kind}s {s.name}", s.date, f"{s.kind}s") for s in calendar.steps_for("")]
    steps.append(CalendarStep("KPI rollup", calendar.rollup, "rollup"))
    steps += [CalendarStep(r.name, r.date, f"review-{r.kind}") for r in calendar.reviews]
    return sorted(steps, key=lambda s: (s.date, s.name))


@dataclass
class DayPlan:
    """What the annual-cycle flow runs on one day."""

    as_of: date
    templates: bool = False
    collect: bool = False
    chase: bool = False
    """Reminders and the deadline watch."""
    rollup: bool = False
    review_day: bool = False
    """A review's milestone has come (whether it must be built is asked after the rollup: :func:`reviews_due`)."""
    covers: list[CalendarStep] = field(default_factory=list)
    """Calendar steps whose date has come and that no run has done yet: recorded after this run."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "templates": self.templates,
            "collect": self.collect,
            "chase": self.chase,
            "rollup": self.rollup,
            "review_day": self.review_day,
            "covers": [s.name for s in self.covers],
        }

    @property
    def idle(self) -> bool:
        return not (self.templates or self.collect or self.chase or self.rollup or self.review_day)


def _done(session: Session, context: CycleContext) -> dict[tuple[str, date], CycleStepRow]:
    rows = session.scalars(select(CycleStepRow).where(CycleStepRow.plan_id == context.plan_id, CycleStepRow.year == context.year))
    return {(r.step, r.due_on): r for r in rows}


def plan_day(session: Session, context: CycleContext, as_of: date) -> DayPlan:
    calendar = context.calendar
    plan = DayPlan(as_of)
    if as_of < calendar.call_for_data or as_of.year > context.year + 1:
        return plan
    recorded = _done(session, context)
    steps = calendar_steps(context)

    def pending(step: CalendarStep) -> bool:
        row = recorded.get((step.name, step.date))
        return step.date <= as_of and (row is None or row.state == "failed")

    plan.covers = [s for s in steps if pending(s)]
    plan.templates = any(s.kind == "templates" for s in plan.covers)
    plan.collect = True
    last_escalation = max(step.date for code in context.catalogue.plan.economies for step in calendar.steps_for(code))
    activities = [a.due + timedelta(days=1) for a in calendar.activities]
    plan.chase = as_of <= max(
        [
            last_escalation,
            calendar.rollup + timedelta(days=1),
            *activities,
            *(r.date + timedelta(days=1) for r in calendar.reviews),
        ]
    )
    weekly = as_of >= calendar.rollup and as_of.weekday() == calendar.rollup.weekday() and as_of.year == context.year
    plan.rollup = any(s.kind == "rollup" for s in plan.covers) or weekly
    plan.review_day = any(r.date <= as_of for r in calendar.reviews)
    return plan


def reviews_due(session: Session, context: CycleContext, as_of: date, *, rolled_up: bool) -> dict[str, bool]:
    """Review kind -> rerun, asked after the day's rollup: a review whose date has come and was
    never built; or, on a rollup day, one whose cycles have a snapshot it did not read."""
    due: dict[str, bool] = {}
    for review in context.calendar.reviews:
        if review.date > as_of:
            continue
        built = session.scalar(
            select(ReviewVersionRow)
            .where(ReviewVersionRow.plan_id == context.plan_id, ReviewVersionRow.kind == review.kind)
            .order_by(ReviewVersionRow.version.desc())
            .limit(1)
        )
        if built is None:
            due[review.kind] = False
        elif rolled_up and _newer_snapshots(session, context, review.kind, built, as_of):
            due[review.kind] = True
    return due


def _newer_snapshots(session: Session, context: CycleContext, kind: str, built: ReviewVersionRow, as_of: date) -> bool:
    """True when a cycle the review covers has a snapshot the last build did not read."""
    used = {int(y): s for y, s in ((built.details or {}).get("snapshots") or {}).items()}
    for year in covered_years(context.catalogue.plan, kind):
        newest = snapshot_as_of(session, context.plan_id, year, as_of)
        if newest is not None and newest.id != used.get(year):
            return True
    return False


def record_steps(
    session: Session,
    context: CycleContext,
    steps: list[CalendarStep],
    *,
    state: str,
    as_of: date,
    flow_run_id: str | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Mark ``steps`` done or failed by this run (a failed step is retried by the next run)."""
    for step in steps:
        row = session.scalar(
            select(CycleStepRow).where(
                CycleStepRow.plan_id == context.plan_id,
                CycleStepRow.year == context.year,
                CycleStepRow.step == step.name,
                CycleStepRow.due_on == step.date,
            )
        )
        if row is None:
            try:
                with session.begin_nested():
                    session.add(
                        CycleStepRow(
                            plan_id=context.plan_id,
                            year=context.year,
                            step=step.name,
                            due_on=step.date,
                            state=state,
                            run_on=as_of,
                            flow_run_id=flow_run_id,
                            detail=detail or {},
                            updated_at=now,
                        )
                    )
            except IntegrityError:  # a run beside this one recorded it first
                continue
        elif row.state != "done":
            row.state, row.run_on, row.flow_run_id, row.detail, row.updated_at = state, as_of, flow_run_id, detail or {}, now


def step_states(session: Session, context: CycleContext, as_of: date, run_link) -> list[dict[str, Any]]:
    """Each calendar step: done / failed (with the run), due (today), overdue (passed, not done) or upcoming."""
    recorded = _done(session, context)
    states = []
    for step in calendar_steps(context):
        row = recorded.get((step.name, step.date))
        if row is not None and row.state in ("done", "failed"):
            state = row.state
        elif step.date == as_of:
            state = "due"
        elif step.date < as_of:
            state = "overdue"
        else:
            state = "upcoming"
        states.append(
            {
                "name": step.name,
                "date": step.date.isoformat(),
                "state": state,
                "run_url": run_link(row.flow_run_id) if row is not None and row.flow_run_id else None,
            }
        )
    return states


def corrections_after_rollup(context: CycleContext, outcomes: list[dict[str, Any]], as_of: date) -> list[str]:
    """Economies whose newly accepted version supersedes an earlier one after the rollup date:
    the rollup (and the reviews that read it) must be rerun."""
    if as_of <= context.calendar.rollup:
        return []
    return sorted({o["economy"] for o in outcomes if o["status"] == "accepted" and o["version"] > 1})


def reviews_reading(session: Session, context: CycleContext) -> list[str]:
    """Kinds of the reviews already built that cover this cycle (rebuilt when its rollup changes)."""
    kinds: list[str] = []
    for review in context.catalogue.plan.reviews:
        if context.year in covered_years(context.catalogue.plan, review.kind) and session.scalar(
            select(ReviewVersionRow.id).where(ReviewVersionRow.plan_id == context.plan_id, ReviewVersionRow.kind == review.kind)
        ):
            kinds.append(review.kind)
    return kinds
