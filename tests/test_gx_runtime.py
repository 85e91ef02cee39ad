"""Great Expectations run without its per-file set-up (``smewg.work.gx_runtime``): the
results are GX's own, as a fresh context with nothing cached gives them."""

from __future__ import annotations

import great_expectations as gx

from smewg.work import quality
from smewg.work.gx_runtime import ROW_ID, run_suite
from smewg.work.parse import parse_submission
from tests import collection_helpers as h


def _fresh_context_result(frame, suite):
    """GX as its documentation runs it: a new ephemeral context, no configuration cached."""
    context = gx.get_context(mode="ephemeral")
    batch = (
        context.data_sources.add_pandas("fresh")
        .add_dataframe_asset("rows")
        .add_batch_definition_whole_dataframe("all")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    return batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]})


def _outcomes(result) -> list[tuple]:
    return [
        (
            r.expectation_config.type,
            r.expectation_config.kwargs.get("column"),
            r.success,
            sorted(e[ROW_ID] for e in (r.result or {}).get("unexpected_index_list") or []),
        )
        for r in result.results
    ]


def _prepared(code: str, smewg_home, bad: dict[int, tuple[int, str]]):
    context = h.context()
    plan = context.catalogue.plan
    rows = h.valid_rows(code)
    for row, (column, text) in bad.items():
        rows[row][column] = text
    path = h.write_csv(h.inbox(code) / f"{code}.csv", rows)
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    parsed = parse_submission(path, economy=code, year=2022, registry=context.catalogue.economies, kinds=kinds, max_bytes=10**7)
    return quality.prepare(parsed.frame, plan), plan


def test_a_reused_context_and_read_once_configurations_give_gx_own_results(smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    first, plan = _prepared("AUS", smewg_home, {0: (4, "-5"), 3: (4, "many"), 5: (2, "9.9.9"), 7: (5, "")})
    second, _ = _prepared("JPN", smewg_home, {13: (4, "150"), 2: (3, "nobody"), 4: (4, "2.5"), 6: (4, "")})
    # Every rule with a row condition has a row to judge in both frames, failing in one.
    kinds = set(first["kind"]) & set(second["kind"])
    assert {"count", "percent"} <= kinds
    suite = quality.load_suite(parameters=quality.suite_parameters(plan, 2022))

    expected_first = _outcomes(_fresh_context_result(first, suite))
    expected_second = _outcomes(_fresh_context_result(second, suite))
    failed_first = {(kind, column) for kind, column, success, _ in expected_first if not success}
    failed_second = {(kind, column) for kind, column, success, _ in expected_second if not success}
    # The rules with a row condition (unit where a value is given, a value where no note,
    # percent 0-100, whole counts) caught their rows, each frame its own.
    assert ("expect_column_values_to_not_be_null", "unit") in failed_first - failed_second
    assert ("expect_column_values_to_not_be_null", "value_text") in failed_second - failed_first
    assert ("expect_column_values_to_match_regex", "value_text") in failed_second
    assert any(kind == "expect_column_values_to_be_between" and column == "value" for kind, column in failed_second)
    assert expected_first != expected_second

    # The same thread's context validates one frame, then another, then the first again:
    # each result is the fresh context's, nothing carried over from the frame before.
    assert _outcomes(run_suite(first, suite)) == expected_first
    assert _outcomes(run_suite(second, suite)) == expected_second
    assert _outcomes(run_suite(first, suite)) == expected_first


def test_two_passes_find_the_failures_gx_finds_in_one_with_the_same_rows_and_details(smewg_home, monkeypatch):
    """``quality.failed_outcomes`` asks each rule whether it holds, then only the failing ones
    for their rows: the same failing rules, rows and details as GX's own single complete
    run, for a clean file, a faulty one, and a one-rule suite."""
    h.prepare(smewg_home, monkeypatch)
    faulty, plan = _prepared("AUS", smewg_home, {0: (4, "-5"), 3: (4, "many"), 5: (2, "9.9.9"), 7: (5, "")})
    clean, _ = _prepared("JPN", smewg_home, {})
    suites = quality._suites(quality.suite_parameters(plan, 2022))

    def failures(outcomes) -> list[tuple]:
        return sorted(
            (
                int(o.expectation_config.meta["rule"]),
                sorted(e[ROW_ID] for e in (o.result or {}).get("unexpected_index_list") or []),
                (o.result or {}).get("partial_missing_list"),
                (o.result or {}).get("missing_count"),
                (o.result or {}).get("unexpected_count"),
                bool(o.exception_info and o.exception_info.get("raised_exception")),
            )
            for o in outcomes
            if not o.success
        )

    for frame in (faulty, clean):
        for suite in (suites.whole, suites.files):
            expected = failures(_fresh_context_result(frame, suite).results)
            assert failures(quality.failed_outcomes(frame, suite)) == expected
    assert len(failures(quality.failed_outcomes(faulty, suites.whole))) >= 4  # four faults, four rules
    assert failures(quality.failed_outcomes(clean, suites.whole)) == []


def test_each_configuration_and_row_condition_is_worked_out_once_and_nothing_is_kept(smewg_home, monkeypatch):
    import gc
    import weakref

    from smewg.work import gx_runtime

    h.prepare(smewg_home, monkeypatch)
    frame, plan = _prepared("KOR", smewg_home, {0: (4, "-5")})
    suite = quality.load_suite(parameters=quality.suite_parameters(plan, 2022))
    run_suite(frame.copy(), suite)  # the thread's context made
    built, filtered, ids, domains = [], [], [], []
    monkeypatch.setattr(gx_runtime, "_rebuild", lambda expectation: built.append(id(expectation)) or _REBUILD(expectation))
    monkeypatch.setattr(gx_runtime, "_filter", lambda *args: filtered.append(repr(args[2])) or _FILTER(*args))
    monkeypatch.setattr(gx_runtime, "_to_id", lambda *args: ids.append(dict(args[0])) or _TO_ID(*args))

    def domain_records(engine, kwargs):
        if "ignore_row_if" in kwargs:
            domains.append(repr(sorted(kwargs.items())))
        return _DOMAIN_RECORDS(engine, kwargs)

    monkeypatch.setattr(gx_runtime, "_domain_records", domain_records)

    _fresh_context_result(frame.copy(), suite)  # GX alone: no validation scope, nothing cached
    built_by_gx, filtered_by_gx, ids_by_gx, domains_by_gx = len(built), len(filtered), len(ids), len(domains)
    for calls in (built, filtered, ids, domains):
        calls.clear()

    data = frame.copy()
    run_suite(data, suite)
    conditions = [e for e in suite.expectations if e.row_condition]
    assert len(conditions) >= 3
    assert len(filtered) == len(set(filtered)) == len(conditions)  # each condition filtered the frame once
    assert filtered_by_gx >= 2 * len(conditions)
    assert len(built) == len(set(built))  # each expectation object's configuration built once
    assert len(built) * 5 < built_by_gx
    assert len(ids) * 4 < ids_by_gx  # each metric's id worked out once per content
    dropping = [e for e in suite.expectations if getattr(e, "ignore_row_if", None) not in (None, "never", "neither")]
    assert len(dropping) >= 2
    assert len(domains) == len(set(domains)) == len(dropping)  # rows with missing values dropped once per rule
    assert domains_by_gx >= 2 * len(dropping)

    # Nothing of this validation stays with the thread's reused context.
    gone = weakref.ref(data)
    del data
    gc.collect()
    assert gone() is None
    engine = gx_runtime._batch_definition().data_asset.datasource.get_execution_engine()
    assert len(engine._metric_cache) == 0


_REBUILD = __import__("smewg.work.gx_runtime", fromlist=["_rebuild"])._rebuild
_FILTER = __import__("smewg.work.gx_runtime", fromlist=["_filter"])._filter
_TO_ID = __import__("smewg.work.gx_runtime", fromlist=["_to_id"])._to_id
_DOMAIN_RECORDS = __import__("smewg.work.gx_runtime", fromlist=["_domain_records"])._domain_records
