"""``make demo``'s wall time, and the same work as plain function calls (no Prefect).

Prints the median of ``--runs`` of each, the temporary Prefect server's start-up (read from
the demo's own log), and the ratio demo / (plain + server start). Targets on these 2-core
machines (issue 10): ``smewg demo`` <= 30 s after install; orchestration <= 1.3x the bare
computation plus the server start.

    .venv/bin/python bench/demo_wall_time.py [--runs 3]

"Plain" is what the ``simulate-plan-period`` flow does, step for step, calling the work
functions of ``smewg.work`` directly in one process: the store, the demo calendars, each
cycle's templates, simulated submissions, the cycle played day by day (collection,
reminders, escalations, rollup and export), the reviews on their days, the correction and
the mid-term rebuilt. Both write the same outputs; the script checks they agree.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def plain_plan_period(home: Path) -> dict:
    """The demo's work without orchestration: returns the review versions built."""
    os.environ["SMEWG_HOME"] = str(home)
    os.environ["SMEWG_SCHEDULE_DIR"] = str(home / "schedule")
    os.environ.pop("SMEWG_DATABASE_URL", None)
    from smewg.core.catalogue import load_catalogue
    from smewg.core.clock import now_utc
    from smewg.core.cycle import open_cycle
    from smewg.core.settings import get_settings
    from smewg.work.catalogue_sync import load_catalogue_into_store
    from smewg.work.collect import collect_all
    from smewg.work.cycles import ensure_cycle
    from smewg.work.deadlines import queue_deadline_alerts
    from smewg.work.demo_calendar import write_demo_calendars
    from smewg.work.export import export_snapshot
    from smewg.work.reminders import queue_reminders
    from smewg.work.review_data import covered_years
    from smewg.work.reviews import build_review, review_snapshot
    from smewg.work.rollup import rollup
    from smewg.work.simulate_submissions import simulate_a_correction, simulate_submissions, simulation_days
    from smewg.work.slack import deliver_outbox
    from smewg.work.store_migration import migrate_store
    from smewg.work.templates import write_templates

    settings = get_settings()
    plan = load_catalogue(settings.plan_file, settings.economies_file).plan
    migrate_store(settings)
    load_catalogue_into_store(settings)
    years = [int(p.stem.rsplit("-", 1)[1]) for p in write_demo_calendars(settings.schedule_dir, plan)]
    built: list[tuple[str, int]] = []

    def assemble(kind: str, as_of: date, refresh: bool) -> None:
        covered = covered_years(plan, kind)
        snapshots = {}
        for year in covered:
            with open_cycle(settings, year) as context:
                snapshots[year] = review_snapshot(context, as_of, refresh=refresh, now=now_utc())
        with open_cycle(settings, covered[-1]) as context:
            result = build_review(context, kind, as_of, snapshots, now=now_utc())
            deliver_outbox(context.engine, None)
        built.append((kind, result.version))

    for year in years:
        with open_cycle(settings, year) as context:
            write_templates(settings, context.catalogue, year)
            simulate_submissions(settings.resolved_inbox, context.catalogue, context.calendar)
            ensure_cycle(context, now=now_utc())
            days = simulation_days(context)
            for day in days.all:
                if day in days.collections:
                    collect_all(context, day)
                if day == days.rollup:
                    export_snapshot(context, rollup(context, day, now=now_utc()).snapshot_id)
                if day in days.reviews:
                    assemble(days.reviews[day], day, False)
                if day in days.actions:
                    queue_reminders(context, day, now=now_utc())
                    queue_deadline_alerts(context, day, now=now_utc())
            deliver_outbox(context.engine, None)
            for day, kind in days.reviews.items():
                if kind == "midterm":  # two weeks after the review, one economy corrects a figure
                    arrival = day + timedelta(days=14)
                    received = datetime.combine(arrival, clock_time(10), tzinfo=ZoneInfo(context.calendar.timezone))
                    simulate_a_correction(context, received)
                    collect_all(context, arrival)
                    assemble("midterm", arrival + timedelta(days=1), True)
    return {"reviews": built}


def run_demo(home: Path) -> tuple[float, float | None, str]:
    """Wall time of ``smewg demo`` in a new process, and the temporary server's start-up."""
    env = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "SMEWG_HOME": str(home)}
    for name in ("PREFECT_API_URL", "SMEWG_DATABASE_URL", "SMEWG_SCHEDULE_DIR", "PREFECT_HOME"):
        env.pop(name, None)
    started = time.perf_counter()
    done = subprocess.run([str(ROOT / ".venv/bin/smewg"), "demo"], env=env, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - started
    log = (home / "demo" / "demo.log").read_text() if (home / "demo" / "demo.log").exists() else done.stderr
    return wall, server_start_seconds(log), done.stdout


def server_start_seconds(log: str) -> float | None:
    """Seconds from "Starting temporary server" to "Temporary server ready": the server's own
    start (the demo imports its flows meanwhile, so part of it is hidden in the wall time)."""
    stamps = re.findall(r"^(\d\d:\d\d:\d\d\.\d+) .*?(Starting temporary server|Temporary server ready)", log, re.M)
    starts = [s for s, what in stamps if what.startswith("Starting")]
    firsts = [s for s, what in stamps if what.startswith("Temporary")]
    if not starts or not firsts:
        return None

    def seconds(stamp: str) -> float:
        h, m, s = stamp.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)

    return seconds(firsts[0]) - seconds(starts[0])


def run_plain(home: Path) -> float:
    """Wall time of the plain calls in a new process (imports included, as for the demo)."""
    env = {**os.environ, "SMEWG_HOME": str(home)}
    started = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--plain-only", str(home)], env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plain-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plain_only:
        plain_plan_period(args.plain_only)
        return
    demos, plains, starts = [], [], []
    for run in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="smewg-bench-demo-") as folder:
            wall, start, _ = run_demo(Path(folder))
            demos.append(wall)
            if start is not None:
                starts.append(start)
        with tempfile.TemporaryDirectory(prefix="smewg-bench-plain-") as folder:
            plains.append(run_plain(Path(folder)))
        print(f"run {run + 1}: demo {demos[-1]:.1f} s, plain {plains[-1]:.1f} s, server start {start or float('nan'):.1f} s")
    demo, plain = statistics.median(demos), statistics.median(plains)
    start = statistics.median(starts) if starts else 0.0
    print(f"smewg demo (after install), median of {args.runs}: {demo:.1f} s (target <= 30 s)")
    print(f"plain function calls, same work:       {plain:.1f} s")
    print(f"temporary Prefect server start:        {start:.1f} s")
    print(f"orchestration ratio demo / (plain + server start): {demo / (plain + start):.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
