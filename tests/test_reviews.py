"""The mid-term and final reviews, built from a generated four-year data set.

Every number the HTML prints is read back and compared with the rollup snapshot the page
names for it (the snapshots themselves are checked against the raw rows in test_rollup).
"""

from __future__ import annotations

import csv
import os
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from smewg.core.cycle import open_cycle
from smewg.core.settings import get_settings
from smewg.core.store import create_store_engine, session_scope
from smewg.core.store.models import CycleRow, NotificationRow, ObservationRow, RollupSnapshotRow, SubmissionRow
from smewg.work.catalogue_sync import load_catalogue_into_store
from smewg.work.collect import collect_all
from smewg.work.demo_calendar import write_demo_calendars
from smewg.work.reviews import build_review, review_snapshot
from smewg.work.rollup import snapshot_figures
from smewg.work.simulate_submissions import simulate_submissions
from smewg.work.store_migration import migrate_store
from tests import collection_helpers as h

HOSTILE_NOTE = "not collected <script>alert(1)</script> & <!channel>"
HOSTILE_FILE = "KOR fix <!here> & <b>.csv"
MIDTERM_AS_OF, CORRECTED_AS_OF = date(2022, 12, 31), date(2023, 1, 15)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Four simulated cycles collected; one economy's 2022 file carries a hostile note."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        home = tmp_path_factory.mktemp("reviews") / "home"
        for name in [n for n in os.environ if n.startswith("SMEWG_") and n != "SMEWG_TEST_POSTGRES_URL"]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("SMEWG_HOME", str(home))
        monkeypatch.setenv("SMEWG_SCHEDULE_DIR", str(home / "schedule"))
        settings = get_settings()
        migrate_store(settings)
        load_catalogue_into_store(settings)
        write_demo_calendars(settings.schedule_dir, settings_plan(settings))
        for year in (2021, 2022, 2023, 2024):
            with open_cycle(settings, year) as context:
                simulate_submissions(settings.resolved_inbox, context.catalogue, context.calendar)
                if year == 2022:
                    rows = h.valid_rows("BRN", 2022)
                    rows[1][4], rows[1][6] = "", HOSTILE_NOTE
                    h.write_csv(h.inbox("BRN", 2022) / "brn-final.csv", rows, received=datetime(2022, 12, 20, 2, tzinfo=UTC))
                collect_all(context, date(year, 12, 31))
        yield settings


def settings_plan(settings):
    from smewg.core.catalogue import load_catalogue

    return load_catalogue(settings.plan_file, settings.economies_file).plan


def _build(settings, kind: str, as_of: date, *, refresh: bool):
    years = [2021, 2022] if kind == "midterm" else [2021, 2022, 2023, 2024]
    snapshots = {}
    for year in years:
        with open_cycle(settings, year) as context:
            snapshots[year] = review_snapshot(context, as_of, refresh=refresh, now=datetime.now(UTC))
    with open_cycle(settings, years[-1]) as context:
        return build_review(context, kind, as_of, snapshots, now=datetime.now(UTC))


class _Cells(HTMLParser):
    """Every ``<td data-key=...>`` with its text and the snapshot it names."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str | None, str]] = []
        self._open: tuple[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "td" and "data-key" in found:
            self._open, self._text = (found["data-key"], found.get("data-snapshot")), []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._open:
            self.cells.append((*self._open, "".join(self._text).strip()))
            self._open = None


def _number(text: str) -> tuple[float, int] | None:
    """The printed number and its decimals; None for the dash of a missing figure."""
    if text == "–":
        return None
    plain = text.replace(",", "").replace(" %", "").replace(" pp", "")
    assert re.fullmatch(r"[+-]?\d+(\.\d+)?", plain), f"not a number as printed: {text!r}"
    return float(plain), len(plain.split(".")[1]) if "." in plain else 0


def _assert_every_printed_number_is_its_snapshot_figure(html: str, settings) -> int:
    parser = _Cells()
    parser.feed(html)
    engine = create_store_engine(settings.resolved_database_url)
    checked = 0
    try:
        with session_scope(engine) as session:
            figures, analytics = {}, {}
            for snapshot_id in {s for _, s, _ in parser.cells if s}:
                frame = snapshot_figures(session, int(snapshot_id))
                figures[snapshot_id] = {
                    (
                        r.indicator,
                        r.breakdown,
                        str(r.year),
                        r.statistic,
                        r.economies[0] if r.statistic == "VALUE" else "APEC",
                    ): r.value
                    for r in frame.itertuples()
                }
                analytics[snapshot_id] = session.get(RollupSnapshotRow, int(snapshot_id)).details["analytics"]["overall"]
        for key, snapshot, text in parser.cells:
            printed = _number(text)
            if key.startswith("analytics|"):
                value = analytics[snapshot][key.split("|")[2]]
            elif snapshot is None:
                assert printed is None, f"{key}: printed {text!r} without naming a snapshot"
                continue
            else:
                value = figures[snapshot][tuple(key.split("|"))]
            if printed is None:
                assert value is None or value != value, f"{key}: the snapshot has {value}, the page shows a dash"
                continue
            number, decimals = printed
            assert abs(number - value) <= 0.5 * 10**-decimals + 1e-9, f"{key}: printed {text}, snapshot {snapshot} has {value}"
            checked += 1
    finally:
        engine.dispose()
    return checked


@pytest.fixture(scope="module")
def midterm(store):
    return _build(store, "midterm", MIDTERM_AS_OF, refresh=False)


def test_every_number_of_the_midterm_html_is_the_figure_of_the_snapshot_it_names(store, midterm):
    assert (midterm.version, midterm.created) == (1, True)
    assert set(midterm.snapshot) == {"2021", "2022"}  # the years come from the plan file
    checked = _assert_every_printed_number_is_its_snapshot_figure(Path(midterm.html).read_text(), store)
    assert checked > 1000


def test_a_rebuild_with_nothing_new_keeps_version_1(store, midterm):
    again = _build(store, "midterm", MIDTERM_AS_OF, refresh=True)
    assert (again.version, again.created, again.html) == (1, False, midterm.html)


def test_text_from_submissions_is_escaped_in_html_and_shown_as_text_in_the_pdf(store, midterm):
    html = Path(midterm.html).read_text()
    assert "<script>alert" not in html and "<!channel>" not in html
    assert "not collected &lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;!channel&gt;" in html
    text = " ".join(page.extract_text() for page in PdfReader(midterm.pdf).pages)
    # Shown as the text it is (a table cell may wrap it, so compare without white space).
    assert "notcollected<script>alert(1)</script>&<!channel>" in re.sub(r"\s+", "", text)


def test_the_pdf_has_a_page_per_priority_area_with_the_headline_figures(store, midterm):
    pages = [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(midterm.pdf).pages]
    plan = settings_plan(store)
    starts = [next(n for n, text in enumerate(pages) if f"Priority area {p.id}: {p.title}" in text) for p in plan.priorities]
    assert starts == sorted(set(starts)), "each priority area starts its own page"
    parser = _Cells()
    parser.feed(Path(midterm.html).read_text())
    printed = {key: text for key, _, text in parser.cells}
    page = next(text for text in pages[starts[0] :] if "1.1.1 Innovative SMEs and start-ups" in text)
    for year in (2021, 2022):
        assert printed[f"1.1.1|total|{year}|SUM|APEC"] in page
        assert printed[f"1.1.1|total|{year}|N_REPORTING|APEC"] in page


def _correct_one_value(settings) -> tuple[float, float]:
    """KOR resends its 2022 file with 1.1.1 (total) raised by 1,000; every other row as stored."""
    engine = create_store_engine(settings.resolved_database_url)
    try:
        with session_scope(engine) as session:
            current = session.scalar(
                select(SubmissionRow)
                .join(CycleRow, SubmissionRow.cycle_id == CycleRow.id)
                .where(CycleRow.year == 2022, SubmissionRow.economy_code == "KOR", SubmissionRow.status == "accepted")
            )
            rows = session.scalars(
                select(ObservationRow)
                .where(ObservationRow.submission_id == current.id, ObservationRow.status != "quarantined")
                .order_by(ObservationRow.row_number)
            ).all()
            records = [
                ["KOR", 2022, r.indicator_id, r.breakdown, "" if r.value is None else r.value, r.unit or "", r.note or ""]
                for r in rows
            ]
    finally:
        engine.dispose()
    target = next(r for r in records if r[2] == "1.1.1" and r[3] == "total")
    old = float(target[4])
    target[4] = old + 1000
    path = h.inbox("KOR", 2022) / HOSTILE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["economy", "year", "indicator", "breakdown", "value", "unit", "note"], *records])
    h.stamp(path, datetime(2023, 1, 10, 2, tzinfo=UTC))
    with open_cycle(settings, 2022) as context:
        outcomes = [o for o in collect_all(context, CORRECTED_AS_OF) if o.status != "unchanged"]
    assert [(o.economy, o.status) for o in outcomes] == [("KOR", "accepted")]
    return old, old + 1000


def test_a_correction_makes_version_2_listing_exactly_the_figures_that_moved(store, midterm):
    v1_html = Path(midterm.html).read_text()
    old, new = _correct_one_value(store)
    v2 = _build(store, "midterm", CORRECTED_AS_OF, refresh=True)
    assert (v2.version, v2.created) == (2, True)
    assert v2.snapshot["2021"] == midterm.snapshot["2021"]  # the untouched cycle's rollup is reused
    assert v2.snapshot["2022"] != midterm.snapshot["2022"]

    parser = _Cells()
    parser.feed(v1_html)
    v1 = {key: text for key, _, text in parser.cells}
    in_2021 = v1.get("1.1.1|total|2021|VALUE|KOR", "–") != "–"
    expected = {("1.1.1", "total", 2022, "VALUE", "KOR"), ("1.1.1", "total", 2022, "SUM", "APEC")}
    if in_2021:  # KOR is in the balanced panel: both changes on 2021 move
        expected |= {("1.1.1", "total", 2022, "CHANGE_PREV", "APEC"), ("1.1.1", "total", 2022, "CHANGE_BASELINE", "APEC")}
    changed = {(c["indicator"], c["breakdown"], c["year"], c["statistic"], c["area"]): c for c in v2.changed}
    assert set(changed) == expected
    assert all(c["economies"] == ["KOR"] for c in v2.changed)
    value = changed[("1.1.1", "total", 2022, "VALUE", "KOR")]
    assert (value["old"], value["new"]) == (pytest.approx(old), pytest.approx(new))
    total = changed[("1.1.1", "total", 2022, "SUM", "APEC")]
    assert total["new"] - total["old"] == pytest.approx(1000)

    html = Path(v2.html).read_text()
    assert "Appendix: what changed since version 1" in html
    assert _assert_every_printed_number_is_its_snapshot_figure(html, store) > 1000

    engine = create_store_engine(store.resolved_database_url)
    try:
        with session_scope(engine) as session:
            notes = session.scalars(
                select(NotificationRow).where(NotificationRow.kind == "review").order_by(NotificationRow.id)
            ).all()
            assert [n.dedupe_key for n in notes] == ["review:smewg-2021-2024:midterm:v1", "review:smewg-2021-2024:midterm:v2"]
            message = notes[1]
            from smewg.work.messages import escape

            shown = escape(message.text) + str(message.blocks)  # the text is escaped as a whole when posted
            assert "<!here>" not in shown and "<b>" not in shown
            assert "KOR fix &lt;!here&gt; &amp;amp; &lt;b&gt;.csv" not in shown  # escaped once, not twice
            assert "KOR fix &lt;!here&gt; &amp; &lt;b&gt;.csv" in shown
            assert f"{len(v2.changed)} figures changed" in message.text
    finally:
        engine.dispose()


@pytest.mark.prefect
def test_smewg_review_runs_the_tracked_flow_and_prints_the_json_contract(prefect_api, store):
    import json

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowFilter, FlowFilterName
    from typer.testing import CliRunner

    from smewg.cli import app

    first = CliRunner().invoke(app, ["review", "final", "--as-of", "2024-12-31", "--json"], catch_exceptions=False)
    assert first.exit_code == 0, first.stderr
    document = json.loads(first.stdout)
    assert {"kind", "version", "html", "pdf", "snapshot", "changed"} <= set(document)
    assert (document["kind"], document["version"], document["created"]) == ("final", 1, True)
    assert set(document["snapshot"]) == {"2021", "2022", "2023", "2024"} and document["changed"] == []
    again = json.loads(CliRunner().invoke(app, ["review", "final", "--rerun", "--as-of", "2024-12-31", "--json"]).stdout)
    assert (again["version"], again["created"]) == (1, False)
    printed = CliRunner().invoke(app, ["review", "final", "--as-of", "2024-12-31"]).stdout
    assert "Final review version 1 (unchanged inputs: no new version)" in printed and document["pdf"] in printed

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["assemble-review"])))
        # The server is shared by the test session: count this test's runs (the final review's).
        assert len([r for r in runs if r.state.is_completed() and r.parameters.get("kind") == "final"]) == 3
        summaries = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["review-final"])))
    assert any("Final review, version 1 (new version)" in str(a.data) for a in summaries)


def test_the_final_review_covers_four_cycles_and_prints_only_snapshot_figures(store):
    final = _build(store, "final", date(2024, 12, 31), refresh=False)
    assert set(final.snapshot) == {"2021", "2022", "2023", "2024"}
    assert _assert_every_printed_number_is_its_snapshot_figure(Path(final.html).read_text(), store) > 2000
    assert len(PdfReader(final.pdf).pages) >= len(settings_plan(store).priorities)


def test_the_html_renders_in_a_browser_with_its_charts_and_asks_the_network_for_nothing(midterm, tmp_path):
    from PIL import Image

    from tests.browser import RecordingProxy, screenshot

    page = Path(midterm.html)
    assert page.read_text().count("<svg") >= 51  # a chart per indicator, inline
    control = tmp_path / "control.html"
    control.write_text(
        '<html><head><link rel="stylesheet" href="https://cdn.example.org/a.css"></head>'
        '<body><img src="http://img.example.org/x.png"></body></html>'
    )
    with RecordingProxy() as proxy:
        screenshot(control, tmp_path / "control.png", proxy)
        assert len(proxy.page_requests) >= 2, "the proxy must see a page's requests"
    with RecordingProxy() as proxy:
        top = screenshot(page, tmp_path / "top.png", proxy)
        chart = screenshot(_chart_page(page, tmp_path), tmp_path / "chart.png", proxy, size="500,300")
    assert proxy.page_requests == []
    image = Image.open(top).convert("RGB")
    colours = image.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50, "the page looks blank"
    white = sum(count for count, colour in colours if colour == (255, 255, 255))
    assert white < 0.97 * image.width * image.height
    drawn = Image.open(chart).convert("RGB").getcolors(maxcolors=1_000_000)
    line = sum(count for count, (r, g, b) in drawn if b > 140 and r < 90 and g < 140)  # the report's blue line
    assert line > 200, "the chart's line is not drawn"


def _chart_page(page: Path, folder: Path) -> Path:
    """A page holding only the first indicator's chart, cut from the review (same SVG, same CSS)."""
    html = page.read_text()
    start = html.index('<div class="chart">')
    end = html.index("</div>", start) + len("</div>")
    head = html[: html.index("<body>")]
    out = folder / "chart-only.html"
    out.write_text(head + "<body>" + html[start:end] + "</body></html>", encoding="utf-8")
    return out


def test_an_indicator_of_many_breakdowns_shows_the_first_twelve_and_points_to_the_xlsx(tmp_path):
    """Issue 13's scale run: a plan of regions (100 breakdowns per indicator) made a PDF of
    ~35,000 table rows. The document shows the total and the next breakdowns, up to 12."""
    import pandas as pd

    from smewg.core.catalogue import Indicator
    from smewg.work.review_data import ReviewData
    from smewg.work.review_report import BREAKDOWNS_SHOWN, _indicator_block

    breakdowns = ("total", *(f"region_{n:02d}" for n in range(1, 20)))
    indicator = Indicator(id="1.1.1", name="Start-ups", kind="count", breakdowns=breakdowns)
    years = [2021, 2022]
    figures = pd.DataFrame(
        [
            {"indicator": "1.1.1", "breakdown": b, "year": y, "statistic": s, "area": "APEC", "value": v, "unit": None}
            for b in breakdowns
            for y in years
            for s, v in (("N_REPORTING", 3.0), ("SUM", 100.0))
        ]
    )
    data = ReviewData(kind="midterm", years=years, snapshots={}, figures=figures, quality=[], notes=[])
    block = _indicator_block({}, indicator, data, data.lookup(), {2021: 1, 2022: 2}, {}, {}, tmp_path)
    shown = {row["label"].rsplit("(", 1)[-1].rstrip(")") for row in block["rows"] if "(" in row["label"]}
    assert shown == {f"region {n:02d}" for n in range(1, BREAKDOWNS_SHOWN)}  # the total and 11 more
    assert block["breakdowns_not_shown"] == len(breakdowns) - BREAKDOWNS_SHOWN == 8


def test_figures_beyond_a_sheets_rows_go_to_a_sheet_per_year(tmp_path, monkeypatch):
    """A sheet holds 1,048,576 rows; the scale run's final review has ~1.5M figures."""
    from datetime import date

    import pandas as pd
    from openpyxl import load_workbook

    from smewg.core.catalogue import load_plan
    from smewg.core.paths import DEFAULT_PLAN_FILE
    from smewg.work import review_report
    from smewg.work.review_data import CycleSnapshot, ReviewData

    years = [2021, 2022]
    figures = pd.DataFrame(
        [
            {
                "indicator": "1.1.1",
                "breakdown": "total",
                "year": y,
                "statistic": "VALUE",
                "area": code,
                "value": float(n),
                "unit": "count",
                "economies": [],
                "snapshot_id": y - 2000,
            }
            for y in years
            for n, code in enumerate(("AUS", "KOR", "PER"))
        ]
    )
    snapshots = {y: CycleSnapshot(y, y - 2000, date(y, 7, 15), {}, {}, {}, []) for y in years}
    data = ReviewData(kind="midterm", years=years, snapshots=snapshots, figures=figures, quality=[], notes=[])
    plan = load_plan(DEFAULT_PLAN_FILE)
    whole = load_workbook(review_report.write_xlsx(data, plan, tmp_path / "one.xlsx", {"changes": []}), read_only=True)
    assert whole.sheetnames[0] == "Figures" and len(list(whole["Figures"].iter_rows())) == 7
    monkeypatch.setattr(review_report, "EXCEL_MAX_ROWS", 5)
    split = load_workbook(review_report.write_xlsx(data, plan, tmp_path / "split.xlsx", {"changes": []}), read_only=True)
    assert split.sheetnames[:2] == ["Figures 2021", "Figures 2022"]
    rows = list(split["Figures 2022"].iter_rows(values_only=True))
    assert rows[0][:3] == ("year", "indicator", "name") and [r[0] for r in rows[1:]] == [2022] * 3
    monkeypatch.setattr(review_report, "EXCEL_MAX_ROWS", 3)  # even one year's figures overflow a sheet
    chunks = load_workbook(review_report.write_xlsx(data, plan, tmp_path / "chunks.xlsx", {"changes": []}), read_only=True)
    assert chunks.sheetnames[:4] == ["Figures 2021 (1)", "Figures 2021 (2)", "Figures 2022 (1)", "Figures 2022 (2)"]
    assert [len(list(chunks[name].iter_rows())) for name in chunks.sheetnames[:2]] == [3, 2]


def _midterm_model(data, catalogue, chart_dir: Path) -> dict:
    """The mid-term review's report model of ``data``, as a build makes it (version 1)."""
    from smewg.work import review_report

    return review_report.report_model(
        data,
        catalogue,
        title="Mid-term review",
        reported_by="Chair",
        audience="SMEWG",
        version=1,
        as_of="2022-12-31",
        built_at=datetime.now(UTC),
        inputs_key="k",
        changes=[],
        chart_dir=chart_dir,
    )


def test_a_long_data_quality_annex_prints_its_first_rows_and_keeps_all_in_the_xlsx(store, midterm, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from smewg.core.catalogue import load_catalogue
    from smewg.work import review_report
    from smewg.work.review_data import load_review_data

    with session_scope(create_store_engine(store.resolved_database_url)) as session:
        data = load_review_data(session, "midterm", {int(y): s for y, s in midterm.snapshot.items()})
    assert len(data.quality) > 3, "the simulated cycles quarantine and flag some rows"
    monkeypatch.setattr(review_report, "ANNEX_ROWS", 2)
    catalogue = load_catalogue(store.plan_file, store.economies_file)
    model = _midterm_model(data, catalogue, tmp_path)
    html = review_report.render_html(model)
    assert f"Rows quarantined or flagged in the versions used ({len(data.quality)})" in html
    assert f"{len(data.quality) - 2} more rows are in the review's XLSX (sheet Data quality)." in html
    sheet = load_workbook(review_report.write_xlsx(data, catalogue.plan, tmp_path / "r.xlsx", model), read_only=True)[
        "Data quality"
    ]
    assert len(list(sheet.iter_rows())) == 1 + len(data.quality)


def test_a_note_with_terminal_control_characters_still_gives_the_review_its_xlsx(store, midterm, tmp_path):
    """A note is an economy's free text: an escape sequence or a NUL in it (which XML, and so
    openpyxl, refuses) is shown as U+FFFD in the XLSX instead of failing the whole review."""
    from openpyxl import load_workbook

    from smewg.core.catalogue import load_catalogue
    from smewg.work import review_report
    from smewg.work.review_data import load_review_data

    with session_scope(create_store_engine(store.resolved_database_url)) as session:
        data = load_review_data(session, "midterm", {int(y): s for y, s in midterm.snapshot.items()})
    data.notes[0] = {**data.notes[0], "note": "=HYPERLINK(x) \x1b[31mred\x00 <!channel>"}
    catalogue = load_catalogue(store.plan_file, store.economies_file)
    model = _midterm_model(data, catalogue, tmp_path)
    path = review_report.write_xlsx(data, catalogue.plan, tmp_path / "r.xlsx", model)
    notes = [row[-1] for row in load_workbook(path, read_only=True)["Notes"].iter_rows(min_row=2, values_only=True)]
    assert notes[0] == "'=HYPERLINK(x) \ufffd[31mred\ufffd <!channel>"
