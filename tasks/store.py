"""Tasks that prepare the store: schema migrations and the plan catalogue."""

from __future__ import annotations

from typing import Any

from prefect import task

from smewg.core.settings import get_settings
from smewg.work.catalogue_sync import load_catalogue_into_store
from smewg.work.store_migration import migrate_store


@task(name="migrate-store", retries=2, retry_delay_seconds=5)
def migrate_store_task() -> dict[str, str | None]:
    """Settings are read inside, never passed in: they may hold secrets, and parameters are recorded."""
    return migrate_store(get_settings())


@task(name="load-catalogue", retries=2, retry_delay_seconds=5)
def load_catalogue_task() -> dict[str, Any]:
    """Sync the plan and economies files into the store; returns the change report."""
    return load_catalogue_into_store(get_settings()).as_dict()
