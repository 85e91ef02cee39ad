"""Ingest at 100k, 300k and 1M rows against a plain pandas script doing the same work
(issue 11): one submission parsed, checked and stored, end to end, each size and each way
in a fresh process (so the peak RSS is that of one ingest), median of ``--runs``.

    .venv/bin/python bench/ingest_scaling.py                          # SQLite
    .venv/bin/python bench/ingest_scaling.py --rows 100000 300000 --runs 5
    .venv/bin/python bench/ingest_scaling.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

smewg: ``parse_submission`` (strict formats, problems by row), ``validate`` (the GX suite
of ``expectations/submission.json``), ``store_submission`` (observations, validation,
the version). Plain: ``pandas.read_csv``, ``to_numeric``, the same 14 checks written in
pandas (``collect_throughput.plain_pandas_checks``; both must quarantine and flag the same
rows), and ``DataFrame.to_sql`` of the same rows into a table of the same columns.
Imports are not timed on either side (Great Expectations' ~3 s is paid once per process).
Targets: >= 100,000 rows/s end to end at 1M, <= 1.5x the plain script, peak RSS <= 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DO_NOT_TRACK", "1")


def _smewg(path: Path, rows: int, url: str) -> dict:
    from collect_throughput import _seed, store_kor, synthetic_plan

    from smewg.core.economies import load_economies
    from smewg.core.paths import ECONOMIES_FILE
    from smewg.core.store import create_store_engine, upgrade
    from smewg.work.parse import parse_submission
    from smewg.work.quality import validate

    plan = synthetic_plan(rows)
    engine = create_store_engine(url)
    upgrade(engine)
    _seed(engine, plan)
    registry = load_economies(ECONOMIES_FILE)
    import great_expectations  # noqa: F401 - imports are not timed, here as in the plain script (pandas)

    import smewg.work.breakdown_expectation  # noqa: F401

    start = time.perf_counter()
    parsed = parse_submission(
        path, economy="KOR", year=2022, registry=registry, kinds={i.id: i.kind for i in plan.all_indicators()}, max_bytes=10**10
    )
    validation = validate(parsed.frame, plan, 2022, parse_problems=parsed.problems)
    outcome = store_kor(engine, path, parsed, validation)
    seconds = time.perf_counter() - start
    from sqlalchemy import select

    from smewg.core.store import session_scope
    from smewg.core.store.models import ObservationRow

    with session_scope(engine) as session:  # untimed: which rows were stored as what
        marked = session.execute(
            select(ObservationRow.status, ObservationRow.row_number)
            .where(ObservationRow.submission_id == outcome.submission_id, ObservationRow.status != "accepted")
            .order_by(ObservationRow.row_number)
        ).all()
    engine.dispose()
    return {
        "seconds": seconds,
        "quarantined": [row for status, row in marked if status == "quarantined"],
        "flagged": [row for status, row in marked if status == "flagged"],
    }


def _plain(path: Path, rows: int, url: str) -> dict:
    import numpy as np
    import pandas as pd
    from collect_throughput import plain_pandas_masks, synthetic_plan
    from sqlalchemy import create_engine

    from smewg.work.quality import suite_parameters

    plan = synthetic_plan(rows)
    parameters = suite_parameters(plan, 2022)
    engine = create_engine(url)
    start = time.perf_counter()
    data = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    data["row"] = np.arange(2, len(data) + 2)
    data["value_text"] = data["value"]
    data["value"] = pd.to_numeric(data["value"], errors="coerce")
    data["year"] = pd.to_numeric(data["year"], errors="coerce")
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    data["kind"] = data["indicator"].map(kinds)
    data["kind_unit"] = (data["kind"] + "|" + data["unit"]).where(data["kind"].notna() & data["unit"].notna())
    totals = data.loc[data["breakdown"] == "total"].drop_duplicates("indicator").set_index("indicator")["value"]
    data["total_value"] = data["indicator"].map(totals).where((data["breakdown"] != "total") & (data["kind"] != "percent"))
    data["change_ratio"] = np.nan
    bad, flagged, _ = plain_pandas_masks(data, plan, parameters)
    data[["row", "indicator", "breakdown", "value", "value_text", "unit", "note"]].to_sql(
        "plain_observations", engine, if_exists="replace", index=False, chunksize=100_000
    )
    seconds = time.perf_counter() - start
    engine.dispose()
    # A row that fails a check is quarantined, whatever else it would be flagged for.
    return {
        "seconds": seconds,
        "quarantined": data["row"][bad].tolist(),
        "flagged": data["row"][flagged & ~bad].tolist(),
    }


def _one(way: str, rows: int, url: str, path: Path) -> None:
    result = (_smewg if way == "smewg" else _plain)(path, rows, url)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _database(base: str | None, folder: Path, label: str) -> tuple[str, str | None]:
    """A fresh database for one run: a SQLite file, or a PostgreSQL database (dropped after)."""
    if base is None:
        return f"sqlite:///{folder}/{label}.db", None
    import uuid

    from sqlalchemy import create_engine, make_url, text

    name = f"smewg_ingest_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False), name


def _drop(base: str | None, name: str | None) -> None:
    if base is None or name is None:
        return
    from sqlalchemy import create_engine, text

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server's admin URL (default: SQLite files)")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)  # way rows url path: one run in this process
    args = parser.parse_args()
    if args.one:
        way, rows, url, path = args.one
        _one(way, int(rows), url, Path(path))
        return
    from collect_throughput import synthetic_plan, write_file

    print(
        f"store: {'SQLite' if args.database_url is None else 'PostgreSQL'}; median of {args.runs} runs, each in a fresh process"
    )
    print(f"{'rows':>10} {'smewg s':>8} {'rows/s':>9} {'plain s':>8} {'ratio':>6} {'smewg RSS':>10} {'plain RSS':>10}")
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "KOR.csv"
            write_file(path, synthetic_plan(rows), rows)
            results: dict[str, list[dict]] = {"smewg": [], "plain": []}
            for run in range(args.runs):
                for way in ("smewg", "plain"):  # alternated, so both see the same machine
                    url, name = _database(args.database_url, Path(folder), f"{way}{run}")
                    try:
                        done = subprocess.run(
                            [sys.executable, __file__, "--one", way, str(rows), url, str(path)],
                            capture_output=True,
                            text=True,
                            cwd=ROOT,
                        )
                    finally:
                        _drop(args.database_url, name)
                    if done.returncode != 0:
                        raise SystemExit(f"{way} at {rows:,} rows failed: {done.stderr.strip().splitlines()[-1:]}")
                    results[way].append(json.loads(done.stdout.strip().splitlines()[-1]))
            ours, plain = results["smewg"], results["plain"]
            marked = {(tuple(r["quarantined"]), tuple(r["flagged"])) for r in ours + plain}
            assert len(marked) == 1, "smewg and the plain script disagree on the rows to quarantine or flag"
            ((quarantined, _),) = marked
            assert quarantined, "the file has rows to quarantine: the failure path must run"
            seconds = statistics.median(r["seconds"] for r in ours)
            plain_seconds = statistics.median(r["seconds"] for r in plain)
            print(
                f"{rows:>10,} {seconds:>8.2f} {rows / seconds:>9,.0f} {plain_seconds:>8.2f} {seconds / plain_seconds:>5.2f}x "
                f"{max(r['peak_mb'] for r in ours):>7,.0f} MB {max(r['peak_mb'] for r in plain):>7,.0f} MB",
                flush=True,
            )


if __name__ == "__main__":
    main()
