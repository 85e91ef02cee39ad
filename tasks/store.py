"""Create or upgrade the store's schema with Alembic."""

from __future__ import annotations

from prefect import task

from smewg.settings import Settings, get_settings
from smewg.store import create_store_engine, current_revision, upgrade


def migrate_store(settings: Settings) -> dict[str, str | None]:
    """Migrate the store to the newest schema; return the revision before and after."""
    engine = create_store_engine(settings.resolved_database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        return {"from": before, "to": current_revision(engine)}
    finally:
        engine.dispose()


@task(name="migrate-store", retries=2, retry_delay_seconds=5)
def migrate_store_task() -> dict[str, str | None]:
    """Prefect task around :func:`migrate_store` (settings read inside: they may hold secrets)."""
    return migrate_store(get_settings())
