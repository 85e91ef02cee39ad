"""Events the flows emit so that the server reruns work when data is corrected.

``smewg.cycle.corrected``: a collection run accepted corrections for a cycle whose rollup
date has passed (one event per run, however many corrections); the ``rollup-kpis``
deployment's trigger reruns that cycle's rollup. ``smewg.review.stale``: a rollup made a new
snapshot of a cycle an existing review reads; the ``assemble-review`` deployment's trigger
rebuilds that review with ``rerun``. Triggers are in ``prefect.yaml``.
"""

from __future__ import annotations

from datetime import date

from prefect.events import emit_event

CORRECTED = "smewg.cycle.corrected"
REVIEW_STALE = "smewg.review.stale"


def cycle_corrected(plan_id: str, year: int, economies: list[str], as_of: date) -> None:
    emit_event(
        CORRECTED,
        resource={"prefect.resource.id": f"smewg.cycle.{plan_id}.{year}", "prefect.resource.name": f"SMEWG cycle {year}"},
        payload={"year": year, "economies": economies, "as_of": as_of.isoformat()},
    )


def review_stale(plan_id: str, kind: str, year: int, as_of: date) -> None:
    emit_event(
        REVIEW_STALE,
        resource={"prefect.resource.id": f"smewg.review.{plan_id}.{kind}", "prefect.resource.name": f"SMEWG {kind} review"},
        payload={"kind": kind, "year": year, "as_of": as_of.isoformat()},
    )
