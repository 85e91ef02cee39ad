"""``smewg demo``: the plan period simulated on the embedded default, end to end.

It grows with each capability. Today: a fresh store under ``$SMEWG_HOME/demo``,
prepared by the ``prepare-store`` flow on a real (temporary) Prefect server, and the
plan shown. It never needs the network and gives the same result every time.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

from smewg.cli.output import console, err_console
from smewg.cli.plan import counts_line, plan_document, render_tree
from smewg.settings import get_settings


def demo(
    home: Annotated[Path | None, typer.Option(help="Where the demo's state goes (default $SMEWG_HOME/demo). Replaced on each run.")] = None,
) -> None:
    """Run the whole demo on the embedded default and print where every output is."""
    settings = get_settings()
    demo_home = (home or settings.home / "demo").resolve()
    if demo_home.exists():
        shutil.rmtree(demo_home)
    demo_home.mkdir(parents=True)
    # Everything the demo writes stays under demo_home, including the Prefect state.
    os.environ["SMEWG_HOME"] = str(demo_home)
    os.environ.pop("SMEWG_DATABASE_URL", None)
    os.environ.setdefault("PREFECT_HOME", str(demo_home / "prefect"))
    demo_settings = get_settings()

    err_console.print("[bold]1/1[/] preparing the store with the prepare-store flow "
                      "(Prefect starts a temporary local server: ~15 s)...")
    from flows.prepare_store import prepare_store

    result = prepare_store()
    catalogue = result["catalogue"]
    added = sum(catalogue["inserted"].values())

    from smewg.catalogue import load_catalogue

    plan = load_catalogue(demo_settings.plan_file, demo_settings.economies_file).plan
    document = plan_document(plan)
    console.print(render_tree(document))
    console.print(counts_line(document), style="dim")
    console.print()
    console.print("[bold]Outputs[/]")
    console.print(f"  store (SQLite):  {demo_settings.resolved_database_url}  ({added} catalogue rows loaded, schema {result['migration']['to']})", highlight=False)
    console.print(f"  inbox:           {demo_settings.resolved_inbox}", highlight=False)
    console.print(f"  Prefect state:   {os.environ['PREFECT_HOME']}", highlight=False)
