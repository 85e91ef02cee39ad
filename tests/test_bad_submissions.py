"""A corpus of bad submissions: each is rejected or its rows quarantined, with a message
naming the file, the row and the field; nothing stored for another submission changes."""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import NotificationRow
from smewg.core.submission_format import CSV_COLUMNS, DATA_SHEET
from smewg.work.collect import collect_all
from smewg.work.templates import write_templates
from tests import collection_helpers as h

AS_OF = date(2022, 12, 31)
LATE = datetime(2022, 5, 1, tzinfo=UTC)


@dataclass
class Case:
    name: str
    file: str
    write: Callable[[Path], None]
    status: str  # rejected, quarantined or flagged
    message: str
    row: int | None = None
    field: str | None = None


def rows_with(change: Callable[[list[list]], None]) -> list[list]:
    rows = h.valid_rows()
    change(rows)
    return rows


def csv_of(change: Callable[[list[list]], None] = lambda rows: None, header=CSV_COLUMNS):
    return lambda path: h.write_csv(path, rows_with(change), header=header, received=LATE)


def raw(content: bytes):
    def write(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        h.stamp(path, LATE)

    return write


def set_cell(row: int, column: int, value):
    def change(rows):
        rows[row - 2][column] = value

    return change


def template_with(edit: Callable) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        written = write_templates(get_settings(), h.context().catalogue, 2022, ["KOR"])
        workbook = load_workbook(written[0]["xlsx"])
        for cells in workbook[DATA_SHEET].iter_rows(min_row=2):
            cells[6].value = 1.0
        edit(workbook)
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(path)
        h.stamp(path, LATE)

    return write


def semicolons(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows([CSV_COLUMNS, *h.valid_rows()])
    h.stamp(path, LATE)


def duplicate_last(rows):
    rows.append(list(rows[0]))


VALUE, UNIT, NOTE, INDICATOR, BREAKDOWN, YEAR, ECONOMY = 4, 5, 6, 2, 3, 1, 0
CASES = [
    # -- the whole file is refused ------------------------------------------------
    Case("empty file", "KOR.csv", raw(b""), "rejected", "KOR.csv is empty"),
    Case(
        "header only",
        "KOR.csv",
        raw(b"economy,year,indicator,breakdown,value,unit,note\n"),
        "rejected",
        "KOR.csv has a header but no data rows",
    ),
    Case(
        "missing column", "KOR.csv", csv_of(header=CSV_COLUMNS[:-1]), "rejected", "KOR.csv header row: missing column(s): note", 1
    ),
    Case(
        "unexpected column",
        "KOR.csv",
        csv_of(header=(*CSV_COLUMNS[:-1], "comment")),
        "rejected",
        "unexpected column(s): comment",
        1,
    ),
    Case(
        "repeated column",
        "KOR.csv",
        csv_of(header=(*CSV_COLUMNS[:-1], "value")),
        "rejected",
        "missing column(s): note; repeated column(s): value",
        1,
    ),
    Case("semicolon separated", "KOR.csv", semicolons, "rejected", "KOR.csv uses ';' between columns", 1),
    Case(
        "not UTF-8",
        "KOR.csv",
        raw(b"economy,year,indicator,breakdown,value,unit,note\nKOR,2022,1.1.1,total,5,count,r\xe9sum\xe9\n"),
        "rejected",
        "KOR.csv is not UTF-8 text (byte 0xe9 on line 2)",
        2,
    ),
    Case(
        "another economy's rows",
        "KOR.csv",
        csv_of(set_cell(5, ECONOMY, "Japan")),
        "rejected",
        "KOR.csv row 5, field economy: names Japan (JPN) but the file is in KOR's folder",
        5,
        "economy",
    ),
    Case(
        "unknown economy",
        "KOR.csv",
        csv_of(set_cell(3, ECONOMY, "Koreaa")),
        "rejected",
        "KOR.csv row 3, field economy: 'Koreaa' is not an APEC economy; did you mean Republic of Korea (KOR)?",
        3,
        "economy",
    ),
    Case(
        "empty economy",
        "KOR.csv",
        csv_of(set_cell(4, ECONOMY, "")),
        "rejected",
        "KOR.csv row 4, field economy: empty; write KOR",
        4,
        "economy",
    ),
    Case(
        "wrong year",
        "KOR.csv",
        csv_of(lambda rows: [r.__setitem__(YEAR, 2021) for r in rows]),
        "rejected",
        "KOR.csv is for year 2021; this inbox is for the 2022 cycle",
    ),
    Case(
        "unsupported type",
        "KOR.pdf",
        raw(b"%PDF-1.4 not a submission"),
        "rejected",
        "KOR.pdf: files of type '.pdf' are not accepted; send .xlsx or .csv",
    ),
    Case(
        "garbage xlsx",
        "KOR.xlsx",
        raw(b"PK\x03\x04 this is not really a workbook"),
        "rejected",
        "KOR.xlsx cannot be opened as an Excel workbook",
    ),
    Case(
        "xlsx without data sheet",
        "KOR.xlsx",
        template_with(lambda wb: setattr(wb[DATA_SHEET], "title", "Figures")),
        "rejected",
        "KOR.xlsx has no 'Data' sheet",
    ),
    Case(
        "another economy's template",
        "KOR.xlsx",
        template_with(lambda wb: wb["_meta"].cell(row=1, column=2, value="JPN")),
        "rejected",
        "KOR.xlsx is the template of JPN, but it is in KOR's folder",
    ),
    Case(
        "too large",
        "KOR.csv",
        raw(b"economy,year,indicator,breakdown,value,unit,note\n" + b"KOR,2022,1.1.1,total,5,count,\n" * 40000),
        "rejected",
        "over the 1 MB limit",
    ),
    # -- rows are quarantined -----------------------------------------------------
    Case(
        "unknown indicator",
        "KOR.csv",
        csv_of(set_cell(2, INDICATOR, "1.9.9")),
        "quarantined",
        "'1.9.9' is not an indicator of the plan",
        2,
        "indicator",
    ),
    Case(
        "unknown breakdown",
        "KOR.csv",
        csv_of(set_cell(2, BREAKDOWN, "men")),
        "quarantined",
        "breakdown 'men' is not allowed for indicator 1.1.1",
        2,
        "breakdown",
    ),
    Case(
        "currency on a count",
        "KOR.csv",
        csv_of(set_cell(2, UNIT, "USD")),
        "quarantined",
        "unit does not fit the indicator's kind (count|usd)",
        2,
        "unit",
    ),
    Case(
        "not a currency",
        "KOR.csv",
        csv_of(lambda rows: [r.__setitem__(UNIT, "XYZ") for r in rows if r[2] == "4.1.1"]),
        "quarantined",
        "unit does not fit the indicator's kind (amount|XYZ)",
        None,
        "unit",
    ),
    Case("empty unit", "KOR.csv", csv_of(set_cell(3, UNIT, "")), "quarantined", "unit is empty", 3, "unit"),
    Case(
        "not a number", "KOR.csv", csv_of(set_cell(2, VALUE, "about 40")), "quarantined", "'about 40' is not a number", 2, "value"
    ),
    Case("infinite", "KOR.csv", csv_of(set_cell(2, VALUE, "inf")), "quarantined", "'inf' is not a number", 2, "value"),
    Case(
        "5,000 nines",
        "KOR.csv",
        csv_of(set_cell(2, VALUE, "9" * 5000)),
        "quarantined",
        "'9999999999999999999999999999999999999999... (5,000 characters)' is too large to be a figure",
        2,
        "value",
    ),
    Case("arabic-indic digits", "KOR.csv", csv_of(set_cell(2, VALUE, "٣٤")), "quarantined", "'٣٤' is not a number", 2, "value"),
    Case("full-width digits", "KOR.csv", csv_of(set_cell(2, VALUE, "３４")), "quarantined", "'３４' is not a number", 2, "value"),
    Case(
        "overflowing",
        "KOR.csv",
        csv_of(set_cell(2, VALUE, "1e400")),
        "quarantined",
        "'1e400' is too large to be a figure",
        2,
        "value",
    ),
    Case(
        "count with decimals",
        "KOR.csv",
        csv_of(set_cell(2, VALUE, "1.234")),
        "quarantined",
        "'1.234' is not a whole number; counts are whole",
        2,
        "value",
    ),
    Case("empty year", "KOR.csv", csv_of(set_cell(4, YEAR, "")), "quarantined", "year is empty or not a number", 4, "year"),
    Case(
        "year not a number",
        "KOR.csv",
        csv_of(set_cell(4, YEAR, "FY22")),
        "quarantined",
        "year is empty or not a number",
        4,
        "year",
    ),
    Case("negative", "KOR.csv", csv_of(set_cell(2, VALUE, "-12")), "quarantined", "-12 is negative", 2, "value"),
    Case(
        "percent over 100",
        "KOR.csv",
        csv_of(lambda rows: [r.__setitem__(VALUE, 140) for r in rows if r[2] == "1.4.1"]),
        "quarantined",
        "140 is outside 0-100 for a percent",
        None,
        "value",
    ),
    Case(
        "percent as a fraction sign on a count",
        "KOR.csv",
        csv_of(set_cell(2, VALUE, "12%")),
        "quarantined",
        "has a percent sign but this indicator is a count value",
        2,
        "value",
    ),
    Case(
        "duplicate row", "KOR.csv", csv_of(duplicate_last), "quarantined", "1.1.1 / total appears more than once", 2, "indicator"
    ),
    Case(
        "a row for another year",
        "KOR.csv",
        csv_of(set_cell(6, YEAR, 2023)),
        "quarantined",
        "2023 is not the year of this cycle",
        6,
        "year",
    ),
    Case(
        "empty value without a note",
        "KOR.csv",
        csv_of(set_cell(2, VALUE, "")),
        "quarantined",
        "empty: give a value, or say in 'note' why there is none",
        2,
        "value",
    ),
    Case(
        "value of spaces without a note",
        "KOR.csv",
        csv_of(set_cell(2, VALUE, "   ")),
        "quarantined",
        "empty: give a value, or say in 'note' why there is none",
        2,
        "value",
    ),
    Case(
        "decimal comma",
        "KOR.csv",
        csv_of(set_cell(2, VALUE, "1.234,5")),
        "quarantined",
        "'1.234,5' uses a decimal comma; write it as 1234.5",
        2,
        "value",
    ),
    Case(
        "ambiguous thousands",
        "KOR.csv",
        csv_of(lambda rows: [r.__setitem__(VALUE, "1,500") for r in rows if r[2] == "4.1.1"]),
        "quarantined",
        "'1,500' is ambiguous",
        None,
        "value",
    ),
    Case(
        "formula cell",
        "KOR.xlsx",
        template_with(lambda wb: wb[DATA_SHEET].cell(row=3, column=7, value="=SUM(G2:G2)")),
        "quarantined",
        "contains a formula (=SUM(G2:G2)); type the number instead",
        3,
        "value",
    ),
    # -- accepted, flagged for a check ---------------------------------------------
    Case(
        "breakdown above total",
        "KOR.csv",
        csv_of(lambda rows: [r.__setitem__(VALUE, 10**7) for r in rows if (r[2], r[3]) == ("1.3.1", "women")]),
        "flagged",
        "10,000,000 is larger than the total (",
        None,
        "value",
    ),
]


# The corpus is data: a guard, not a test, keeps it from shrinking unnoticed.
assert len({c.name for c in CASES if c.status != "flagged"}) >= 25, "the bad-submission corpus lost cases"


@pytest.fixture
def baseline(smewg_home, monkeypatch):
    """A store holding an accepted AUS submission and KOR's first version."""
    h.prepare(smewg_home, monkeypatch)
    monkeypatch.setenv("SMEWG_MAX_SUBMISSION_BYTES", "1000000")
    h.write_csv(h.inbox("AUS") / "AUS.csv", h.valid_rows("AUS"))
    h.write_csv(h.inbox("KOR") / "KOR-v1.csv", h.valid_rows("KOR"))
    collect_all(h.context(), AS_OF)
    return h.dump_store()


def _others_unchanged(before: dict, after: dict) -> None:
    old_ids = {row[0] for row in before["submissions"]}
    assert [r for r in after["observations"] if r[1] in old_ids] == before["observations"]
    old = {row[0]: row for row in before["submissions"]}
    for row in after["submissions"]:
        if row[0] in old and row[2] == "AUS":
            assert row == old[row[0]]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_submission(baseline, case: Case):
    path = h.inbox("KOR") / case.file
    case.write(path)
    outcomes = [o for o in collect_all(h.context(), AS_OF) if o.status != "unchanged"]
    assert len(outcomes) == 1
    outcome = outcomes[0]

    if case.status == "rejected":
        assert outcome.status == "rejected"
        problem = outcome.problems[0]
        assert case.message in problem["message"] and case.file in problem["message"]
        assert (problem["row"], problem["field"]) == (case.row, case.field)
    else:
        assert outcome.status == "accepted"
        severity = "error" if case.status == "quarantined" else "warning"
        matching = [p for p in outcome.problems if case.message in p["message"] and p["severity"] == severity]
        assert matching, outcome.problems
        assert all(p["field"] == case.field for p in matching)
        if case.row is not None:
            assert case.row in {p["row"] for p in matching}
        assert all(p["row"] for p in matching)
        counted = outcome.rows_quarantined if case.status == "quarantined" else outcome.rows_flagged
        assert counted == len({p["row"] for p in outcome.problems if p["severity"] == severity and p["row"]}) >= 1

    engine = create_store_engine(get_settings().resolved_database_url)
    with session_scope(engine) as session:
        ack = session.scalar(
            select(NotificationRow).where(
                NotificationRow.kind == "acknowledgement", NotificationRow.dedupe_key.endswith(outcome.checksum)
            )
        )
        assert ack is not None and ack.channel == "#smewg-fp-kor"
        assert case.file in ack.text
        if case.status != "rejected":
            first = [p for p in outcome.problems if case.message in p["message"]][0]
            assert f"Row {first['row']}, {case.field}: " in ack.text
    engine.dispose()
    _others_unchanged(baseline, h.dump_store())


def test_the_corpus_validated_together_gives_what_each_file_gives_alone(baseline, tmp_path, monkeypatch):
    """Collection validates a run's files in one Great Expectations batch: the row-by-row
    rules run once for all the files, and every file of the corpus (all KOR's, so
    duplicates within a file must stay per file) comes out as alone."""
    from smewg.work import gx_runtime
    from smewg.work.parse import SubmissionRejected, parse_submission
    from smewg.work.quality import FILE_COLUMN, FileToValidate, validate, validate_many

    context = h.context()
    plan = context.catalogue.plan
    kinds = {i.id: i.kind for i in plan.all_indicators()}
    files = []
    for n, case in enumerate(c for c in CASES if c.status != "rejected"):
        path = tmp_path / str(n) / case.file
        case.write(path)
        try:
            parsed = parse_submission(
                path, economy="KOR", year=2022, registry=context.catalogue.economies, kinds=kinds, max_bytes=10**7
            )
        except SubmissionRejected:
            continue
        files.append(FileToValidate(parsed.frame, parsed.problems, {("1.1.1", "total"): 1.0}))
    assert len(files) >= 10
    batches: list[int] = []  # per GX run over several files: how many
    run_suite = gx_runtime.run_suite

    def counted(data, suite, *args):
        if FILE_COLUMN in data.columns:
            batches.append(data[FILE_COLUMN].nunique())
        return run_suite(data, suite, *args)

    monkeypatch.setattr(gx_runtime, "run_suite", counted)
    together = validate_many(files, plan, 2022)
    # The row-by-row rules ran over every file at once, not once per file: whether each
    # holds, then the failing ones' rows.
    assert batches == [len(files), len(files)]
    for item, batched in zip(files, together, strict=True):
        alone = validate(item.frame, plan, 2022, parse_problems=item.parse_problems, previous=item.previous)
        assert batched.problems == alone.problems
        assert batched.statuses.tolist() == alone.statuses.tolist()
        assert (batched.success, batched.statistics, batched.rules) == (alone.success, alone.statistics, alone.rules)
    assert sum(1 for v in together if not v.success) >= 5  # the corpus's faults were found, not lost in the batch
