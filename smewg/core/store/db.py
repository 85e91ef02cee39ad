"""Engines, sessions and migrations for the store.

``upgrade(engine)`` brings any database, new or old, to the newest schema with Alembic;
it is what ``smewg init`` runs. Sessions commit on success and roll back on error, so a
failure never leaves half a change behind.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


URL_FORMS = "postgresql+psycopg://USER@HOST:5432/DATABASE or sqlite:////absolute/path/smewg.db"


def display_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def parse_store_url(url: str) -> URL:
    """``url`` parsed, its driver loadable; :class:`StoreMissing` saying what to write otherwise."""
    try:
        parsed = make_url(url)
        parsed.get_dialect()  # loads the driver's dialect: an unknown scheme or driver fails here
    except (ArgumentError, NoSuchModuleError, ImportError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise StoreMissing(f"SMEWG_DATABASE_URL {display_url(url)} cannot be used ({reason}); write {URL_FORMS}") from None
    return parsed


def _json_text(value: object) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY).decode()
    except orjson.JSONEncodeError:  # what json writes and orjson refuses: float subclasses, ints past 64 bits, ...
        return json.dumps(value)


def _json_value(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN or Infinity, which ``json.dumps`` wrote before the store used orjson
        return json.loads(text)


_JSON_CODEC = {"json_serializer": _json_text, "json_deserializer": _json_value}
"""JSON columns through orjson: a rollup snapshot's details (about 30 KB at 60 pairs) took
the standard library 0.8 ms to write, a tenth of a rerun. Like ``json.dumps``, non-string
keys become strings; unlike it, a NaN is written as null (JSON has no NaN, and PostgreSQL
refuses one)."""


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and foreign keys enforced.

    A URL that is not one (a typo in the scheme, a driver that is not installed) raises
    :class:`StoreMissing` saying what to write, never SQLAlchemy's plugin traceback."""
    parsed = parse_store_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Collection writes from several threads: wait for the lock instead of failing.
        engine = create_engine(parsed, connect_args={"timeout": 60}, **_JSON_CODEC)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no branch - tiny hook
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            # SQLite's recommended pairing with WAL: no fsync per commit, still crash-safe.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(parsed, pool_pre_ping=True, **_JSON_CODEC)


_SHARED: OrderedDict[str, Engine] = OrderedDict()
_SHARED_LOCK = threading.Lock()
SHARED_ENGINES = 8
"""Engines kept at most (a process works on one store; tests on many): the least recently
used one beyond this is disposed and forgotten."""


def shared_store_engine(url: str) -> Engine:
    """The process's engine for ``url``, made on first use.

    SQLAlchemy keeps each statement's compiled form in its engine: a flow run opens a cycle
    context for every step, and a new engine per step compiled every statement again (in a
    rollup after one correction, ~a fifth of its time). Callers release their connections
    with ``engine.dispose()`` as before: that closes the pooled connections and keeps the
    engine, and its compiled statements, usable.

    Why not keep the connections between contexts too (reconnecting costs a 60-pair rerun
    about 1 ms): while a connection to a SQLite store is open, SQLite keeps the store's
    write-ahead log (``-wal``, ``-shm``) at the path, and a store file restored over it
    between two steps would be read, by this process and any other, with the old file's
    log (tried in session 9: the restored store showed the old rows). With the last
    connection closed, SQLite moves the log into the file and deletes it, so a copy of the
    file is complete and a restored file is read as it is."""
    with _SHARED_LOCK:
        engine = _SHARED.get(url)
        if engine is None:
            engine = _SHARED[url] = create_store_engine(url)
            while len(_SHARED) > SHARED_ENGINES:
                _SHARED.popitem(last=False)[1].dispose()
        _SHARED.move_to_end(url)
        return engine


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision``; a no-op when already there."""
    command.upgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A transaction: committed when the block ends, rolled back if it raises."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        yield session


class StoreMissing(RuntimeError):
    """The store cannot be used as configured (never created, or not a database URL); the
    message tells the operator what to run or write. The CLI exits 3."""


def require_store(url: str) -> None:
    """Refuse to open a SQLite store that does not exist (connecting would create an empty file)."""
    parsed = parse_store_url(url)
    is_file_store = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
    if is_file_store and not Path(str(parsed.database)).is_file():
        raise StoreMissing(
            f"there is no store at {parsed.database} yet; run `smewg init` first "
            "(or set SMEWG_HOME / SMEWG_DATABASE_URL to the store you meant)"
        )


@contextmanager
def read_session(url: str) -> Iterator[Session]:
    """A transaction on an existing store, for commands that only read: a missing store is
    an error (:class:`StoreMissing`), never an empty file left behind."""
    require_store(url)
    with store_session(url) as session:
        yield session


@contextmanager
def store_session(url: str) -> Iterator[Session]:
    """A transaction on a short-lived engine, for commands and tasks that touch the store once."""
    engine = create_store_engine(url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()
