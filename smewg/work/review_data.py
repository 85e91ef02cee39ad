"""What a review reads and concludes: the rollup snapshot of each cycle it covers, the
progress rule, and what changed between two versions.

A review never computes a KPI itself: every figure it prints is a figure of the rollup
snapshot of its year (``rollup_figures``), so each can be checked against the snapshot
named beside it, and the snapshot against the raw submissions.

Progress rule (documented in the report's methodology): an indicator's progress is read
from its ``CHANGE_BASELINE`` of the last year the review covers, total breakdown, which the
rollup computes on a balanced panel (economies reporting both in the baseline year and in
that year). With fewer than :data:`MIN_PANEL` economies in the panel there is "not enough
data". Counts and amounts: a change above +5 % is "improving", below -5 % "worsening",
between "stable". Percents: the same with +/-1 percentage point. Every KPI of the plan is
framed so that more is progress (more SMEs trained, a larger share exporting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smewg.core.catalogue import Plan
from smewg.core.store.models import (
    CycleRow,
    ObservationRow,
    RollupSnapshotRow,
    SubmissionRow,
    ValidationResultRow,
)
from smewg.work.rollup import snapshot_figures

REVIEW_STATISTICS = ("VALUE", "N_REPORTING", "N_NO_DATA", "SUM", "MEAN", "MEDIAN", "CHANGE_PREV", "CHANGE_BASELINE")
"""The rollup's statistics a review prints and compares between versions (the export's vocabulary
plus the counts of "no data" answers and the balanced-panel changes)."""
MIN_PANEL = 3
THRESHOLD = {"percent": 1.0, "count": 5.0, "amount": 5.0}
"""Percentage points for percents, percent change for counts and amounts."""
PROGRESS_STATES = ("improving", "stable", "worsening", "not enough data")


def covered_years(plan: Plan, kind: str) -> list[int]:
    """The cycles a review covers: from the plan's first year to its review year (from the plan file)."""
    review = plan.review(kind)
    if review is None:
        raise ValueError(
            f"the plan {plan.id} has no {kind} review; its reviews are: " + (", ".join(r.kind for r in plan.reviews) or "none")
        )
    return list(range(plan.period.start, review.year + 1))


def snapshot_as_of(session: Session, plan_id: str, year: int, as_of: date) -> RollupSnapshotRow | None:
    """The cycle's newest snapshot made as of ``as_of`` or earlier."""
    return session.scalar(
        select(RollupSnapshotRow)
        .join(CycleRow, RollupSnapshotRow.cycle_id == CycleRow.id)
        .where(CycleRow.plan_id == plan_id, CycleRow.year == year, RollupSnapshotRow.as_of <= as_of)
        .order_by(RollupSnapshotRow.as_of.desc(), RollupSnapshotRow.id.desc())
        .limit(1)
    )


@dataclass
class CycleSnapshot:
    year: int
    snapshot_id: int
    as_of: date
    versions: dict[str, dict[str, int]]
    """Submission version per economy, per year the snapshot read (cycle, previous, baseline)."""
    analytics: dict[str, Any]
    fx_rates: dict[str, float]
    not_converted: list[dict[str, Any]]
    files: dict[str, str] = field(default_factory=dict)
    """Economy -> file name of the version used (untrusted text)."""


@dataclass
class ReviewData:
    kind: str
    years: list[int]
    snapshots: dict[int, CycleSnapshot]
    figures: pd.DataFrame
    """indicator, breakdown, year, statistic, area, value, unit, economies, snapshot_id."""
    quality: list[dict[str, Any]]
    """Quarantined and flagged rows of the versions used: economy, year, row, indicator, breakdown, value, note, status, message."""
    notes: list[dict[str, Any]]
    """Notes economies wrote (a "no data" answer's reason, remarks): economy, year, indicator, breakdown, note."""

    @cached_property
    def changes_on_baseline(self) -> dict[tuple[str, int], Any]:
        """(indicator, year) -> the total's CHANGE_BASELINE figure row (looked up per indicator)."""
        rows = self.figures[(self.figures["breakdown"] == "total") & (self.figures["statistic"] == "CHANGE_BASELINE")]
        return {(row.indicator, int(row.year)): row for row in rows.itertuples(index=False)}

    def lookup(self) -> dict[tuple, float | None]:
        """(indicator, breakdown, year, statistic, area) -> value."""
        return {key: (None if pd.isna(v) else float(v)) for key, v in zip(_keys(self.figures), self.figures["value"])}


def _keys(figures: pd.DataFrame) -> list[tuple]:
    return list(zip(figures["indicator"], figures["breakdown"], figures["year"], figures["statistic"], figures["area"]))


def load_review_data(session: Session, kind: str, snapshots: dict[int, int], *, annex: bool = True) -> ReviewData:
    """Everything the report prints, from the snapshots (``year -> snapshot id``) and the versions they used.

    ``annex=False``: the figures only (enough to compare with another version).
    """
    frames, cycles, cycle_ids = [], {}, {}
    for year, snapshot_id in sorted(snapshots.items()):
        row = session.get(RollupSnapshotRow, snapshot_id)
        assert row is not None, f"snapshot {snapshot_id} is not in the store"
        figures = snapshot_figures(session, snapshot_id)
        figures = figures[(figures["year"] == year) & figures["statistic"].isin(REVIEW_STATISTICS)]
        area = [e[0] if s == "VALUE" else "APEC" for s, e in zip(figures["statistic"], figures["economies"])]
        frames.append(figures.assign(area=area, snapshot_id=snapshot_id))
        details = row.details or {}
        versions = {str(y): dict(v) for y, v in (details.get("submissions") or {}).items()}
        cycle_ids[year] = row.cycle_id
        cycles[year] = CycleSnapshot(
            year,
            snapshot_id,
            row.as_of,
            versions,
            details.get("analytics") or {},
            details.get("fx_rates_used") or {},
            details.get("not_converted") or [],
        )
    columns = ["indicator", "breakdown", "year", "statistic", "area", "value", "unit", "economies", "snapshot_id"]
    figures = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    quality, notes = _quality_and_notes(session, cycles, cycle_ids) if annex else ([], [])
    return ReviewData(kind, sorted(snapshots), cycles, figures, quality, notes)


def _used_versions(
    session: Session, cycles: dict[int, CycleSnapshot], cycle_ids: dict[int, int]
) -> dict[int, list[SubmissionRow]]:
    used: dict[int, list[SubmissionRow]] = {}
    for year, cycle in cycles.items():
        versions = cycle.versions.get(str(year), {})
        rows = session.scalars(select(SubmissionRow).where(SubmissionRow.cycle_id == cycle_ids[year]))
        used[year] = [r for r in rows if versions.get(r.economy_code) == r.version]
        cycle.files = {r.economy_code: r.file_name for r in used[year]}
    return used


def _quality_and_notes(
    session: Session, cycles: dict[int, CycleSnapshot], cycle_ids: dict[int, int]
) -> tuple[list[dict], list[dict]]:
    quality, notes = [], []
    for year, submissions in _used_versions(session, cycles, cycle_ids).items():
        for submission in submissions:
            problems: dict[int, list[str]] = {}
            for result in session.scalars(select(ValidationResultRow).where(ValidationResultRow.submission_id == submission.id)):
                for problem in result.problems or []:
                    if problem.get("row") is not None:
                        problems.setdefault(int(problem["row"]), []).append(str(problem.get("message") or ""))
            # Only the rows the annex lists: a version's other rows (all of them, usually) stay in the store.
            rows = session.execute(
                select(
                    ObservationRow.row_number,
                    ObservationRow.indicator_id,
                    ObservationRow.breakdown,
                    ObservationRow.raw_value,
                    ObservationRow.value,
                    ObservationRow.status,
                    ObservationRow.note,
                )
                .where(
                    ObservationRow.submission_id == submission.id,
                    ObservationRow.status.in_(("quarantined", "flagged")) | (func.coalesce(ObservationRow.note, "") != ""),
                )
                .order_by(ObservationRow.row_number)
            )
            for row in rows:
                base = {
                    "economy": submission.economy_code,
                    "year": year,
                    "row": row.row_number,
                    "indicator": row.indicator_id,
                    "breakdown": row.breakdown,
                }
                if row.status in ("quarantined", "flagged"):
                    quality.append(
                        {
                            **base,
                            "value": row.raw_value,
                            "status": row.status,
                            "message": "; ".join(problems.get(row.row_number, [])),
                            "note": row.note,
                        }
                    )
                elif row.note:
                    notes.append({**base, "note": row.note, "no_data": row.value is None})
    return quality, notes


@dataclass(frozen=True)
class Progress:
    status: str
    change: float | None
    unit: str | None
    panel: int


def progress_of(data: ReviewData, indicator: str, kind: str) -> Progress:
    """The rule in this module's docstring, for one indicator."""
    last = data.years[-1]
    if last == data.years[0]:
        return Progress("not enough data", None, None, 0)
    figure = data.changes_on_baseline.get((indicator, last))
    if figure is None or figure.value is None or pd.isna(figure.value):
        return Progress("not enough data", None, None, 0)
    panel = len(figure.economies)
    change = float(figure.value)
    if panel < MIN_PANEL:
        return Progress("not enough data", change, figure.unit, panel)
    threshold = THRESHOLD[kind]
    status = "improving" if change > threshold else ("worsening" if change < -threshold else "stable")
    return Progress(status, change, figure.unit, panel)


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (a is None or (isinstance(a, float) and math.isnan(a))) == (b is None or (isinstance(b, float) and math.isnan(b)))
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def changed_figures(old: ReviewData, new: ReviewData) -> list[dict[str, Any]]:
    """Every figure of ``new`` that differs from ``old`` (or exists in one only), with the
    economies whose corrected submissions moved it: for a year's own figures, those whose
    version of that year changed; for a change on the previous or baseline year, those whose
    version of either year changed; only economies the figure is computed from. An empty
    list means no correction moved it (an FX table or plan edit did)."""

    def rows(data: ReviewData) -> dict[tuple, tuple[float | None, list[str], str | None]]:
        return {
            key: (None if pd.isna(v) else float(v), list(e), u)
            for key, v, e, u in zip(_keys(data.figures), data.figures["value"], data.figures["economies"], data.figures["unit"])
        }

    before, after = rows(old), rows(new)
    baseline = min(new.years) if new.years else 0
    changes = []
    for key in sorted(set(before) | set(after), key=lambda k: (k[2], k[0], k[1], k[3], k[4])):
        old_value, old_economies, old_unit = before.get(key, (None, [], None))
        new_value, new_economies, new_unit = after.get(key, (None, [], None))
        if _same(old_value, new_value):
            continue  # equal, or missing on both sides ("–" before and after is no change)
        indicator, breakdown, year, statistic, area = key
        years = (
            {int(year)}
            | ({int(year) - 1} if statistic == "CHANGE_PREV" else set())
            | ({baseline} if statistic == "CHANGE_BASELINE" else set())
        )
        moved = _moved_economies(old.snapshots.get(year), new.snapshots.get(year), years)
        economies = [area] if statistic == "VALUE" else sorted(moved & (set(old_economies) | set(new_economies)))
        changes.append(
            {
                "indicator": indicator,
                "breakdown": breakdown,
                "year": int(year),
                "statistic": statistic,
                "area": area,
                "old": old_value,
                "new": new_value,
                "unit": new_unit or old_unit,
                "economies": economies,
            }
        )
    return changes


def _moved_economies(old: CycleSnapshot | None, new: CycleSnapshot | None, years: set[int]) -> set[str]:
    """Economies whose submission version of one of ``years`` differs between two snapshots."""
    if old is None or new is None:
        return set()
    moved = set()
    for year in {str(y) for y in years}:
        a, b = old.versions.get(year, {}), new.versions.get(year, {})
        moved |= {code for code in set(a) | set(b) if a.get(code) != b.get(code)}
    return moved
