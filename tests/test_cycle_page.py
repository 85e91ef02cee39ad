"""The cycle page the Secretariat opens: written by the runs that change the cycle, its status
table equal to `smewg status --json`, self-contained (opened in headless Chromium: drawn, and
not one request to the network), text from outside escaped."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html import unescape

from typer.testing import CliRunner

from smewg.cli import app
from smewg.work.collect import collect_all
from smewg.work.cycle_page import write_cycle_page
from tests import collection_helpers as h

AS_OF = date(2022, 6, 10)


def test_the_cycle_page_shows_what_status_says_and_asks_the_network_for_nothing(smewg_home, monkeypatch, tmp_path):
    from tests.browser import drawn_offline

    h.prepare(smewg_home, monkeypatch)
    rows = h.valid_rows("AUS")
    rows[2][4] = "lots"
    h.write_csv(h.inbox("AUS") / "AUS.csv", rows, received=datetime(2022, 5, 10, 2, tzinfo=UTC))
    h.write_csv(h.inbox("SGP") / "SGP.csv", h.valid_rows("SGP"), received=datetime(2022, 6, 3, 2, tzinfo=UTC))
    hostile = h.inbox("PER") / "<img src=x onerror=alert(1)> PER.csv"
    hostile.parent.mkdir(parents=True, exist_ok=True)
    hostile.write_bytes(b"")
    h.stamp(hostile, datetime(2022, 5, 20, 2, tzinfo=UTC))
    collect_all(h.context(), AS_OF)

    page = write_cycle_page(h.context(), AS_OF)
    html = page.read_text(encoding="utf-8")
    assert page.name == "cycle-2022.html" and 'href="cycle-2022.html"' in (page.parent / "index.html").read_text()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt; PER.csv" in html

    status = json.loads(CliRunner().invoke(app, ["status", "--year", "2022", "--as-of", AS_OF.isoformat(), "--json"]).stdout)
    shown = {}
    for economy, cells in re.findall(r'<tr data-economy="(\w+)">(.*?)</tr>', html, re.S):
        fields = dict(re.findall(r'data-field="(\w+)">([^<]*)<', cells))
        shown[economy] = {name: int(value.replace(",", "")) for name, value in fields.items() if name != "state"}
        shown[economy]["state"] = unescape(fields["state"].strip())
    assert len(shown) == 21
    for entry in status["economies"]:
        assert shown[entry["economy"]] == {
            "quarantined_rows": entry["quarantined_rows"],
            "flagged_rows": entry["flagged_rows"],
            "state": entry["state_text"],
        }, entry["economy"]
    assert shown["AUS"]["quarantined_rows"] == 1 and shown["PER"]["state"] == "last file rejected"
    assert 'title="AUS 2022: submitted on time"' in html and 'title="AUS 1.1.1: reported"' in html
    assert re.search(r'href="\.\./data_docs/2022/AUS/[0-9a-f]{16}\.html"', html)  # its validation report

    drawn_offline(page, tmp_path / "cycle.png")

    # The validation report the page links for AUS: drawn, offline, its counts those of the status.
    link = re.search(r'href="(\.\./data_docs/2022/AUS/[0-9a-f]{16}\.html)"', html)
    assert link is not None
    report = (page.parent / link.group(1)).resolve()
    text = unescape(re.sub(r"<[^>]+>", " ", report.read_text(encoding="utf-8")))
    aus = next(e for e in status["economies"] if e["economy"] == "AUS")
    assert aus["quarantined_rows"] == 1 and re.search(r"\b1 quarantined", " ".join(text.split()))
    assert "lots" in text  # the value as written, on its row
    drawn_offline(report, tmp_path / "report.png")


def test_gx_data_docs_for_one_file_work_offline_and_show_cells_as_text(smewg_home, monkeypatch, tmp_path):
    """Issue 12: the technical view (GX Data Docs) kept, with no CDN, newsletter or __none__,
    and issue 13: cells that look like HTML are shown, never run."""
    from tests.browser import drawn_offline

    h.prepare(smewg_home, monkeypatch)
    rows = h.valid_rows("AUS")
    rows[2][4] = "<script>alert(1)</script>"
    rows[3][5] = "<img src=x onerror=alert(2)>"
    file = h.write_csv(h.inbox("AUS") / "AUS 2022.csv", rows)
    done = CliRunner().invoke(app, ["data-docs", str(file)])
    assert done.exit_code == 0, done.output
    page = next((smewg_home / "outputs" / "data_docs" / "2022" / "AUS").glob("*.gx.html"))
    assert str(page) in done.stdout.replace("\n", "")
    html = page.read_text(encoding="utf-8")
    assert "<script" not in html and "<img" not in html and "<link" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "AUS 2022 submission" in html and "__none__" not in html and "newsletter" not in html.lower()
    assert not re.search(r"(src|href)=\"https?://|url\(", html)
    assert "expect_column_values_to_match_regex" in html or "values must match" in html  # GX's own rendering of the rules

    drawn_offline(page, tmp_path / "docs.png")

    elsewhere = CliRunner().invoke(app, ["data-docs", str(tmp_path / "docs.png")])
    assert elsewhere.exit_code == 2 and "is not in the inbox" in elsewhere.stderr
