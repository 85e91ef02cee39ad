"""The rollup's figures computed the slow, obvious way: the whole frame filtered per
indicator and breakdown (the implementation before the rollup was made linear). Tests
check that ``smewg.work.rollup.compute_figures`` gives exactly these figures."""

from __future__ import annotations

import statistics
from typing import Any

import pandas as pd

from smewg.core.catalogue import Plan
from smewg.core.fx import FxTable
from smewg.work.rollup import _figure


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


def _conversions(plan: Plan, year: int, numeric: pd.DataFrame, fx: FxTable) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """FX rates used for the cycle year's amounts, and the amounts (any year read) without a rate."""
    order = {(i.id, b): n for n, (i, b) in enumerate((i, b) for i in plan.all_indicators() for b in i.breakdowns)}
    amounts = numeric[numeric["indicator"].isin([i.id for i in plan.all_indicators() if i.kind == "amount"])]
    rates = amounts["unit"].map(lambda unit: fx.rate(year, unit) if isinstance(unit, str) else None)
    known = rates.notna()
    used = {unit: float(rate) for unit, rate, y in zip(amounts["unit"][known], rates[known], amounts["year"][known]) if y == year}
    missing = amounts[rates.isna()]
    unconverted = [
        {"economy": r.economy, "indicator": r.indicator, "breakdown": r.breakdown, "year": int(r.year), "unit": r.unit}
        for r in missing.itertuples()
    ]
    unconverted.sort(key=lambda u: (order.get((u["indicator"], u["breakdown"]), len(order)), u["year"], u["economy"]))
    return dict(sorted(used.items())), unconverted


def _coverage(plan: Plan, year: int, data: pd.DataFrame) -> list[dict[str, Any]]:
    """Per objective and priority area: indicators with data, and answered share of (economy, indicator)."""
    current = data[data["year"] == year]
    with_value = set(current.loc[current["value"].notna(), "indicator"])
    answered = current[current["value"].notna() | current["note"].notna()][["economy", "indicator"]].drop_duplicates()
    economies = len(plan.economies)
    figures = []
    groups = [(o.id, [i.id for i in o.indicators]) for o in plan.objectives()]
    groups += [(p.id, [i.id for o in p.objectives for i in o.indicators]) for p in plan.priorities]
    groups += [("G", [i.id for i in plan.general_indicators])]
    for group, ids in groups:
        if not ids:
            continue
        covered = answered[answered["indicator"].isin(ids)]
        figures.append(
            _figure(
                group,
                "total",
                year,
                "INDICATORS_WITH_DATA",
                len(with_value & set(ids)),
                "indicators",
                sorted(covered["economy"].unique()),
            )
        )
        figures.append(
            _figure(
                group,
                "total",
                year,
                "COVERAGE",
                len(covered) / (economies * len(ids)) * 100,
                "percent",
                sorted(covered["economy"].unique()),
            )
        )
    return figures


def compute_figures_per_pair(
    plan: Plan, year: int, data: pd.DataFrame, fx: FxTable, *, skip: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """All figures of the cycle year from the used rows of the cycle, previous and baseline years.

    ``skip``: indicators whose figures are not computed (a rerun reuses them: their inputs did not change).
    """
    figures: list[dict[str, Any]] = []
    data = data.sort_values("economy", kind="stable")  # figures must not depend on the order files arrived in
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
