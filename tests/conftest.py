"""Shared fixtures: an isolated SMEWG_HOME, real databases (SQLite and PostgreSQL) and a
real Prefect API (`prefect server start`, started once per session).

PostgreSQL is not optional: store tests run on both back ends, and a missing server is
an error, never a skip. Point ``SMEWG_TEST_POSTGRES_URL`` at another server if needed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_ADMIN_URL = os.environ.get("SMEWG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# Prefect state and caches of the test session must not leak into the user's ~/.prefect.
_PREFECT_TMP = Path(os.environ.get("TMPDIR", "/tmp")) / f"smewg-tests-prefect-{os.getpid()}"
os.environ["PREFECT_HOME"] = str(_PREFECT_TMP)
os.environ["PREFECT_RESULTS_LOCAL_STORAGE_PATH"] = str(_PREFECT_TMP / "storage")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def smewg_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SMEWG_HOME with no inherited SMEWG_ settings (and no .env picked up)."""
    for name in list(os.environ):
        if name.startswith("SMEWG_") and name != "SMEWG_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    monkeypatch.setenv("SMEWG_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


def create_postgres_database() -> tuple[str, str]:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"smewg_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        pytest.fail(
            f"PostgreSQL is required for the store tests and is not reachable at "
            f"{make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)}: {error.orig}. "
            "Start it (CI: .ci/run does) or set SMEWG_TEST_POSTGRES_URL.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return name, make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, smewg_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database on each back end, set as SMEWG_DATABASE_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{smewg_home / 'store.db'}"
        monkeypatch.setenv("SMEWG_DATABASE_URL", url)
        yield url
        return
    name, url = create_postgres_database()
    monkeypatch.setenv("SMEWG_DATABASE_URL", url)
    try:
        yield url
    finally:
        drop_postgres_database(name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _drain_prefect_workers() -> None:
    """Send buffered run logs and events before the server goes (as prefect_test_harness does);
    otherwise the log worker retries against a dead server for a minute at exit."""
    import inspect

    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    async def drain() -> None:
        try:
            result = APILogWorker.instance().drain()
            if inspect.isawaitable(result):
                await result
        except RuntimeError:  # never started
            pass
        result = EventsWorker.drain_all()
        if inspect.isawaitable(result):
            await result

    run_coro_as_sync(drain())


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``prefect server start`` (with its UI) for the whole session; yields the API URL.

    Started once (~10 s). Flows in the tests run against it, prefect.yaml is deployed to
    it, and run links in alerts are opened on it.
    """
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL, temporary_settings

    home = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    log_path = home / "server.log"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    api_url, ui_url = f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prefect server did not start:\n{log_path.read_text()[-3000:]}", pytrace=False)
            time.sleep(0.5)
        with temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_UI_URL: ui_url}):
            yield api_url
            _drain_prefect_workers()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
