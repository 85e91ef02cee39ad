"""Tasks of the KPI rollup: the snapshot, and its export files."""

from __future__ import annotations

from datetime import date
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from smewg.core.clock import now_utc
from smewg.core.cycle import CycleContext
from smewg.work.export import export_snapshot
from smewg.work.rollup import rollup


@task(name="rollup-kpis", cache_policy=NO_CACHE)
def rollup_task(context: CycleContext, as_of: date) -> dict[str, Any]:
    result = rollup(context, as_of, now=now_utc())
    get_run_logger().info(
        "snapshot %d %s (%d figures from %d submission versions)",
        result.snapshot_id,
        "created" if result.created else "unchanged",
        result.figures,
        len(result.submission_ids),
    )
    return result.__dict__


@task(name="export-snapshot", cache_policy=NO_CACHE)
def export_snapshot_task(context: CycleContext, snapshot_id: int) -> dict[str, Any]:
    """The snapshot's SDMX-CSV, CSV and XLSX files and its headline table."""
    return export_snapshot(context, snapshot_id)
