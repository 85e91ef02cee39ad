"""Final review: a cold build for the plan period, and the rebuild after one economy's correction.

Prints the median of ``--runs`` of each and their ratio (target: rebuild <= 0.25 x cold;
cold <= 10 s on these 2-core machines). The data set (four simulated cycles, collected)
is made once, untimed; each run works on a fresh copy of it, always at the same path, after an
untimed build and rebuild there (since session 9: before, each run's store had a new path,
so every statement was compiled inside the timed builds, the rerun's own ones inside the
rebuild).

    .venv/bin/python bench/review_rebuild.py [--runs 3]

Cold build: the four cycles rolled up (every snapshot new) and the review built (charts
drawn, HTML, PDF, XLSX). Rebuild: one economy resends its 2022 file with one figure
corrected; it is collected (untimed), then the review is rebuilt with ``--rerun``: the
cycles rolled up again (untouched ones reuse their snapshot) and version 2 written with
only the moved charts redrawn.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

AS_OF = date(2024, 12, 31)


def _use(home: Path) -> None:
    os.environ["SMEWG_HOME"] = str(home)
    os.environ["SMEWG_SCHEDULE_DIR"] = str(home / "schedule")
    os.environ.pop("SMEWG_DATABASE_URL", None)


def make_dataset(home: Path) -> None:
    from smewg.core.catalogue import load_catalogue
    from smewg.core.cycle import open_cycle
    from smewg.core.settings import get_settings
    from smewg.work.catalogue_sync import load_catalogue_into_store
    from smewg.work.collect import collect_all
    from smewg.work.demo_calendar import write_demo_calendars
    from smewg.work.simulate_submissions import simulate_submissions
    from smewg.work.store_migration import migrate_store

    _use(home)
    settings = get_settings()
    migrate_store(settings)
    load_catalogue_into_store(settings)
    write_demo_calendars(settings.schedule_dir, load_catalogue(settings.plan_file, settings.economies_file).plan)
    for year in (2021, 2022, 2023, 2024):
        with open_cycle(settings, year) as context:
            simulate_submissions(settings.resolved_inbox, context.catalogue, context.calendar)
            collect_all(context, date(year, 12, 31))


def build(as_of: date, *, refresh: bool) -> tuple[float, int, int, float]:
    """(seconds, version, figures changed) of one final-review build, and the seconds of its
    2022 rollup (the cycle the correction touches)."""
    from smewg.core.cycle import open_cycle
    from smewg.core.settings import get_settings
    from smewg.work.reviews import build_review, review_snapshot

    settings = get_settings()
    start = time.perf_counter()
    snapshots, rolled = {}, {}
    for year in (2021, 2022, 2023, 2024):
        with open_cycle(settings, year) as context:
            began = time.perf_counter()
            snapshots[year] = review_snapshot(context, as_of, refresh=refresh, now=datetime.now(UTC))
            rolled[year] = time.perf_counter() - began
    with open_cycle(settings, 2024) as context:
        result = build_review(context, "final", as_of, snapshots, now=datetime.now(UTC))
    return time.perf_counter() - start, result.version, len(result.changed), rolled[2022]


def correct_one_figure() -> str:
    from smewg.core.cycle import open_cycle
    from smewg.core.settings import get_settings
    from smewg.work.collect import collect_all
    from smewg.work.simulate_submissions import simulate_a_correction

    with open_cycle(get_settings(), 2022) as context:
        correction = simulate_a_correction(context, datetime(2023, 1, 10, 2, tzinfo=UTC))
        assert correction is not None
        collect_all(context, date(2023, 1, 15))
    return correction["economy"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory(prefix="smewg-bench-review-") as folder:
        dataset = Path(folder) / "dataset"
        started = time.perf_counter()
        make_dataset(dataset)
        print(f"data set: four simulated cycles collected in {time.perf_counter() - started:.1f} s (untimed below)")
        colds, rebuilds, cold_rollups, rerun_rollups = [], [], [], []
        home = Path(folder) / "run"
        shutil.copytree(dataset, home)
        _use(home)
        # Untimed: the process's engine for this store compiles the statements of a cold build
        # and of a rebuild (a worker's engine has them from its earlier runs).
        build(AS_OF, refresh=True)
        correct_one_figure()
        build(AS_OF, refresh=True)
        for run in range(args.runs):
            # A fresh copy of the store at the same path.
            shutil.rmtree(home)
            shutil.copytree(dataset, home)
            cold, version, _, cold_rollup = build(AS_OF, refresh=True)
            assert version == 1
            economy = correct_one_figure()
            rebuild, version, changed, rerun_rollup = build(AS_OF, refresh=True)
            assert version == 2 and changed > 0
            colds.append(cold)
            rebuilds.append(rebuild)
            cold_rollups.append(cold_rollup)
            rerun_rollups.append(rerun_rollup)
            print(
                f"run {run + 1}: cold {cold:.2f} s, rebuild after {economy}'s correction {rebuild:.2f} s "
                f"({changed} figures changed)"
            )
        cold, rebuild = statistics.median(colds), statistics.median(rebuilds)
        print(f"median cold build of the final review: {cold:.2f} s (target <= 10 s)")
        print(f"median rebuild after one correction: {rebuild:.2f} s; ratio {rebuild / cold:.2f} (target <= 0.25)")
        cold_rollup, rerun_rollup = statistics.median(cold_rollups), statistics.median(rerun_rollups)
        print(
            f"the 2022 rollup: cold {cold_rollup:.3f} s, rerun after the correction {rerun_rollup:.3f} s; "
            f"ratio {rerun_rollup / cold_rollup:.2f} (target <= 0.25)"
        )


if __name__ == "__main__":
    main()
