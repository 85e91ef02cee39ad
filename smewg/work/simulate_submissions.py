"""A deterministic generator of realistic submissions for the demo and the tests.

For a cycle it writes, per economy, what economies really send: the XLSX template or a
CSV, figures that grow a little year on year, gaps answered "not collected", a few
missing rows, amounts in the local currency, a few bad rows, some late arrivals, a few
economies that never submit, and some corrected files a week or two later. Files get
their arrival time as modification time, so collection ``as_of`` a day sees only what
had arrived. The same year always gives the same files.
"""

from __future__ import annotations

import csv
import os
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from smewg.core.calendar import Calendar
from smewg.core.catalogue import Catalogue, Indicator
from smewg.core.cycle import CycleContext
from smewg.core.economies import Economy
from smewg.core.submission_format import CSV_COLUMNS, DATA_SHEET
from smewg.work.collect import inbox_for
from smewg.work.templates import template_rows, template_workbook

# Rough local-currency units per US dollar, only to make simulated amounts look right.
LOCAL_PER_USD = {
    "AUD": 1.4,
    "BND": 1.35,
    "CAD": 1.3,
    "CLP": 850.0,
    "CNY": 6.9,
    "HKD": 7.8,
    "IDR": 15000.0,
    "JPY": 135.0,
    "KRW": 1300.0,
    "MYR": 4.5,
    "MXN": 18.5,
    "NZD": 1.6,
    "PGK": 3.6,
    "PEN": 3.8,
    "PHP": 55.0,
    "RUB": 75.0,
    "SGD": 1.35,
    "TWD": 30.0,
    "THB": 34.0,
    "USD": 1.0,
    "VND": 23500.0,
}
BAD_ROW_KINDS = ("negative", "percent_over_100", "unknown_breakdown", "not_a_number", "decimal_comma")


@dataclass
class SimulatedFile:
    economy: str
    path: Path
    received_at: datetime
    bad_rows: list[str] = field(default_factory=list)
    correction: bool = False


def _base_value(indicator: Indicator, economy: Economy, rng: random.Random) -> float:
    size = 0.3 + (sum(map(ord, economy.code)) % 17) / 4  # a stable "size" per economy
    if indicator.kind == "percent":
        return round(rng.uniform(5, 60), 1)
    if indicator.kind == "amount":
        return rng.uniform(50e6, 5e9) * size * LOCAL_PER_USD.get(economy.currency, 1.0)
    return rng.uniform(5, 400) * size


def _figures(catalogue: Catalogue, economy: Economy, year: int) -> dict[tuple[str, str], float]:
    """Stable base levels per economy (seeded without the year) grown by a few percent a year."""
    base_rng = random.Random(f"base-{economy.code}")
    year_rng = random.Random(f"{year}-{economy.code}-growth")
    figures = {}
    for indicator in catalogue.plan.all_indicators():
        base = _base_value(indicator, economy, base_rng)
        growth = (1 + year_rng.uniform(-0.05, 0.15)) ** (year - catalogue.plan.period.start)
        if indicator.kind == "percent":  # shares drift a few points a year
            total = min(99.0, max(1.0, base + year_rng.uniform(-3, 3) * (year - catalogue.plan.period.start)))
        else:
            total = base * growth
        for breakdown in indicator.breakdowns:
            share = 1.0 if breakdown == "total" else base_rng.uniform(0.1, 0.45)
            value = total * share if indicator.kind != "percent" or breakdown == "total" else min(99.0, total * (0.6 + share))
            if indicator.kind == "count":
                value = round(value)
            elif indicator.kind == "percent":
                value = round(value, 1)
            else:
                value = round(value, -3)
            figures[(indicator.id, breakdown)] = value
    return figures


def _rows(catalogue: Catalogue, economy: Economy, year: int, rng: random.Random) -> list[list]:
    figures = _figures(catalogue, economy, year)
    rows = []
    for row in template_rows(catalogue, economy, year):
        roll = rng.random()
        if roll < 0.04:
            continue  # not reported at all: a warning, not an error
        if roll < 0.16:
            rows.append(
                [
                    economy.code,
                    year,
                    row.indicator.id,
                    row.breakdown,
                    "",
                    row.unit,
                    rng.choice(["not collected", "not applicable"]),
                ]
            )
        else:
            rows.append(
                [economy.code, year, row.indicator.id, row.breakdown, figures[(row.indicator.id, row.breakdown)], row.unit, ""]
            )
    return rows


def _spoil(rows: list[list], rng: random.Random, count: int) -> list[str]:
    """Make ``count`` rows wrong in the ways economies get them wrong; returns what was done."""
    done = []
    numbered = [r for r in rows if r[4] != ""]
    for kind, row in zip(rng.sample(BAD_ROW_KINDS, count), rng.sample(numbered, count)):
        if kind == "negative":
            row[4] = -abs(float(row[4]) or 1)
        elif kind == "percent_over_100":
            row[2], row[3], row[4], row[5] = "1.4.1", "total", 150.0, "percent"
        elif kind == "unknown_breakdown":
            row[3] = "men"
        elif kind == "not_a_number":
            row[4], row[6] = "n/a", ""
        elif kind == "decimal_comma":
            row[4] = "1.234,5"
        done.append(f"{kind}:{row[2]}")
    return done


def _write_csv(path: Path, rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)


def _write_filled_template(path: Path, catalogue: Catalogue, economy: Economy, year: int, rows: list[list]) -> None:
    """Fill the economy's own template, as a focal point would in Excel."""
    workbook = template_workbook(catalogue, economy, year)
    sheet = workbook[DATA_SHEET]
    by_key = {(r[2], r[3]): r for r in rows}
    used = set()
    for cells in sheet.iter_rows(min_row=2):
        key = (cells[2].value, cells[5].value)
        if key in by_key:
            row = by_key[key]
            cells[6].value, cells[7].value, cells[8].value = (row[4] if row[4] != "" else None), row[5], (row[6] or None)
            used.add(key)
        else:
            cells[7].value = None  # left blank by the economy (not reported)
    extra = [r for k, r in by_key.items() if k not in used]  # e.g. a breakdown the template does not list
    for row in extra:
        sheet.append([row[0], row[1], row[2], None, None, row[3], row[4], row[5], row[6] or None])
    workbook.save(path)


def _stamp(path: Path, received: datetime) -> None:
    os.utime(path, (received.timestamp(), received.timestamp()))


def simulate_submissions(inbox: Path, catalogue: Catalogue, calendar: Calendar) -> list[SimulatedFile]:
    """Write the cycle's simulated submissions under ``inbox/<year>/<CODE>/``."""
    year = calendar.year
    zone = ZoneInfo(calendar.timezone)
    written = []
    economies = catalogue.participating()
    cycle_rng = random.Random(f"cycle-{year}")
    silent = set(cycle_rng.sample([e.code for e in economies], 2))
    for economy in economies:
        if economy.code in silent:
            continue
        rng = random.Random(f"{year}-{economy.code}")
        deadline = calendar.deadline_for(economy.code)
        if rng.random() < 0.2:
            arrival = deadline + timedelta(days=rng.randint(1, 20))  # late
        else:
            arrival = calendar.call_for_data + timedelta(days=rng.randint(10, (deadline - calendar.call_for_data).days))
        received = datetime.combine(arrival, time(9, rng.randint(0, 59)), tzinfo=zone)
        rows = _rows(catalogue, economy, year, rng)
        bad = _spoil(rows, rng, rng.choice([0, 0, 1, 2, 3]))
        folder = inbox / str(year) / economy.code
        folder.mkdir(parents=True, exist_ok=True)
        as_xlsx = rng.random() < 0.5
        path = folder / (f"smewg-{year}-{economy.code}.xlsx" if as_xlsx else f"{economy.code}_{year}_KPI.csv")
        if as_xlsx:
            _write_filled_template(path, catalogue, economy, year, rows)
        else:
            _write_csv(path, rows)
        _stamp(path, received)
        written.append(SimulatedFile(economy.code, path, received, bad))
        if bad and rng.random() < 0.6:
            fixed = _rows(catalogue, economy, year, random.Random(f"{year}-{economy.code}-fix"))
            correction_day = received + timedelta(days=rng.randint(5, 15))
            fix_path = folder / f"{economy.code}_{year}_KPI_corrected.csv"
            _write_csv(fix_path, fixed)
            _stamp(fix_path, correction_day)
            written.append(SimulatedFile(economy.code, fix_path, correction_day, [], correction=True))
    return written


@dataclass(frozen=True)
class SimulationDays:
    """The days of a cycle on which something happens, for a simulation that steps day by day."""

    actions: frozenset[date]
    arrivals: frozenset[date]
    rollup: date | None
    """None when the rollup date is after the simulation's end."""
    reviews: dict[date, str]
    """Review milestones of the cycle: day -> kind (midterm, final)."""

    @property
    def decisions(self) -> frozenset[date]:
        """Days on which something is decided from what has been collected."""
        return self.actions | ({self.rollup} if self.rollup else frozenset()) | frozenset(self.reviews)

    @property
    def collections(self) -> frozenset[date]:
        """The days the simulation collects: for each arrival, the next day something is decided
        from the submissions (a reminder, an escalation, the rollup, a review), so every decision
        sees exactly the files that had arrived; an arrival after the last decision, its own day.
        Collecting every file on its day gives the same decisions, with one GX run per file."""
        decisions = sorted(self.decisions)
        return frozenset(next((d for d in decisions if d >= day), day) for day in self.arrivals)

    @property
    def all(self) -> list[date]:
        return sorted(self.decisions | self.collections)


def simulation_days(context: CycleContext, until: date | None = None) -> SimulationDays:
    """Action days of the calendar, days files arrived in the inbox, and the rollup date, up to ``until``."""
    files, _ = inbox_for(context, until or date(context.year + 1, 12, 31))
    zone = ZoneInfo(context.calendar.timezone)
    arrivals = {f.received_at.astimezone(zone).date() for economy_files in files.values() for f in economy_files}
    actions = set(context.calendar.action_days([e.code for e in context.catalogue.participating()]))

    def keep(days: set[date]) -> frozenset[date]:
        return frozenset(d for d in days if until is None or d <= until)

    rollup = context.calendar.rollup if until is None or context.calendar.rollup <= until else None
    reviews: dict[date, str] = {r.date: r.kind for r in context.calendar.reviews if until is None or r.date <= until}
    return SimulationDays(keep(actions), keep(arrivals), rollup, reviews)


def simulate_correction(context: CycleContext, economy: str, indicator: str, factor: float, received: datetime) -> Path | None:
    """``economy`` resends its cycle file with ``indicator`` (total) multiplied by ``factor``,
    every other row as stored: the correction a review rerun must pick up. None when the
    economy has no accepted version carrying that figure."""
    from sqlalchemy import select

    from smewg.core.store import session_scope
    from smewg.core.store.models import CycleRow, ObservationRow, SubmissionRow

    with session_scope(context.engine) as session:
        current = session.scalar(
            select(SubmissionRow)
            .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
            .where(
                CycleRow.plan_id == context.plan_id,
                CycleRow.year == context.year,
                SubmissionRow.economy_code == economy,
                SubmissionRow.status == "accepted",
            )
        )
        if current is None:
            return None
        rows = session.scalars(
            select(ObservationRow)
            .where(ObservationRow.submission_id == current.id, ObservationRow.status != "quarantined")
            .order_by(ObservationRow.row_number)
        ).all()
        records = [[economy, context.year, r.indicator_id, r.breakdown, r.value, r.unit or "", r.note or ""] for r in rows]
        version = current.version
    target = next((r for r in records if r[2] == indicator and r[3] == "total" and r[4] is not None), None)
    if target is None:
        return None
    value = target[4]
    assert isinstance(value, int | float)
    kind = next(i.kind for i in context.catalogue.plan.all_indicators() if i.id == indicator)
    corrected = float(value) * factor
    target[4] = round(corrected) if kind == "count" else round(corrected, 2)  # counts stay whole
    path = (
        context.settings.resolved_inbox / str(context.year) / economy / f"{economy}-{context.year}-correction-of-v{version}.csv"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_csv(path, [[c if c is not None else "" for c in r] for r in records])
    _stamp(path, received)
    return path


def simulate_a_correction(context: CycleContext, received: datetime) -> dict[str, str] | None:
    """The first economy (APEC order) with an accepted file corrects its total for the plan's
    first indicator upward by a quarter: the demo's correction after the mid-term review."""
    indicator = next(iter(context.catalogue.plan.all_indicators())).id
    for economy in context.catalogue.participating():
        path = simulate_correction(context, economy.code, indicator, 1.25, received)
        if path is not None:
            return {"economy": economy.code, "indicator": indicator, "file": str(path), "received_at": received.isoformat()}
    return None
