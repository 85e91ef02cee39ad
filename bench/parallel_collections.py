"""Collections of 21 economies in parallel threads, as the collect flow runs them (one task
per economy), repeated: counts the runs that failed. Target (issue 13): 0 failures in 50.

    .venv/bin/python bench/parallel_collections.py [--runs 50]

Each run: a fresh SQLite store, one simulated file per economy, every economy collected at
once in its own thread (its own files, the cycle context shared as in the flow). A run
fails when any economy raised, or when the store does not hold one accepted version per
economy afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def one_run(home: Path) -> str | None:
    """None when the run was clean, else what went wrong."""
    from smewg.core.catalogue import load_catalogue
    from smewg.core.cycle import open_cycle
    from smewg.core.settings import get_settings
    from smewg.work.catalogue_sync import load_catalogue_into_store
    from smewg.work.collect import collect_economy, inbox_for
    from smewg.work.cycles import ensure_cycle
    from smewg.work.demo_calendar import write_demo_calendars
    from smewg.work.simulate_submissions import simulate_submissions
    from smewg.work.store_migration import migrate_store

    os.environ["SMEWG_HOME"] = str(home)
    os.environ["SMEWG_SCHEDULE_DIR"] = str(home / "schedule")
    settings = get_settings()
    migrate_store(settings)
    load_catalogue_into_store(settings)
    write_demo_calendars(settings.schedule_dir, load_catalogue(settings.plan_file, settings.economies_file).plan)
    with open_cycle(settings, 2022) as context:
        simulate_submissions(settings.resolved_inbox, context.catalogue, context.calendar)
        from smewg.core.clock import now_utc

        ensure_cycle(context, now=now_utc())
        files, _ = inbox_for(context, date(2022, 12, 31))
        with ThreadPoolExecutor(max_workers=len(files)) as pool:
            futures = {code: pool.submit(collect_economy, context, files[code]) for code in files}
        errors = []
        for code, future in futures.items():
            try:
                future.result()
            except Exception:
                errors.append(f"{code}: {traceback.format_exc(limit=3)}")
        if errors:
            return "; ".join(errors)
        from smewg.core.store import session_scope
        from smewg.work.submissions import list_submissions

        with session_scope(context.engine) as session:
            accepted = {r["economy"] for r in list_submissions(session, context.plan_id, 2022) if r["status"] == "accepted"}
        if accepted != set(files):
            return f"accepted versions for {len(accepted)} of {len(files)} economies"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    failures, started = [], time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="smewg-bench-parallel-"))
    try:
        for run in range(args.runs):
            home = folder / f"run{run}"
            problem = one_run(home)
            shutil.rmtree(home, ignore_errors=True)
            if problem:
                failures.append(problem)
                print(f"run {run + 1}: FAILED {problem[:300]}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{args.runs} parallel collections of 21 economies: {len(failures)} failed ({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
