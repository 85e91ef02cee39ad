"""`smewg demo`, the main job, end to end in a subprocess exactly as `make demo` runs it."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from smewg.core.calendar import load_calendar

pytestmark = [pytest.mark.prefect, pytest.mark.slow]
STEPS = ["T-30", "T-14", "T-7", "T-1", "T+1", "T+7", "T+14"]


def _smewg(*args: str, env: dict) -> str:
    return subprocess.run(
        [sys.executable, "-m", "smewg", *args], capture_output=True, text=True, env=env, check=True, timeout=600
    ).stdout


def test_demo_runs_every_cycle_end_to_end_and_says_where_things_are(smewg_home):
    env = {**os.environ, "SMEWG_HOME": str(smewg_home)}
    env.pop("PREFECT_API_URL", None)  # the demo starts its own temporary server
    env.pop("PREFECT_HOME", None)  # and keeps its state in its folder, as on a new machine
    demo = subprocess.run([sys.executable, "-m", "smewg", "demo"], capture_output=True, text=True, env=env, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    home = smewg_home / "demo"
    assert f"sqlite:///{home}/smewg.db" in demo.stdout
    assert "5 priority areas, 14 objectives, 45 indicators, 6 general indicators" in demo.stdout
    assert str(home / "outputs" / "data_docs") in demo.stdout
    assert str(home / "outputs" / "site" / "index.html") in demo.stdout
    assert sorted(p.name for p in (home / "outputs" / "site").glob("cycle-*.html")) == [
        f"cycle-{y}.html" for y in range(2021, 2025)
    ]
    # The terminal shows a bar per cycle and what to look at; the library lines go to the run log.
    for year in range(2021, 2025):
        assert re.search(rf"cycle {year} .* done", demo.stderr), demo.stderr
    for noise in ("Task run", "Flow run", "great_expectations", "Created temporary directory", "Traceback"):
        assert noise not in demo.stderr + demo.stdout, noise
    log = (home / "demo.log").read_text()
    assert "Beginning flow run" in log and "simulate-plan-period" in log and "Created temporary directory" not in demo.stderr
    assert f"PREFECT_HOME={home / 'prefect'}" in demo.stdout and "prefect server start" in demo.stdout
    # What the Prefect UI will show there: every flow run and every task run, recorded by the
    # temporary server; the flow runs carry the command's process tag, the task runs no tag
    # (a tagged task run costs a request for tag concurrency slots).
    with sqlite3.connect(home / "prefect" / "prefect.db") as runs:
        flow_runs = runs.execute("SELECT state_type, tags FROM flow_run").fetchall()
        task_runs = runs.execute("SELECT task_key, state_type, tags FROM task_run").fetchall()
    assert len(flow_runs) == 4 and {state for state, _ in flow_runs} == {"COMPLETED"}  # the period and three reviews
    assert all(any(tag.startswith("smewg-process:") for tag in json.loads(tags)) for _, tags in flow_runs)
    assert len(task_runs) > 100 and {state for _, state, _ in task_runs} == {"COMPLETED"}
    assert {tags for _, _, tags in task_runs} == {"[]"}
    assert any(key.startswith("collect_arrivals_task") for key, _, _ in task_runs)

    env = {**env, "SMEWG_HOME": str(home)}  # as the demo prints its commands: the folder's smewg.env does the rest
    env.pop("SMEWG_SCHEDULE_DIR", None)
    status = json.loads(_smewg("status", "--year", "2024", "--as-of", "2024-12-31", "--json", env=env))
    assert status["calendar_file"] == str((home / "schedule" / "cycle-2024.yaml").resolve())
    outbox = json.loads(_smewg("outbox", "--json", env=env))
    assert {r["status"] for r in outbox} == {"pending"}  # no Slack token: everything waits in the outbox
    zone = ZoneInfo("Asia/Singapore")
    for year in range(2021, 2025):
        assert len(list((home / "outputs" / "templates" / str(year)).glob("*.xlsx"))) == 21
        versions = json.loads(_smewg("submissions", "--year", str(year), "--json", env=env))
        assert versions and all(v["data_docs"] and os.path.exists(v["data_docs"]) for v in versions if v["status"] != "rejected")
        first_arrival = {}
        for v in versions:
            if v["status"] == "rejected":
                continue  # a rejected file does not stop the reminders
            arrived = datetime.fromisoformat(v["received_at"]).astimezone(zone).date()
            first_arrival[v["economy"]] = min(arrived, first_arrival.get(v["economy"], arrived))

        steps = defaultdict(list)
        for row in outbox:
            if row["year"] == year and row["kind"] in ("reminder", "escalation"):
                steps[row["economy"]].append(row["dedupe_key"].split(":")[4])
        calendar = load_calendar(home / "schedule" / f"cycle-{year}.yaml")
        silent = [code for code in steps if code not in first_arrival]
        assert len(silent) == 2  # the generator's two economies that never submit
        for code in silent:
            assert steps[code] == STEPS
        for code, arrived in first_arrival.items():
            dates = {s.name: s.date for s in calendar.steps_for(code)}
            # Every step due before the data arrived was sent, none after.
            assert steps.get(code, []) == [name for name in STEPS if dates[name] < arrived]
        acknowledgements = [r for r in outbox if r["year"] == year and r["kind"] == "acknowledgement"]
        assert len(acknowledgements) == len(versions)
        exports = list((home / "outputs" / "exports" / str(year)).glob("*.sdmx.csv"))
        assert len(exports) == 1
        sdmx = pd.read_csv(exports[0])
        assert set(sdmx["TIME_PERIOD"]) == {year} and (sdmx["REF_AREA"] == "APEC").any()
    # The rollup ran on its date in every cycle, so it was never reported overdue.
    assert not [r for r in outbox if r["dedupe_key"].endswith(":rollup")]
    # The reviews were assembled on their dates, so neither was reported overdue.
    assert not [r for r in outbox if ":review-" in r["dedupe_key"] and r["kind"] == "missed_deadline"]
    assert not [r for r in outbox if r["dedupe_key"].startswith("cycle_step_overdue") and "review" in r["dedupe_key"]]
    reviews = sorted(r["dedupe_key"] for r in outbox if r["kind"] == "review")
    assert reviews == [
        "review:smewg-2021-2024:final:v1",
        "review:smewg-2021-2024:midterm:v1",
        "review:smewg-2021-2024:midterm:v2",
    ]
    for kind, version in (("midterm", 1), ("midterm", 2), ("final", 1)):
        folder = home / "outputs" / "reviews" / kind / f"v{version}"
        for suffix in ("html", "pdf", "xlsx"):
            assert (folder / f"smewg-{kind}-review-v{version}.{suffix}").stat().st_size > 10_000
        assert str(folder / f"smewg-{kind}-review-v{version}.html") in demo.stdout
    v2 = (home / "outputs" / "reviews" / "midterm" / "v2" / "smewg-midterm-review-v2.html").read_text()
    assert "Appendix: what changed since version 1" in v2
    corrected = re.search(
        r"midterm review v2 \(as of [0-9-]+\) after (\w+) corrected 1\.1\.1: (\d+) figures changed", demo.stdout
    )
    assert corrected and int(corrected.group(2)) >= 2, demo.stdout[-2000:]
