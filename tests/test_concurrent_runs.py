"""Runs that overlap (issue 13, finding 8): rollups started beside a collection and beside
each other, and reviews built at the same moment, on SQLite and PostgreSQL. Each must end
without an error, rollups that read the same inputs must share one snapshot, and reviews
on the same inputs one version."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from smewg.core.clock import now_utc
from smewg.core.cycle import load_cycle_context
from smewg.core.settings import get_settings
from smewg.core.store import store_session
from smewg.core.store.models import ReviewVersionRow, RollupSnapshotRow
from smewg.work.collect import collect_all
from smewg.work.review_data import covered_years
from smewg.work.reviews import build_review, review_snapshot
from smewg.work.rollup import rollup
from tests import collection_helpers as h

AS_OF = date(2022, 8, 27)
RECEIVED = datetime(2022, 5, 2, 2, tzinfo=UTC)


def together(*jobs: Callable[[], Any]) -> list[Any]:
    """Start every job at the same moment on its own thread; their results, or raise the first error."""
    start = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(position: int, job: Callable[[], Any]) -> None:
        try:
            start.wait()
            results[position] = job()
        except BaseException as error:  # the test reports it
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not any(thread.is_alive() for thread in threads), "a run did not end within 10 minutes"
    if errors:
        raise errors[0]
    return results


def _rollup_2022():
    context = load_cycle_context(get_settings(), 2022)
    try:
        return rollup(context, AS_OF, now=now_utc())
    finally:
        context.close()


def _collect_2022():
    context = load_cycle_context(get_settings(), 2022)
    try:
        return collect_all(context, AS_OF)
    finally:
        context.close()


def _midterm() -> dict:
    settings = get_settings()
    years = covered_years(load_cycle_context(settings, 2022).catalogue.plan, "midterm")  # files only: no store used
    snapshots = {}
    for year in years:
        context = load_cycle_context(settings, year)
        try:
            snapshots[year] = review_snapshot(context, AS_OF, refresh=False, now=now_utc())
        finally:
            context.close()
    context = load_cycle_context(settings, years[-1])
    try:
        return build_review(context, "midterm", AS_OF, snapshots, now=now_utc()).as_dict()
    finally:
        context.close()


def test_rollups_beside_a_collection_and_each_other_end_without_error_and_share_snapshots(database_url, smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    for code in ("AUS", "KOR", "PER"):
        h.write_csv(h.inbox(code) / f"{code}.csv", h.valid_rows(code), received=RECEIVED)
    _collect_2022()
    for code in ("SGP", "VNM", "CHL"):  # arriving while the rollups run
        h.write_csv(h.inbox(code) / f"{code}.csv", h.valid_rows(code), received=RECEIVED)

    results = together(*([_rollup_2022] * 6), _collect_2022)
    snapshots = results[:6]
    assert sorted(o.economy for o in results[6] if o.status != "unchanged") == ["CHL", "SGP", "VNM"]
    by_inputs: dict[tuple[int, ...], set[int]] = {}
    for snapshot in snapshots:
        by_inputs.setdefault(tuple(snapshot.submission_ids), set()).add(snapshot.snapshot_id)
    assert all(len(ids) == 1 for ids in by_inputs.values()), by_inputs  # same inputs, one snapshot
    assert sum(s.created for s in snapshots) == len(by_inputs)

    after = _rollup_2022()  # everything collected: one more snapshot at most, then none
    assert len(after.submission_ids) == 6 and not _rollup_2022().created
    with store_session(database_url) as session:
        keys = list(session.scalars(select(RollupSnapshotRow.inputs_key)))
    assert len(keys) == len(set(keys))


def test_reviews_built_at_the_same_moment_make_one_version(database_url, smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    for year in (2021, 2022):
        for code in ("AUS", "KOR"):
            h.write_csv(
                h.inbox(code, year) / f"{code}-{year}.csv", h.valid_rows(code, year), received=RECEIVED.replace(year=year)
            )
        context = load_cycle_context(get_settings(), year)
        collect_all(context, AS_OF)
        context.close()

    results = together(*([_midterm] * 4))
    assert {r["version"] for r in results} == {1}
    assert sum(r["created"] for r in results) == 1
    with store_session(database_url) as session:
        assert session.scalar(select(func.count()).select_from(ReviewVersionRow)) == 1
    built = results[0]
    assert all(Path(built[label]).is_file() for label in ("html", "pdf"))
