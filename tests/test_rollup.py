"""The KPI rollup checked against figures computed here, independently, from the raw rows.

The data set spans 2021-2023 with gaps, "no data" answers, amounts in several local
currencies (one without an FX rate), a late submitter, an economy that stops reporting,
a corrected file, a quarantined row and a rejected file. The expected figures are
computed in this file from the rows as written (plain Python, the FX file read directly)
and compared with every figure of the snapshot.
"""

from __future__ import annotations

import os
import random
import statistics
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from smewg.core.paths import FX_FILE
from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import RollupFigureRow, RollupSnapshotRow
from smewg.work.collect import collect_all
from smewg.work.export import neutralise, write_export
from smewg.work.rollup import SnapshotResult, rollup, snapshot_figures
from tests import collection_helpers as h
from tests.conftest import create_postgres_database, drop_postgres_database

ECONOMIES = {"AUS": "AUD", "JPN": "JPY", "KOR": "KRW", "MEX": "MXN", "SGP": "SGD", "USA": "USD", "VNM": "VND", "PER": "PEN"}
FX = yaml.safe_load(FX_FILE.read_text())["rates"]
YEARS = (2021, 2022, 2023)


def _rows(code: str, year: int, rng: random.Random) -> list[list]:
    context = h.context(year)
    rows = []
    for indicator in context.catalogue.plan.all_indicators():
        for breakdown in indicator.breakdowns:
            roll = rng.random()
            if roll < 0.15:
                continue
            unit = ECONOMIES[code] if indicator.kind == "amount" else indicator.kind
            if code == "PER" and indicator.kind == "amount" and breakdown == "total":
                unit = "EUR" if indicator.id == "2.1.2" else ("CHF" if indicator.id == "4.1.1" else unit)
            if roll < 0.25:
                rows.append([code, year, indicator.id, breakdown, "", unit, "not collected"])
                continue
            if indicator.kind == "percent":
                value = round(rng.uniform(1, 99), 1)
            elif indicator.kind == "amount":
                value = float(rng.randint(1, 10**6)) * 1000
            else:
                value = float(rng.randint(0, 500) if breakdown != "total" else rng.randint(500, 5000))
            rows.append([code, year, indicator.id, breakdown, value, unit, ""])
    return rows


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def dataset(request, tmp_path_factory):
    """Writes and collects the raw files once per back end; yields the rows each economy's used version holds."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        home = tmp_path_factory.mktemp("rollup") / "home"
        for name in [n for n in os.environ if n.startswith("SMEWG_") and n != "SMEWG_TEST_POSTGRES_URL"]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("SMEWG_HOME", str(home))
        if request.param == "sqlite":
            yield _build(home, monkeypatch)
            return
        name, url = create_postgres_database()
        monkeypatch.setenv("SMEWG_DATABASE_URL", url)
        try:
            yield _build(home, monkeypatch)
        finally:
            drop_postgres_database(name)


def _build(smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    used: dict[int, dict[str, list[list]]] = {}
    for year in YEARS:
        used[year] = {}
        for code in ECONOMIES:
            if year == 2022 and code == "VNM":
                continue  # stops reporting for a year: out of the balanced panels
            rng = random.Random(f"{code}-{year}")
            rows = _rows(code, year, rng)
            late = code == "MEX" and year == 2022
            received = datetime(year, 6, 20, 2, 0, tzinfo=UTC) if late else datetime(year, 4, 4, 2, 0, tzinfo=UTC)
            if year == 2022 and code == "KOR":  # first version wrong, corrected two weeks later
                wrong = [list(r) for r in rows]
                for r in wrong:
                    if r[4] != "":
                        r[4] = float(r[4]) * 3 if r[5] != "percent" else 1.0
                h.write_csv(h.inbox(code, year) / "KOR-v1.csv", wrong, received=received)
                received = datetime(year, 4, 18, 2, 0, tzinfo=UTC)
            if year == 2023 and code == "KOR":
                rows[0][4] = -5.0  # quarantined: never in a figure
            h.write_csv(h.inbox(code, year) / f"{code}-{year}.csv", rows, received=received)
            if year == 2023 and code == "AUS":  # a later file that is rejected whole: the earlier one stays in use
                h.write_csv(
                    h.inbox(code, year) / "AUS-broken.csv",
                    [["AUS", 2023, "1.1.1", "total", 1]],
                    header=("economy", "year", "indicator", "breakdown", "value"),
                    received=datetime(year, 5, 1, 2, 0, tzinfo=UTC),
                )
            used[year][code] = [r for r in rows if not (year == 2023 and code == "KOR" and r is rows[0])]
        collect_all(h.context(year), date(year, 12, 31))
    return used


def _expected(used: dict[int, dict[str, list[list]]], year: int) -> dict[tuple, float]:
    """Every figure of the cycle year, computed from the raw rows."""

    def values(y: int) -> dict[tuple[str, str], dict[str, tuple[float, str]]]:
        found: dict[tuple[str, str], dict[str, tuple[float, str]]] = {}
        for code, rows in used.get(y, {}).items():
            for _, _, indicator, breakdown, value, unit, _ in rows:
                if value != "":
                    found.setdefault((indicator, breakdown), {})[code] = (float(value), unit)
        return found

    def usd(value: float, unit: str, rate_year: int) -> float | None:
        rate = FX[rate_year].get(unit)
        return None if rate is None else value / rate

    now, previous, baseline = values(year), values(year - 1), values(2021)
    no_data: dict[tuple[str, str], int] = {}
    for rows in used.get(year, {}).values():
        for _, _, indicator, breakdown, value, _, note in rows:
            if value == "" and note:
                no_data[(indicator, breakdown)] = no_data.get((indicator, breakdown), 0) + 1
    kinds = {i.id: i.kind for i in h.context(year).catalogue.plan.all_indicators()}
    expected = {}
    for (indicator, breakdown), by_economy in now.items():
        kind = kinds[indicator]
        key = (indicator, breakdown)
        expected[(*key, "N_REPORTING", "APEC")] = len(by_economy)
        for code, (value, _) in by_economy.items():
            expected[(*key, "VALUE", code)] = value
        if kind == "percent":
            expected[(*key, "MEAN", "APEC")] = statistics.fmean(v for v, _ in by_economy.values())
            expected[(*key, "MEDIAN", "APEC")] = statistics.median(v for v, _ in by_economy.values())
        elif kind == "count":
            expected[(*key, "SUM", "APEC")] = sum(v for v, _ in by_economy.values())
        else:
            converted = [usd(v, u, year) for v, u in by_economy.values()]
            expected[(*key, "SUM", "APEC")] = sum(c for c in converted if c is not None)
        for statistic, other in (("CHANGE_PREV", previous), ("CHANGE_BASELINE", baseline)):
            if year == 2021 or (statistic == "CHANGE_PREV" and year - 1 < 2021):
                continue
            before = other.get(key, {})
            if kind == "amount":
                a = {c: usd(v, u, year) for c, (v, u) in by_economy.items()}
                b = {c: usd(v, u, year) for c, (v, u) in before.items()}
                a, b = {c: v for c, v in a.items() if v is not None}, {c: v for c, v in b.items() if v is not None}
            else:
                a = {c: v for c, (v, _) in by_economy.items()}
                b = {c: v for c, (v, _) in before.items()}
            panel = sorted(set(a) & set(b))
            if not panel:
                continue
            if kind == "percent":
                expected[(*key, statistic, "APEC")] = statistics.fmean(a[c] for c in panel) - statistics.fmean(
                    b[c] for c in panel
                )
            elif sum(b[c] for c in panel):
                expected[(*key, statistic, "APEC")] = (sum(a[c] for c in panel) / sum(b[c] for c in panel) - 1) * 100
    for key, count in no_data.items():
        expected[(*key, "N_NO_DATA", "APEC")] = count
    return expected


def _snapshot(year: int, as_of: date | None = None) -> tuple[pd.DataFrame, dict]:
    """Roll the year up (as of its last day by default) and read that snapshot back."""
    as_of = as_of or date(year, 12, 31)
    result = rollup(h.context(year), as_of, now=datetime(year, 12, 31, tzinfo=UTC))
    engine = create_store_engine(get_settings().resolved_database_url)
    try:
        with session_scope(engine) as session:
            snapshot = session.get(RollupSnapshotRow, result.snapshot_id)
            return snapshot_figures(session, snapshot.id), snapshot.details
    finally:
        engine.dispose()


def _indicators_stored_by_latest_snapshot(year: int) -> set[str]:
    """The indicators (and coverage groups) whose figure rows the year's latest snapshot holds itself."""
    from smewg.work.rollup import latest_snapshot

    engine = create_store_engine(get_settings().resolved_database_url)
    try:
        with session_scope(engine) as session:
            snapshot = latest_snapshot(session, h.context(year).plan_id, year)
            return set(session.scalars(select(RollupFigureRow.indicator_id).where(RollupFigureRow.snapshot_id == snapshot.id)))
    finally:
        engine.dispose()


def _coverage_groups(plan) -> set[str]:
    return {o.id for o in plan.objectives()} | {p.id for p in plan.priorities} | {"G"}


def _actual(figures: pd.DataFrame) -> dict[tuple, float]:
    wanted = figures[
        figures["statistic"].isin(
            ["VALUE", "N_REPORTING", "N_NO_DATA", "SUM", "MEAN", "MEDIAN", "CHANGE_PREV", "CHANGE_BASELINE"]
        )
    ]
    wanted = wanted[~(wanted["statistic"].isin(["N_REPORTING", "N_NO_DATA"]) & (wanted["value"] == 0))]
    wanted = wanted[wanted["value"].notna()]
    return {
        (r.indicator, r.breakdown, r.statistic, r.economies[0] if r.statistic == "VALUE" else "APEC"): r.value
        for r in wanted.itertuples()
    }


@pytest.mark.parametrize("year", YEARS)
def test_every_rollup_figure_matches_an_independent_computation(dataset, year):
    figures, details = _snapshot(year)
    expected = _expected(dataset, year)
    actual = _actual(figures)
    assert set(actual) == set(expected)
    for key, value in expected.items():
        assert actual[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_percents_are_never_summed_and_unconvertible_amounts_never_added(dataset):
    kinds = {i.id: i.kind for i in h.context().catalogue.plan.all_indicators()}
    chf_rows = 0
    for year in YEARS:
        figures, details = _snapshot(year)
        sums = figures[figures["statistic"] == "SUM"]
        assert not [i for i in sums["indicator"] if kinds.get(i) == "percent"]
        assert set(sums.loc[sums["indicator"].map(kinds) == "amount", "unit"]) == {"USD"}
        chf = [r for r in dataset[year]["PER"] if r[5] == "CHF" and r[4] != ""]
        assert [(c["economy"], c["indicator"], c["unit"]) for c in details["not_converted"] if c["year"] == year] == [
            ("PER", r[2], "CHF") for r in chf
        ]
        for row in chf:  # reported, counted as reporting, but not in the sum
            n = figures[(figures["indicator"] == row[2]) & (figures["breakdown"] == "total")]
            assert "PER" in n.loc[n["statistic"] == "N_REPORTING", "economies"].iloc[0]
            assert "PER" not in n.loc[n["statistic"] == "SUM", "economies"].iloc[0]
        chf_rows += len(chf)
        assert details["fx_rates_used"]["KRW"] == FX[year]["KRW"]
    assert chf_rows >= 1, "the data set must contain an amount without an FX rate"


def test_the_rollup_uses_the_corrected_version_and_a_rerun_makes_no_new_snapshot(dataset):
    first = rollup(h.context(2022), date(2022, 12, 31), now=datetime(2022, 12, 31, tzinfo=UTC))
    again = rollup(h.context(2022), date(2022, 12, 31), now=datetime(2023, 1, 2, tzinfo=UTC))
    assert (again.snapshot_id, again.created) == (first.snapshot_id, False)
    figures, details = _snapshot(2022)
    assert again.figures == len(figures)  # counted on unchanged inputs, not read
    assert details["submissions"]["2022"]["KOR"] == 2
    analytics = {e["economy"]: e for e in details["analytics"]["per_economy"]}
    assert analytics["KOR"]["correction_rounds"] == 1 and analytics["MEX"]["on_time"] is False
    assert analytics["VNM"]["submitted"] is False
    assert details["analytics"]["overall"]["response_rate"] == pytest.approx(7 / 21 * 100)
    # As it stood before the correction arrived, the rollup used version 1.
    early = rollup(h.context(2022), date(2022, 4, 10), now=datetime(2022, 4, 10, tzinfo=UTC))
    assert early.created and early.snapshot_id != first.snapshot_id


def test_sdmx_csv_parses_back_and_matches_the_rollup(dataset, tmp_path):
    figures, _ = _snapshot(2023)
    plan = h.context(2023).catalogue.plan
    out = write_export(figures, plan, "sdmx-csv", tmp_path / "kpi.sdmx.csv")
    parsed = pd.read_csv(out)
    assert list(parsed.columns) == [
        "DATAFLOW",
        "FREQ",
        "REF_AREA",
        "INDICATOR",
        "BREAKDOWN",
        "STATISTIC",
        "TIME_PERIOD",
        "OBS_VALUE",
        "UNIT_MEASURE",
    ]
    assert set(parsed["STATISTIC"]) == {"VALUE", "N_REPORTING", "SUM", "MEAN", "MEDIAN"}
    assert set(parsed["TIME_PERIOD"]) == {2023} and set(parsed["FREQ"]) == {"A"}
    table = figures[figures["statistic"].isin(["VALUE", "N_REPORTING", "SUM", "MEAN", "MEDIAN"])]
    expected = {
        (r.indicator, r.breakdown.upper(), r.statistic, r.economies[0] if r.statistic == "VALUE" else "APEC"): r.value
        for r in table.itertuples()
    }
    read = {(r.INDICATOR, r.BREAKDOWN, r.STATISTIC, r.REF_AREA): r.OBS_VALUE for r in parsed.itertuples()}
    assert read.keys() == expected.keys()
    for key, value in expected.items():
        assert read[key] == pytest.approx(value, nan_ok=True), key
    kor = parsed[(parsed["REF_AREA"] == "KOR") & (parsed["INDICATOR"] == "4.1.2")]
    assert set(kor["UNIT_MEASURE"]) <= {"KRW"}  # economies' amounts stay in their own currency
    sums = parsed[(parsed["STATISTIC"] == "SUM") & (parsed["INDICATOR"] == "4.1.2")]
    assert set(sums["UNIT_MEASURE"]) == {"USD"}


def test_csv_and_xlsx_hold_the_same_figures(dataset, tmp_path):
    from openpyxl import load_workbook

    figures, details = _snapshot(2022)
    plan = h.context().catalogue.plan
    csv = pd.read_csv(write_export(figures, plan, "csv", tmp_path / "kpi.csv"))
    workbook = load_workbook(write_export(figures, plan, "xlsx", tmp_path / "kpi.xlsx", details["analytics"]))
    assert workbook.sheetnames[:5] == [s for s in workbook.sheetnames if s.startswith("P")][:5]
    assert "General indicators" in workbook.sheetnames and "Cycle analytics" in workbook.sheetnames
    xlsx_rows = sum(workbook[s].max_row - 1 for s in workbook.sheetnames if s != "Cycle analytics")
    assert xlsx_rows == len(csv) == len(figures)
    sheet = workbook[[s for s in workbook.sheetnames if s.startswith("P2")][0]]
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, [c.value for c in sheet[2]]))
    match = csv[
        (csv["indicator"] == first["indicator"])
        & (csv["statistic"] == first["statistic"])
        & (csv["ref_area"] == first["ref_area"])
        & (csv["breakdown"] == first["breakdown"])
    ]
    assert match["value"].iloc[0] == pytest.approx(first["value"])


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd"])
def test_exported_text_cannot_run_as_a_formula(text, tmp_path):
    assert neutralise("Hong Kong, China") == "Hong Kong, China" and neutralise(-2.5) == -2.5
    figures = pd.DataFrame(
        [
            {
                "indicator": "1.1.1",
                "breakdown": "total",
                "year": 2022,
                "statistic": "VALUE",
                "value": 1.0,
                "unit": text,
                "economies": ["KOR"],
            }
        ]
    )
    from smewg.core.catalogue import load_plan
    from smewg.core.paths import DEFAULT_PLAN_FILE

    out = write_export(figures, load_plan(DEFAULT_PLAN_FILE), "csv", tmp_path / "x.csv")
    assert pd.read_csv(out)["unit"].iloc[0] == "'" + text


def test_status_shows_who_submitted_who_is_late_and_the_milestones(dataset):
    import json

    from typer.testing import CliRunner

    from smewg.cli import app

    _snapshot(2022, date(2022, 7, 15))  # the rollup made on its date
    result = CliRunner().invoke(app, ["status", "--year", "2022", "--as-of", "2022-07-20", "--json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    rows = {e["economy"]: e for e in document["economies"]}
    assert len(rows) == 21
    assert rows["KOR"]["version"] == 2 and rows["KOR"]["late"] is False
    assert rows["MEX"]["late"] is True and rows["MEX"]["submitted"] is True  # arrived 20 June
    assert rows["VNM"]["submitted"] is False and rows["VNM"]["late"] is True
    assert document["summary"] == "7 of 21 submitted, 15 late"
    states = {m["name"]: m["state"] for m in document["milestones"]}
    assert states["KPI rollup"] == "done" and states["call for data"] == "passed"
    assert states["Second SMEWG meeting"] == "upcoming"
    early = json.loads(CliRunner().invoke(app, ["status", "--year", "2022", "--as-of", "2022-03-15", "--json"]).stdout)
    assert early["summary"] == "0 of 21 submitted, 0 late"


@pytest.mark.parametrize("year", YEARS)
def test_coverage_per_objective_and_priority_matches_the_raw_rows(dataset, year):
    figures, _ = _snapshot(year)
    plan = h.context(year).catalogue.plan
    rows = [r for code_rows in dataset[year].values() for r in code_rows]
    answered = {(r[0], r[2]) for r in rows}  # a value or a "no data" note
    with_value = {r[2] for r in rows if r[4] != ""}
    groups = {o.id: [i.id for i in o.indicators] for o in plan.objectives()}
    groups |= {p.id: [i.id for o in p.objectives for i in o.indicators] for p in plan.priorities}
    groups["G"] = [i.id for i in plan.general_indicators]
    coverage = figures[figures["statistic"] == "COVERAGE"].set_index("indicator")["value"]
    indicators = figures[figures["statistic"] == "INDICATORS_WITH_DATA"].set_index("indicator")["value"]
    for group, ids in groups.items():
        expected = len({(e, i) for e, i in answered if i in ids}) / (21 * len(ids)) * 100
        assert coverage[group] == pytest.approx(expected), group
        assert indicators[group] == len(with_value & set(ids)), group


def test_a_rerun_recomputes_only_the_corrected_indicator_and_equals_a_cold_rollup(dataset):
    """The slow path (every indicator computed) and the incremental one give the same figures."""
    figures, details = _snapshot(2023)
    assert set(details["per_indicator"]) == {i.id for i in h.context(2023).catalogue.plan.all_indicators()}
    rows = dataset[2023]["SGP"]
    changed = next(r for r in rows if r[2] == "1.1.1" and r[3] == "total" and r[4] != "")
    corrected = [list(r) for r in rows]
    corrected[rows.index(changed)][4] = float(changed[4]) + 7
    h.write_csv(h.inbox("SGP", 2023) / "SGP-2023-fix.csv", corrected, received=datetime(2023, 12, 30, 2, 0, tzinfo=UTC))
    collect_all(h.context(2023), date(2023, 12, 31))
    try:
        rerun, rerun_details = _snapshot(2023)
        assert rerun_details["indicators_reused"] == len(list(h.context(2023).catalogue.plan.all_indicators())) - 1
        _assert_equals_a_cold_rollup(2023, rerun, rerun_details)
        # Nothing copied: the rerun stored 1.1.1's figures and coverage; the rest are the earlier snapshot's rows.
        assert _indicators_stored_by_latest_snapshot(2023) == {"1.1.1", *_coverage_groups(h.context(2023).catalogue.plan)}
        moved = rerun[(rerun["indicator"] == "1.1.1") & (rerun["statistic"] == "VALUE")]
        assert moved[moved["economies"].map(lambda e: e == ["SGP"]) & (moved["breakdown"] == "total")]["value"].item() == (
            pytest.approx(float(changed[4]) + 7)
        )
    finally:
        dataset[2023]["SGP"] = corrected  # the data set now holds SGP's corrected file


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_linear_rollup_gives_the_figures_of_the_per_pair_computation(seed):
    """The rollup groups the rows once; the reference filters the whole frame per pair (the
    obvious way, slow at scale). Same figures, same order, exactly, on messy data: amounts
    without an FX rate, "no data" answers, economies missing from a year, zero bases."""
    import numpy as np

    from smewg.core.catalogue import Plan
    from smewg.core.fx import load_fx
    from smewg.core.paths import FX_FILE
    from smewg.work.rollup import compute_figures
    from tests.reference_rollup import compute_figures_per_pair

    economies = ["AUS", "CAN", "CHL", "JPN", "KOR", "PER", "USA"]
    indicators = [
        {
            "id": f"1.1.{n}",
            "name": f"I{n}",
            "kind": ("count", "percent", "amount")[n % 3],
            "breakdowns": ["total", "women", "rural"],
        }
        for n in range(1, 13)
    ]
    plan = Plan.model_validate(
        {
            "id": "check",
            "title": "Check",
            "period": {"start": 2021, "end": 2024},
            "economies": economies,
            "priorities": [{"id": "1", "title": "P", "objectives": [{"id": "1.1", "title": "O", "indicators": indicators}]}],
        }
    )
    rng = np.random.default_rng(seed)
    rows = []
    for indicator in plan.all_indicators():
        for breakdown in indicator.breakdowns:
            for economy in economies:
                for year in (2021, 2022, 2023):
                    chance = rng.random()
                    if chance < 0.15:
                        continue  # not reported that year: unbalanced panels
                    value = 0.0 if chance < 0.2 else float(rng.integers(0, 5_000)) / (7 if indicator.kind == "percent" else 1)
                    unit = {"count": "count", "percent": "percent"}.get(indicator.kind) or rng.choice(["AUD", "JPY", "XXX"])
                    no_data = chance > 0.95
                    rows.append(
                        (1, economy, year, indicator.id, breakdown, None if no_data else value, unit, "n/a" if no_data else None)
                    )
    # Amounts without a rate in a breakdown the plan no longer lists (edited after collection).
    rows += [(1, "USA", 2023, "1.1.8", "retired", 4.0, "XXX", None), (1, "AUS", 2022, "1.1.5", "retired", 9.0, "XXX", None)]
    # A row without a breakdown belongs to no pair (as in a pandas groupby), though it answers its indicator.
    rows += [(1, "KOR", 2023, "1.1.3", None, 5.0, "count", None)]
    data = pd.DataFrame(rows, columns=["submission_id", "economy", "year", "indicator", "breakdown", "value", "unit", "note"])
    data.loc[(data["indicator"] == "1.1.3") & (data["year"] == 2022) & data["value"].notna(), "value"] = 0.0  # a zero base
    data = data.sample(frac=1, random_state=seed).reset_index(drop=True)
    fx = load_fx(FX_FILE)
    for skip in (frozenset(), frozenset({"1.1.2", "1.1.7"})):
        fast = compute_figures(plan, 2023, data, fx, skip=skip)
        reference = compute_figures_per_pair(plan, 2023, data, fx, skip=skip)
        assert fast == reference
    assert any(f["statistic"] == "CHANGE_PREV" and f["value"] is None for f in fast[0])  # a zero base was met
    assert fast[1]["not_converted"]  # amounts in XXX were listed, not added
    assert [n["breakdown"] for n in fast[1]["not_converted"][-2:]] == ["retired", "retired"]


@pytest.mark.parametrize("seed", [1, 2])
def test_rows_are_grouped_by_pair_as_a_pandas_groupby_groups_them(seed):
    """The rollup's grouping gives each (indicator, breakdown) the rows pandas' groupby gives
    it, in row order; a row with a missing key is in no group."""
    from smewg.work.rollup import _groups

    rng = np.random.default_rng(seed)
    indicator = rng.choice(np.array(["1.1.1", "1.1.2", "2.1.1", None], dtype=object), 500, p=[0.3, 0.3, 0.3, 0.1])
    breakdown = rng.choice(np.array(["total", "women", "rural", None], dtype=object), 500, p=[0.3, 0.3, 0.3, 0.1])
    frame = pd.DataFrame({"indicator": indicator, "breakdown": breakdown})
    expected = {key: list(rows) for key, rows in frame.groupby(["indicator", "breakdown"], sort=False).indices.items()}
    assert {key: list(rows) for key, rows in _groups(indicator, breakdown).items()} == expected


def test_a_frame_s_empty_cells_and_rows_without_a_year_are_read_as_the_store_gives_them():
    """``compute_figures`` on a frame: NaN units and notes are empty (None, as read from the
    store), a nullable year column is read, and a row without a year counts in no year."""
    from smewg.core.catalogue import Plan
    from smewg.core.fx import load_fx
    from smewg.work.rollup import compute_figures

    plan = Plan.model_validate(
        {
            "id": "check",
            "title": "Check",
            "period": {"start": 2021, "end": 2024},
            "economies": ["AUS", "CAN"],
            "priorities": [
                {
                    "id": "1",
                    "title": "P",
                    "objectives": [
                        {
                            "id": "1.1",
                            "title": "O",
                            "indicators": [{"id": "1.1.1", "name": "I", "kind": "count", "breakdowns": ["total"]}],
                        }
                    ],
                }
            ],
        }
    )
    data = pd.DataFrame(
        {
            "submission_id": [1, 2, 3],
            "economy": ["AUS", "CAN", "AUS"],
            "year": pd.array([2023, 2023, None], dtype="Int64"),
            "indicator": ["1.1.1"] * 3,
            "breakdown": ["total"] * 3,
            "value": [3.0, 4.0, 100.0],
            "unit": [np.nan, "count", "count"],
            "note": [np.nan, np.nan, np.nan],
        }
    )
    figures, _ = compute_figures(plan, 2023, data, load_fx(FX_FILE))
    of = {(f["statistic"], tuple(f["economies"])): f for f in figures}
    assert of[("VALUE", ("AUS",))]["unit"] is None
    assert of[("SUM", ("AUS", "CAN"))]["value"] == 7.0  # the yearless row is in no sum


def _assert_equals_a_cold_rollup(year: int, rerun: pd.DataFrame, rerun_details: dict) -> None:
    """The rerun's stored figures and FX details are exactly those computed from every used row."""
    from smewg.core.fx import load_fx
    from smewg.work.cycles import used_submissions
    from smewg.work.rollup import compute_figures, observations_of
    from tests.reference_rollup import compute_figures_per_pair

    engine = create_store_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        context = h.context(year)
        end = context.end_of_day(date(year, 12, 31))
        used = {y: used_submissions(session, context.plan_id, y, end) for y in (2021, year - 1, year)}
        data = observations_of(
            session, [s for v in used.values() for s in v.values()], {s.id: y for y, v in used.items() for s in v.values()}
        )
    engine.dispose()
    cold, conversion = compute_figures(context.catalogue.plan, year, data, load_fx(get_settings().fx_file))
    # ... and those of the independent reference (the whole frame filtered per pair)
    assert (cold, conversion) == compute_figures_per_pair(context.catalogue.plan, year, data, load_fx(get_settings().fx_file))
    stored = [
        (r.indicator, r.breakdown, r.statistic, tuple(r.economies), None if pd.isna(r.value) else r.value, r.unit)
        for r in rerun.itertuples()
    ]
    # the same figures in the same order, the reused ones read where an earlier snapshot holds them
    assert stored == [
        (f["indicator_id"], f["breakdown"], f["statistic"], tuple(f["economies"]), f["value"], f["unit"]) for f in cold
    ]
    for name in ("fx_rates_used", "not_converted"):
        assert rerun_details[name] == conversion[name], name


def test_a_correction_that_withdraws_answers_moves_coverage_in_a_rerun_as_in_a_cold_rollup(dataset):
    """A rerun reuses untouched indicators' summaries for coverage; withdrawn answers still count."""
    before, _ = _snapshot(2023)
    rows = dataset[2023]["USA"]
    single = {i.id for i in h.context(2023).catalogue.plan.all_indicators() if len(i.breakdowns) == 1}
    answered = [r for r in rows if r[4] != "" and r[2] in single]
    withdrawn, no_data = answered[0], answered[1]  # USA's only answer to one indicator; a value of another
    corrected = [list(r) for r in rows if r is not withdrawn]
    corrected[corrected.index(list(no_data))][4] = ""
    corrected[corrected.index([*no_data[:4], "", *no_data[5:]])][6] = "not collected this year"
    h.write_csv(h.inbox("USA", 2023) / "USA-2023-fix.csv", corrected, received=datetime(2023, 12, 30, 3, 0, tzinfo=UTC))
    collect_all(h.context(2023), date(2023, 12, 31))
    try:
        rerun, details = _snapshot(2023)
        plan = h.context(2023).catalogue.plan
        assert details["indicators_reused"] == len(list(plan.all_indicators())) - len({withdrawn[2], no_data[2]})
        _assert_equals_a_cold_rollup(2023, rerun, details)
        assert "USA" not in details["per_indicator"][withdrawn[2]]["answered"]
        coverage = {f: v[v["statistic"] == "COVERAGE"]["value"].sum() for f, v in (("before", before), ("after", rerun))}
        assert coverage["after"] < coverage["before"]  # one answer fewer (the no-data note still counts as one)
    finally:
        dataset[2023]["USA"] = corrected


def test_a_chain_of_reruns_reads_each_indicator_from_the_snapshot_that_computed_it(dataset):
    """Two corrections in a row. The second rerun reuses what the first rerun computed and
    what older snapshots hold: its parts point to each, its figures equal a cold rollup's,
    and the count it reports, and reports again on unchanged inputs, is the count it reads back. A correction does not move the
    economy's arrival day (lateness is judged by its first usable version)."""
    from smewg.core.store.models import RollupSnapshotPartRow

    def roll() -> tuple[SnapshotResult, dict[str, int], pd.DataFrame, dict]:
        result = rollup(h.context(2023), date(2023, 12, 31), now=datetime(2023, 12, 31, tzinfo=UTC))
        engine = create_store_engine(get_settings().resolved_database_url)
        try:
            with session_scope(engine) as session:
                parts = session.execute(
                    select(RollupSnapshotPartRow.indicator_id, RollupSnapshotPartRow.source_snapshot_id).where(
                        RollupSnapshotPartRow.snapshot_id == result.snapshot_id
                    )
                )
                details = session.get(RollupSnapshotRow, result.snapshot_id).details
                return result, dict(parts.all()), snapshot_figures(session, result.snapshot_id), details
        finally:
            engine.dispose()

    def correct(code: str, received: datetime, avoid: str | None = None) -> str:
        rows = dataset[2023][code]
        row = next(r for r in rows if r[4] != "" and r[5] != "percent" and r[2] != avoid)
        corrected = [list(r) for r in rows]
        corrected[rows.index(row)][4] = float(row[4]) + 11
        h.write_csv(h.inbox(code, 2023) / f"{code}-2023-chain.csv", corrected, received=received)
        collect_all(h.context(2023), date(2023, 12, 31))
        dataset[2023][code] = corrected
        return row[2]

    first, first_parts, _, first_details = roll()
    first_jpn = next(e for e in first_details["analytics"]["per_economy"] if e["economy"] == "JPN")
    x = correct("JPN", datetime(2023, 12, 30, 4, 0, tzinfo=UTC))
    second, second_parts, _, _ = roll()
    y = correct("AUS", datetime(2023, 12, 30, 5, 0, tzinfo=UTC), avoid=x)
    third, third_parts, figures, details = roll()

    assert second.created and third.created
    expected = {i: first_parts[i] for i in first_parts} | {x: second.snapshot_id, y: third.snapshot_id}
    assert third_parts == expected
    assert third.figures == len(figures)
    # Nothing new: the same snapshot, and the count of a snapshot that borrows most of its figures.
    unchanged, _, _, _ = roll()
    assert (unchanged.snapshot_id, unchanged.created, unchanged.figures) == (third.snapshot_id, False, len(figures))
    _assert_equals_a_cold_rollup(2023, figures, details)
    jpn = next(e for e in details["analytics"]["per_economy"] if e["economy"] == "JPN")
    assert jpn["days_from_call"] == first_jpn["days_from_call"]
    assert jpn["correction_rounds"] == first_jpn["correction_rounds"] + 1


def _resend(dataset, code: str, rows: list[list], name: str, *, hour: int) -> tuple[pd.DataFrame, dict]:
    """``code`` sends its 2023 file again as ``rows`` (30 Dec, at ``hour``), which is collected
    and becomes the data set's; the 2023 rollup after it, read back."""
    h.write_csv(h.inbox(code, 2023) / f"{code}-2023-{name}.csv", rows, received=datetime(2023, 12, 30, hour, tzinfo=UTC))
    collect_all(h.context(2023), date(2023, 12, 31))
    dataset[2023][code] = rows
    return _snapshot(2023)


def test_a_file_sent_again_with_its_rows_reordered_touches_only_the_indicator_whose_value_moved(dataset):
    """A rerun compares each indicator's rows as a multiset: the same rows in another order
    are no change (every indicator reused), one value moved among them recomputes its
    indicator alone, and the figures equal a cold rollup's."""
    indicators = len(list(h.context(2023).catalogue.plan.all_indicators()))
    reordered = [list(r) for r in reversed(dataset[2023]["KOR"])]
    h.write_csv(h.inbox("KOR", 2023) / "KOR-2023-reordered.csv", reordered, received=datetime(2023, 12, 30, 6, tzinfo=UTC))
    collect_all(h.context(2023), date(2023, 12, 31))
    dataset[2023]["KOR"] = reordered
    _, details = _snapshot(2023)
    assert details["submissions"]["2023"]["KOR"] >= 2  # the reordered file is the version used
    assert details["indicators_reused"] == indicators

    row = next(r for r in reordered if r[4] != "" and r[5] != "percent")
    corrected = [list(r) for r in reordered]
    corrected[reordered.index(row)][4] = float(row[4]) + 5
    corrected[0], corrected[-1] = corrected[-1], corrected[0]
    figures, details = _resend(dataset, "KOR", corrected, "moved", hour=7)
    assert details["indicators_reused"] == indicators - 1
    assert _indicators_stored_by_latest_snapshot(2023) == {row[2], *_coverage_groups(h.context(2023).catalogue.plan)}
    _assert_equals_a_cold_rollup(2023, figures, details)


def test_a_correction_of_only_a_unit_or_only_a_note_is_a_change_a_rerun_recomputes(dataset):
    """A rerun compares whole rows, unit and note included. PER re-sends an amount with the
    same number in US dollars instead of its local currency: the indicator is recomputed
    and its USD sum moves as in a cold rollup. Then PER rewords a "no data" note: no figure
    moves, but the indicator's inputs changed, so it is recomputed all the same."""
    indicators = len(list(h.context(2023).catalogue.plan.all_indicators()))
    rows = dataset[2023]["PER"]
    amount = next(r for r in rows if r[4] != "" and r[5] not in ("USD", "count", "percent"))
    in_dollars = [list(r) for r in rows]
    in_dollars[rows.index(amount)][5] = "USD"
    figures, details = _resend(dataset, "PER", in_dollars, "usd", hour=8)
    assert details["indicators_reused"] == indicators - 1
    _assert_equals_a_cold_rollup(2023, figures, details)
    total = figures[(figures["indicator"] == amount[2]) & (figures["breakdown"] == amount[3]) & (figures["statistic"] == "SUM")]
    assert "PER" in total["economies"].item()  # converted at rate 1 now

    no_data = next(r for r in in_dollars if r[4] == "" and r[6])
    reworded = [list(r) for r in in_dollars]
    reworded[in_dollars.index(no_data)][6] = f"{no_data[6]} (survey suspended)"
    after, details = _resend(dataset, "PER", reworded, "note", hour=9)
    assert details["indicators_reused"] == indicators - 1
    assert _indicators_stored_by_latest_snapshot(2023) == {no_data[2], *_coverage_groups(h.context(2023).catalogue.plan)}
    _assert_equals_a_cold_rollup(2023, after, details)


def test_the_readable_exports_round_figures_as_people_read_them(dataset, tmp_path):
    """The CSV and XLSX for people: counts and USD sums whole, means and medians to 2
    decimals, changes to 1 (percent) or 2 (pp); the SDMX file keeps full precision; sheet
    names are cut at a word."""
    from openpyxl import load_workbook

    figures, details = _snapshot(2022)
    plan = h.context().catalogue.plan
    csv = pd.read_csv(write_export(figures, plan, "csv", tmp_path / "kpi.csv"), dtype={"value": str})
    apec = csv[csv["ref_area"] == "APEC"].dropna(subset=["value"])

    def decimals(statistic: str, unit: str | None = None) -> set[int]:
        rows = apec[(apec["statistic"] == statistic) & ((apec["unit"] == unit) if unit else True)]
        assert len(rows), (statistic, unit)
        return {len(v.split(".")[1]) if "." in v else 0 for v in rows["value"]}

    assert decimals("SUM", "USD") == {0} and decimals("SUM", "count") == {0} and decimals("N_REPORTING") == {0}
    assert max(decimals("MEAN")) <= 2 and max(decimals("MEDIAN")) <= 2
    assert max(decimals("CHANGE_PREV", "percent")) <= 1
    means = figures[(figures["statistic"] == "MEAN") & figures["value"].notna()]
    shown = apec[apec["statistic"] == "MEAN"].set_index(["indicator", "breakdown"])["value"].astype(float)
    for row in means.itertuples():  # the rounded figure is the snapshot's, rounded: checkable
        assert shown[(row.indicator, row.breakdown)] == round(row.value, 2)
    workbook = load_workbook(write_export(figures, plan, "xlsx", tmp_path / "kpi.xlsx", details["analytics"]))
    for name in workbook.sheetnames:
        titles = [f"P{p.id} {p.title}" for p in plan.priorities] + ["General indicators", "Cycle analytics"]
        whole = next(t for t in titles if t.startswith(name.rstrip("…")))
        assert len(name) <= 31 and (name == whole or whole[len(name.rstrip("…"))] in " ,"), name  # cut between words
    sheet = workbook[workbook.sheetnames[0]]
    formats = {c.number_format for row in sheet.iter_rows(min_row=2, max_row=40) for c in row if isinstance(c.value, int | float)}
    assert formats and formats <= {"#,##0", "#,##0.0#", "General"} and "#,##0" in formats


def test_the_fx_table_is_parsed_once_per_content_and_an_edit_is_read_again(tmp_path):
    from smewg.core.fx import FxError, load_fx

    path = tmp_path / "fx.yaml"
    path.write_text("base: USD\nrates:\n  2022:\n    JPY: 131.5\n", encoding="utf-8")
    first = load_fx(path)
    assert load_fx(path) is first  # parsed once (a rollup reads it on every run)
    path.write_text("base: USD\nrates:\n  2022:\n    JPY: 140.0\n", encoding="utf-8")
    edited = load_fx(path)
    assert edited.rate(2022, "JPY") == 140.0 and edited.checksum != first.checksum
    path.write_text("base: USD\nrates:\n  2022:\n    JPY: -1\n", encoding="utf-8")
    with pytest.raises(FxError, match="fx.yaml"):
        load_fx(path)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(members=st.dictionaries(st.text(), _JSON_VALUES, max_size=5), encoded=st.sets(st.text()))
def test_snapshot_keys_hash_exactly_what_json_writes_even_for_members_written_once(members, encoded):
    """Snapshots in the store were keyed by the SHA-256 of ``json.dumps`` of their inputs; the
    plan is now written once per plan, and the key of the same inputs must not change (a
    rerun on them would otherwise make a new snapshot)."""
    import hashlib
    import json

    from smewg.work.rollup import _Encoded, _json_digest

    def written_once(value):
        return {n: _Encoded(json.dumps(v)) if n in encoded else v for n, v in value.items()}

    assert _json_digest(written_once(members)) == hashlib.sha256(json.dumps(members).encode()).hexdigest()
    listed = list(members.values())
    once = [_Encoded(json.dumps(v)) if n in encoded else v for n, v in members.items()]
    assert _json_digest(once) == hashlib.sha256(json.dumps(listed).encode()).hexdigest()
