"""``smewg init``: create or upgrade the store and load the plan and economies."""

from __future__ import annotations

from smewg.cli.options import JsonOption
from smewg.cli.output import console, emit_json
from smewg.core.settings import get_settings
from smewg.core.store.db import display_url


def init(
    json_output: JsonOption = False,
) -> None:
    """Create or upgrade the database and load the plan and economies (safe to rerun)."""
    from smewg.work.catalogue_sync import load_catalogue_into_store
    from smewg.work.store_migration import migrate_store

    settings = get_settings()
    migration = migrate_store(settings)
    report = load_catalogue_into_store(settings)
    document = {
        "database": display_url(settings.resolved_database_url),
        "plan_file": str(settings.plan_file),
        "revision": migration["to"],
        "migrated_from": migration["from"],
        "catalogue": report.as_dict(),
    }
    if json_output:
        emit_json(document)
        return
    console.print(f"Store: {document['database']} (schema {migration['to']})", highlight=False)
    if migration["from"] != migration["to"]:
        console.print(f"  migrated from {migration['from'] or 'an empty database'}")
    if report.changed:
        for table in sorted(set(report.inserted) | set(report.updated)):
            console.print(f"  {table}: {report.inserted.get(table, 0)} added, {report.updated.get(table, 0)} updated")
    else:
        console.print("  catalogue already up to date: nothing changed")
    for item in report.not_in_file:
        console.print(f"  [yellow]kept[/] {item}: in the store but no longer in {settings.plan_file}")
