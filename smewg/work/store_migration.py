"""Create or upgrade the store's schema with Alembic."""

from __future__ import annotations

from smewg.core.settings import Settings
from smewg.core.store import create_store_engine, current_revision, upgrade


def migrate_store(settings: Settings) -> dict[str, str | None]:
    """Migrate the store to the newest schema; return the revision before and after."""
    engine = create_store_engine(settings.resolved_database_url)
    try:
        before = current_revision(engine)
        upgrade(engine)
        return {"from": before, "to": current_revision(engine)}
    finally:
        engine.dispose()
