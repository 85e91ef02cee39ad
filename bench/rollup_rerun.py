"""A whole rollup (``smewg.work.rollup.rollup``: store to stored snapshot) cold, and again
after one economy corrects one value, at growing sizes.

    .venv/bin/python bench/rollup_rerun.py [--pairs 60 600 2000] [--runs 3]

For each size: the synthetic plan of ``rollup_scaling.py`` (N indicator/breakdown pairs)
written as a plan file, 21 economies x 3 years (2021 baseline, 2022, 2023) stored as
accepted submissions on SQLite (untimed). Each run works on a fresh copy of that store,
always at the same path, after an untimed rollup and rerun there: the process's engine for
that path has then compiled its statements, for the cold rollup as for the rerun (before
session 8 only the rerun had them compiled, which flattered the ratio at 60 pairs: 0.35
against 0.44 measured fairly):

* cold: the 2023 rollup with no snapshot before it (every figure computed and stored);
* rerun: KOR resends its 2023 file with one value changed (stored, untimed), then the
  2023 rollup again;
* nothing new: the 2023 rollup once more, on unchanged inputs (it finds the rerun's
  snapshot and stores nothing): what any rollup pays before it computes a figure
  (opening the store, reading the versions, the analytics and the snapshot lookup);
* plain: a plain script doing the whole job on a fresh copy of the same store, in one
  transaction: the rows read with ``pandas.read_sql``, the aggregates of
  ``rollup_scaling.plain_groupby`` and each economy's values written with ``to_sql``
  (the cold rollup stores more: economies per figure, "no data" counts, coverage, the
  analytics). Its aggregates must equal the cold rollup's before anything prints.

Each copy is written to disk (``os.sync``) before the clock starts; until session 10 it
was not, and the cold rollup's first commit also waited for the copy to reach the disk.

Before it prints, the script checks that the rerun's figures equal a cold rollup of the
corrected data. Target (issue 11): rerun <= 0.25 x cold.

``--no-sync`` (diagnosis only) runs the same with the store's fsyncs turned off: every
rollup's first commit syncs a fresh write-ahead log's header and its folder (SQLite does
so whenever the log starts anew, and the log starts anew in every step, because each
step closes its connections), and the difference between the two runs is what those
syncs cost on the day's disk.
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

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rollup_scaling import BASELINE, PREVIOUS, YEAR, agree, plain_groupby, synthetic_plan, synthetic_rows

AS_OF = date(YEAR, 12, 31)
NOW = datetime(YEAR, 12, 31, 12, tzinfo=UTC)


def make_store(home: Path, pairs: int) -> None:
    """A store holding every economy's file for the three years the 2023 rollup reads."""
    from smewg.core.catalogue import load_catalogue
    from smewg.core.settings import get_settings
    from smewg.core.store import create_store_engine
    from smewg.work.catalogue_sync import load_catalogue_into_store
    from smewg.work.demo_calendar import write_demo_calendars
    from smewg.work.store_migration import migrate_store

    plan = synthetic_plan(pairs)
    home.mkdir(parents=True)
    (home / "plan.yaml").write_text(yaml.safe_dump(plan.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    _use(home)
    settings = get_settings()
    migrate_store(settings)
    load_catalogue_into_store(settings)
    for path in write_demo_calendars(settings.schedule_dir, load_catalogue(settings.plan_file, settings.economies_file).plan):
        calendar = yaml.safe_load(path.read_text(encoding="utf-8"))
        calendar.pop("activities", None)  # they name the real plan's objectives
        path.write_text(yaml.safe_dump(calendar, sort_keys=False), encoding="utf-8")
    rows = synthetic_rows(plan)
    engine = create_store_engine(settings.resolved_database_url)
    for (economy, year), frame in rows.groupby(["economy", "year"]):
        _store(engine, plan.id, int(year), str(economy), frame, received=datetime(int(year), 3, 1, tzinfo=UTC))
    engine.dispose()


def _store(engine, plan_id: str, year: int, economy: str, frame, *, received: datetime) -> None:
    import pandas as pd

    from smewg.work.submissions import store_submission

    frame = frame.reset_index(drop=True).assign(
        row=lambda f: f.index + 2, raw_value=lambda f: f["value"].map(lambda v: "" if pd.isna(v) else repr(v))
    )
    store_submission(
        engine,
        plan_id=plan_id,
        year=year,
        economy=economy,
        file_name=f"{economy}-{year}.csv",
        checksum=f"{economy}{year}{time.time_ns()}".ljust(64, "0")[:64],
        size_bytes=1,
        received_at=received,
        now=received,
        frame=frame,
        statuses=pd.Series("accepted", index=frame.index),
        problems=[],
        success=True,
        statistics={},
        data_docs=None,
    )


def _use(home: Path) -> None:
    os.environ["SMEWG_HOME"] = str(home)
    os.environ["SMEWG_PLAN_FILE"] = str(home / "plan.yaml")
    os.environ["SMEWG_SCHEDULE_DIR"] = str(home / "schedule")
    os.environ.pop("SMEWG_DATABASE_URL", None)


def correct_kor(pairs: int) -> None:
    """KOR sends its 2023 file again with one value changed."""
    from smewg.core.settings import get_settings
    from smewg.core.store import create_store_engine

    plan = synthetic_plan(pairs)
    rows = synthetic_rows(plan)
    kor = rows[(rows["economy"] == "KOR") & (rows["year"] == YEAR)].reset_index(drop=True)
    at = kor["value"].first_valid_index()
    kor.loc[at, "value"] = kor.loc[at, "value"] + 7
    engine = create_store_engine(get_settings().resolved_database_url)
    _store(engine, plan.id, YEAR, "KOR", kor, received=datetime(YEAR, 6, 1, tzinfo=UTC))
    engine.dispose()


def rollup_once() -> tuple[float, int]:
    from smewg.core.cycle import open_cycle
    from smewg.core.settings import get_settings
    from smewg.work.rollup import rollup

    with open_cycle(get_settings(), YEAR) as context:
        started = time.perf_counter()
        result = rollup(context, AS_OF, now=NOW)
        return time.perf_counter() - started, result.snapshot_id


_PLAIN_ROWS = f"""
SELECT s.economy_code AS economy, c.year AS year, o.indicator_id AS indicator, o.breakdown AS breakdown,
       o.value AS value, o.unit AS unit, o.note AS note
FROM observations o JOIN submissions s ON o.submission_id = s.id JOIN cycles c ON s.cycle_id = c.id
WHERE o.status != 'quarantined' AND c.year IN ({BASELINE}, {PREVIOUS}, {YEAR})
"""


def plain_once(pairs: int) -> tuple[float, dict]:
    """The plain script's whole job on the same store, in one transaction: the rows read with
    pandas (economy and year joined in SQL), the aggregates of ``rollup_scaling.plain_groupby``
    plus each economy's cycle-year values, written to a table with ``to_sql``."""
    import pandas as pd
    from sqlalchemy import text

    from smewg.core.fx import load_fx
    from smewg.core.settings import get_settings
    from smewg.core.store import create_store_engine

    plan, fx = synthetic_plan(pairs), load_fx(get_settings().fx_file)
    engine = create_store_engine(get_settings().resolved_database_url)  # the store's own pragmas
    started = time.perf_counter()
    with engine.begin() as connection:
        data = pd.read_sql(text(_PLAIN_ROWS), connection)
        figures = plain_groupby(plan, data, fx)
        values = data[(data["year"] == YEAR) & data["value"].notna()]
        table = pd.concat(
            [
                pd.DataFrame(
                    [(i, b, statistic, "APEC", v) for (i, b, statistic), v in figures.items()],
                    columns=["indicator", "breakdown", "statistic", "area", "value"],
                ),
                values.assign(statistic="VALUE", area=values["economy"])[
                    ["indicator", "breakdown", "statistic", "area", "value"]
                ],
            ],
            ignore_index=True,
        )
        table.to_sql("plain_figures", connection, if_exists="replace", index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, figures


def _snapshot_frame(snapshot_id: int):
    from smewg.core.settings import get_settings
    from smewg.core.store import store_session
    from smewg.work.rollup import snapshot_figures

    with store_session(get_settings().resolved_database_url) as session:
        return snapshot_figures(session, snapshot_id)


def snapshot_as_dicts(snapshot_id: int) -> list[dict]:
    """The snapshot's figures as ``rollup_scaling.agree`` reads them (values unrounded)."""
    return [
        {
            "indicator_id": r.indicator,
            "breakdown": r.breakdown,
            "statistic": r.statistic,
            "value": None if r.value != r.value else r.value,
        }
        for r in _snapshot_frame(snapshot_id).itertuples()
    ]


def figures_of(snapshot_id: int) -> list[tuple]:
    return [
        (r.indicator, r.breakdown, r.statistic, tuple(r.economies), None if r.value != r.value else round(r.value, 6), r.unit)
        for r in _snapshot_frame(snapshot_id).itertuples()
    ]


def fresh_copy(store: Path, home: Path) -> None:
    """``home`` a new copy of ``store``, on disk."""
    shutil.rmtree(home)
    shutil.copytree(store, home)
    os.sync()


def _skip_syncs() -> None:
    """Every connection the process checks out runs without fsync (after the store's own
    ``synchronous=NORMAL``, set at connect)."""
    from sqlalchemy import event
    from sqlalchemy.pool import Pool

    @event.listens_for(Pool, "checkout")
    def _no_sync(dbapi_connection, _record, _proxy):  # pragma: no cover - diagnosis only
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute("PRAGMA synchronous=OFF")

    print("diagnosis: the store's connections skip every fsync (synchronous=OFF)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[60, 600, 2000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--no-sync",
        action="store_true",
        help="diagnosis only: the store's connections skip every fsync (PRAGMA synchronous=OFF), which shows "
        "what syncing costs each rollup; never a setting for a store of record",
    )
    args = parser.parse_args()
    import logging

    logging.disable(logging.INFO)
    if args.no_sync:
        _skip_syncs()
    print(
        f"{'pairs':>6} {'rows':>8} {'cold':>9} {'rerun':>9} {'ratio':>6} {'nothing new':>12} {'plain':>9} {'cold/plain':>10}"
        f"  (years {BASELINE}-{YEAR}, 21 economies)"
    )
    with tempfile.TemporaryDirectory(prefix="smewg-bench-rerun-") as folder:
        for pairs in args.pairs:
            store = Path(folder) / f"store-{pairs}"
            make_store(store, pairs)
            colds, reruns, unchanged, plains = [], [], [], []
            home = Path(folder) / f"run-{pairs}"
            shutil.copytree(store, home)
            _use(home)
            # Untimed: the process's engine for this store compiles the statements of a cold
            # rollup and of a rerun.
            rollup_once()
            correct_kor(pairs)
            rollup_once()
            for run in range(args.runs):
                # A fresh copy of the store at the same path: the cold rollup and the rerun
                # both run with statements compiled, as in a long-lived worker.
                # The plain script on a fresh copy of its own, so that both go first on a copy;
                # each copy written to disk before the clock starts (else the first commit's
                # sync waits for the copy too).
                fresh_copy(store, home)
                plain, plain_figures = plain_once(pairs)
                plains.append(plain)
                fresh_copy(store, home)
                cold, cold_snapshot = rollup_once()
                if run == 0:  # the plain script's aggregates are the cold rollup's
                    agree(snapshot_as_dicts(cold_snapshot), plain_figures)
                correct_kor(pairs)
                rerun, rerun_snapshot = rollup_once()
                again, again_snapshot = rollup_once()
                assert again_snapshot == rerun_snapshot
                colds.append(cold)
                reruns.append(rerun)
                unchanged.append(again)
                if run == 0:  # the rerun's figures are those of a cold rollup of the corrected data
                    check = Path(folder) / f"check-{pairs}"
                    shutil.copytree(store, check)
                    _use(check)
                    correct_kor(pairs)
                    _, cold_snapshot = rollup_once()
                    expected = figures_of(cold_snapshot)
                    _use(home)
                    got = figures_of(rerun_snapshot)
                    first = next((n for n, (a, b) in enumerate(zip(got, expected)) if a != b), min(len(got), len(expected)))
                    assert got == expected, f"the rerun's figures differ from a cold rollup's from figure {first}"
            shutil.rmtree(home)
            cold, rerun, again = statistics.median(colds), statistics.median(reruns), statistics.median(unchanged)
            plain = statistics.median(plains)
            rows = pairs * 21 * 3
            print(
                f"{pairs:>6,} {rows:>8,} {cold:>8.3f}s {rerun:>8.3f}s {rerun / cold:>6.2f} {again:>11.3f}s "
                f"{plain:>8.3f}s {cold / plain:>9.1f}x"
            )


if __name__ == "__main__":
    main()
