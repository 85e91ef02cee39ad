"""Flow ``prepare-store``: migrate the store and load the plan catalogue into it."""

from __future__ import annotations

from datetime import date

from prefect import flow
from prefect.artifacts import create_markdown_artifact

from smewg.flows.hooks import RUN_HOOKS
from smewg.tasks.store import load_catalogue_task, migrate_store_task


def _summary(migration: dict, catalogue: dict) -> str:
    rows = (
        "\n".join(
            f"| {table} | {catalogue['inserted'].get(table, 0)} | {catalogue['updated'].get(table, 0)} |"
            for table in sorted(set(catalogue["inserted"]) | set(catalogue["updated"]))
        )
        or "| (no changes) | 0 | 0 |"
    )
    return (
        f"## Store prepared\n\nSchema revision: `{migration['from']}` -> `{migration['to']}`\n\n"
        f"| table | inserted | updated |\n|---|---|---|\n{rows}\n"
    )


@flow(
    name="prepare-store",
    timeout_seconds=30 * 60,
    description="Create or upgrade the store and load the plan catalogue and economies.",
    **RUN_HOOKS,
)
def prepare_store(as_of: date | None = None) -> dict:
    """Idempotent: a second run changes nothing. ``as_of`` is accepted for a uniform
    interface with the cycle's other flows; loading the catalogue does not depend on it."""
    migration = migrate_store_task()
    catalogue = load_catalogue_task()
    create_markdown_artifact(
        key="prepare-store", markdown=_summary(migration, catalogue), description="Schema migration and catalogue load"
    )
    return {"migration": migration, "catalogue": catalogue}
