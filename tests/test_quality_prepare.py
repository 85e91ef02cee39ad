"""The helper columns the GX suite reads (``quality.prepare``), against the plain pandas
formulation of each: the kind and unit joined, the total bounding each breakdown, and the
ratio to last year's value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smewg.work import quality
from tests import collection_helpers as h


def _frame(rng: np.random.Generator, rows: int, indicators: list[str]) -> pd.DataFrame:
    def pick(choices: list, size: int = rows) -> list:
        return [choices[n] for n in rng.integers(0, len(choices), size)]

    return pd.DataFrame(
        {
            "row": np.arange(2, rows + 2),
            "indicator": pd.Series(pick([*indicators, "9.9.9"]), dtype="str"),
            "breakdown": pd.Series(pick(["total", "women", "men", "micro"]), dtype="str"),
            "value": np.where(rng.random(rows) < 0.2, np.nan, rng.integers(0, 50, rows).astype(float)),
            "unit": pd.Series(pick(["count", "percent", "USD", "KRW", None]), dtype="str"),
        }
    )


def test_the_helper_columns_are_those_plain_pandas_gives(smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    plan = h.context().catalogue.plan
    indicators = [i.id for i in plan.all_indicators()]
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    rng = np.random.default_rng(11)
    frame = _frame(rng, 3_000, indicators)
    previous = {(i, b): float(rng.integers(0, 40)) for i in indicators for b in ("total", "women")}

    got = quality.prepare(frame, plan, previous)

    kind = frame["indicator"].map(kinds)
    joined = (kind + "|" + frame["unit"]).where(kind.notna() & frame["unit"].notna())
    assert [None if pd.isna(v) else v for v in got["kind_unit"]] == [None if pd.isna(v) else v for v in joined]
    last = pd.Series([previous.get(k, np.nan) for k in zip(frame["indicator"], frame["breakdown"])], dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = frame["value"] / last
    assert np.array_equal(got["change_ratio"].to_numpy(), ratio.to_numpy(), equal_nan=True)
    assert got["kind_unit"].notna().any() and got["kind_unit"].isna().any()
    assert np.isfinite(got["change_ratio"]).any() and got["change_ratio"].isna().any()
