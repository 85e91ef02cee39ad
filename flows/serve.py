"""Every deployment of ``prefect.yaml``, served from one process (``smewg serve``).

For a single-machine install: no work pool or worker, the schedules of ``prefect.yaml``
(read from the file, so there is one list of deployments). Stopping the process pauses
its deployments' schedules (Prefect's ``serve`` does that on a clean stop): nothing runs,
and no Late-run alert fires, while it is down. Production runs ``prefect.yaml`` on a work
pool with a supervised worker instead (README).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig
from prefect.client.schemas.schedules import CronSchedule
from prefect.flows import load_flow_from_entrypoint

from smewg.core.paths import PROJECT_DIR


def served_deployments(prefect_yaml: Path = PROJECT_DIR / "prefect.yaml") -> list[Any]:
    """The deployments of ``prefect_yaml`` as runner deployments of this process."""
    document = yaml.safe_load(prefect_yaml.read_text(encoding="utf-8"))
    deployments = []
    for spec in document["deployments"]:
        path, _, function = spec["entrypoint"].partition(":")
        flow: Any = load_flow_from_entrypoint(f"{PROJECT_DIR / path}:{function}")
        schedules = [
            CronSchedule(cron=s["cron"], timezone=s["timezone"]) for s in spec.get("schedules") or [] if s.get("active", True)
        ]
        limit = spec.get("concurrency_limit")
        deployments.append(
            flow.to_deployment(
                name=spec["name"],
                description=spec.get("description"),
                tags=spec.get("tags"),
                parameters=spec.get("parameters") or {},
                schedules=schedules,
                concurrency_limit=ConcurrencyLimitConfig(**limit) if isinstance(limit, dict) else limit,
            )
        )
    return deployments


def serve_all() -> None:
    """Blocks: runs every scheduled deployment in this process until stopped."""
    serve(*served_deployments())
