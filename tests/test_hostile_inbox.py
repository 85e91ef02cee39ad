"""An operator's worst inbox: 50+ entries that are not submissions, or are hostile ones,
beside good files. Collection never hangs or stops: every good file of every economy is
stored, every bad entry is refused or reported with its reason, and names that carry
terminal control or markup reach no terminal raw."""

from __future__ import annotations

import io
import os
import re
import socket
import threading
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smewg.cli import app
from smewg.core import clock
from smewg.work.collect import collect_all, inbox_for
from tests import collection_helpers as h

AS_OF = date(2022, 12, 31)
ARRIVED = datetime(2022, 4, 4, 2, tzinfo=UTC)
GOOD = ("AUS", "CAN", "JPN", "MEX", "PER", "SGP")


def _bomb(path: Path, unpacked_mb: int) -> None:
    """A small .xlsx whose shared strings unpack to ``unpacked_mb`` MB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", b"\0" * (unpacked_mb * 1_000_000))
    path.write_bytes(buffer.getvalue())
    h.stamp(path, ARRIVED)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    h.stamp(path, ARRIVED)


@pytest.fixture
def hostile(smewg_home, monkeypatch, tmp_path):
    h.prepare(smewg_home, monkeypatch)
    monkeypatch.setenv("SMEWG_MAX_SUBMISSION_BYTES", "1000000")
    good = {code: h.write_csv(h.inbox(code) / f"{code}.csv", h.valid_rows(code), received=ARRIVED) for code in GOOD}
    bad: dict[str, str] = {}  # entry -> the reason it must be refused or reported with
    sockets = []
    for n, code in enumerate(("KOR", "CHL", "THA", "VNM", "NZL")):
        folder = h.inbox(code)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"gone-{n}.csv").symlink_to(folder / f"deleted-{n}.csv")  # dangling, inside the inbox
        bad[f"gone-{n}.csv"] = "cannot be read"
        os.mkfifo(folder / f"pipe-{n}.csv")
        bad[f"pipe-{n}.csv"] = "not a regular file"
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(folder / f"sock-{n}.csv"))
        sockets.append(listener)
        bad[f"sock-{n}.csv"] = "not a regular file"
        _write(folder / f"wide-{n}.csv", b"economy," * 110_000 + b"\n")  # a header line of 880 kB
        bad[f"wide-{n}.csv"] = "header row is 880,000 characters long"
        _write(folder / f"columns-{n}.csv", (",".join(f"c{i}" for i in range(60)) + "\n1\n").encode())
        bad[f"columns-{n}.csv"] = "header row has 60 columns"
        _bomb(folder / f"bomb-{n}.xlsx", unpacked_mb=40)
        bad[f"bomb-{n}.xlsx"] = "unpacks to 40 MB, over the 20 MB limit"
        _write(folder / f"garbage-{n}.xlsx", os.urandom(2000))
        bad[f"garbage-{n}.xlsx"] = "cannot be opened as an Excel workbook"
        _write(folder / f"notes-{n}.txt", b"see attached")
        bad[f"notes-{n}.txt"] = "are not accepted"
        _write(folder / f"empty-{n}.csv", b"")
        bad[f"empty-{n}.csv"] = "is empty"
        (folder / f"sub-{n}").mkdir()
        bad[f"sub-{n}"] = "sub-folders are not read"
        (folder / f"outside-{n}.csv").symlink_to(tmp_path)
        bad[f"outside-{n}.csv"] = "a link to outside the inbox"
    # Names that would drive a terminal or be read as markup, on good content.
    escape = h.write_csv(h.inbox("IDN") / "IDN \x1b[2J\x1b]0;pwned\x07.csv", h.valid_rows("IDN"), received=ARRIVED)
    markup = h.write_csv(h.inbox("MYS") / "[bold red]MYS[blink].csv", h.valid_rows("MYS"), received=ARRIVED)
    future = h.write_csv(h.inbox("PHL") / "PHL.csv", h.valid_rows("PHL"))
    stamp = (datetime.now(UTC) + timedelta(days=400)).timestamp()
    os.utime(future, (stamp, stamp))
    try:
        yield {"good": {**good, "IDN": escape, "MYS": markup}, "future": future, "bad": bad}
    finally:
        for listener in sockets:
            listener.close()


def test_a_hostile_inbox_harms_no_good_file_and_says_why_for_every_bad_one(hostile):
    assert len(hostile["bad"]) >= 50
    context = h.context()
    done: list = []
    worker = threading.Thread(target=lambda: done.append(collect_all(context, AS_OF)), daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert done, "collection hung (a pipe opened, or a huge header parsed quadratically)"
    outcomes = {Path(o.file).name: o for o in done[0]}

    for code, path in hostile["good"].items():
        assert outcomes[path.name].status == "accepted", (code, outcomes.get(path.name))
    _, warnings = inbox_for(context, AS_OF)
    told = {**{Path(o.file).name: " ".join(p["message"] for p in o.problems) for o in done[0]}}
    for name, reason in hostile["bad"].items():
        said = told.get(name, "") + " ".join(w for w in warnings if f"/{name}:" in w)
        assert reason in said, (name, said)
        if name in outcomes:
            assert outcomes[name].status == "rejected", name
    assert any("is in the future; counted as received now" in w for w in warnings)
    # The future-dated file counts as arrived now: collected by a run as of today, not kept waiting for a year.
    assert hostile["future"].name not in outcomes
    today = [o for o in collect_all(context, clock.today()) if o.status != "unchanged"]  # today in Singapore
    assert [(Path(o.file).name, o.status) for o in today] == [(hostile["future"].name, "accepted")]

    listing = CliRunner().invoke(app, ["submissions", "--year", "2022"], env={"COLUMNS": "400"})
    assert listing.exit_code == 0
    assert "\x1b" not in listing.stdout and "\x07" not in listing.stdout
    flat = re.sub(r"[\s│]", "", listing.stdout)  # the file column wraps
    assert "\\x1b[2J\\x1b]0;pwned\\x07.csv" in flat  # shown, not obeyed
    assert "[boldred]MYS[blink].csv" in flat  # shown as written, not taken as markup


def test_a_workbook_with_a_huge_shared_strings_part_is_refused_before_it_is_read(tmp_path):
    """Finding 7: a small file under every size limit whose text cells unpack to 33 MB
    (openpyxl holds them all: ~6 bytes of memory per byte, bench/xlsx_memory.py)."""
    import time

    from smewg.core.economies import load_economies
    from smewg.core.paths import ECONOMIES_FILE
    from smewg.work.parse import SubmissionRejected, parse_submission

    path = tmp_path / "KOR.xlsx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/sharedStrings.xml", b"<si><t>x</t></si>" * 2_000_000)  # 34 MB unpacked
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 1_000_000
    started = time.perf_counter()
    with pytest.raises(SubmissionRejected) as refused:
        parse_submission(path, economy="KOR", year=2022, registry=load_economies(ECONOMIES_FILE), kinds={}, max_bytes=20_000_000)
    assert "KOR.xlsx holds 34 MB of text cells, over the 32 MB limit" in str(refused.value)
    assert time.perf_counter() - started < 5

    # openpyxl finds the shared strings by their content type, whatever the part is called.
    renamed = io.BytesIO()
    with zipfile.ZipFile(renamed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/xl/s.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
        )
        archive.writestr("xl/s.xml", b"<si><t>x</t></si>" * 2_000_000)
    path.write_bytes(renamed.getvalue())
    with pytest.raises(SubmissionRejected, match="holds 34 MB of text cells"):
        parse_submission(path, economy="KOR", year=2022, registry=load_economies(ECONOMIES_FILE), kinds={}, max_bytes=20_000_000)


def test_a_file_of_thousands_of_bad_rows_keeps_a_bounded_problems_record(smewg_home, monkeypatch):
    """Finding 10: a 500k-row file of bad rows stored 73 MB of messages and printed 96 MB of
    ``submissions --json``. The first problems are kept, with the total; each row's status
    is still in the store."""
    import json

    from typer.testing import CliRunner

    from smewg.cli import app
    from smewg.work.collect import collect_all
    from smewg.work.submissions import STORED_PROBLEMS

    h.prepare(smewg_home, monkeypatch)
    good = h.valid_rows("KOR")
    rows = good + [[*row[:4], "lots", *row[5:]] for row in good] * 60  # ~4,000 rows not numbers
    h.write_csv(h.inbox("KOR") / "KOR.csv", rows, received=ARRIVED)
    (outcome,) = collect_all(h.context(), AS_OF)
    assert len(outcome.problems) > 3 * STORED_PROBLEMS  # all of them reached the report and the acknowledgement
    listed = CliRunner().invoke(app, ["submissions", "--year", "2022", "--json"])
    (version,) = json.loads(listed.stdout)
    assert version["problems_total"] == len(outcome.problems)
    assert len(version["problems"]) == STORED_PROBLEMS and version["problems"][1]["row"] == 2  # in file order
    assert len(listed.stdout) < 400_000
    assert version["status"] == "rejected" and version["rows_quarantined"] == len(rows)  # every row's status kept
