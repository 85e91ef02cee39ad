"""The store on SQLite and on PostgreSQL: migrations, idempotent catalogue load, constraints."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, make_url, select, text
from sqlalchemy.exc import IntegrityError

from smewg.core.paths import DEFAULT_PLAN_FILE
from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, current_revision, head_revision, session_scope, upgrade
from smewg.core.store.models import (
    Base,
    CycleRow,
    IndicatorRow,
    ObjectiveRow,
    ObservationRow,
    PlanRow,
    RollupSnapshotRow,
    SubmissionRow,
    ValidationResultRow,
)
from smewg.work.catalogue_sync import load_catalogue_into_store
from tests.conftest import FIXTURES

NOW = datetime(2022, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine(database_url):
    engine = create_store_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, ordered, for before/after comparisons."""
    dump = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            dump[table.name] = [tuple(row) for row in rows]
    return dump


def test_migrations_build_exactly_the_modelled_schema(engine):
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    tables = set(inspect(engine).get_table_names())
    assert {
        "plans",
        "economies",
        "cycles",
        "submissions",
        "observations",
        "validation_results",
        "notifications",
        "rollup_snapshots",
        "rollup_figures",
        "review_versions",
    } <= tables


def test_upgrading_a_populated_store_from_the_first_revision_keeps_its_rows(database_url):
    engine = create_store_engine(database_url)
    try:
        upgrade(engine, "0001")
        load_catalogue_into_store(get_settings(), now=NOW)
        with engine.begin() as connection:
            cycle = connection.execute(
                text("INSERT INTO cycles (plan_id, year, created_at) VALUES ('smewg-2021-2024', 2022, :now) RETURNING id"),
                {"now": NOW},
            ).scalar()
            connection.execute(
                text(
                    "INSERT INTO rollup_snapshots (cycle_id, inputs_key, submission_ids, as_of, created_at) "
                    "VALUES (:cycle, 'k', '[]', '2022-07-15', :now)"
                ),
                {"cycle": cycle, "now": NOW},
            )
        before = {name: rows for name, rows in _dump_raw(engine).items() if name != "rollup_snapshots"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with session_scope(engine) as session:
            snapshot = session.scalar(select(RollupSnapshotRow))
            assert (snapshot.inputs_key, snapshot.details) == ("k", {})
        assert {name: rows for name, rows in _dump_raw(engine).items() if name != "rollup_snapshots"} == before
    finally:
        engine.dispose()


def _dump_raw(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            name: sorted(tuple(map(str, row)) for row in connection.execute(text(f"SELECT * FROM {name}")))
            for name in ("plans", "economies", "indicators", "cycles")
        }


def test_upgrading_an_up_to_date_store_changes_nothing(engine):
    before = _dump(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _dump(engine) == before


def test_catalogue_load_is_idempotent(engine):
    settings = get_settings()
    first = load_catalogue_into_store(settings, now=NOW)
    assert first.inserted["indicators"] == 51
    assert first.inserted["economies"] == 21
    after_first = _dump(engine)

    second = load_catalogue_into_store(settings, now=datetime(2023, 1, 1, tzinfo=UTC))
    assert not second.changed
    assert _dump(engine) == after_first


def test_catalogue_rows_carry_the_plan(engine):
    load_catalogue_into_store(get_settings(), now=NOW)
    with session_scope(engine) as session:
        indicator = session.get(IndicatorRow, ("smewg-2021-2024", "3.2.5"))
        assert (indicator.objective_id, indicator.kind, indicator.breakdowns) == (
            "3.2",
            "percent",
            ["total", "women", "youth", "rural"],
        )
        general = session.get(IndicatorRow, ("smewg-2021-2024", "G.6"))
        assert general.objective_id is None and general.group_name == "Dialogue with partners"
        plan = session.get(PlanRow, "smewg-2021-2024")
        assert plan.loaded_at == NOW and plan.loaded_at.tzinfo is not None


def test_an_edited_title_updates_that_row_only(engine, tmp_path, monkeypatch):
    load_catalogue_into_store(get_settings(), now=NOW)
    before = _dump(engine)
    data = yaml.safe_load(DEFAULT_PLAN_FILE.read_text())
    data["priorities"][0]["objectives"][3]["title"] = "Promote social entrepreneurship and social enterprises"
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv("SMEWG_PLAN_FILE", str(edited))

    report = load_catalogue_into_store(get_settings(), now=NOW)
    assert dict(report.updated) == {"objectives": 1}
    assert sum(report.inserted.values()) == 0
    after = _dump(engine)
    changed = [row for row in after["objectives"] if row not in before["objectives"]]
    assert [row[1] for row in changed] == ["1.4"]
    assert {name: rows for name, rows in after.items() if name != "objectives"} == {
        name: rows for name, rows in before.items() if name != "objectives"
    }


def test_an_indicator_dropped_from_the_file_is_kept_and_reported(engine, tmp_path, monkeypatch):
    load_catalogue_into_store(get_settings(), now=NOW)
    data = yaml.safe_load(DEFAULT_PLAN_FILE.read_text())
    data["general_indicators"].pop()
    shorter = tmp_path / "shorter.yaml"
    shorter.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv("SMEWG_PLAN_FILE", str(shorter))

    report = load_catalogue_into_store(get_settings(), now=NOW)
    assert report.not_in_file == ["indicator G.6"]
    with session_scope(engine) as session:
        assert session.get(IndicatorRow, ("smewg-2021-2024", "G.6")) is not None


def test_two_plans_live_side_by_side(engine, monkeypatch):
    load_catalogue_into_store(get_settings(), now=NOW)
    monkeypatch.setenv("SMEWG_PLAN_FILE", str(FIXTURES / "plan-2025-2028.yaml"))
    report = load_catalogue_into_store(get_settings(), now=NOW)
    assert report.inserted["indicators"] == 4
    assert report.inserted.get("economies", 0) == 0
    with session_scope(engine) as session:
        counts = dict(session.execute(select(ObjectiveRow.plan_id, func.count()).group_by(ObjectiveRow.plan_id)).all())
    assert counts == {"smewg-2021-2024": 14, "smewg-2025-2028": 2}


def _cycle_with_submission(session, checksum: str = "a" * 64) -> SubmissionRow:
    cycle = CycleRow(plan_id="smewg-2021-2024", year=2022, created_at=NOW)
    session.add(cycle)
    session.flush()
    submission = SubmissionRow(
        cycle_id=cycle.id,
        economy_code="KOR",
        version=1,
        file_name="kor.csv",
        checksum=checksum,
        size_bytes=120,
        received_at=NOW,
        status="accepted",
    )
    session.add(submission)
    session.flush()
    return submission


def test_the_same_file_twice_for_one_economy_and_cycle_is_refused(engine):
    load_catalogue_into_store(get_settings(), now=NOW)
    with session_scope(engine) as session:
        first = _cycle_with_submission(session)
        cycle_id = first.cycle_id
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(
            SubmissionRow(
                cycle_id=cycle_id,
                economy_code="KOR",
                version=2,
                file_name="again.csv",
                checksum="a" * 64,
                size_bytes=120,
                received_at=NOW,
                status="accepted",
            )
        )
    with session_scope(engine) as session:  # the failed write left nothing behind
        assert session.scalar(select(func.count()).select_from(SubmissionRow)) == 1


def test_json_columns_read_back_what_was_written_with_keys_as_json_makes_them(engine):
    """Statistics and problems come from outside (GX results, economies' cells): they read
    back as written, text untouched, with non-text keys made text as ``json`` would."""
    load_catalogue_into_store(get_settings(), now=NOW)

    class Share(float):  # what a library may hand over for a float
        pass

    statistics = {
        "evaluated_expectations": 12,
        2022: "a year as a key",
        "ratio": 0.1 + 0.2,
        "big": 2**53 + 1,
        "numpy": np.float64(0.25),
        "numpy count": np.int64(3),
    }
    problems_with_subclass = [{"share": Share(0.5)}]
    problems = [{"row": 7, "message": "値 'x' <b>&amp;</b> \u2028 \"quoted\"", "value": None, "nested": [1.5, [True]]}]
    with session_scope(engine) as session:
        submission = _cycle_with_submission(session)
        session.add(
            ValidationResultRow(
                submission_id=submission.id,
                suite_name="kpi",
                success=False,
                evaluated_at=NOW,
                statistics=statistics,
                problems=problems,
            )
        )
    with session_scope(engine) as session:
        stored = session.scalars(select(ValidationResultRow)).one()
        assert stored.statistics == {**{k: v for k, v in statistics.items() if k != 2022}, "2022": "a year as a key"}
        assert stored.problems == problems
        stored.problems = problems_with_subclass  # json writes it; orjson alone would refuse it
    with session_scope(engine) as session:
        assert session.scalars(select(ValidationResultRow.problems)).one() == [{"share": 0.5}]


def test_json_that_the_standard_library_wrote_with_nan_still_reads(smewg_home, monkeypatch):
    """Stores written before the store used orjson may hold ``NaN`` in JSON text (``json.dumps``
    writes it, SQLite keeps it; PostgreSQL never took it); orjson refuses it, so such a value
    is read the old way."""
    url = f"sqlite:///{smewg_home / 'old.db'}"
    monkeypatch.setenv("SMEWG_DATABASE_URL", url)
    engine = create_store_engine(url)
    upgrade(engine)
    load_catalogue_into_store(get_settings(), now=NOW)
    with session_scope(engine) as session:
        submission_id = _cycle_with_submission(session).id
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO validation_results (submission_id, suite_name, success, evaluated_at, statistics, problems)"
                " VALUES (:s, 'kpi', 1, '2022-03-01 00:00:00.000000', :statistics, '[]')"
            ),
            {"s": submission_id, "statistics": '{"success_percent": NaN, "evaluated": 3}'},
        )
    with session_scope(engine) as session:
        statistics = session.scalars(select(ValidationResultRow.statistics)).one()
    assert statistics["evaluated"] == 3 and statistics["success_percent"] != statistics["success_percent"]
    engine.dispose()


@pytest.mark.parametrize("field, value", [("status", "maybe"), ("indicator_id", None)])
def test_observation_constraints_hold_on_both_back_ends(engine, field, value):
    load_catalogue_into_store(get_settings(), now=NOW)
    with session_scope(engine) as session:
        submission_id = _cycle_with_submission(session).id
    values = {
        "submission_id": submission_id,
        "row_number": 2,
        "indicator_id": "1.1.1",
        "breakdown": "total",
        "value": 10.0,
        "unit": "count",
        "status": "accepted",
    }
    values[field] = value
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        session.add(ObservationRow(**values))


def test_submissions_must_name_a_known_economy(engine):
    load_catalogue_into_store(get_settings(), now=NOW)
    with pytest.raises(IntegrityError), session_scope(engine) as session:
        cycle = CycleRow(plan_id="smewg-2021-2024", year=2023, created_at=NOW)
        session.add(cycle)
        session.flush()
        session.add(
            SubmissionRow(
                cycle_id=cycle.id,
                economy_code="XYZ",
                version=1,
                file_name="x.csv",
                checksum="c" * 64,
                size_bytes=1,
                received_at=NOW,
                status="accepted",
            )
        )


@pytest.mark.parametrize("rows", [1, 99, 2_345])
def test_a_stored_submission_reads_back_row_by_row(engine, rows, monkeypatch):
    """The bulk insert (many rows per statement on SQLite, COPY on PostgreSQL, in chunks)
    stores every row as parsed: values (a negative zero as zero), NULLs for missing or non-finite values, notes with
    commas, quotes and line breaks, texts cut to their column's width, each row's status."""
    import numpy as np
    import pandas as pd

    from smewg.work import submissions

    monkeypatch.setattr(submissions, "CHUNK_ROWS", 1_000)  # several chunks, each ending mid-statement
    load_catalogue_into_store(get_settings(), now=NOW)
    n = np.arange(rows)
    value = np.where(n % 7 == 3, np.nan, np.where(n % 11 == 5, np.inf, np.where(n % 17 == 8, -0.0, n * 1.5)))
    notes = pd.Series(np.where(n % 5 == 0, 'no data, "yet"\nsee annex', None), dtype="str")
    frame = pd.DataFrame(
        {
            "row": n + 2,
            "indicator": pd.Series([f"1.1.{k % 3 + 1}" for k in n], dtype="str"),
            "breakdown": pd.Series(["total" if k % 2 else "women" + "x" * 40 for k in n], dtype="str"),
            "value": value,
            "raw_value": pd.Series([f"{k * 1.5:,}" for k in n], dtype="str"),
            "unit": pd.Series(["count"] * rows, dtype="str"),
            "note": notes,
        }
    )
    statuses = pd.Series(np.where(n % 13 == 0, "quarantined", np.where(n % 4 == 1, "flagged", "accepted")))

    outcome = submissions.store_submission(
        engine,
        plan_id="smewg-2021-2024",
        year=2022,
        economy="KOR",
        file_name="KOR.csv",
        checksum="d" * 64,
        size_bytes=1,
        received_at=NOW,
        now=NOW,
        frame=frame,
        statuses=statuses,
        problems=[],
        success=True,
        statistics={},
        data_docs=None,
    )

    expected = [
        (
            outcome.submission_id,
            k + 2,
            f"1.1.{k % 3 + 1}",
            ("total" if k % 2 else "women" + "x" * 40)[:32],
            None if not np.isfinite(value[k]) else value[k],
            f"{k * 1.5:,}",
            "count",
            'no data, "yet"\nsee annex' if k % 5 == 0 else None,
            statuses[k],
        )
        for k in n
    ]
    columns = [getattr(ObservationRow, name) for name in submissions.OBSERVATION_COLUMNS]
    with session_scope(engine) as session:
        stored = [tuple(r) for r in session.execute(select(*columns).order_by(ObservationRow.id))]
    assert stored == expected
    # a "-0" is stored as 0 on both back ends (PostgreSQL would keep the sign, SQLite not)
    assert all(math.copysign(1.0, row[4]) == 1.0 for row in stored if row[4] == 0)
    assert outcome.rows_quarantined == sum(1 for k in n if k % 13 == 0)


@pytest.mark.parametrize("restore", ["rename over", "delete and copy"])
def test_a_store_restored_between_steps_is_read_as_restored_and_written_to(smewg_home, tmp_path, restore):
    """Each step of a flow run opens a cycle context; they share one engine per store (its
    compiled statements are kept), and closing a context closes its connections. SQLite then
    folds its write-ahead log into the file and deletes it, so a store restored from a
    backup between steps (a WAL-mode file, as every copy of the store is) is read as
    restored, and the next step writes into it. Connections kept open between steps left
    the old log at the path and mixed it into the restored store."""
    import os
    import shutil
    import sqlite3

    from smewg.core.cycle import open_cycle

    settings = get_settings()
    with open_cycle(settings, 2022) as first, open_cycle(settings, 2022) as second:
        assert first.engine is second.engine
    store = make_url(settings.resolved_database_url).database
    backup = tmp_path / "backup.db"

    def step(statement: str) -> list[int]:
        with open_cycle(settings, 2022) as context, context.engine.begin() as connection:
            connection.execute(text(statement))
            return [x for (x,) in connection.execute(text("SELECT x FROM marker ORDER BY x"))]

    step("CREATE TABLE marker (x INTEGER)")
    step("INSERT INTO marker VALUES (1)")
    with sqlite3.connect(store) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)
    live.close()
    copy.close()
    assert step("INSERT INTO marker VALUES (2)") == [1, 2]

    if restore == "rename over":
        shutil.copyfile(backup, tmp_path / "restored.db")
        os.replace(tmp_path / "restored.db", store)
    else:
        os.unlink(store)
        shutil.copyfile(backup, store)
    assert step("SELECT 1") == [1]
    assert step("INSERT INTO marker VALUES (3)") == [1, 3]
    with sqlite3.connect(store) as reader:
        assert [x for (x,) in reader.execute("SELECT x FROM marker ORDER BY x")] == [1, 3]
    reader.close()


def test_a_copy_of_the_store_file_made_after_a_step_holds_every_commit_of_that_step(smewg_home, tmp_path):
    """Closing a step's context closes its connections, and SQLite folds the write-ahead
    log into the file: the file copied on its own (as an officer would copy it) is complete."""
    import shutil
    import sqlite3

    from smewg.core.cycle import open_cycle

    settings = get_settings()
    with open_cycle(settings, 2022) as context, context.engine.begin() as connection:
        connection.execute(text("CREATE TABLE marker (x INTEGER)"))
        connection.execute(text("INSERT INTO marker VALUES (7)"))
    store = make_url(settings.resolved_database_url).database
    shutil.copyfile(store, tmp_path / "copy.db")  # the file alone, not its -wal
    with sqlite3.connect(tmp_path / "copy.db") as copy:
        assert copy.execute("SELECT x FROM marker").fetchall() == [(7,)]
    copy.close()


def _figure_rows(connection, snapshot_id: int) -> list[tuple]:
    """A snapshot's stored rows as the store held them before revision 0008: in id order."""
    return [
        tuple(row)
        for row in connection.execute(
            text("SELECT indicator_id, breakdown, statistic, value FROM rollup_figures WHERE snapshot_id = :s ORDER BY id"),
            {"s": snapshot_id},
        )
    ]


def test_snapshot_parts_keep_each_snapshot_s_figures_through_an_upgrade_and_a_downgrade(database_url):
    """Revision 0008 lets a rerun point to the figures it reuses. Upgrading a store whose
    snapshots each hold every figure reads them back unchanged; downgrading a store where a
    snapshot borrows figures gives that snapshot its own copy, in the same order."""
    from alembic import command

    from smewg.core.store.db import _alembic_config
    from smewg.work.rollup import snapshot_figures

    engine = create_store_engine(database_url)
    try:
        upgrade(engine, "0007")
        load_catalogue_into_store(get_settings(), now=NOW)
        figure = (
            "INSERT INTO rollup_figures (snapshot_id, indicator_id, breakdown, year, statistic, value, unit, economies) "
            "VALUES (:s, :i, :b, 2022, :stat, :v, 'count', '[]')"
        )
        snapshot = (
            "INSERT INTO rollup_snapshots (cycle_id, inputs_key, submission_ids, as_of, created_at) "
            "VALUES (:cycle, :key, '[]', '2022-07-15', :now) RETURNING id"
        )
        with engine.begin() as connection:
            cycle = connection.execute(
                text("INSERT INTO cycles (plan_id, year, created_at) VALUES ('smewg-2021-2024', 2022, :now) RETURNING id"),
                {"now": NOW},
            ).scalar()
            first, second = (connection.execute(text(snapshot), {"cycle": cycle, "key": k, "now": NOW}).scalar() for k in "ab")
            for s, rows in (
                (first, [("1.1.1", "total", "SUM", 1.0), ("1.1.1", "women", "SUM", 2.0), ("1.1.2", "total", "SUM", 3.0)]),
                (second, [("1.1.2", "total", "SUM", 4.0), ("1.1.1", "total", "SUM", 5.0)]),
            ):
                for i, b, stat, v in [*rows, ("1.1", "total", "COVERAGE", 50.0 + s)]:
                    connection.execute(text(figure), {"s": s, "i": i, "b": b, "stat": stat, "v": v})
            before = {s: _figure_rows(connection, s) for s in (first, second)}
        upgrade(engine)
        with session_scope(engine) as session:
            for s in (first, second):
                read = snapshot_figures(session, s)
                assert list(zip(read["indicator"], read["breakdown"], read["statistic"], read["value"], strict=True)) == before[s]
        # A third snapshot, as a rerun writes it: 1.1.2 its own, 1.1.1 borrowed from the first.
        with engine.begin() as connection:
            third = connection.execute(text(snapshot), {"cycle": cycle, "key": "c", "now": NOW}).scalar()
            for i, b, stat, v in [("1.1.2", "total", "SUM", 6.0), ("1.1", "total", "COVERAGE", 70.0)]:
                connection.execute(text(figure), {"s": third, "i": i, "b": b, "stat": stat, "v": v})
            part = (
                "INSERT INTO rollup_snapshot_parts (snapshot_id, position, indicator_id, source_snapshot_id, figures) "
                "VALUES (:s, :p, :i, :source, :n)"
            )
            connection.execute(text(part), {"s": third, "p": 0, "i": "1.1.2", "source": third, "n": 1})
            connection.execute(text(part), {"s": third, "p": 1, "i": "1.1.1", "source": first, "n": 2})
        # in the parts' order, not the rows' (the borrowed rows are older)
        expected = [("1.1.2", "total", "SUM", 6.0), ("1.1.1", "total", "SUM", 1.0), ("1.1.1", "women", "SUM", 2.0)]
        expected.append(("1.1", "total", "COVERAGE", 70.0))
        with session_scope(engine) as session:
            read = snapshot_figures(session, third)
            assert list(zip(read["indicator"], read["breakdown"], read["statistic"], read["value"], strict=True)) == expected
        command.downgrade(_alembic_config(engine), "0007")
        with engine.connect() as connection:
            assert _figure_rows(connection, third) == expected
            assert {s: _figure_rows(connection, s) for s in (first, second)} == before
            assert "rollup_snapshot_parts" not in inspect(connection).get_table_names()
    finally:
        engine.dispose()


def test_a_snapshot_inserted_while_another_rollup_inserts_the_same_inputs_waits_and_yields_nothing(engine):
    """Two rollups of the same inputs at once, in two transactions: the second insert waits
    for the first transaction to end (PostgreSQL's unique index, SQLite's write lock) and
    then yields nothing, so that rollup returns the first one's snapshot."""
    import threading

    from sqlalchemy.orm import Session

    from smewg.work.rollup import _insert_snapshot

    load_catalogue_into_store(get_settings(), now=NOW)
    with session_scope(engine) as session:
        cycle = CycleRow(plan_id="smewg-2021-2024", year=2022, created_at=NOW)
        session.add(cycle)
        session.flush()
        cycle_id = cycle.id
    values = {"cycle_id": cycle_id, "inputs_key": "k", "submission_ids": [1], "as_of": NOW.date(), "created_at": NOW}
    second: list[int | None] = []
    with Session(engine) as first:
        assert isinstance(_insert_snapshot(first, details={"by": "first"}, **values), int)
        beside = threading.Thread(target=lambda: second.append(_second_insert(engine, _insert_snapshot, values)), daemon=True)
        beside.start()
        beside.join(timeout=1.0)
        assert beside.is_alive()  # waiting for the first transaction
        first.commit()
    beside.join(timeout=30)
    assert second == [None]
    with session_scope(engine) as session:
        assert [s.details for s in session.scalars(select(RollupSnapshotRow))] == [{"by": "first"}]


def _second_insert(engine, insert_snapshot, values) -> int | None:
    with session_scope(engine) as session:
        return insert_snapshot(session, details={"by": "second"}, **values)


def test_a_second_snapshot_of_the_same_inputs_is_not_inserted(engine):
    """Two rollups of the same inputs at once: the second insert yields nothing (and the
    rollup then returns the first one's snapshot) instead of failing on the unique key."""
    from smewg.work.rollup import _insert_snapshot

    load_catalogue_into_store(get_settings(), now=NOW)
    with session_scope(engine) as session:
        cycle = CycleRow(plan_id="smewg-2021-2024", year=2022, created_at=NOW)
        session.add(cycle)
        session.flush()
        values = {"cycle_id": cycle.id, "submission_ids": [1], "as_of": NOW.date(), "created_at": NOW, "details": {"a": 1}}
        first = _insert_snapshot(session, inputs_key="k", **values)
        assert isinstance(first, int)
        assert _insert_snapshot(session, inputs_key="k", **values) is None
        assert _insert_snapshot(session, inputs_key="other", **values) not in (None, first)
    with session_scope(engine) as session:
        stored = session.scalars(select(RollupSnapshotRow).order_by(RollupSnapshotRow.id)).all()
        assert [(s.inputs_key, s.details) for s in stored] == [("k", {"a": 1}), ("other", {"a": 1})]
