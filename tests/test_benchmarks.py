"""Each benchmark in ``bench/`` run at a small size, as a check of correctness, not of time.

Before printing, each script compares its fast path with a slower or plainer one doing the
same work, and stops with an error if they disagree: the collection's GX suite against the
same checks in plain pandas (rows quarantined and flagged), small files checked in one
batch against each checked alone (problems and statuses), the linear rollup against the
plain groupby and the per-pair reference (every figure), a rerun after a correction against
a cold rollup of the corrected data (every figure, in order). These tests run those
comparisons at a size that takes seconds, and check that the figures are printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench(script: str, *args: str, tmp_path: Path) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SMEWG_")}
    environment |= {"SMEWG_HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path), "DO_NOT_TRACK": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.parametrize(
    "script, args, printed",
    [
        ("collect_throughput.py", ("--rows", "3000", "--runs", "1"), "end to end: "),
        ("ingest_scaling.py", ("--rows", "3000", "--runs", "1"), "     3,000 "),
        ("rollup_scaling.py", ("--pairs", "12", "40", "--runs", "1"), "    40    2,520 "),
        ("rollup_rerun.py", ("--pairs", "12", "--runs", "1"), "    12      756 "),
        ("quality_per_file.py", ("--files", "3", "--runs", "1"), "3 files of 65 rows"),
    ],
)
def test_a_benchmark_at_a_small_size_agrees_with_its_reference_and_prints_its_figures(script, args, printed, tmp_path):
    assert printed in _bench(script, *args, tmp_path=tmp_path)
