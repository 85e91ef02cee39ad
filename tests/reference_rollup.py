"""The rollup's figures computed the slow, obvious way: the whole frame filtered per
indicator and breakdown (the implementation before the rollup was made linear). Tests
check that ``smewg.work.rollup.compute_figures`` gives exactly these figures."""

from __future__ import annotations

import statistics
from typing import Any

import pandas as pd

from smewg.core.catalogue import Plan
from smewg.core.fx import FxTable
from smewg.work.rollup import _conversions, _coverage, _figure


def _usd(frame: pd.DataFrame, fx: FxTable, rate_year: int) -> pd.Series:
    rates = frame["unit"].map(lambda unit: fx.rate(rate_year, unit) if isinstance(unit, str) else None)
    return frame["value"] / rates.astype("float64")


def _change(kind: str, now: pd.DataFrame, before: pd.DataFrame) -> tuple[float | None, str, list[str]]:
    """Change on the balanced panel of economies present in both frames (values already comparable)."""
    panel = sorted(set(now["economy"]) & set(before["economy"]))
    if not panel:
        return None, "percent", []
    a = now.set_index("economy").loc[panel, "comparable"]
    b = before.set_index("economy").loc[panel, "comparable"]
    if kind == "percent":
        return float(a.mean() - b.mean()), "pp", panel
    base = float(b.sum())
    return (None if base == 0 else (float(a.sum()) - base) / base * 100), "percent", panel


def compute_figures_per_pair(
    plan: Plan, year: int, data: pd.DataFrame, fx: FxTable, *, skip: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """All figures of the cycle year from the used rows of the cycle, previous and baseline years.

    ``skip``: indicators whose figures are not computed (a rerun reuses them: their inputs did not change).
    """
    figures: list[dict[str, Any]] = []
    numeric = data[data["value"].notna()].copy()
    no_data = data[data["value"].isna() & data["note"].notna()]
    rates_used, unconverted = _conversions(plan, year, numeric, fx)
    numeric_of = dict(tuple(numeric.groupby(["indicator", "breakdown"], sort=False))) if len(numeric) else {}
    no_data_of = dict(tuple(no_data.groupby(["indicator", "breakdown"], sort=False))) if len(no_data) else {}
    empty = numeric.iloc[0:0]
    baseline = plan.period.start
    for indicator in plan.all_indicators():
        if indicator.id in skip:
            continue
        for breakdown in indicator.breakdowns:
            rows = numeric_of.get((indicator.id, breakdown), empty).copy()
            if indicator.kind == "amount":
                rows["comparable"] = _usd(rows, fx, year)  # every year at the cycle year's rates
            else:
                rows["comparable"] = rows["value"]
            reported = rows[rows["year"] == year]
            for row in reported.itertuples():
                figures.append(_figure(indicator.id, breakdown, year, "VALUE", row.value, row.unit, [row.economy]))
            figures.append(
                _figure(indicator.id, breakdown, year, "N_REPORTING", len(reported), "economies", list(reported["economy"]))
            )
            # Aggregates only from comparable values: an amount without an FX rate is listed, not added.
            rows = rows[rows["comparable"].notna()]
            current = rows[rows["year"] == year]
            economies = sorted(current["economy"])
            answers = no_data_of.get((indicator.id, breakdown), no_data.iloc[0:0])
            answered_no_data = sorted(answers.loc[answers["year"] == year, "economy"])
            figures.append(
                _figure(indicator.id, breakdown, year, "N_NO_DATA", len(answered_no_data), "economies", answered_no_data)
            )
            if indicator.kind == "percent":
                values = current["value"].tolist()
                figures.append(
                    _figure(
                        indicator.id, breakdown, year, "MEAN", statistics.fmean(values) if values else None, "percent", economies
                    )
                )
                figures.append(
                    _figure(
                        indicator.id,
                        breakdown,
                        year,
                        "MEDIAN",
                        statistics.median(values) if values else None,
                        "percent",
                        economies,
                    )
                )
            else:
                total = float(current["comparable"].sum()) if len(current) else None
                figures.append(
                    _figure(
                        indicator.id, breakdown, year, "SUM", total, "USD" if indicator.kind == "amount" else "count", economies
                    )
                )
            for statistic, other in (("CHANGE_PREV", year - 1), ("CHANGE_BASELINE", baseline)):
                if other >= year or other < baseline:
                    continue
                value, unit, panel = _change(indicator.kind, current, rows[rows["year"] == other])
                figures.append(_figure(indicator.id, breakdown, year, statistic, value, unit, panel))
    figures += _coverage(plan, year, data)
    return figures, {"fx_rates_used": rates_used, "fx_base": fx.base, "not_converted": unconverted}
