"""Alembic environment: uses the engine handed over by ``smewg.core.store.db.upgrade``,
or ``SMEWG_DATABASE_URL`` / the default SQLite file when run as ``alembic ...``."""

from alembic import context

from smewg.core.store.models import Base

config = context.config
target_metadata = Base.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    from smewg.core.settings import get_settings
    from smewg.core.store.db import create_store_engine

    return create_store_engine(get_settings().resolved_database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=True,  # SQLite can only ALTER through table copies
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run against a database.")
run_migrations_online()
