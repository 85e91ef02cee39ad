"""Flows on a real Prefect server (`prefect server start`), and prefect.yaml deployed to it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from smewg.core.store import head_revision
from smewg.flows.prepare_store import prepare_store

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.prefect


def test_prepare_store_runs_tracked_and_is_idempotent(prefect_api, smewg_home):
    first = prepare_store(return_state=True)
    assert first.is_completed()
    result = first.result()
    assert result["migration"] == {"from": None, "to": head_revision()}
    assert result["catalogue"]["inserted"]["indicators"] == 51

    second = prepare_store(return_state=True)
    assert second.result()["catalogue"]["changed"] is False
    assert second.result()["migration"] == {"from": head_revision(), "to": head_revision()}
    flow_run_ids = [first.state_details.flow_run_id, second.state_details.flow_run_id]

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(first.state_details.flow_run_id)
        assert flow_run.state.is_completed()
        task_runs = client.read_task_runs()
        names = {t.name.rsplit("-", 1)[0] for t in task_runs if t.flow_run_id == flow_run.id}
        assert names == {"migrate-store", "load-catalogue"}
        by_run = {
            a.flow_run_id: a.data
            for a in client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["prepare-store"])))
        }
        assert "| indicators | 51 | 0 |" in by_run[first.state_details.flow_run_id]
        assert "(no changes)" in by_run[flow_run_ids[1]]


def test_prefect_yaml_is_valid_and_every_entrypoint_exists():
    model = PrefectYamlModel.model_validate(yaml.safe_load((REPO / "prefect.yaml").read_text()))
    assert model.deployments
    for deployment in model.deployments:
        assert deployment.description, f"{deployment.name} has no description"
        module, _, function = deployment.entrypoint.partition(":")
        assert (REPO / module).exists(), deployment.entrypoint
        for schedule in deployment.schedules or []:
            assert getattr(schedule, "timezone", None), f"{deployment.name}: schedule without timezone"


def _prefect_cli(*args: str, api_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_API_URL": api_url}
    return subprocess.run(
        [sys.executable, "-m", "prefect", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
    )


def test_every_deployment_deploys_to_a_real_server(prefect_api):
    api_url = prefect_api
    pool = _prefect_cli("work-pool", "create", "smewg-process", "--type", "process", "--overwrite", api_url=api_url)
    assert pool.returncode == 0, pool.stdout + pool.stderr
    deploy = _prefect_cli("deploy", "--all", "--no-prompt", api_url=api_url)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr

    names = [d.name for d in PrefectYamlModel.model_validate(yaml.safe_load((REPO / "prefect.yaml").read_text())).deployments]
    with get_client(sync_client=True) as client:
        deployed = {d.name: d for d in client.read_deployments()}
    for name in names:
        assert name in deployed, f"{name} not deployed: {deploy.stdout}"
        assert deployed[name].work_pool_name == "smewg-process"
        assert deployed[name].description
    daily = deployed["annual-cycle-daily"]
    assert [s.schedule.cron for s in daily.schedules] == ["0 9 * * *"]
    assert [s.schedule.timezone for s in daily.schedules] == ["Asia/Singapore"]
    for name in ("annual-cycle-daily", "collect-submissions-hourly"):  # never two at once, late runs not piled up
        assert deployed[name].global_concurrency_limit.limit == 1, name
        assert deployed[name].concurrency_options.collision_strategy == "CANCEL_NEW", name
    scheduled = {name for name, d in deployed.items() if d.schedules}
    assert scheduled == {"annual-cycle-daily", "collect-submissions-hourly"}  # one daily flow replaces the others
    for name, event in (("rollup-kpis", "smewg.cycle.corrected"), ("assemble-review", "smewg.review.stale")):
        with get_client(sync_client=True) as client:
            automations = client.read_resource_related_automations(f"prefect.deployment.{deployed[name].id}")
        assert [sorted(a.trigger.expect) for a in automations] == [[event]], name  # reruns on corrected data


def test_smewg_serve_serves_exactly_the_deployments_of_prefect_yaml():
    from smewg.flows.serve import served_deployments

    model = PrefectYamlModel.model_validate(yaml.safe_load((REPO / "prefect.yaml").read_text()))
    served = {d.name: d for d in served_deployments()}
    assert set(served) == {d.name for d in model.deployments}
    for spec in model.deployments:
        crons = [(s.schedule.cron, s.schedule.timezone) for s in served[spec.name].schedules]
        assert crons == [(s.cron, s.timezone) for s in spec.schedules or []], spec.name
    assert served["annual-cycle-daily"].concurrency_limit == 1
    assert served["annual-cycle-daily"].concurrency_options.collision_strategy == "CANCEL_NEW"


def test_every_scheduled_flow_times_out_before_its_next_run_is_due():
    """With one run at a time and CANCEL_NEW, a hung run would cancel every later one: each
    scheduled flow must time out (TimedOut is alerted) before its schedule's next run."""
    from datetime import datetime, timedelta

    from cronsim import CronSim  # what Prefect's server uses for cron schedules
    from prefect.flows import load_flow_from_entrypoint

    model = PrefectYamlModel.model_validate(yaml.safe_load((REPO / "prefect.yaml").read_text()))
    for deployment in model.deployments:
        path, _, function = deployment.entrypoint.partition(":")
        flow = load_flow_from_entrypoint(f"{REPO / path}:{function}")
        assert flow.timeout_seconds, f"{deployment.name}: {flow.name} has no timeout"
        for schedule in deployment.schedules or []:
            runs = CronSim(schedule.cron, datetime(2026, 1, 1))
            times = [next(runs) for _ in range(500)]
            shortest = min(later - earlier for earlier, later in zip(times, times[1:]))
            assert timedelta(seconds=flow.timeout_seconds) < shortest, f"{deployment.name}: timeout >= {shortest}"
