"""Templates and collection: round trips cell by cell, versions, the inbox's rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import ObservationRow, RollupSnapshotRow, ValidationResultRow
from smewg.core.submission_format import CSV_COLUMNS, DATA_SHEET, META_SHEET, TEMPLATE_COLUMNS
from smewg.work.collect import collect_all
from smewg.work.numbers import normalise_number
from smewg.work.templates import write_templates
from tests import collection_helpers as h

AS_OF = date(2022, 12, 31)


@pytest.fixture
def store(database_url, smewg_home, monkeypatch):
    h.prepare(smewg_home, monkeypatch)
    return smewg_home


def _observations(submission_id: int) -> list[tuple]:
    engine = create_store_engine(get_settings().resolved_database_url)
    try:
        with session_scope(engine) as session:
            rows = session.scalars(
                select(ObservationRow).where(ObservationRow.submission_id == submission_id).order_by(ObservationRow.row_number)
            )
            return [(r.row_number, r.indicator_id, r.breakdown, r.value, r.unit, r.note, r.status) for r in rows]
    finally:
        engine.dispose()


def test_the_template_has_instructions_prefilled_rows_dropdowns_and_hidden_metadata(store):
    written = write_templates(get_settings(), h.context().catalogue, 2022, ["HKG"])
    workbook = load_workbook(written[0]["xlsx"])
    assert workbook.sheetnames == ["Instructions", DATA_SHEET, META_SHEET]
    assert workbook[META_SHEET].sheet_state == "hidden"
    meta = {row[0]: row[1] for row in workbook[META_SHEET].iter_rows(max_col=2, values_only=True) if row[0]}
    assert meta == {"economy": "HKG", "year": 2022, "plan": "smewg-2021-2024", "template_version": "1"}
    data = list(workbook[DATA_SHEET].iter_rows(values_only=True))
    assert list(data[0]) == list(TEMPLATE_COLUMNS)
    # 44 single-breakdown indicators, 5 with three breakdowns, 2 with four.
    assert len(data) - 1 == 44 + 5 * 3 + 2 * 4
    by_key = {(r[2], r[5]): r for r in data[1:]}
    assert by_key[("2.1.2", "intra_apec")][4] == "amount" and by_key[("2.1.2", "intra_apec")][7] == "HKD"
    assert by_key[("3.2.5", "rural")][7] == "percent"
    validations = workbook[DATA_SHEET].data_validations.dataValidation
    assert any("F" in str(v.sqref) for v in validations) and any("H" in str(v.sqref) for v in validations)
    assert "Hong Kong, China (HKG)" in workbook["Instructions"]["A1"].value
    csv_header = Path(written[0]["csv"]).read_text(encoding="utf-8").splitlines()[0]
    assert csv_header == ",".join(CSV_COLUMNS)


def test_a_filled_template_round_trips_cell_by_cell(store):
    settings = get_settings()
    written = write_templates(settings, h.context().catalogue, 2022, ["KOR"])
    workbook = load_workbook(written[0]["xlsx"])
    sheet = workbook[DATA_SHEET]
    expected = {}
    for number, cells in enumerate(sheet.iter_rows(min_row=2), start=2):
        kind = cells[4].value
        if number % 9 == 0:
            cells[8].value = "not collected"
            expected[number] = (cells[2].value, cells[5].value, None, cells[7].value, "not collected")
            continue
        value = {"count": float(number * 7), "percent": 12.25, "amount": 1_234_567.5 * number}[kind]
        if cells[5].value != "total":
            value = float(number) if kind == "count" else value / 100  # counts are whole
        cells[6].value = value
        if kind == "amount" and number % 2:
            cells[7].value = "USD"
        expected[number] = (cells[2].value, cells[5].value, value, cells[7].value, None)
    target = h.inbox() / "smewg-2022-KOR.xlsx"
    target.parent.mkdir(parents=True)
    workbook.save(target)
    h.stamp(target, None)

    outcomes = collect_all(h.context(), AS_OF)
    assert [(o.status, o.rows_quarantined) for o in outcomes] == [("accepted", 0)]
    stored = {row[0]: row[1:6] for row in _observations(outcomes[0].submission_id)}
    assert stored == expected


def test_a_csv_round_trips_cell_by_cell_including_commas_and_quotes(store):
    rows = h.valid_rows()
    rows[0][6] = 'counted by "SME Corp", incl. Jeju, Busan'
    rows[1][4], rows[1][6] = "", "not applicable"
    path = h.write_csv(h.inbox() / "KOR_2022.csv", rows)
    outcome = collect_all(h.context(), AS_OF)[0]
    assert outcome.status == "accepted" and outcome.rows_quarantined == 0
    stored = _observations(outcome.submission_id)
    assert len(stored) == len(rows)
    for (_number, indicator, breakdown, value, unit, note, status), row in zip(stored, rows):
        assert (indicator, breakdown, unit) == (row[2], row[3], row[5])
        assert value == (None if row[4] == "" else float(row[4]))
        assert note == (row[6] or None)
        assert status == "accepted"
    # Line numbers as in a text editor (the header is line 1).
    assert [s[0] for s in stored] == list(range(2, len(rows) + 2))
    assert path.exists()  # nothing in the inbox is moved or deleted


def test_the_same_bytes_twice_make_no_new_version(store):
    path = h.write_csv(h.inbox() / "KOR.csv", h.valid_rows())
    first = collect_all(h.context(), AS_OF)
    before = h.dump_store()
    copy = h.write_csv(h.inbox() / "KOR-copy.csv", h.valid_rows(), received=datetime(2022, 4, 2, tzinfo=UTC))
    assert copy.read_bytes() == path.read_bytes()
    again = collect_all(h.context(), AS_OF)
    assert [o.status for o in first] == ["accepted"] and {o.status for o in again} == {"unchanged"}
    assert h.dump_store() == before


def test_a_corrected_file_is_a_new_version_and_the_old_one_is_kept(store):
    bad = h.valid_rows()
    bad[3][4] = -5
    h.write_csv(h.inbox() / "KOR.csv", bad)
    first = collect_all(h.context(), AS_OF)[0]
    assert first.rows_quarantined == 1
    h.write_csv(h.inbox() / "KOR-corrected.csv", h.valid_rows(), received=datetime(2022, 4, 20, tzinfo=UTC))
    outcomes = collect_all(h.context(), AS_OF)
    second = [o for o in outcomes if o.status != "unchanged"][0]
    assert (second.version, second.superseded, second.rows_quarantined) == (2, 1, 0)
    versions = {s.version: s for s in h.submissions()}
    assert versions[1].status == "superseded" and versions[1].superseded_by_id == versions[2].id
    assert versions[2].status == "accepted"
    assert len(_observations(versions[1].id)) == len(bad)  # the old rows are still there


def test_a_rejected_file_supersedes_nothing(store):
    h.write_csv(h.inbox() / "KOR.csv", h.valid_rows())
    collect_all(h.context(), AS_OF)
    h.write_csv(
        h.inbox() / "KOR-wrong.csv",
        [["KOR", 2022, "1.1.1", "total", 5]],
        header=("economy", "year", "indicator", "breakdown", "value"),
        received=datetime(2022, 5, 1, tzinfo=UTC),
    )
    collect_all(h.context(), AS_OF)
    statuses = [(s.version, s.status) for s in h.submissions()]
    assert statuses == [(1, "accepted"), (2, "rejected")]


def test_hidden_lock_and_linked_files_are_ignored_and_odd_folders_reported(store, tmp_path):
    folder = h.inbox()
    h.write_csv(folder / "KOR.csv", h.valid_rows())
    h.write_csv(folder / ".hidden.csv", h.valid_rows(scale=2))
    h.write_csv(folder / "~$KOR.xlsx", h.valid_rows(scale=3))
    h.write_csv(folder / ".~lock.KOR.csv#", h.valid_rows(scale=4))
    outside = h.write_csv(tmp_path / "elsewhere.csv", h.valid_rows(scale=5))
    (folder / "linked.csv").symlink_to(outside)
    h.write_csv(h.inbox("Korea") / "x.csv", h.valid_rows())
    from smewg.work.collect import inbox_for

    files, warnings = inbox_for(h.context(), AS_OF)
    assert [f.path.name for f in files["KOR"]] == ["KOR.csv"]
    assert any("linked.csv: a link to outside the inbox; not followed" in w for w in warnings)
    assert any("'Korea' is not an economy code" in w for w in warnings)


def test_files_arriving_after_as_of_wait(store):
    h.write_csv(h.inbox() / "KOR.csv", h.valid_rows(), received=datetime(2022, 5, 10, 3, 0, tzinfo=UTC))
    assert collect_all(h.context(), date(2022, 5, 9)) == []
    assert [o.status for o in collect_all(h.context(), date(2022, 5, 10))] == ["accepted"]


def test_previous_year_values_drive_the_tenfold_warning(store):
    h.write_csv(h.inbox("KOR", 2021) / "KOR-2021.csv", h.valid_rows(year=2021), received=datetime(2021, 4, 1, tzinfo=UTC))
    collect_all(h.context(2021), AS_OF)
    rows = h.valid_rows()
    rows[0][4] = rows[0][4] * 20
    h.write_csv(h.inbox() / "KOR.csv", rows)
    outcome = collect_all(h.context(), AS_OF)[0]
    assert outcome.rows_flagged == 1 and outcome.rows_quarantined == 0
    warning = [p for p in outcome.problems if p["severity"] == "warning"][0]
    assert warning["row"] == 2 and "changed more than tenfold against the previous year (ratio 20)" in warning["message"]


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("1,234", "count", "1234"),
        ("1,234,567", "amount", "1234567"),
        ("1,234.5", "amount", "1234.5"),
        ("1 234 567", "count", "1234567"),
        ("12%", "percent", "12"),
        ("12.5 %", "percent", "12.5"),
        ("0.5", "percent", "0.5"),
        ("  42 ", "count", "42"),
    ],
)
def test_numbers_written_with_separators_are_normalised_when_certain(text, kind, expected):
    assert normalise_number(text, kind) == (expected, None)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("1,234", "amount", "ambiguous"),
        ("1,5", "percent", "decimal comma"),
        ("1.234,5", "amount", "decimal comma"),
        ("12%", "count", "percent sign"),
        ("twelve", "count", "not a number"),
    ],
)
def test_numbers_whose_reading_is_uncertain_are_refused(text, kind, message):
    normalised, problem = normalise_number(text, kind)
    assert problem and message in problem


def test_every_version_keeps_its_validation_and_a_report_saying_what_to_fix(store):
    rows = h.valid_rows()
    rows[3][4] = "12 apples"  # row 5: not a number (quarantined)
    rows[5][2] = '<script>alert("x")</script>'  # row 7: not an indicator, and hostile
    h.write_csv(h.inbox() / "KOR <b>v2<b>.csv", rows)
    outcome = collect_all(h.context(), AS_OF)[0]
    engine = create_store_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        result = session.scalar(select(ValidationResultRow).where(ValidationResultRow.submission_id == outcome.submission_id))
        assert not result.success and result.statistics["evaluated_expectations"] == 15
        assert result.statistics["unsuccessful_expectations"] >= 2
        docs = result.data_docs_path
    engine.dispose()
    html = Path(docs).read_text(encoding="utf-8")
    assert "<script" not in html and "&lt;script&gt;" in html and "KOR &lt;b&gt;v2&lt;b&gt;.csv" in html
    assert f"{len(rows) - 2} of {len(rows)} rows accepted" in html
    assert "&#39;12 apples&#39; is not a number" in html and "send the whole file again" in html
    assert "value is a plain number</td><td>quarantines</td>" in html  # the suite's rules, in words
    import html as markup

    name = {i.id: i.name for i in h.context().catalogue.plan.all_indicators()}[rows[3][2]]
    assert f'{rows[3][2]} <span class="muted">{markup.escape(name)}</span>' in html  # the row as written, named
    assert '<td class="message">12 apples</td>' in html
    assert "http" not in html  # nothing loaded from a network


def test_submissions_json_lists_every_version_newest_first(store):
    import json

    from typer.testing import CliRunner

    from smewg.cli import app

    bad = h.valid_rows()
    bad[0][4] = "-1"
    h.write_csv(h.inbox() / "KOR.csv", bad)
    h.write_csv(h.inbox() / "KOR-fixed.csv", h.valid_rows(), received=datetime(2022, 4, 9, tzinfo=UTC))
    h.write_csv(h.inbox("AUS") / "AUS.csv", h.valid_rows("AUS"))
    collect_all(h.context(), AS_OF)
    result = CliRunner().invoke(app, ["submissions", "--year", "2022", "--json"])
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [(r["economy"], r["version"], r["status"]) for r in rows] == [
        ("AUS", 1, "accepted"),
        ("KOR", 2, "accepted"),
        ("KOR", 1, "superseded"),
    ]
    assert {
        "economy",
        "version",
        "status",
        "file",
        "checksum",
        "received_at",
        "rows_accepted",
        "rows_quarantined",
        "rows_flagged",
        "problems",
    } <= set(rows[0])
    assert rows[2]["problems"][0] == {
        "row": 2,
        "field": "value",
        "severity": "error",
        "message": "-1 is negative; figures are 0 or more",
    }


def test_row_numbers_are_those_a_spreadsheet_shows_despite_blank_lines(store):
    rows = h.valid_rows()
    path = h.write_csv(h.inbox() / "KOR.csv", rows)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(3, "")  # a blank line after the second data row
    cells = lines[6].split(",")
    cells[4] = "abc"
    lines[6] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    h.stamp(path, None)
    outcome = collect_all(h.context(), AS_OF)[0]
    assert [(p["row"], p["message"]) for p in outcome.problems if p["severity"] == "error"] == [(7, "'abc' is not a number")]


def test_a_percentage_typed_in_excel_is_read_as_typed(store):
    written = write_templates(get_settings(), h.context().catalogue, 2022, ["KOR"])
    workbook = load_workbook(written[0]["xlsx"])
    sheet = workbook[DATA_SHEET]
    for cells in sheet.iter_rows(min_row=2):
        cells[6].value = 1.0
        if (cells[2].value, cells[5].value) in {("1.4.1", "total"), ("1.1.1", "total")}:
            cells[6].value, cells[6].number_format = 0.125, "0.0%"  # Excel stores 12.5% as 0.125
    target = h.inbox() / "KOR.xlsx"
    target.parent.mkdir(parents=True)
    workbook.save(target)
    h.stamp(target, None)
    outcome = collect_all(h.context(), AS_OF)[0]
    stored = {(r[1], r[2]): (r[3], r[6]) for r in _observations(outcome.submission_id)}
    assert stored[("1.4.1", "total")] == (12.5, "accepted")  # a percent indicator: 12.5, not 0.125
    assert stored[("1.1.1", "total")] == (None, "quarantined")  # a count formatted as a percentage: refused
    assert any("percent sign but this indicator is a count" in p["message"] for p in outcome.problems)


def test_a_file_still_being_copied_waits_for_the_next_run(store):
    from smewg.core.clock import now_utc
    from smewg.work.collect import inbox_for

    h.write_csv(h.inbox() / "KOR.csv", h.valid_rows(), received=now_utc())
    files, warnings = inbox_for(h.context(), AS_OF)
    assert files == {} and any("may still be being copied" in w for w in warnings)


def test_a_file_none_of_whose_rows_can_be_accepted_replaces_nothing(store):
    h.write_csv(h.inbox() / "KOR.csv", h.valid_rows())
    collect_all(h.context(), AS_OF)
    broken = [[*row[:4], "n/a", *row[5:]] for row in h.valid_rows()]
    h.write_csv(h.inbox() / "KOR-v2.csv", broken, received=datetime(2022, 5, 1, tzinfo=UTC))
    outcome = [o for o in collect_all(h.context(), AS_OF) if o.status != "unchanged"][0]
    assert (outcome.status, outcome.rows_accepted) == ("rejected", 0)
    assert outcome.problems[0]["message"].startswith("KOR-v2.csv: no row could be accepted")
    assert [(s.version, s.status) for s in h.submissions()] == [(1, "accepted"), (2, "rejected")]


def test_arrival_days_are_singapore_days_around_midnight(store):
    """23:30 on 31 May in Singapore is on time; 00:10 on 1 June is late, though both are 31 May in UTC."""
    from smewg.work.rollup import rollup
    from smewg.work.status import cycle_status

    h.write_csv(h.inbox("KOR") / "kor.csv", h.valid_rows("KOR"), received=datetime(2022, 5, 31, 15, 30, tzinfo=UTC))
    h.write_csv(h.inbox("PER") / "per.csv", h.valid_rows("PER"), received=datetime(2022, 5, 31, 16, 10, tzinfo=UTC))

    on_deadline = collect_all(h.context(), date(2022, 5, 31))
    assert [o.economy for o in on_deadline] == ["KOR"]  # PER's file had not arrived by the end of 31 May there
    later = collect_all(h.context(), date(2022, 6, 1))
    assert [o.economy for o in later if o.status != "unchanged"] == ["PER"]

    status = {e["economy"]: e for e in cycle_status(get_settings(), h.YEAR, date(2022, 6, 1))["economies"]}
    assert status["KOR"]["late"] is False and status["PER"]["late"] is True
    snapshot = rollup(h.context(), date(2022, 7, 15), now=datetime(2022, 7, 15, tzinfo=UTC))
    with session_scope(create_store_engine(get_settings().resolved_database_url)) as session:
        analytics = session.get(RollupSnapshotRow, snapshot.snapshot_id).details["analytics"]["per_economy"]
    on_time = {e["economy"]: e["on_time"] for e in analytics if e["submitted"]}
    assert on_time == {"KOR": True, "PER": False}


def test_validation_never_reaches_gx_suite_parameter_parser(store, monkeypatch):
    """GX's suite-parameter parser is one pyparsing grammar per process and not thread-safe
    (parallel collection failed at random with ``push_first() missing ... 'toks'``): the
    suite's parameters are resolved before GX sees them, so the parser is never used."""
    import great_expectations.core.suite_parameters as gx_parameters
    import great_expectations.core.validation_definition as gx_validation

    def shared_parser_used(*args, **kwargs):
        raise AssertionError("GX's shared suite-parameter parser was used")

    monkeypatch.setattr(gx_parameters, "parse_suite_parameter", shared_parser_used)
    monkeypatch.setattr(gx_validation, "parse_suite_parameter", shared_parser_used)
    path = h.write_csv(h.inbox("KOR") / "kor.csv", h.valid_rows("KOR"))
    outcome = collect_all(h.context(), AS_OF)[0]
    assert (outcome.status, outcome.rows_quarantined) == ("accepted", 0), outcome.problems
    assert path.exists()


def test_the_acknowledgement_is_written_for_people(store, monkeypatch):
    """Counts in words that agree ("1 row"), figures with separators (not 1.9e+07), the
    report named by its file (no path on the Secretariat's server), or a link when the
    outputs are published."""
    from sqlalchemy import select as query

    from smewg.core.store.models import NotificationRow

    rows = h.valid_rows()
    total = next(r for r in rows if (r[2], r[3]) == ("1.3.1", "total"))
    big = next(r for r in rows if (r[2], r[3]) == ("1.3.1", "women"))
    big[4] = 19_000_000  # above its total: flagged, and quoted in the message
    h.write_csv(h.inbox() / "KOR.csv", [rows[0], total, big])
    outcome = collect_all(h.context(), AS_OF)[0]
    engine = create_store_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        ack = session.scalars(query(NotificationRow).where(NotificationRow.kind == "acknowledgement")).one()
        text = ack.text
    engine.dispose()
    assert "3 rows accepted, 1 of them flagged for a check" in text
    assert "19,000,000 is larger than the total" in text and "e+07" not in text
    assert Path(outcome.data_docs).name in text and str(get_settings().outputs_dir) not in text

    monkeypatch.setenv("SMEWG_PUBLIC_BASE_URL", "https://smewg.example.org/outputs")
    rows[0][4] = 1
    h.write_csv(h.inbox() / "KOR-v2.csv", rows[:1])
    collect_all(h.context(), AS_OF)
    engine = create_store_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        texts = [n.text for n in session.scalars(query(NotificationRow).where(NotificationRow.kind == "acknowledgement"))]
    engine.dispose()
    assert any("1 row accepted" in t and "https://smewg.example.org/outputs/data_docs/2022/KOR/" in t for t in texts), texts


def test_a_reminder_names_the_template_only_when_it_was_written(store):
    from smewg.core.clock import now_utc
    from smewg.core.store.models import NotificationRow
    from smewg.work.reminders import queue_reminders

    context = h.context()
    write_templates(get_settings(), context.catalogue, 2022, ["KOR"])
    queue_reminders(context, date(2022, 5, 1), now=now_utc())
    engine = create_store_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        texts = {
            n.economy_code: n.text for n in session.scalars(select(NotificationRow).where(NotificationRow.kind == "reminder"))
        }
    engine.dispose()
    assert "smewg-2022-KOR.xlsx" in texts["KOR"] and str(get_settings().outputs_dir) not in texts["KOR"]
    assert "template" not in texts["PER"].lower()  # PER's template was never written


def test_a_file_that_came_by_email_is_given_the_day_it_really_arrived(store):
    """Copied into the inbox today, it arrived by e-mail on 20 May: `smewg received` records
    that, and the collection counts it on time; a file past the as-of date is listed, not
    silently skipped."""
    from typer.testing import CliRunner

    from smewg.cli import app
    from smewg.work.collect import inbox_for

    copied = datetime.now(UTC) - timedelta(hours=1)  # copied in an hour ago, in 2026
    path = h.write_csv(h.inbox("KOR") / "from-email.csv", h.valid_rows("KOR"), received=copied)
    _, warnings = inbox_for(h.context(), date(2022, 5, 31))
    assert any("from-email.csv: arrived" in w and "after the as-of date 2022-05-31" in w for w in warnings)

    runner = CliRunner()
    done = runner.invoke(app, ["received", str(path), "--on", "2022-05-20"])
    assert done.exit_code == 0, done.output
    assert "counts as received 2022-05-20 09:00" in done.stdout
    outcome = collect_all(h.context(), date(2022, 5, 31))[0]
    assert outcome.status == "accepted"
    rows = [r for r in h.submissions() if r.economy_code == "KOR"]
    assert rows[0].received_at == datetime(2022, 5, 20, 1, tzinfo=UTC)  # 09:00 in Singapore

    refused = runner.invoke(app, ["received", str(store / "nowhere.csv"), "--on", "2022-05-20"])
    assert refused.exit_code == 2 and "is not in the inbox" in refused.stderr
    future = runner.invoke(app, ["received", str(path), "--on", "2999-01-01"])
    assert future.exit_code == 2 and "is in the future" in future.stderr
