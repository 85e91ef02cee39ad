"""Task that rewrites the cycle's page (``$SMEWG_HOME/outputs/site/``) after a run changed the cycle."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from smewg.core.cycle import CycleContext
from smewg.work.cycle_page import write_cycle_page


@task(name="write-cycle-page", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=2)
def write_cycle_page_task(context: CycleContext, as_of: date) -> str:
    """The cycle page and the index; returns the page's path."""
    return str(write_cycle_page(context, as_of))
