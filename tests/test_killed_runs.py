"""A command killed mid-run (issue 13, finding 9): its temporary Prefect server goes with it,
and the next command marks the run it left Running as Crashed and alerts the Secretariat once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import collection_helpers as h
from tests.apec import APEC_ORDER
from tests.slack_server import FakeSlack, SlackServer

TOKEN = "xoxb-1-killed-runs"
pytestmark = pytest.mark.prefect


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def test_a_killed_command_takes_its_server_along_and_its_run_is_crashed_and_alerted_once(smewg_home, monkeypatch, tmp_path):
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from smewg.cli import prefect_api

    h.prepare(smewg_home, monkeypatch)
    channels = {f"#smewg-fp-{code.lower()}": f"C{n:04d}" for n, code in enumerate(APEC_ORDER)}
    fake = FakeSlack(token=TOKEN, channels={**channels, "#smewg-secretariat": "CSECRETARIAT"}, post_seconds=1.0)
    env = {
        **{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
        "SMEWG_HOME": str(smewg_home),
        "SMEWG_SCHEDULE_DIR": os.environ["SMEWG_SCHEDULE_DIR"],
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "SMEWG_SLACK_TOKEN": TOKEN,
        "SMEWG_SLACK_TIMEOUT_SECONDS": "5",
    }
    with SlackServer(fake) as slack:
        env["SMEWG_SLACK_BASE_URL"] = slack.base_url
        # 21 reminders are due on 1 May (30 days before the deadline), each post takes 1 s.
        command = subprocess.Popen(
            [sys.executable, "-m", "smewg", "remind", "--year", "2022", "--as-of", "2022-05-01"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(lambda: len(fake.posted) >= 2, 120, "the reminders run to be posting")
            servers = _children(command.pid)
            assert servers, "the command started no server of its own"
        finally:
            command.send_signal(signal.SIGKILL)
            command.wait()
        _wait(lambda: not any(_alive(pid) for pid in servers), 15, "the temporary server to stop with its command")
        posted_before = len(fake.posted)
        assert posted_before < 21  # killed mid-run

        for _ in range(2):  # the next commands: the first ends and alerts the killed run, the second finds nothing
            done = subprocess.run(
                [sys.executable, "-m", "smewg", "watch", "--year", "2022", "--as-of", "2022-05-01"],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
    alerts = fake.posted_to("#smewg-secretariat")
    assert len(alerts) == 1, [a["text"] for a in alerts]
    assert alerts[0]["text"].startswith("Flow send-reminders crashed: its process (")
    assert "was killed before the run ended" in alerts[0]["text"] and "http://127.0.0.1:4200/runs/flow-run/" in alerts[0]["text"]

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    server, url = prefect_api._start_server(tmp_path / "check-server.log")
    try:
        with temporary_settings(updates={PREFECT_API_URL: url}), get_client(sync_client=True) as client:
            runs = {run.name: run for run in client.read_flow_runs()}
            flows = {run.name: client.read_flow(run.flow_id).name for run in runs.values()}
    finally:
        prefect_api._stop(server)
    reminders = [run for name, run in runs.items() if flows[name] == "send-reminders"]
    assert len(reminders) == 1 and reminders[0].state.type.value == "CRASHED"
    assert all(run.state.is_final() for run in runs.values())
