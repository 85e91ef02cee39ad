"""Tasks of a review: the snapshot of each cycle it covers, and the build itself."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.work.reviews import build_review, review_snapshot


@task(name="review-snapshot", cache_policy=NO_CACHE)
def review_snapshot_task(context: CycleContext, as_of: date, refresh: bool) -> int:
    """Rolling up again on unchanged inputs reuses the snapshot: only corrected cycles are recomputed."""
    return review_snapshot(context, as_of, refresh=refresh, now=now_utc())


@task(name="build-review", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def build_review_task(context: CycleContext, kind: str, as_of: date, snapshots: dict[int, int]) -> dict[str, Any]:
    result = build_review(context, kind, as_of, snapshots, now=now_utc())
    get_run_logger().info(
        "%s review version %d %s (%d figures changed)",
        kind,
        result.version,
        "built" if result.created else "unchanged: inputs as before",
        len(result.changed),
    )
    return result.as_dict()
