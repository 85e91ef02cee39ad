"""The quality check's fixed cost per file: small files (65 rows, the plan's size) checked
with the Great Expectations suite one at a time and as collection does, a run's files in
one batch, against the same checks in plain pandas.

    .venv/bin/python bench/quality_per_file.py [--files 21] [--rows 65] [--runs 5]

Each way is timed over the same ``--files`` parsed files (parsing is not timed), median of
``--runs``; printed per file. Before printing, the script checks that the batch gives each
file exactly what checking it alone gives (problems and row statuses), and that plain
pandas quarantines and flags the same rows. Issue 11 measured ~150 ms of GX per 65-row
file, 30x plain pandas.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DO_NOT_TRACK", "1")

from collect_throughput import plain_pandas_masks, synthetic_plan, write_file

from smewg.core.economies import load_economies
from smewg.core.paths import ECONOMIES_FILE
from smewg.work.parse import parse_submission
from smewg.work.quality import FileToValidate, prepare, suite_parameters, validate, validate_many

YEAR = 2022
T = TypeVar("T")


def timed(call: Callable[[], T], runs: int) -> tuple[float, T]:
    """The median seconds of ``runs`` calls, and the last call's result."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=21)
    parser.add_argument("--rows", type=int, default=65)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    plan = synthetic_plan(args.rows)
    registry = load_economies(ECONOMIES_FILE)
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "KOR.csv"
        write_file(path, plan, args.rows)
        files = [
            FileToValidate(parsed.frame, parsed.problems)
            for parsed in (
                parse_submission(path, economy="KOR", year=YEAR, registry=registry, kinds=kinds, max_bytes=10**8)
                for _ in range(args.files)
            )
        ]
    parameters = suite_parameters(plan, YEAR)
    validate(files[0].frame, plan, YEAR)  # untimed: the suite loaded and GX set up, as in a running worker

    alone_seconds, alone = timed(
        lambda: [validate(f.frame, plan, YEAR, parse_problems=f.parse_problems) for f in files], args.runs
    )
    batch_seconds, together = timed(lambda: validate_many(files, plan, YEAR), args.runs)
    plain_seconds, masks = timed(lambda: [plain_pandas_masks(prepare(f.frame, plan), plan, parameters) for f in files], args.runs)

    for one, batched, (bad, flagged, _) in zip(alone, together, masks, strict=True):
        assert batched.problems == one.problems and batched.statuses.tolist() == one.statuses.tolist()
        assert int(bad.sum()) == int((one.statuses == "quarantined").sum())
        assert int((flagged & ~bad).sum()) == int((one.statuses == "flagged").sum())
    assert any((v.statuses == "quarantined").any() for v in alone), "the files have rows to quarantine"

    per_file = {
        name: seconds / args.files * 1000
        for name, seconds in (("alone", alone_seconds), ("batch", batch_seconds), ("plain", plain_seconds))
    }
    print(f"{args.files} files of {args.rows} rows, median of {args.runs} runs, per file:")
    print(
        f"  GX suite, each file alone:        {per_file['alone']:7.1f} ms  ({per_file['alone'] / per_file['plain']:.1f}x plain pandas)"
    )
    print(
        f"  GX suite, the files in one batch: {per_file['batch']:7.1f} ms  ({per_file['batch'] / per_file['plain']:.1f}x plain pandas)"
    )
    print(f"  the same checks in plain pandas:  {per_file['plain']:7.1f} ms")


if __name__ == "__main__":
    main()
