"""Validation under the parallel collection the flows do (one task per economy, in threads):
Great Expectations' shared parser and caches once failed at random there. 21 economies'
files validated at once, several rounds, give exactly what validating them one by one gives.
(The long variant, 50 rounds of 21 economies collected into a store, is
``bench/parallel_collections.py``.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from smewg.work.parse import parse_submission
from smewg.work.quality import FileToValidate, validate_many
from tests import collection_helpers as h
from tests.apec import APEC_ORDER


def test_21_economies_validated_at_once_give_what_one_by_one_gives(smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    context = h.context()
    plan = context.catalogue.plan
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    files = []
    for n, code in enumerate(APEC_ORDER):
        rows = h.valid_rows(code)
        rows[n % len(rows)][4] = "-5" if n % 2 else "many"  # a different bad row in each economy
        path = h.write_csv(h.inbox(code) / f"{code}.csv", rows)
        parsed = parse_submission(
            path, economy=code, year=2022, registry=context.catalogue.economies, kinds=kinds, max_bytes=10**7
        )
        files.append(FileToValidate(parsed.frame, parsed.problems))
    one_by_one = [validate_many([item], plan, 2022)[0] for item in files]
    assert all(len(v.problems) >= 1 for v in one_by_one)

    with ThreadPoolExecutor(max_workers=len(files)) as pool:
        for _ in range(2):
            at_once = list(pool.map(lambda item: validate_many([item], plan, 2022)[0], files))
            for alone, parallel in zip(one_by_one, at_once, strict=True):
                assert parallel.problems == alone.problems
                assert parallel.statuses.tolist() == alone.statuses.tolist()
