"""The one rule GX has no fast built-in for: is this breakdown allowed for this indicator?

``ExpectColumnPairValuesToBeInSet`` loops row by row on pandas, and an in-set check on
"indicator|breakdown" strings carries every allowed pair in the expectation's kwargs,
which GX copies many times per validation (seconds for a large plan). This expectation
takes only the plan id; the allowed pairs come from :func:`register_plan`, and the check
is one vectorised ``isin``. Rows whose indicator is not in the plan pass here: the
indicator rule reports them once.

Import this module before loading a suite that uses it (``smewg.work.quality`` does).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)

_PLANS: dict[str, tuple[frozenset[str], frozenset[str]]] = {}


def register_plan(plan) -> None:
    """Make a plan's indicator ids and allowed (indicator, breakdown) pairs known to the check."""
    if plan.id not in _PLANS:
        _PLANS[plan.id] = (
            frozenset(i.id for i in plan.all_indicators()),
            frozenset(f"{i.id}|{b}" for i in plan.all_indicators() for b in i.breakdowns),
        )


class ColumnPairBreakdownAllowed(ColumnPairMapMetricProvider):
    condition_metric_name = "column_pair_values.breakdown_allowed_in_plan"
    condition_domain_keys = ("batch_id", "table", "column_A", "column_B", "row_condition", "condition_parser", "ignore_row_if")
    condition_value_keys = ("plan",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A, column_B, plan: str, **kwargs: Any):  # noqa: N803, N805 - GX's names and decorator
        indicators, pairs = _PLANS[plan]
        return ~column_A.isin(indicators) | (column_A.astype(str) + "|" + column_B.astype(str)).isin(pairs)


class ExpectBreakdownAllowedForIndicator(ColumnPairMapExpectation):
    """Expect each row's breakdown (column_B) to be one its indicator (column_A) allows in ``plan``."""

    plan: str | dict
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = "either_value_is_missing"

    library_metadata: ClassVar[dict] = {"maturity": "experimental", "tags": ["smewg"], "contributors": ["smewg-cycle"]}
    map_metric = "column_pair_values.breakdown_allowed_in_plan"
    success_keys = ("column_A", "column_B", "plan", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")
