"""The project's own store: SQLite by default, PostgreSQL through ``SMEWG_DATABASE_URL``."""

from smewg.core.store.db import (
    StoreMissing,
    create_store_engine,
    current_revision,
    head_revision,
    read_session,
    require_store,
    session_scope,
    shared_store_engine,
    store_session,
    upgrade,
)

__all__ = [
    "StoreMissing",
    "read_session",
    "require_store",
    "create_store_engine",
    "shared_store_engine",
    "current_revision",
    "head_revision",
    "session_scope",
    "store_session",
    "upgrade",
]
