"""`smewg demo`, the main job, end to end in a subprocess exactly as `make demo` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter

import pytest

pytestmark = pytest.mark.prefect


def test_demo_simulates_every_cycle_into_the_outbox_and_says_where_things_are(smewg_home):
    env = {**os.environ, "SMEWG_HOME": str(smewg_home)}
    env.pop("PREFECT_API_URL", None)  # the demo starts its own temporary server
    demo = subprocess.run([sys.executable, "-m", "smewg", "demo"], capture_output=True, text=True, env=env, timeout=600)
    assert demo.returncode == 0, demo.stderr[-3000:]
    demo_home = smewg_home / "demo"
    assert f"sqlite:///{demo_home}/smewg.db" in demo.stdout
    assert "5 priority areas, 14 objectives, 45 indicators, 6 general indicators" in demo.stdout
    for year in range(2021, 2025):
        assert (demo_home / "schedule" / f"cycle-{year}.yaml").exists()

    outbox = subprocess.run([sys.executable, "-m", "smewg", "outbox", "--json"], capture_output=True, text=True,
                            env={**env, "SMEWG_HOME": str(demo_home)}, check=True)
    rows = json.loads(outbox.stdout)
    per_year_kind = Counter((r["year"], r["kind"]) for r in rows)
    for year in range(2021, 2025):
        # Nobody submits yet: 21 economies x 4 reminder steps and x 3 escalation steps.
        assert per_year_kind[(year, "reminder")] == 84
        assert per_year_kind[(year, "escalation")] == 63
    assert {r["status"] for r in rows} == {"pending"}  # no Slack token: everything waits in the outbox
    midterm = [r for r in rows if r["dedupe_key"].endswith(":review-midterm")]
    assert len(midterm) == 1 and midterm[0]["year"] == 2022
