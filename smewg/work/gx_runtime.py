"""Running a Great Expectations suite without paying its set-up on every file.

Six costs of GX 1.x that are not the checks themselves (measured here on a 60-row file
and at 300,000 rows). What follows reaches into GX 1.24's internals, which is why
``pyproject.toml`` pins GX below 1.25; ``tests/test_gx_runtime.py`` compares the results
with GX's own on a fresh context and checks that each shortcut is taken.

- An ephemeral context with its pandas data source, asset and batch definition: ~11 ms,
  mostly GX writing its project configuration as YAML after each of the four steps. One
  is kept per thread (contexts and their batch caches are not safe to share across
  threads) and reused: each validation passes its own data frame as the batch.
- ``Expectation.configuration`` is a property that rebuilds the expectation's whole
  configuration (pydantic ``dict()``, value sets included) on every read, and a
  validation reads it ~45 times per expectation (once per keyword looked up): ~40% of a
  validation's time, and more as value sets grow. While :func:`validation_scope` is
  active on a thread, each expectation object's configuration is built once. The objects
  a validation reads are the ones GX builds for it from the suite and drops after it; they
  are not changed while it runs, and the cache ends with the validation.
- A rule with a row condition (``kind == 'percent'``, ...) has the frame filtered by
  ``DataFrame.query`` once per metric it computes (~4): a parse and a copy of the whole
  frame each time (at 300,000 rows py-spy put 0.62 s of a 1.44 s validation in GX's
  domain filtering, these queries the larger part). Within :func:`validation_scope`
  each condition filters a batch's frame once; the metrics read the filtered frame.
- A rule on a pair or list of columns with ``ignore_row_if`` has the rows with a missing
  value dropped from a copy of the whole frame once per metric it computes (~4). Within
  :func:`validation_scope` each such domain of a batch's frame is made once.
- Each batch of a data frame is fingerprinted (an MD5 of ``hash_pandas_object`` over every
  cell, ~0.7 s per million rows) for GX's batch markers, which nothing here reads. The
  fingerprint is skipped (``HASH_THRESHOLD``: frames under it are hashed).
- Every metric configuration (~1,700 in a run of the suite on six files) is named by an MD5
  of its keyword arguments serialised as JSON; ~200 distinct. Within a scope each is
  worked out once (a run of the suite on one demo file: 112 -> 98 ms, median of 15).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from great_expectations.core.id_dict import IDDict
from great_expectations.execution_engine import pandas_execution_engine
from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import Expectation

ROW_ID = "row"
_local = threading.local()
_rebuild = Expectation.configuration.fget  # type: ignore[attr-defined]


def _once(cache_name: str, key: Any, held: tuple[Any, ...], compute) -> Any:
    """``compute()``, remembered under ``key`` in this thread's cache ``cache_name`` while a
    :func:`validation_scope` is active (computed every time otherwise). ``held`` (the objects
    whose ids are in ``key``) are kept with the value, so that their ids are not reused
    meanwhile; a hit needs the very same objects."""
    cache: dict[Any, tuple[tuple[Any, ...], Any]] | None = getattr(_local, cache_name, None)
    if cache is None:
        return compute()
    entry = cache.get(key)
    if entry is None or len(entry[0]) != len(held) or any(a is not b for a, b in zip(entry[0], held)):
        entry = cache[key] = (held, compute())
    return entry[1]


def _configuration_read_once(self: Expectation):
    return _once("configurations", id(self), (self,), lambda: _rebuild(self))


Expectation.configuration = property(_configuration_read_once, doc=Expectation.configuration.__doc__)  # type: ignore[method-assign,assignment]
pandas_execution_engine.HASH_THRESHOLD = 0  # no frame is under 0 bytes: no fingerprint
_filter = PandasExecutionEngine._apply_row_condition_filter


def _filtered_once(self: PandasExecutionEngine, data, row_condition, domain_kwargs: dict):
    key = (id(data), repr(row_condition), domain_kwargs.get("condition_parser"))
    return _once("filtered", key, (data,), lambda: _filter(self, data, row_condition, domain_kwargs))


PandasExecutionEngine._apply_row_condition_filter = _filtered_once  # type: ignore[method-assign]
_domain_records = PandasExecutionEngine.get_domain_records


def _domain_records_once(self: PandasExecutionEngine, domain_kwargs: dict):
    """GX's domain for a rule, made once per scope when it drops rows (``ignore_row_if``)."""
    if "ignore_row_if" not in domain_kwargs:
        return _domain_records(self, domain_kwargs)
    batches = self.batch_manager
    batch_id = domain_kwargs.get("batch_id")
    source = batches.active_batch_data if batch_id is None else batches.batch_data_cache.get(batch_id)
    if source is None:  # GX's own error follows
        return _domain_records(self, domain_kwargs)
    key = (id(source), repr(sorted(domain_kwargs.items())))
    return _once("domains", key, (source,), lambda: _domain_records(self, domain_kwargs))


PandasExecutionEngine.get_domain_records = _domain_records_once  # type: ignore[method-assign]
_to_id = IDDict.to_id
_SCALARS = (str, int, float, bool, type(None))


def _id_computed_once(self: IDDict, id_keys=None, id_ignore_keys=None):
    """GX names every metric by an MD5 of its keyword arguments serialised as JSON, value sets
    included, for each of the ~500 metric configurations a validation makes. Within a
    :func:`validation_scope` the id is computed once per content: scalars by value, other
    values (value sets, nested options) by identity, all held until the scope ends."""
    if id_keys is not None or id_ignore_keys is not None:
        return _to_id(self, id_keys, id_ignore_keys)
    names = sorted(self)
    values = [self[name] for name in names]
    objects = tuple(v for v in values if not isinstance(v, _SCALARS))
    key = (type(self), tuple(names), tuple((type(v), v) if isinstance(v, _SCALARS) else id(v) for v in values))
    return _once("ids", key, objects, lambda: _to_id(self))


IDDict.to_id = _id_computed_once  # type: ignore[method-assign]


@contextmanager
def validation_scope() -> Iterator[None]:
    """Within, on this thread: each expectation's configuration is built once, each row
    condition filters a frame once, each ``ignore_row_if`` domain is made once, and each
    metric's id is worked out once per content."""
    _local.configurations, _local.filtered, _local.domains, _local.ids = {}, {}, {}, {}
    try:
        yield
    finally:
        _local.configurations, _local.filtered, _local.domains, _local.ids = None, None, None, None


def _batch_definition():
    """This thread's pandas batch definition (made once per thread)."""
    definition = getattr(_local, "batch_definition", None)
    if definition is None:
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("submission").add_dataframe_asset("rows")
        definition = _local.batch_definition = asset.add_batch_definition_whole_dataframe("all")
    return definition


COMPLETE = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]}
"""Each failure with its rows' ``row`` ids, its values, counts and lists: what Data Docs show."""
PASS_OR_FAIL = {"result_format": "BOOLEAN_ONLY"}
"""Whether each expectation holds, and nothing else: about half the time of ``COMPLETE`` on a
65-row file (68 against 124 ms for the submission suite), which also works out every
expectation's unexpected values and rows."""


def run_suite(data, suite, result_format: dict[str, Any] = COMPLETE) -> Any:
    """``suite`` run on the data frame ``data``: GX's validation result, in ``result_format``
    (by default each failure with its rows' ``row`` ids)."""
    definition = _batch_definition()
    batch = definition.get_batch(batch_parameters={"dataframe": data})
    try:
        with validation_scope():
            return batch.validate(suite, result_format=result_format)
    finally:
        # The reused engine would keep this frame and every metric it resolved, under a
        # batch id that is the same for every frame: forget both, so nothing carries over
        # to the next validation and the frame is freed.
        engine = definition.data_asset.datasource.get_execution_engine()
        engine._metric_cache.clear()
        batches = engine.batch_manager
        batches.reset_batch_cache()
        batches._batch_data_cache.clear()  # reset_batch_cache keeps the data itself
        batches._active_batch_data_id = None
