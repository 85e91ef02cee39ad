"""A temporary server's new database starts as a copy of the migrated template."""

from __future__ import annotations

import sqlite3

from smewg.cli import prefect_database


def _revision(database) -> str:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_a_new_prefect_home_gets_the_template_and_an_existing_database_is_left_alone(tmp_path, monkeypatch):
    template = prefect_database.build_template()  # made by `make install`; built here otherwise
    home = tmp_path / "prefect-home"
    monkeypatch.setenv("PREFECT_HOME", str(home))
    monkeypatch.delenv("PREFECT_API_DATABASE_CONNECTION_URL", raising=False)
    monkeypatch.delenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", raising=False)

    assert prefect_database.seed_new_database() is True
    database = home / "prefect.db"
    assert _revision(database) == _revision(template)  # migrated: the server has nothing to do
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM flow_run").fetchone() == (0,)  # and empty
        connection.execute("INSERT INTO configuration (id, key, value) VALUES ('x', 'kept', '{}')")
    assert not list(home.glob(".*partial"))

    assert prefect_database.seed_new_database() is False  # a database with runs is never replaced
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT key FROM configuration WHERE id = 'x'").fetchone() == ("kept",)


def test_a_configured_database_is_left_to_prefect(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/prefect")
    assert prefect_database.default_database_file() is None
    assert prefect_database.seed_new_database() is False
    assert not (tmp_path / "home").exists()


def test_a_database_created_meanwhile_is_never_replaced_and_a_bad_template_is_refused(tmp_path):
    template = prefect_database.build_template()
    target = tmp_path / "prefect.db"
    with sqlite3.connect(target) as connection:  # another command's server got there first
        connection.execute("CREATE TABLE theirs (x)")
    assert prefect_database._copy(template, target) is False
    with sqlite3.connect(target) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("theirs",)]
    assert not list(tmp_path.glob(".*partial"))

    assert prefect_database._is_migrated(template)
    assert not prefect_database._is_migrated(target)  # what build_template refuses to keep


def test_an_unwritable_cache_is_one_warning_and_never_fails_the_install(tmp_path):
    import os
    import subprocess
    import sys

    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocked)}
    done = subprocess.run([sys.executable, "-m", "smewg.cli.prefect_database"], env=env, capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stderr.startswith("warning: no migrated Prefect database template") and len(done.stderr.splitlines()) == 1
    assert "XDG_CACHE_HOME" in done.stderr and "Traceback" not in done.stderr
