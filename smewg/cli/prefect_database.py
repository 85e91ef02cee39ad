"""A temporary server's new database starts as a copy of a migrated template.

Prefect migrates a new SQLite database on its server's first start: ~6 s of the ~9 s that
start takes on these machines, paid by every new ``PREFECT_HOME`` (each ``smewg demo``,
a first command on a new machine). For one Prefect version the migrations give the same
empty database every time, so they run once, into a template kept in the user's cache
(``make install`` builds it; otherwise the first command that needs it does), and a new
home's database is a copy of it (SQLite's backup API, a few milliseconds). The server then
finds its database at the head revision and starts in ~4 s.

Only Prefect's default database (``prefect.db`` under ``PREFECT_HOME``) is ever seeded,
and only when it does not exist (the copy is linked into place, so it never replaces a
database another process created meanwhile); a database URL set in the environment
(PostgreSQL, another file) is left to Prefect. One set in a Prefect profile or config file
is not seen here: the copy is then an unused file, and that server migrates its own.

    python -m smewg.cli.prefect_database     # build the template now (make install does)
"""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

logger = logging.getLogger("smewg.prefect_server")
TEMPLATE_SECONDS = 300


def template_path() -> Path:
    """Where this Prefect version's migrated, empty database is kept."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "smewg" / f"prefect-{metadata.version('prefect')}.db"


def _copy(source: Path, target: Path) -> bool:
    """``source`` into ``target`` if there is no ``target`` yet, whole or not at all: written
    aside, then linked into place, which fails rather than replace a database that another
    command (or a server) created meanwhile. Whether this call placed it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    try:
        origin = sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            origin.backup(copy)  # one consistent file, whatever journal the source was left with
        finally:
            origin.close()
            copy.close()
        try:
            os.link(partial, target)
        except FileExistsError:
            return False
        return True
    finally:
        partial.unlink(missing_ok=True)


def _is_migrated(database: Path) -> bool:
    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
        try:
            return connection.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def build_template() -> Path:
    """The template, migrated now if this Prefect version has none yet (~9 s, once)."""
    template = template_path()
    if template.exists():
        return template
    logger.info("Migrating a template Prefect database once for this Prefect version: %s", template)
    with tempfile.TemporaryDirectory(prefix="smewg-prefect-template-") as folder:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
        env.update(PREFECT_HOME=folder, PREFECT_SERVER_ANALYTICS_ENABLED="false")
        # In the empty folder: Prefect also reads .env, prefect.toml and pyproject.toml from
        # the working directory, which could point it at another database.
        done = subprocess.run(
            [sys.executable, "-m", "prefect", "server", "database", "upgrade", "-y"],
            env=env,
            cwd=folder,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            timeout=TEMPLATE_SECONDS,
        )
        built = Path(folder) / "prefect.db"
        if done.returncode != 0 or not _is_migrated(built):
            raise RuntimeError(f"migrating a template Prefect database failed: {done.stderr.strip()[-500:]}")
        _copy(built, template)
    return template


def default_database_file() -> Path | None:
    """Prefect's database file when it is the default one under ``PREFECT_HOME``, else None.

    Read from the environment as the server will read it, without importing Prefect (a
    command launches its server before its heavy imports; a database URL set in a Prefect
    profile instead only leaves an unused copy behind)."""
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    default = home / "prefect.db"
    for name in ("PREFECT_SERVER_DATABASE_CONNECTION_URL", "PREFECT_API_DATABASE_CONNECTION_URL"):
        url = os.environ.get(name)
        if url and url != f"sqlite+aiosqlite:///{default}":
            return None
    return default


def seed_new_database() -> bool:
    """Before a temporary server starts: its database, if new, copied from the template.
    Never fatal: without a template the server migrates as it always did."""
    database = default_database_file()
    if database is None or database.exists():
        return False
    try:
        placed = _copy(build_template(), database)
    except (OSError, sqlite3.Error, RuntimeError, subprocess.TimeoutExpired) as error:
        logger.warning("The Prefect server migrates its new database itself (no template: %s)", error)
        return False
    if placed:
        logger.info("New Prefect database %s copied from the migrated template", database)
    return placed


def main() -> None:
    """``make install``'s step: build the template, or say in one line why not. Never fails
    the install: without a template a new database is migrated by its server, as before."""
    try:
        print(build_template())
    except (OSError, sqlite3.Error, RuntimeError, subprocess.TimeoutExpired) as error:
        print(
            f"warning: no migrated Prefect database template ({error}); new Prefect homes will be migrated "
            "by their server (~5 s more each); set XDG_CACHE_HOME to a folder you can write to",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
