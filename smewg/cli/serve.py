"""``smewg serve``: every deployment of prefect.yaml served from this one process."""

from __future__ import annotations

from smewg.cli.output import err_console


def serve() -> None:
    """Serve every deployment (the daily cycle, hourly collection, on-demand flows) from this process.

    Needs a Prefect server (PREFECT_API_URL); stopping this process pauses the schedules.
    """
    import os

    from smewg.cli.output import fail

    if not os.environ.get("PREFECT_API_URL"):
        fail(
            "smewg serve needs a running Prefect server: start `prefect server start` and set PREFECT_API_URL "
            "(a temporary server would vanish with this process)"
        )
    from smewg.flows.serve import serve_all

    err_console.print("Serving every deployment of prefect.yaml; stopping this process pauses their schedules.")
    serve_all()
