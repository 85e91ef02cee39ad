"""The breakdown rule (``smewg.work.breakdown_expectation``): a row passes when its breakdown
is one its indicator allows, or its indicator is not in the plan; checked against a plain
set of "indicator|breakdown" strings, and through the GX suite after the plan is edited."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smewg.core.catalogue import Plan
from smewg.work import quality
from smewg.work.breakdown_expectation import _PLANS, register_plan


def _plan(breakdowns_of: dict[str, list[str]]) -> Plan:
    indicators = [
        {"id": code, "name": f"Indicator {code}", "kind": "count", "breakdowns": breakdowns}
        for code, breakdowns in breakdowns_of.items()
    ]
    return Plan.model_validate(
        {
            "id": "breakdown-test",
            "title": "A plan for the breakdown rule",
            "period": {"start": 2022, "end": 2022},
            "economies": ["KOR"],
            "priorities": [
                {
                    "id": "1",
                    "title": "P1",
                    "objectives": [{"id": "1.1", "title": "O1", "indicators": indicators}],
                }
            ],
        }
    )


def test_each_row_is_judged_as_a_plain_set_of_pairs_judges_it():
    rng = np.random.default_rng(3)
    names = [f"b{n}" for n in range(12)]
    breakdowns_of = {
        f"1.1.{i}": ["total", *sorted(str(b) for b in rng.choice(names, size=int(rng.integers(0, 6)), replace=False))]
        for i in range(1, 9)
    }
    plan = _plan(breakdowns_of)
    register_plan(plan)
    # Indicators and breakdowns drawn from the plan and from outside it, so that a pair
    # allowed for one indicator is tried with the others.
    indicator = rng.choice([*breakdowns_of, "1.9.9", "9"], size=5_000)
    breakdown = rng.choice([*names, "total", "men", "Total"], size=5_000)
    pairs = {f"{code}|{b}" for code, allowed in breakdowns_of.items() for b in allowed}
    expected = [code not in breakdowns_of or f"{code}|{b}" in pairs for code, b in zip(indicator, breakdown)]

    got = _PLANS[plan.id].allowed(pd.Series(indicator, dtype="str"), pd.Series(breakdown, dtype="str"))

    assert got.tolist() == expected
    assert 0 < sum(expected) < len(expected)  # both outcomes are exercised


def _rows(pairs: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "row": np.arange(2, len(pairs) + 2, dtype=np.int64),
            "economy": "KOR",
            "year": 2022.0,
            "indicator": pd.Series([p[0] for p in pairs], dtype="str"),
            "breakdown": pd.Series([p[1] for p in pairs], dtype="str"),
            "value": 5.0,
            "raw_value": pd.Series(["5"] * len(pairs), dtype="str"),
            "value_text": pd.Series(["5"] * len(pairs), dtype="str"),
            "unit": pd.Series(["count"] * len(pairs), dtype="str"),
            "note": pd.Series([None] * len(pairs), dtype="str"),
        }
    )


def _quarantined_for_breakdown(validation) -> list[int]:
    return sorted(p["row"] for p in validation.problems if p.get("field") == "breakdown")


def test_a_plan_edited_under_the_same_id_is_judged_by_its_new_breakdowns():
    rows = _rows([("1.1.1", "total"), ("1.1.1", "women"), ("1.1.2", "total")])
    before = _plan({"1.1.1": ["total"], "1.1.2": ["total"]})
    after = _plan({"1.1.1": ["total", "women"], "1.1.2": ["total"]})

    assert _quarantined_for_breakdown(quality.validate(rows, before, 2022)) == [3]
    assert _quarantined_for_breakdown(quality.validate(rows, after, 2022)) == []
