"""Task writing the call for data's templates."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from smewg.core.cycle import CycleContext
from smewg.work.templates import write_templates


@task(name="write-templates", cache_policy=NO_CACHE)
def write_templates_task(context: CycleContext, economies: list[str] | None = None) -> list[dict[str, str]]:
    return write_templates(context.settings, context.catalogue, context.year, economies)
