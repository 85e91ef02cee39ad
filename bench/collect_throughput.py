"""Throughput of collection: one submission of N rows parsed, validated with the GX suite
and stored, end to end, with the same checks in plain pandas for comparison.

    .venv/bin/python bench/collect_throughput.py            # 1,000,000 rows, 3 runs, SQLite
    .venv/bin/python bench/collect_throughput.py --rows 200000 --runs 5
    .venv/bin/python bench/collect_throughput.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

A row needs a distinct indicator and breakdown, so the bench builds a synthetic plan of
1,000 indicators with up to 1,000 breakdowns each (the shipped plan has 67 pairs). A few
rows are made bad on purpose so the failure paths run too. Prints the median of each
stage over the runs, rows/s end to end, the GX/pandas ratio and the peak RSS.
Target (issue 4): >= 100,000 rows/s end to end, peak RSS <= 2 GB.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DO_NOT_TRACK", "1")

from smewg.core.catalogue import Plan
from smewg.core.economies import load_economies
from smewg.core.paths import ECONOMIES_FILE
from smewg.core.store import create_store_engine, upgrade
from smewg.work.numbers import PLAIN_NUMBER
from smewg.work.parse import parse_submission
from smewg.work.quality import prepare, suite_parameters, validate
from smewg.work.submissions import store_submission


def synthetic_plan(rows: int) -> Plan:
    per_indicator = min(1000, max(1, math.ceil(rows / 1000)))
    breakdowns = ["total", *(f"b{n:04d}" for n in range(1, per_indicator))]
    priorities = []
    for p in range(1, 11):
        objectives = []
        for o in range(1, 11):
            indicators = [
                {
                    "id": f"{p}.{o}.{i}",
                    "name": f"Indicator {p}.{o}.{i}",
                    "kind": ("count", "percent", "amount")[i % 3],
                    "breakdowns": breakdowns,
                }
                for i in range(1, 11)
            ]
            objectives.append({"id": f"{p}.{o}", "title": f"Objective {p}.{o}", "indicators": indicators})
        priorities.append({"id": str(p), "title": f"Priority {p}", "objectives": objectives})
    return Plan.model_validate(
        {
            "id": "bench",
            "title": "Bench plan",
            "period": {"start": 2022, "end": 2022},
            "economies": ["KOR"],
            "priorities": priorities,
        }
    )


def write_file(path: Path, plan: Plan, rows: int) -> None:
    pairs = [(i.id, b, i.kind) for i in plan.all_indicators() for b in i.breakdowns][:rows]
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(pairs, columns=["indicator", "breakdown", "kind"])
    value = np.where(
        frame["kind"] == "percent", rng.uniform(0, 100, len(frame)).round(1), rng.integers(1, 1_000, len(frame)).astype(float)
    )
    # Totals bound their breakdowns, as in real data.
    value = np.where((frame["breakdown"] == "total") & (frame["kind"] != "percent"), 1e9, value)
    frame = frame.assign(
        economy="KOR", year=2022, value=value, unit=np.where(frame["kind"] == "amount", "KRW", frame["kind"]), note=""
    )
    frame.loc[frame.index[:: max(1, len(frame) // 10)], "value"] = -1  # ten or so bad rows, spread (one per 100,000 at 1M)
    frame[["economy", "year", "indicator", "breakdown", "value", "unit", "note"]].to_csv(path, index=False)


def plain_pandas_checks(data: pd.DataFrame, plan: Plan, parameters: dict) -> tuple[int, int, int]:
    """The suite's 14 checks written directly in pandas; returns the number of failing rows."""
    bad, flagged, missing = plain_pandas_masks(data, plan, parameters)
    return int(bad.sum()), int(flagged.sum()), missing


def plain_pandas_masks(data: pd.DataFrame, plan: Plan, parameters: dict) -> tuple[pd.Series, pd.Series, int]:
    """The rows the suite's 14 checks fail (to quarantine) and flag, and how many of the plan's
    indicators the file lacks."""
    bad = ~data["indicator"].isin(parameters["indicator_ids"])
    pairs = {f"{i.id}|{b}" for i in plan.all_indicators() for b in i.breakdowns}
    bad |= data["kind"].notna() & ~(data["indicator"] + "|" + data["breakdown"]).isin(pairs)
    bad |= data["kind_unit"].notna() & ~data["kind_unit"].isin(parameters["kind_units"])
    bad |= data["value_text"].notna() & data["unit"].isna()
    bad |= data["note"].isna() & data["value_text"].isna()
    bad |= data["value_text"].notna() & ~data["value_text"].str.match(PLAIN_NUMBER.pattern, na=False)
    bad |= data["value"] < 0
    bad |= data["value"] > 1e15
    bad |= (data["kind"] == "percent") & ((data["value"] < 0) | (data["value"] > 100))
    bad |= data.duplicated(["economy", "year", "indicator", "breakdown"], keep=False)
    bad |= ~data["year"].isin(parameters["cycle_years"])
    flagged = data["value"] > data["total_value"]
    flagged |= (data["change_ratio"] < 0.1) | (data["change_ratio"] > 10)
    missing = set(parameters["indicator_ids"]) - set(data["indicator"].unique())
    return bad, flagged, len(missing)


def store_kor(engine, path: Path, parsed, validation):
    """Store the bench's one submission (KOR, 2022) as collection does; its outcome."""
    return store_submission(
        engine,
        plan_id="bench",
        year=2022,
        economy="KOR",
        file_name=path.name,
        checksum=f"{time.time_ns():064d}"[-64:],
        size_bytes=path.stat().st_size,
        received_at=datetime.now(UTC),
        now=datetime.now(UTC),
        frame=parsed.frame,
        statuses=validation.statuses,
        problems=validation.problems,
        success=validation.success,
        statistics=validation.statistics,
        data_docs=None,
    )


def run_once(plan: Plan, path: Path, url: str) -> dict[str, float]:
    registry = load_economies(ECONOMIES_FILE)
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    times = {}
    start = time.perf_counter()
    parsed = parse_submission(path, economy="KOR", year=2022, registry=registry, kinds=kinds, max_bytes=10**10)
    times["parse"] = time.perf_counter() - start

    mark = time.perf_counter()
    validation = validate(parsed.frame, plan, 2022, parse_problems=parsed.problems)
    times["validate (GX)"] = time.perf_counter() - mark

    mark = time.perf_counter()
    engine = create_store_engine(url)
    outcome = store_kor(engine, path, parsed, validation)
    engine.dispose()
    times["store"] = time.perf_counter() - mark
    times["end to end"] = time.perf_counter() - start

    mark = time.perf_counter()
    data = prepare(parsed.frame, plan)
    times["prepare helper columns"] = time.perf_counter() - mark
    mark = time.perf_counter()
    failing, flagged, _ = plain_pandas_checks(data, plan, suite_parameters(plan, 2022))
    times["validate (plain pandas)"] = time.perf_counter() - mark
    # Both ways of checking must agree, or the comparison means nothing.
    assert (failing, flagged) == (outcome.rows_quarantined, outcome.rows_flagged), (failing, flagged, outcome)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        plan = synthetic_plan(args.rows)
        engine = create_store_engine(url)
        upgrade(engine)
        _seed(engine, plan)  # the catalogue rows the submission refers to
        engine.dispose()
        path = Path(folder) / "KOR.csv"
        write_file(path, plan, args.rows)
        print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB CSV, store {url.split(':')[0]}, {args.runs} runs")
        runs = [run_once(plan, path, url) for _ in range(args.runs)]

    for stage in runs[0]:
        print(f"  {stage:<26} median {statistics.median(r[stage] for r in runs):7.2f} s")
    end_to_end = statistics.median(r["end to end"] for r in runs)
    gx = statistics.median(r["validate (GX)"] for r in runs)
    plain = statistics.median(r["validate (plain pandas)"] + r["prepare helper columns"] for r in runs)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"end to end: {args.rows / end_to_end:,.0f} rows/s (target >= 100,000)")
    print(f"validation GX / plain pandas: {gx / plain:.1f}x ({gx:.2f} s vs {plain:.2f} s)")
    print(f"peak RSS: {peak:,.0f} MB (target <= 2,048 MB)")


def _seed(engine, plan: Plan) -> None:
    from smewg.core.catalogue import Catalogue
    from smewg.core.economies import load_economies
    from smewg.core.store import session_scope
    from smewg.work.catalogue_sync import sync_catalogue

    with session_scope(engine) as session:
        sync_catalogue(session, Catalogue(plan=plan, economies=load_economies(ECONOMIES_FILE)), now=datetime.now(UTC))


if __name__ == "__main__":
    main()
