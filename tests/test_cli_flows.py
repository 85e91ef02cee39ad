"""Every command that starts a flow, run through the CLI as an officer would, on a real
Prefect API: each run is tracked (Completed, with its artifacts) and the command prints
what the run did."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowFilter, FlowFilterName
from typer.testing import CliRunner

from smewg.cli import app
from smewg.core.settings import get_settings
from tests import collection_helpers as h

pytestmark = pytest.mark.prefect


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _completed_runs(flow_name: str, since: datetime) -> list:
    """The flow's completed runs that started after ``since`` (the session's server also
    holds other tests' runs)."""
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])))
    return [r for r in runs if r.state and r.state.is_completed() and r.start_time and r.start_time >= since]


def _artifacts(key: str) -> str:
    """Every version of an artifact, joined (each run writes a new one under the key)."""
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    assert found, f"no artifact {key}"
    return "\n".join(str(a.data) for a in found)


def test_templates_simulate_collect_rollup_export_and_remind_through_the_cli(prefect_api, smewg_home, monkeypatch, tmp_path):
    started = datetime.now(UTC)
    h.prepare(smewg_home, monkeypatch)
    settings = get_settings()

    templates = json.loads(_run("templates", "--year", "2022", "--economy", "Viet Nam", "--economy", "rok", "--json"))
    assert [t["economy"] for t in templates] == ["KOR", "VNM"]
    assert all(Path(t["xlsx"]).is_file() and Path(t["csv"]).is_file() for t in templates)
    assert len(_completed_runs("issue-templates", started)) == 1

    simulated = json.loads(_run("simulate", "--year", "2022", "--json"))
    assert simulated and all(Path(f["file"]).is_file() for f in simulated)

    # Before the first file arrives nothing is collected; by the year's end every file is.
    assert json.loads(_run("collect", "--year", "2022", "--as-of", "2022-03-01", "--json"))["outcomes"] == []
    collected = json.loads(_run("collect", "--year", "2022", "--as-of", "2022-12-31", "--json"))
    assert len(collected["outcomes"]) == len(simulated)
    versions = json.loads(_run("submissions", "--year", "2022", "--json"))
    assert sorted((v["economy"], v["version"]) for v in versions) == sorted(
        (o["economy"], o["version"]) for o in collected["outcomes"]
    )
    assert len(_completed_runs("collect-submissions", started)) == 2
    assert "## Collection 2022, as of 2022-12-31" in _artifacts("collection-2022")

    rolled_up = json.loads(_run("rollup", "--year", "2022", "--as-of", "2022-12-31", "--json"))
    assert rolled_up["created"] is True and set(rolled_up["files"]) == {"sdmx-csv", "csv", "xlsx"}
    assert len(_completed_runs("rollup-kpis", started)) == 1
    assert "KPI rollup 2022" in _artifacts("kpi-rollup-summary-2022")
    again = json.loads(_run("rollup", "--year", "2022", "--as-of", "2022-12-31", "--json"))
    assert (again["created"], again["snapshot_id"]) == (False, rolled_up["snapshot_id"])

    out = tmp_path / "kpi.sdmx.csv"
    printed = _run("export", "--year", "2022", "--format", "sdmx-csv", "--out", str(out))
    assert str(out) in printed and f"snapshot {rolled_up['snapshot_id']}" in printed
    assert out.read_bytes() == Path(rolled_up["files"]["sdmx-csv"]).read_bytes()
    sdmx = pd.read_csv(out)
    accepted = {v["economy"] for v in versions if v["status"] == "accepted"}
    assert set(sdmx.loc[sdmx["STATISTIC"] == "VALUE", "REF_AREA"]) == accepted

    reminded = json.loads(_run("remind", "--year", "2022", "--as-of", "2022-05-01", "--json"))
    assert reminded["queued"], "economies without data on 1 May get their T-30 reminder"
    outbox = json.loads(_run("outbox", "--kind", "reminder", "--json"))
    assert sorted(r["economy"] for r in outbox) == sorted(q["economy"] for q in reminded["queued"])
    assert {r["status"] for r in outbox} == {"pending"}  # no Slack token: they wait in the outbox
    assert reminded["delivery"]["waiting"] >= len(outbox)
    assert len(_completed_runs("send-reminders", started)) == 1
    assert settings.resolved_inbox.is_dir()
