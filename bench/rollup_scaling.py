"""The rollup's figures at growing sizes, against a plain pandas groupby doing the same work.

    .venv/bin/python bench/rollup_scaling.py [--pairs 60 600 2000] [--runs 3]

For each size: a synthetic plan of N indicator/breakdown pairs (counts, percents and
amounts in turn), 21 economies x 3 years (the cycle 2023, the previous year and the
2021 baseline), 2% "no data" answers. Timed: ``smewg.work.rollup.compute_figures`` (every
figure the snapshot stores: per economy values, counts reporting and answering no data,
sums in USD, means and medians, changes on the balanced panel against the previous and
the baseline year, coverage), and a plain script computing the same aggregates with one
groupby and merges. The script checks that both agree before it prints. Target (issue
11): <= 3x the plain groupby at every size, growing linearly.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smewg.core.catalogue import Plan
from smewg.core.fx import load_fx
from smewg.core.paths import FX_FILE
from smewg.work.rollup import compute_figures

YEAR, PREVIOUS, BASELINE = 2023, 2022, 2021
ECONOMIES = ["AUS", "BRN", "CAN", "CHL", "CHN", "HKG", "IDN", "JPN", "KOR", "MYS", "MEX"]
ECONOMIES += ["NZL", "PNG", "PER", "PHL", "RUS", "SGP", "TWN", "THA", "USA", "VNM"]
CURRENCIES = ["AUD", "CAD", "JPY", "USD", "KRW", "XXX"]  # XXX has no rate: listed, not added


def synthetic_plan(pairs: int) -> Plan:
    indicators = [
        {
            "id": f"1.1.{n}",
            "name": f"Indicator {n}",
            "kind": ("count", "percent", "amount")[n % 3],
            "breakdowns": ["total", "women"],
        }
        for n in range(1, pairs // 2 + 1)
    ]
    return Plan.model_validate(
        {
            "id": "bench",
            "title": "Bench plan",
            "period": {"start": BASELINE, "end": 2024},
            "economies": ECONOMIES,
            "priorities": [{"id": "1", "title": "P", "objectives": [{"id": "1.1", "title": "O", "indicators": indicators}]}],
        }
    )


def synthetic_rows(plan: Plan) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    pairs = [(i.id, b, i.kind) for i in plan.all_indicators() for b in i.breakdowns]
    grid = pd.MultiIndex.from_product([range(len(pairs)), ECONOMIES, [BASELINE, PREVIOUS, YEAR]]).to_frame(index=False)
    grid.columns = ["pair", "economy", "year"]
    kind = np.array([k for _, _, k in pairs])[grid["pair"]]
    value = np.where(kind == "percent", rng.uniform(0, 100, len(grid)), rng.integers(1, 10_000, len(grid)).astype(float))
    unit = np.where(kind == "amount", rng.choice(CURRENCIES, len(grid)), np.where(kind == "percent", "percent", "count"))
    no_data = rng.random(len(grid)) < 0.02
    frame = pd.DataFrame(
        {
            "submission_id": 1,
            "economy": grid["economy"],
            "year": grid["year"],
            "indicator": np.array([i for i, _, _ in pairs])[grid["pair"]],
            "breakdown": np.array([b for _, b, _ in pairs])[grid["pair"]],
            "value": np.where(no_data, np.nan, value),
            "unit": unit,
            "note": np.where(no_data, "not collected", None),
        }
    )
    return frame.sample(frac=1, random_state=3).reset_index(drop=True)  # submissions arrive in any order


def plain_groupby(plan: Plan, data: pd.DataFrame, fx) -> dict[tuple[str, str, str], float]:
    """The same aggregates in plain pandas: one groupby for the cycle year, merges for the panels."""
    kinds = pd.Series({i.id: i.kind for i in plan.all_indicators()})
    rates = {u: fx.rate(YEAR, u) for u in data["unit"].dropna().unique()}
    numeric = data[data["value"].notna()]
    kind = numeric["indicator"].map(kinds)
    numeric = numeric.assign(
        kind=kind,
        comparable=numeric["value"].where(kind != "amount", numeric["value"] / numeric["unit"].map(rates).astype(float)),
    )
    usable = numeric[numeric["comparable"].notna()]
    key = ["indicator", "breakdown"]
    current = usable[usable["year"] == YEAR]
    out: dict[tuple[str, str, str], float] = {}

    def put(series: pd.Series, statistic: str) -> None:
        out.update({(i, b, statistic): v for (i, b), v in series.items()})

    put(numeric[numeric["year"] == YEAR].groupby(key).size(), "N_REPORTING")
    percent = current["kind"] == "percent"
    put(current[~percent].groupby(key)["comparable"].sum(), "SUM")
    put(current[percent].groupby(key)["value"].mean(), "MEAN")
    put(current[percent].groupby(key)["value"].median(), "MEDIAN")
    for statistic, other in (("CHANGE_PREV", PREVIOUS), ("CHANGE_BASELINE", BASELINE)):
        panel = current.merge(usable[usable["year"] == other], on=[*key, "economy"], suffixes=("", "_before"))
        share = panel["kind"] == "percent"
        totals = panel[~share].groupby(key)[["comparable", "comparable_before"]].sum()
        totals = totals[totals["comparable_before"] != 0]
        put((totals["comparable"] - totals["comparable_before"]) / totals["comparable_before"] * 100, statistic)
        means = panel[share].groupby(key)[["comparable", "comparable_before"]].mean()
        put(means["comparable"] - means["comparable_before"], statistic)
    return out


def agree(figures: list[dict], plain: dict[tuple[str, str, str], float]) -> None:
    """The same figures both ways: every figure the plain script makes, and no other of the
    statistics it makes, with the same values."""
    made = {statistic for _, _, statistic in plain}
    ours = {
        (f["indicator_id"], f["breakdown"], f["statistic"]): f["value"]
        for f in figures
        if f["statistic"] in made and f["value"] is not None
    }
    assert ours.keys() == plain.keys(), ("figures made by one side only", sorted(ours.keys() ^ plain.keys())[:5])
    for key, value in plain.items():
        assert np.isclose(ours[key], value, rtol=1e-9), (key, ours[key], value)


def timed(call, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[60, 600, 2000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    fx = load_fx(FX_FILE)
    print(f"{'pairs':>6} {'rows':>8} {'rollup':>9} {'plain':>9} {'ratio':>6} {'rollup per pair':>16}")
    for pairs in args.pairs:
        plan = synthetic_plan(pairs)
        data = synthetic_rows(plan)
        figures, _ = compute_figures(plan, YEAR, data, fx)
        agree(figures, plain_groupby(plan, data, fx))
        ours = timed(lambda: compute_figures(plan, YEAR, data, fx), args.runs)  # noqa: B023
        plain = timed(lambda: plain_groupby(plan, data, fx), args.runs)  # noqa: B023
        print(f"{pairs:>6,} {len(data):>8,} {ours:>8.3f}s {plain:>8.3f}s {ours / plain:>5.1f}x {ours / pairs * 1000:>13.2f} ms")


if __name__ == "__main__":
    main()
