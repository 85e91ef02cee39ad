"""The production install of the README, end to end on real parts.

A ``prefect server start`` whose database is PostgreSQL, the store on PostgreSQL, the
deployments of ``prefect.yaml`` deployed with ``prefect deploy --all``, a process worker
started in another folder (as on another machine: the pull step finds the worker's own
checkout), the Slack token in the environment and a fake Slack. Through it: the
annual-cycle runs to Completed, the automations are applied twice, a failing run alerts the
Secretariat exactly once (the flow's hook and the Failed automation both fire), and a
correction after the rollup date reruns the rollup and the mid-term review exactly once.
Everything started here is stopped at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from smewg.core.paths import PROJECT_DIR
from tests import collection_helpers as h
from tests.apec import APEC_ORDER
from tests.conftest import POSTGRES_ADMIN_URL, _free_port, create_postgres_database, drop_postgres_database
from tests.slack_server import FakeSlack, SlackServer

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

TOKEN = "xoxb-2222222222-production-test-token"
BIN = Path(sys.executable).parent
ECONOMIES = ("KOR", "PER", "AUS")
REVIEW_DAY = date(2022, 8, 27)  # the mid-term review's day in the template calendar
CORRECTED = datetime(2022, 9, 1, 2, tzinfo=UTC)  # after the 15 July rollup date


@dataclass
class Install:
    api_url: str
    env: dict[str, str]
    slack: FakeSlack
    folder: Path
    processes: list[subprocess.Popen]

    def run(self, *command: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(command, env=self.env, cwd=cwd or self.folder, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (
            f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        return done

    def client(self):
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
            return get_client(sync_client=True)

    def start(self, name: str, command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()[-4000:]


def _wait_until(what: str, check, timeout: float, logs: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen after {timeout:.0f} s\n{logs}", pytrace=False)
        time.sleep(1)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def install(tmp_path: Path, smewg_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    prefect_db, _ = create_postgres_database()
    store_db, store_url = create_postgres_database()
    server_db_url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=prefect_db)
    channels = {f"#smewg-fp-{code.lower()}": f"C{n:04d}" for n, code in enumerate(APEC_ORDER)}
    channels["#smewg-secretariat"] = "CSECRETARIAT"
    port = _free_port()
    api_url, ui_url = f"http://127.0.0.1:{port}/api", f"http://127.0.0.1:{port}"
    with SlackServer(FakeSlack(token=TOKEN, channels=channels)) as slack:
        smewg = {
            "SMEWG_HOME": str(smewg_home),
            "SMEWG_DATABASE_URL": store_url,
            "SMEWG_SCHEDULE_DIR": str(smewg_home / "schedule"),
            "SMEWG_SLACK_TOKEN": TOKEN,
            "SMEWG_SLACK_BASE_URL": slack.base_url,
            "SMEWG_SLACK_TIMEOUT_SECONDS": "5",
        }
        for name, value in smewg.items():
            monkeypatch.setenv(name, value)
        base = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")},
            "DO_NOT_TRACK": "1",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_API_URL": api_url,
            "PREFECT_UI_URL": ui_url,
        }
        setup = Install(api_url, {**base, "PREFECT_HOME": str(tmp_path / "deployer-prefect")}, slack.fake, tmp_path, [])
        try:
            server_env = {
                **base,
                "PREFECT_HOME": str(tmp_path / "server-prefect"),
                "PREFECT_SERVER_DATABASE_CONNECTION_URL": server_db_url.render_as_string(hide_password=False),
            }
            server_env.pop("PREFECT_API_URL")
            server = setup.start(
                "server",
                [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                tmp_path,
                server_env,
            )

            def healthy() -> bool:
                assert server.poll() is None, setup.log("server")
                try:
                    return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return False

            _wait_until("prefect server on PostgreSQL", healthy, 120, setup.log("server"))
            yield setup
        finally:
            for process in reversed(setup.processes):
                _stop(process)
            with pytest.raises(httpx.ConnectError):  # the server is gone with its port
                httpx.get(f"{api_url}/health", timeout=2)
            drop_postgres_database(prefect_db)
            drop_postgres_database(store_db)


def _runs(install: Install, deployment: str, since: datetime) -> list:
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, FlowRunFilter, FlowRunFilterStartTime

    with install.client() as client:
        found = client.read_deployment_by_name(deployment)
        return client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[found.id])),
            flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(after_=since)),
        )


def _run_deployment(install: Install, deployment: str, parameters: dict[str, Any]):
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: install.api_url}):
        return run_deployment(deployment, parameters=parameters, timeout=240, poll_interval=2)


def _finished(install: Install, deployment: str, since: datetime, count: int):
    def check():
        runs = _runs(install, deployment, since)
        return runs if len(runs) >= count and all(r.state and r.state.is_final() for r in runs) else None

    return _wait_until(f"{count} finished run(s) of {deployment}", check, 240, install.log("worker"))


def _secretariat_posts(slack: FakeSlack, run_id: Any) -> list[dict]:
    return [m for m in slack.posted_to("#smewg-secretariat") if str(run_id) in json.dumps(m)]


def test_the_production_install_runs_the_cycle_alerts_once_and_reruns_on_corrections(install: Install, smewg_home, monkeypatch):
    # The store on PostgreSQL with the plan's calendars; three economies sent their 2021 and 2022 files in April.
    h.prepare(smewg_home, monkeypatch)
    for year in (2021, 2022):
        for code in ECONOMIES:
            h.write_csv(
                h.inbox(code, year) / f"{code}-{year}.csv",
                h.valid_rows(code, year),
                received=datetime(year, 4, 4, 2, tzinfo=UTC),
            )
    install.run(str(BIN / "smewg"), "collect", "--year", "2021", "--as-of", "2021-12-31")

    install.run(str(BIN / "prefect"), "work-pool", "create", "smewg-process", "--type", "process")
    install.run(str(BIN / "prefect"), "deploy", "--all", "--no-prompt", cwd=PROJECT_DIR)
    with install.client() as client:  # no scheduled run may start during the test: only what it asks for runs
        for deployment in client.read_deployments():
            for schedule in deployment.schedules:
                client.update_deployment_schedule(deployment.id, schedule.id, active=False)
    first = install.run(str(BIN / "smewg"), "automations", "apply", "--json")
    second = install.run(str(BIN / "smewg"), "automations", "apply", "--json")
    assert {a["action"] for a in json.loads(first.stdout)} == {"created"}
    assert {a["action"] for a in json.loads(second.stdout)} == {"updated"}
    with install.client() as client:
        names = [a.name for a in client.read_automations() if a.name.startswith("smewg:")]  # not the deployments' triggers
    assert sorted(names) == sorted(a["name"] for a in json.loads(second.stdout))

    # The worker runs in a folder of its own, as on another machine.
    worker_folder = install.folder / "worker-machine"
    worker_folder.mkdir()
    worker_env = {**install.env, "PREFECT_HOME": str(worker_folder / "prefect"), "PREFECT_WORKER_QUERY_SECONDS": "2"}
    install.start(
        "worker",
        [str(BIN / "prefect"), "worker", "start", "--pool", "smewg-process", "--type", "process"],
        worker_folder,
        worker_env,
    )

    cycle = _run_deployment(install, "annual-cycle/annual-cycle-daily", {"as_of": REVIEW_DAY.isoformat()})
    assert cycle.state.is_completed(), f"{cycle.state}\n{install.log('worker')}"
    from smewg.core.settings import get_settings
    from smewg.core.store import store_session
    from smewg.work.submissions import list_submissions

    with store_session(get_settings().resolved_database_url) as session:
        stored = list_submissions(session, "smewg-2021-2024", 2022)
    assert sorted(s["economy"] for s in stored) == sorted(ECONOMIES)
    midterm = sorted((smewg_home / "outputs").rglob("*midterm*.html"))
    assert midterm, "the annual cycle on the review day built no mid-term review"

    # A run that fails: the hook posts at once, the Failed automation starts alert-run; one post.
    since = datetime.now(UTC)
    failing = _run_deployment(install, "annual-cycle/annual-cycle-daily", {"as_of": "2022-08-28", "year": 1999})
    assert failing.state.is_failed()
    _finished(install, "alert-run/alert-run", since, 1)
    time.sleep(3)  # a second alert, if there were one, would be posted by now
    posts = _secretariat_posts(install.slack, failing.id)
    assert len(posts) == 1, posts
    assert "annual-cycle" in posts[0]["text"]

    # A correction after the rollup date: one collection run, then exactly one rerun of the rollup and of the review.
    h.write_csv(h.inbox("KOR", 2022) / "KOR-2022-v2.csv", h.valid_rows("KOR", 2022, scale=1.3), received=CORRECTED)
    since = datetime.now(UTC)
    collected = _run_deployment(install, "collect-submissions/collect-submissions-hourly", {"year": 2022, "as_of": "2022-09-02"})
    assert collected.state.is_completed()
    rollups = _finished(install, "rollup-kpis/rollup-kpis", since, 1)
    reviews = _finished(install, "assemble-review/assemble-review", since, 1)
    time.sleep(8)  # a second trigger, if there were one, would have started a run by now
    assert len(_runs(install, "rollup-kpis/rollup-kpis", since)) == 1
    assert len(_runs(install, "assemble-review/assemble-review", since)) == 1
    assert rollups[0].state.is_completed() and reviews[0].state.is_completed()
    assert rollups[0].parameters["year"] == 2022
    assert reviews[0].parameters == {"kind": "midterm", "rerun": True}
    from smewg.core.store.models import ReviewVersionRow

    with store_session(get_settings().resolved_database_url) as session:
        versions = sorted(session.scalars(ReviewVersionRow.__table__.select().with_only_columns(ReviewVersionRow.version)))
    assert versions == [1, 2]
