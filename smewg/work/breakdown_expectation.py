"""The one rule GX has no fast built-in for: is this breakdown allowed for this indicator?

``ExpectColumnPairValuesToBeInSet`` loops row by row on pandas, and an in-set check on
"indicator|breakdown" strings carries every allowed pair in the expectation's kwargs,
which GX copies many times per validation (seconds for a large plan). This expectation
takes only the plan id; the allowed pairs come from :func:`register_plan`, and the check
is a lookup of integer codes: each (indicator, breakdown) pair becomes one integer, and
the row's integer is searched among the allowed ones (concatenating the two columns as
strings cost 1.5 s per million rows). Rows whose indicator is not in the plan pass here:
the indicator rule reports them once.

Import this module before loading a suite that uses it (``smewg.work.quality`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)

from smewg.core.catalogue import Plan


@dataclass(frozen=True)
class _AllowedPairs:
    """A plan's allowed (indicator, breakdown) pairs as integer keys."""

    plan: Plan
    indicators: pd.Index
    breakdowns: pd.Index
    keys: np.ndarray

    @classmethod
    def of(cls, plan: Plan) -> _AllowedPairs:
        listed = list(plan.all_indicators())
        indicators = pd.Index([i.id for i in listed], dtype=object)
        # Every (indicator, breakdown) of the plan as two flat arrays, looked up in one go.
        of_indicator = np.repeat(np.arange(len(listed), dtype=np.int64), [len(i.breakdowns) for i in listed])
        named = np.array([b for i in listed for b in i.breakdowns], dtype=object)
        breakdowns = pd.Index(pd.unique(named), dtype=object)
        keys = of_indicator * len(breakdowns) + breakdowns.get_indexer(named)
        return cls(plan, indicators, breakdowns, keys)

    def allowed(self, indicator: pd.Series, breakdown: pd.Series) -> np.ndarray:
        """True where the row's breakdown is one of its indicator's, or its indicator is not in the plan."""
        rows = self.indicators.get_indexer(indicator.to_numpy(dtype=object))
        columns = self.breakdowns.get_indexer(breakdown.to_numpy(dtype=object))
        keys = rows.astype(np.int64) * len(self.breakdowns) + columns
        return (rows < 0) | ((columns >= 0) & np.isin(keys, self.keys))


_PLANS: dict[str, _AllowedPairs] = {}


def register_plan(plan: Plan) -> None:
    """Make a plan's allowed (indicator, breakdown) pairs known to the check (again if the
    plan under this id changed, as when its file is edited in a long-running process)."""
    known = _PLANS.get(plan.id)
    if known is None or (known.plan is not plan and known.plan != plan):
        _PLANS[plan.id] = _AllowedPairs.of(plan)


class ColumnPairBreakdownAllowed(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.breakdown_allowed_in_plan"
    condition_domain_keys = ("batch_id", "table", "column_A", "column_B", "row_condition", "condition_parser", "ignore_row_if")
    condition_value_keys = ("plan",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, plan: str, **kwargs: Any):  # noqa: N803, N805 - GX's names and decorator
        return pd.Series(_PLANS[plan].allowed(column_A, column_B), index=column_A.index)


class ExpectBreakdownAllowedForIndicator(ColumnPairMapExpectation):
    """Expect each row's breakdown (column_B) to be one its indicator (column_A) allows in ``plan``."""

    plan: str | dict
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = "either_value_is_missing"

    library_metadata: ClassVar[dict] = {"maturity": "experimental", "tags": ["smewg"], "contributors": ["smewg-cycle"]}
    map_metric = "column_pair_values.breakdown_allowed_in_plan"
    success_keys = ("column_A", "column_B", "plan", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")
