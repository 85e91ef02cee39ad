"""The KPI rollup of a cycle, kept as a snapshot that says which submission versions it used.

Rules (SPEC sections 1 and 7, issue 5):

* Inputs: per economy, the newest version that was not rejected and had arrived by
  ``as_of`` (so a rollup can be recomputed as it stood on any day); its rows that were
  not quarantined. An empty value with a note is a "no data" answer: it counts in
  coverage, never in a figure.
* Per indicator and breakdown for the cycle year: ``N_REPORTING`` (and which economies);
  counts: ``SUM``; amounts: ``SUM`` in USD, each value converted with the FX table's
  rate for the cycle year (a currency without a rate is left out and listed, never
  added unconverted); percents: ``MEAN`` and ``MEDIAN``, never a sum.
* ``CHANGE_PREV`` / ``CHANGE_BASELINE``: on a balanced panel (economies reporting both
  years), the percent change of the panel's sum for counts and amounts (amounts of both
  years at the cycle year's rates, so exchange-rate moves are not counted as growth),
  the change of the panel's mean in percentage points for percents.
* Each economy's own figure is kept as ``VALUE`` in its reported unit.
* Per objective and priority area: indicators with data and coverage; and the cycle's
  analytics (response, timeliness, reminders, corrections) per economy and overall.

A rerun on the same inputs returns the existing snapshot and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from smewg.core.catalogue import Plan
from smewg.core.cycle import CycleContext
from smewg.core.fx import FxTable, load_fx
from smewg.core.store import session_scope
from smewg.core.store.models import (
    CycleRow,
    ObservationRow,
    RollupFigureRow,
    RollupSnapshotRow,
    SubmissionRow,
)
from smewg.work.cycles import first_usable_arrivals, get_or_create_cycle
from smewg.work.outbox import messages_per_economy

ROLLUP_VERSION = "1"
AGGREGATE = "APEC"


@dataclass
class SnapshotResult:
    snapshot_id: int
    created: bool
    submission_ids: list[int]
    figures: int


def used_submissions(session: Session, plan_id: str, year: int, end_of_as_of: datetime) -> dict[str, SubmissionRow]:
    """Per economy, the newest non-rejected version received before ``end_of_as_of``."""
    rows = session.scalars(
        select(SubmissionRow)
        .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
        .where(
            CycleRow.plan_id == plan_id,
            CycleRow.year == year,
            SubmissionRow.status != "rejected",
            SubmissionRow.received_at < end_of_as_of,
        )
        .order_by(SubmissionRow.economy_code, SubmissionRow.version)
    )
    return {row.economy_code: row for row in rows}  # the last (newest) per economy wins


def observations_of(session: Session, submissions: list[SubmissionRow], year_of: dict[int, int]) -> pd.DataFrame:
    """Rows of those versions that were not quarantined, with economy and year."""
    ids = [s.id for s in submissions]
    economy_of = {s.id: s.economy_code for s in submissions}
    columns = ["submission_id", "economy", "year", "indicator", "breakdown", "value", "unit", "note"]
    if not ids:
        return pd.DataFrame(columns=columns)
    query = select(
        ObservationRow.submission_id,
        ObservationRow.indicator_id,
        ObservationRow.breakdown,
        ObservationRow.value,
        ObservationRow.unit,
        ObservationRow.note,
    ).where(ObservationRow.submission_id.in_(ids), ObservationRow.status != "quarantined")
    frame = pd.DataFrame(
        session.execute(query).all(), columns=["submission_id", "indicator", "breakdown", "value", "unit", "note"]
    )
    frame["economy"] = frame["submission_id"].map(economy_of)
    frame["year"] = frame["submission_id"].map(year_of)
    return frame[columns]


def _usd(frame: pd.DataFrame, fx: FxTable, rate_year: int) -> pd.Series:
    """Values in USD at ``rate_year``'s rates (NaN where the unit has no rate); one lookup per unit."""
    rates = {u: fx.rate(rate_year, u) for u in frame["unit"].dropna().unique() if isinstance(u, str)}
    return frame["value"] / frame["unit"].map(rates).astype("float64")


def _figure(
    indicator: str, breakdown: str, year: int, statistic: str, value: float | None, unit: str | None, economies: list[str]
) -> dict[str, Any]:
    return {
        "indicator_id": indicator,
        "breakdown": breakdown,
        "year": year,
        "statistic": statistic,
        "value": None if value is None or pd.isna(value) else float(value),
        "unit": unit,
        "economies": sorted(economies),
    }


def _change(kind: str, now: dict[str, float], before: dict[str, float]) -> tuple[float | None, str, list[str]]:
    """Change on the balanced panel of economies present in both years (values already comparable)."""
    panel = sorted(now.keys() & before.keys())
    if not panel:
        return None, "percent", []
    a = np.array([now[e] for e in panel])
    b = np.array([before[e] for e in panel])
    if kind == "percent":
        return float(a.mean() - b.mean()), "pp", panel
    base = float(b.sum())
    return (None if base == 0 else (float(a.sum()) - base) / base * 100), "percent", panel


def indicator_input_hashes(plan: Plan, year: int, data: pd.DataFrame, fx: FxTable) -> dict[str, str]:
    """Per indicator, a hash of everything its figures are computed from: its rows in the
    years read (in any order), its definition and the cycle year's rates of the currencies
    it uses. Rows are hashed once, vectorised; an indicator's hash is over its sorted row hashes."""
    columns = ["economy", "year", "breakdown", "value", "unit", "note"]
    row_hashes = pd.util.hash_pandas_object(data[columns], index=False).to_numpy() if len(data) else np.array([], "uint64")
    positions = data.groupby("indicator", sort=False).indices if len(data) else {}
    units = data["unit"].to_numpy(dtype=object)
    hashes = {}
    for indicator in plan.all_indicators():
        rows = positions.get(indicator.id)
        digest = hashlib.sha256()
        if rows is not None:
            digest.update(np.sort(row_hashes[rows]).tobytes())
        used = sorted({u for u in units[rows] if isinstance(u, str)}) if rows is not None and indicator.kind == "amount" else []
        digest.update(
            json.dumps(
                [
                    ROLLUP_VERSION,
                    year,
                    indicator.model_dump(mode="json"),
                    plan.period.start,
                    [(u, fx.rate(year, u)) for u in used],
                ]
            ).encode()
        )
        hashes[indicator.id] = digest.hexdigest()
    return hashes


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
    unconverted.sort(key=lambda u: order.get((u["indicator"], u["breakdown"]), len(order)))  # plan order, stable
    return dict(sorted(used.items())), unconverted


def compute_figures(
    plan: Plan, year: int, data: pd.DataFrame, fx: FxTable, *, skip: frozenset[str] = frozenset()
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """All figures of the cycle year from the used rows of the cycle, previous and baseline years.

    ``skip``: indicators whose figures are not computed (a rerun reuses them: their inputs did not change).

    Linear in rows: the rows are grouped once by indicator and breakdown (``groupby.indices``),
    and each pair's figures come from small numpy arrays of its rows, never from filtering
    the whole frame per pair (which made the cost pairs x rows).
    """
    figures: list[dict[str, Any]] = []
    numeric = data[data["value"].notna()]
    no_data = data[data["value"].isna() & data["note"].notna()]
    rates_used, unconverted = _conversions(plan, year, numeric, fx)
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    usd = _usd(numeric, fx, year)  # every year at the cycle year's rates
    comparable = numeric["value"].where(numeric["indicator"].map(kinds) != "amount", usd).to_numpy(dtype="float64")
    economy = numeric["economy"].to_numpy(dtype=object)
    value = numeric["value"].to_numpy(dtype="float64")
    unit = numeric["unit"].to_numpy(dtype=object)
    row_year = numeric["year"].to_numpy()
    positions = numeric.groupby(["indicator", "breakdown"], sort=False).indices if len(numeric) else {}
    current_no_data = no_data[no_data["year"] == year]
    no_data_of = current_no_data.groupby(["indicator", "breakdown"], sort=False).indices if len(current_no_data) else {}
    no_data_economy = current_no_data["economy"].to_numpy(dtype=object)
    nothing = np.array([], dtype=np.intp)
    baseline = plan.period.start
    for indicator in plan.all_indicators():
        if indicator.id in skip:
            continue
        for breakdown in indicator.breakdowns:
            rows = positions.get((indicator.id, breakdown), nothing)
            reported = rows[row_year[rows] == year]
            for at in reported:
                figures.append(_figure(indicator.id, breakdown, year, "VALUE", value[at], unit[at], [economy[at]]))
            figures.append(
                _figure(indicator.id, breakdown, year, "N_REPORTING", len(reported), "economies", list(economy[reported]))
            )
            # Aggregates only from comparable values: an amount without an FX rate is listed, not added.
            rows = rows[~np.isnan(comparable[rows])]
            current = rows[row_year[rows] == year]
            economies = sorted(economy[current])
            answered_no_data = sorted(no_data_economy[no_data_of.get((indicator.id, breakdown), nothing)])
            figures.append(
                _figure(indicator.id, breakdown, year, "N_NO_DATA", len(answered_no_data), "economies", answered_no_data)
            )
            if indicator.kind == "percent":
                values = value[current].tolist()
                mean = statistics.fmean(values) if values else None
                median = statistics.median(values) if values else None
                figures.append(_figure(indicator.id, breakdown, year, "MEAN", mean, "percent", economies))
                figures.append(_figure(indicator.id, breakdown, year, "MEDIAN", median, "percent", economies))
            else:
                total = float(comparable[current].sum()) if len(current) else None
                total_unit = "USD" if indicator.kind == "amount" else "count"
                figures.append(_figure(indicator.id, breakdown, year, "SUM", total, total_unit, economies))
            for statistic, other in (("CHANGE_PREV", year - 1), ("CHANGE_BASELINE", baseline)):
                if other >= year or other < baseline:
                    continue
                before = rows[row_year[rows] == other]
                change, change_unit, panel = _change(
                    indicator.kind,
                    dict(zip(economy[current], comparable[current], strict=True)),
                    dict(zip(economy[before], comparable[before], strict=True)),
                )
                figures.append(_figure(indicator.id, breakdown, year, statistic, change, change_unit, panel))
    figures += _coverage(plan, year, data)
    return figures, {"fx_rates_used": rates_used, "fx_base": fx.base, "not_converted": unconverted}


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


def cycle_analytics(
    session: Session, context: CycleContext, used: dict[str, SubmissionRow], as_of: date, all_versions: list[SubmissionRow]
) -> dict[str, Any]:
    """Response, timeliness, reminders and corrections, per economy and overall."""
    reminders = messages_per_economy(session, context.year, ("reminder",), up_to=as_of)
    first_arrival = first_usable_arrivals(session, context, as_of)
    per_economy = []
    for economy in context.catalogue.participating():
        versions = [
            v
            for v in all_versions
            if v.economy_code == economy.code and v.status != "rejected" and v.received_at < context.end_of_day(as_of)
        ]
        deadline = context.calendar.deadline_for(economy.code)
        arrived = first_arrival.get(economy.code)
        per_economy.append(
            {
                "economy": economy.code,
                "submitted": arrived is not None,
                "on_time": arrived is not None and arrived <= deadline,
                "days_from_call": (arrived - context.calendar.call_for_data).days if arrived else None,
                "reminders_sent": reminders.get(economy.code, 0),
                "correction_rounds": max(0, len(versions) - 1),
                "version_used": used[economy.code].version if economy.code in used else None,
            }
        )
    submitted = [e for e in per_economy if e["submitted"]]
    days = [e["days_from_call"] for e in submitted]
    overall = {
        "economies": len(per_economy),
        "submitted": len(submitted),
        "response_rate": len(submitted) / len(per_economy) * 100 if per_economy else 0.0,
        "on_time_rate": sum(e["on_time"] for e in per_economy) / len(per_economy) * 100 if per_economy else 0.0,
        "median_days_from_call": statistics.median(days) if days else None,
        "reminders_sent": sum(e["reminders_sent"] for e in per_economy),
        "correction_rounds": sum(e["correction_rounds"] for e in per_economy),
    }
    return {"per_economy": per_economy, "overall": overall}


def rollup(context: CycleContext, as_of: date, *, now: datetime) -> SnapshotResult:
    """Compute (or find) the cycle's snapshot as of ``as_of``."""
    plan = context.catalogue.plan
    fx = load_fx(context.settings.fx_file)
    with session_scope(context.engine) as session:
        cycle = get_or_create_cycle(session, plan.id, context.year, now=now)
        end = context.end_of_day(as_of)
        years = sorted({context.year, context.year - 1, plan.period.start} & set(plan.period.years))
        used_by_year = {y: used_submissions(session, plan.id, y, end) for y in years}
        used = [s for y in years for s in used_by_year[y].values()]
        year_of = {s.id: y for y in years for s in used_by_year[y].values()}
        current = used_by_year[context.year]
        all_versions = list(session.scalars(select(SubmissionRow).where(SubmissionRow.cycle_id == cycle.id)))
        analytics = cycle_analytics(session, context, current, as_of, all_versions)
        key = hashlib.sha256(
            json.dumps(
                {
                    "submissions": sorted(s.id for s in used),
                    "fx": fx.checksum,
                    "version": ROLLUP_VERSION,
                    "plan": plan.model_dump(mode="json"),
                    "calendar": context.calendar.model_dump(mode="json"),
                    "reminders": [(e["economy"], e["reminders_sent"]) for e in analytics["per_economy"]],
                }
            ).encode()
        ).hexdigest()
        existing = session.scalar(
            select(RollupSnapshotRow).where(RollupSnapshotRow.cycle_id == cycle.id, RollupSnapshotRow.inputs_key == key)
        )
        if existing is not None:
            count = session.scalar(select(func.count()).where(RollupFigureRow.snapshot_id == existing.id))
            return SnapshotResult(existing.id, False, list(existing.submission_ids), int(count or 0))
        data = observations_of(session, used, year_of)
        hashes = indicator_input_hashes(plan, context.year, data, fx)
        reused, reusable = _reusable_figures(session, cycle.id, hashes)
        figures, conversion = compute_figures(plan, context.year, data, fx, skip=reusable)
        position = {i.id: n for n, i in enumerate(plan.all_indicators())}
        figures = sorted(reused + figures, key=lambda f: position.get(f["indicator_id"], len(position)))  # plan order
        snapshot = RollupSnapshotRow(
            cycle_id=cycle.id,
            inputs_key=key,
            submission_ids=sorted(s.id for s in used),
            as_of=as_of,
            created_at=now,
            details={
                "analytics": analytics,
                **conversion,
                "indicator_hashes": hashes,
                "indicators_reused": len(reusable),
                "submissions": {str(y): {c: s.version for c, s in used_by_year[y].items()} for y in years},
            },
        )
        try:
            with session.begin_nested():  # a rollup beside this one may record the same inputs first
                session.add(snapshot)
                session.flush()
        except IntegrityError:
            existing = session.scalar(
                select(RollupSnapshotRow).where(RollupSnapshotRow.cycle_id == cycle.id, RollupSnapshotRow.inputs_key == key)
            )
            assert existing is not None
            count = session.scalar(select(func.count()).where(RollupFigureRow.snapshot_id == existing.id))
            return SnapshotResult(existing.id, False, list(existing.submission_ids), int(count or 0))
        if figures:  # one executemany, not an ORM object per figure
            session.execute(insert(RollupFigureRow), [{"snapshot_id": snapshot.id, **figure} for figure in figures])
        return SnapshotResult(snapshot.id, True, snapshot.submission_ids, len(figures))


def _reusable_figures(session: Session, cycle_id: int, hashes: dict[str, str]) -> tuple[list[dict[str, Any]], frozenset[str]]:
    """Figures of the cycle's latest snapshot for the indicators whose inputs hash the same:
    a rerun after one correction recomputes only the indicators it touched."""
    previous = session.scalar(
        select(RollupSnapshotRow).where(RollupSnapshotRow.cycle_id == cycle_id).order_by(RollupSnapshotRow.id.desc()).limit(1)
    )
    if previous is None:
        return [], frozenset()
    before = (previous.details or {}).get("indicator_hashes") or {}
    same = frozenset(i for i, digest in hashes.items() if before.get(i) == digest)
    if not same:
        return [], same
    columns = ("indicator_id", "breakdown", "year", "statistic", "value", "unit", "economies")
    rows = session.execute(
        select(*(getattr(RollupFigureRow, c) for c in columns))
        .where(RollupFigureRow.snapshot_id == previous.id, RollupFigureRow.indicator_id.in_(same))
        .order_by(RollupFigureRow.id)
    )
    return [dict(zip(columns, row, strict=True)) for row in rows], same


def latest_snapshot(session: Session, plan_id: str, year: int) -> RollupSnapshotRow | None:
    """The snapshot as of the latest day (a backfill for an earlier day does not replace it)."""
    return session.scalar(
        select(RollupSnapshotRow)
        .join(CycleRow, RollupSnapshotRow.cycle_id == CycleRow.id)
        .where(CycleRow.plan_id == plan_id, CycleRow.year == year)
        .order_by(RollupSnapshotRow.as_of.desc(), RollupSnapshotRow.id.desc())
        .limit(1)
    )


def snapshot_figures(session: Session, snapshot_id: int) -> pd.DataFrame:
    """The snapshot's figures in store order, read as columns (no ORM object per figure)."""
    names = ("indicator", "breakdown", "year", "statistic", "value", "unit", "economies")
    columns = (
        RollupFigureRow.indicator_id,
        RollupFigureRow.breakdown,
        RollupFigureRow.year,
        RollupFigureRow.statistic,
        RollupFigureRow.value,
        RollupFigureRow.unit,
        RollupFigureRow.economies,
    )
    rows = session.execute(select(*columns).where(RollupFigureRow.snapshot_id == snapshot_id).order_by(RollupFigureRow.id))
    return pd.DataFrame([tuple(row) for row in rows], columns=list(names))
