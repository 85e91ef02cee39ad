"""The project's own store: SQLite by default, PostgreSQL through ``SMEWG_DATABASE_URL``."""

from smewg.store.db import (
    create_store_engine,
    current_revision,
    head_revision,
    session_scope,
    store_session,
    upgrade,
)

__all__ = ["create_store_engine", "current_revision", "head_revision", "session_scope", "store_session", "upgrade"]
