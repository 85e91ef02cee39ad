"""Scale on PostgreSQL: the plan's 51 indicators reported by many units for 10 years,
collected, rolled up and reviewed (issue 13: 2,100 reporting units x 51 indicators x 10
years, about 1M rows).

    .venv/bin/python bench/scale_postgres.py                     # 10, 33 and 100 units per economy
    .venv/bin/python bench/scale_postgres.py --units 100 --admin-url postgresql+psycopg://postgres@127.0.0.1:5432/test

A reporting unit is one breakdown of an indicator in one economy (a region, say): the
plan's indicators each get ``total`` and U-1 unit breakdowns, so 21 economies x U units
report 51 x U rows a year each; U = 100 gives 2,100 units and 1,071,000 rows over 10
years. Each size runs in a fresh process on a fresh PostgreSQL database: the plan, the
calendars (2015-2024, the final review in 2024) and the files written to a temporary home
first (not timed), then timed: every year's files collected (parsed, checked by the GX
suite, stored), every year rolled up, and the final review built (HTML, PDF, XLSX) on the
ten snapshots. Prints each stage's wall time, rows/s of collection and end to end, and the
process's peak RSS; the figures should grow linearly with the rows.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DO_NOT_TRACK", "1")

YEARS = range(2015, 2025)


def _prepare(home: Path, units: int) -> int:
    """Plan, calendars, FX, store and every submission file under ``home``; the rows written."""
    import numpy as np
    import pandas as pd
    import yaml

    from smewg.core.calendar import dump_calendar, template_calendar
    from smewg.core.catalogue import load_catalogue
    from smewg.core.paths import DEFAULT_PLAN_FILE, FX_FILE
    from smewg.core.settings import get_settings
    from smewg.work.catalogue_sync import load_catalogue_into_store
    from smewg.work.store_migration import migrate_store

    plan = yaml.safe_load(DEFAULT_PLAN_FILE.read_text(encoding="utf-8"))
    plan["period"] = {"start": YEARS[0], "end": YEARS[-1]}
    plan["reviews"] = [
        {"kind": "midterm", "year": 2019, "title": "Mid-term review", "reported_by": "Chair", "audience": "SMEWG"},
        {"kind": "final", "year": YEARS[-1], "title": "Final review", "reported_by": "APEC Secretariat", "audience": "Ministers"},
    ]
    unit_names = ["total", *(f"u{n:03d}" for n in range(1, units))]
    for priority in plan["priorities"]:
        for objective in priority["objectives"]:
            for indicator in objective["indicators"]:
                indicator["breakdowns"] = unit_names
    for indicator in plan["general_indicators"]:
        indicator["breakdowns"] = unit_names
    (home / "plan.yaml").write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    fx = yaml.safe_load(FX_FILE.read_text(encoding="utf-8"))
    fx["rates"] = {year: fx["rates"][2021] for year in YEARS}
    (home / "fx.yaml").write_text(yaml.safe_dump(fx), encoding="utf-8")
    os.environ["SMEWG_PLAN_FILE"] = str(home / "plan.yaml")
    os.environ["SMEWG_FX_FILE"] = str(home / "fx.yaml")
    (home / "schedule").mkdir()
    os.environ["SMEWG_SCHEDULE_DIR"] = str(home / "schedule")
    settings = get_settings()
    catalogue = load_catalogue(settings.plan_file, settings.economies_file)
    for year in YEARS:
        (home / "schedule" / f"cycle-{year}.yaml").write_text(dump_calendar(template_calendar(year, catalogue.plan)))
    migrate_store(settings)
    load_catalogue_into_store(settings)

    indicators = list(catalogue.plan.all_indicators())
    rows = 0
    rng = np.random.default_rng(7)
    base = {i.id: rng.uniform(50, 500, units) for i in indicators}
    for year in YEARS:
        received = datetime(year, 5, 2, 2, tzinfo=UTC).timestamp()
        growth = 1.05 ** (year - YEARS[0])
        for economy in catalogue.participating():
            records = []
            for indicator in indicators:
                values = base[indicator.id] * growth
                if indicator.kind == "percent":
                    values = np.minimum(values / 10, 99.0).round(2)
                else:
                    values = values.round(0 if indicator.kind == "count" else 2)
                    values[0] = values.sum() * 2  # the total bounds its units
                unit = {"count": "count", "percent": "percent"}.get(indicator.kind, economy.currency)
                shown = [f"{v:.0f}" if indicator.kind == "count" else f"{v:.2f}" for v in values]
                records += [[economy.code, year, indicator.id, b, v, unit, ""] for b, v in zip(unit_names, shown)]
            path = settings.resolved_inbox / str(year) / economy.code / f"{economy.code}-{year}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(records, columns=["economy", "year", "indicator", "breakdown", "value", "unit", "note"]).to_csv(
                path, index=False
            )
            os.utime(path, (received, received))
            rows += len(records)
    return rows


def _peak_mb() -> float:
    """This process's peak resident memory so far (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_size(units: int, admin_url: str) -> dict:
    """One size, timed, in this process (called in a fresh process by :func:`main`)."""
    import resource

    from sqlalchemy import create_engine, make_url, text

    from smewg.core.clock import now_utc
    from smewg.core.cycle import load_cycle_context
    from smewg.core.settings import get_settings
    from smewg.work.collect import collect_all
    from smewg.work.review_data import covered_years
    from smewg.work.reviews import build_review, review_snapshot
    from smewg.work.rollup import rollup

    name = f"smewg_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with tempfile.TemporaryDirectory() as folder:
            home = Path(folder)
            os.environ["SMEWG_HOME"] = str(home)
            os.environ["SMEWG_DATABASE_URL"] = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
            rows = _prepare(home, units)
            settings = get_settings()
            times: dict[str, float] = {}
            start = time.perf_counter()
            stored = 0
            for year in YEARS:
                context = load_cycle_context(settings, year)
                outcomes = collect_all(context, context.calendar.rollup)
                stored += sum(o.rows_accepted for o in outcomes)
                context.close()
            times["collect"] = time.perf_counter() - start
            peaks = {"collect": _peak_mb()}
            mark = time.perf_counter()
            snapshots = {}
            for year in YEARS:
                context = load_cycle_context(settings, year)
                snapshots[year] = rollup(context, context.calendar.rollup, now=now_utc()).snapshot_id
                context.close()
            times["rollup"] = time.perf_counter() - mark
            peaks["rollup"] = _peak_mb()
            mark = time.perf_counter()
            context = load_cycle_context(settings, YEARS[-1])
            years = covered_years(context.catalogue.plan, "final")
            as_of = date(YEARS[-1], 12, 31)
            for year in years:
                year_context = load_cycle_context(settings, year)
                snapshots[year] = review_snapshot(year_context, as_of, refresh=False, now=now_utc())
                year_context.close()
            review = build_review(context, "final", as_of, {y: snapshots[y] for y in years}, now=now_utc())
            context.close()
            times["review"] = time.perf_counter() - mark
            peaks["review"] = _peak_mb()
            times["total"] = time.perf_counter() - start
            pdf_mb = Path(review.pdf).stat().st_size / 1e6
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {
        "units": units * 21,
        "rows": rows,
        "stored": stored,
        **times,
        "pdf_mb": pdf_mb,
        "peaks": peaks,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[10, 33, 100], help="reporting units per economy")
    parser.add_argument(
        "--admin-url", default=os.environ.get("SMEWG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_size(args.one, args.admin_url)))
        return
    print(
        f"{'units':>6} {'rows':>10} {'collect s':>10} {'rows/s':>9} {'rollup s':>9} {'review s':>9} {'total s':>8} {'rows/s e2e':>11} {'peak RSS':>9}"
    )
    for units in args.units:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(units), "--admin-url", args.admin_url],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if done.returncode != 0:
            print(f"{units * 21:>6} failed: {done.stderr.strip().splitlines()[-1:]}", flush=True)
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"{r['units']:>6,} {r['rows']:>10,} {r['collect']:>10.1f} {r['rows'] / r['collect']:>9,.0f} {r['rollup']:>9.1f} "
            f"{r['review']:>9.1f} {r['total']:>8.1f} {r['rows'] / r['total']:>11,.0f} {r['peak_mb']:>6,.0f} MB",
            flush=True,
        )


if __name__ == "__main__":
    main()
