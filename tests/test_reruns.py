"""Reruns on corrected data without a person remembering: a collection that accepts corrections
after the rollup date emits one event per run (the rollup-kpis deployment's trigger), and a
rollup that changes a cycle a built review reads emits one per review (assemble-review's)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

import pytest
from prefect.client.orchestration import get_client
from prefect.events.filters import EventFilter, EventNameFilter, EventOccurredFilter

from smewg.core.cycle import open_cycle
from smewg.core.settings import get_settings
from smewg.flows.collect import collect_submissions
from smewg.flows.rollup import rollup_kpis
from smewg.work.reviews import build_review, review_snapshot
from tests import collection_helpers as h

pytestmark = pytest.mark.prefect


def _events(name: str, since: datetime, expected: int, wait: float = 20) -> list:
    """The server records events a few seconds late: poll until ``expected`` are there, at most
    ``wait`` seconds (so asking for more than will come proves, after ``wait``, that no more came)."""
    deadline = time.monotonic() + wait
    while True:
        with get_client(sync_client=True) as client:
            page = client.read_events(
                EventFilter(event=EventNameFilter(prefix=[name]), occurred=EventOccurredFilter(since=since)), limit=50
            )
        found = [e for e in page.events if e.event == name]
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_corrections_after_the_rollup_date_ask_for_one_rerun_per_collection(prefect_api, smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    start = datetime.now(UTC)
    for code in ("KOR", "PER", "AUS"):
        h.write_csv(h.inbox(code) / f"{code}-v1.csv", h.valid_rows(code), received=datetime(2022, 4, 4, 2, tzinfo=UTC))
    collect_submissions(year=2022, as_of=date(2022, 4, 30))
    h.write_csv(h.inbox("AUS") / "AUS-v2.csv", h.valid_rows("AUS", scale=1.1), received=datetime(2022, 6, 1, 2, tzinfo=UTC))
    collect_submissions(year=2022, as_of=date(2022, 6, 2))  # before the rollup date (15 July): nothing to rerun
    assert _events("smewg.cycle.corrected", start, expected=1, wait=8) == []

    with open_cycle(get_settings(), 2021) as context:  # the mid-term review reads 2021 and 2022
        first_2021 = review_snapshot(context, date(2022, 8, 27), refresh=False, now=datetime.now(UTC))
    with open_cycle(get_settings(), 2022) as context:
        first_2022 = review_snapshot(context, date(2022, 8, 27), refresh=False, now=datetime.now(UTC))
        build_review(context, "midterm", date(2022, 8, 27), {2021: first_2021, 2022: first_2022}, now=datetime.now(UTC))

    for code in ("KOR", "PER"):  # two corrections arrive together after the rollup date
        h.write_csv(h.inbox(code) / f"{code}-v2.csv", h.valid_rows(code, scale=1.2), received=datetime(2022, 9, 1, 2, tzinfo=UTC))
    collect_submissions(year=2022, as_of=date(2022, 9, 2))
    corrected = _events("smewg.cycle.corrected", start, expected=1)
    assert len(corrected) == 1
    assert corrected[0].payload["year"] == 2022 and corrected[0].payload["economies"] == ["KOR", "PER"]
    assert corrected[0].resource.id == "smewg.cycle.smewg-2021-2024.2022"

    rolled = rollup_kpis(year=2022, as_of=date(2022, 9, 2))  # what the trigger runs
    assert rolled["created"] is True
    stale = _events("smewg.review.stale", start, expected=1)
    assert [(e.payload["kind"], e.payload["year"]) for e in stale] == [("midterm", 2022)]
    again = rollup_kpis(year=2022, as_of=date(2022, 9, 2))  # unchanged inputs: nothing becomes stale
    assert again["created"] is False
    assert len(_events("smewg.review.stale", start, expected=2, wait=8)) == 1
