"""Project proposals scored and ranked by their link to the plan (issue 14, SPEC section 8)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from smewg.cli import app
from smewg.core.paths import RUBRIC_FILE
from smewg.core.settings import get_settings
from smewg.work.proposal_session import proposals_context, rank_session
from smewg.work.proposals import COLUMNS

SESSION = "2021A"
AS_OF = date(2021, 4, 30)
CRITERIA = ("effectiveness", "efficiency", "impact", "sustainability", "capacity_building")

EXPORTS = (
    "Export readiness workshops for SMEs: trade fair matchmaking that helps exporters enter global value chains, "
    "with a green and sustainable packaging clinic."
)
DIGITAL_TEXT = "Digital skills training for SME owners: e-commerce courses and an online toolkit."


def proposal(pid: str, **fields: str) -> dict[str, str]:
    row = {
        "id": pid,
        "title": "SME project",
        "economy": "KOR",
        "co_sponsors": "JPN;VNM",
        "session": SESSION,
        "stage": "concept_note",
        "objectives": "",
        "summary": "A project.",
        "budget_usd": "120000",
        "funding_source": "APEC Support Fund",
        "start": "2021-07-01",
        "end": "2022-06-30",
    }
    return {**row, **fields}


def write_csv(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def scores(folder: Path, economy: str, given: dict[str, dict[str, float]]) -> Path:
    """``given``: proposal id -> criterion -> score (criteria left out get 3)."""
    rows = [
        {"proposal": pid, "criterion": criterion, "score": str(by.get(criterion, 3))}
        for pid, by in given.items()
        for criterion in CRITERIA
    ]
    return write_csv(folder / f"scores-{economy}.csv", rows, ("proposal", "criterion", "score"))


@pytest.fixture
def session_folder(smewg_home) -> Path:
    folder = smewg_home / "proposals" / SESSION
    folder.mkdir(parents=True)
    return folder


def ranked(folder: Path | None = None):
    del folder
    ranking = rank_session(proposals_context(get_settings()), SESSION, AS_OF)
    return ranking, {r.proposal.id: r for r in ranking.proposals}


def test_a_proposal_whose_text_supports_two_objectives_outranks_an_equal_one_with_no_link(session_folder):
    write_csv(
        session_folder / "kor.csv",
        [
            proposal("SME 01 2021A", objectives="2.1;2.4", summary=EXPORTS),
            proposal("SME 02 2021A", objectives="", summary=EXPORTS),
        ],
    )
    scores(session_folder, "JPN", {"SME 01 2021A": {}, "SME 02 2021A": {}})
    ranking, by_id = ranked()
    linked, unlinked = by_id["SME 01 2021A"], by_id["SME 02 2021A"]
    assert [r.proposal.id for r in ranking.proposals] == ["SME 01 2021A", "SME 02 2021A"]
    assert (linked.link_score, unlinked.link_score) == (4, 1)
    assert linked.score > unlinked.score and linked.eligible
    assert "the text supports 2.1 (" in linked.explanation and "2.4 (green" in linked.explanation
    assert not unlinked.eligible and "claims no objective of the plan" in unlinked.explanation


def test_a_claim_the_text_never_supports_is_flagged_and_earns_nothing(session_folder):
    write_csv(
        session_folder / "kor.csv",
        [
            proposal("SME 01 2021A", objectives="2.1;5.1", summary=EXPORTS),  # nothing about procurement
            proposal("SME 02 2021A", objectives="2.1", summary=EXPORTS),
        ],
    )
    scores(session_folder, "JPN", {"SME 01 2021A": {}, "SME 02 2021A": {}})
    _, by_id = ranked()
    padded, honest = by_id["SME 01 2021A"], by_id["SME 02 2021A"]
    assert padded.link_score == honest.link_score == 3  # one supported objective each
    assert padded.score == honest.score
    assert "claims 5.1 but its text never supports it: not counted" in padded.flags
    assert [c.objective for c in padded.claims if c.supported] == ["2.1"]
    assert not honest.flags


def test_under_the_minimum_on_any_criterion_is_not_eligible_whatever_its_total(session_folder):
    write_csv(
        session_folder / "kor.csv",
        [
            proposal("SME 01 2021A", objectives="2.1;2.4", summary=EXPORTS),
            proposal("SME 02 2021A", objectives="3.1", summary=DIGITAL_TEXT),
        ],
    )
    scores(
        session_folder,
        "JPN",
        {"SME 01 2021A": dict.fromkeys(CRITERIA, 4) | {"efficiency": 1}, "SME 02 2021A": dict.fromkeys(CRITERIA, 2)},
    )
    ranking, by_id = ranked()
    strong_but_inefficient, modest = by_id["SME 01 2021A"], by_id["SME 02 2021A"]
    assert strong_but_inefficient.score > modest.score
    assert not strong_but_inefficient.eligible and modest.eligible
    assert [r.proposal.id for r in ranking.proposals] == ["SME 02 2021A", "SME 01 2021A"]
    assert "not eligible: efficiency 1 is under the minimum 2" in strong_but_inefficient.flags
    document = ranking.as_dict()["proposals"][1]
    assert document["eligible"] is False and any("efficiency" in f and "minimum" in f for f in document["flags"])


def test_changing_the_rubric_weights_changes_the_ranking_with_no_code_change(session_folder, tmp_path, monkeypatch):
    write_csv(
        session_folder / "kor.csv",
        [
            proposal("SME 01 2021A", objectives="2.1", summary=EXPORTS),
            proposal("SME 02 2021A", objectives="2.1", summary=EXPORTS),
        ],
    )
    scores(
        session_folder, "JPN", {"SME 01 2021A": {"impact": 4, "efficiency": 2}, "SME 02 2021A": {"impact": 2, "efficiency": 4}}
    )
    scores(
        session_folder, "VNM", {"SME 01 2021A": {"impact": 4, "efficiency": 2}, "SME 02 2021A": {"impact": 2, "efficiency": 4}}
    )
    default_first = ranked()[0].proposals[0].proposal.id

    rubric = yaml.safe_load(RUBRIC_FILE.read_text())
    for criterion in rubric["criteria"]:
        criterion["weight"] = {"impact": 1, "efficiency": 5}.get(criterion["id"], criterion["weight"])
    edited = tmp_path / "rubric.yaml"
    edited.write_text(yaml.safe_dump(rubric))
    monkeypatch.setenv("SMEWG_RUBRIC_FILE", str(edited))
    weighted_first = ranked()[0].proposals[0].proposal.id

    for criterion in rubric["criteria"]:
        criterion["weight"] = {"impact": 5, "efficiency": 1}.get(criterion["id"], criterion["weight"])
    edited.write_text(yaml.safe_dump(rubric))
    assert (weighted_first, ranked()[0].proposals[0].proposal.id) == ("SME 02 2021A", "SME 01 2021A")
    assert default_first == "SME 01 2021A"  # equal weights: the tie goes by id


def test_bad_files_and_rows_are_refused_naming_file_row_and_field_and_nothing_else_is_lost(session_folder):
    write_csv(
        session_folder / "a-good.csv",
        [
            proposal("SME 01 2021A", objectives="2.1", summary=EXPORTS),
            proposal("SME 02 2021A", objectives="3.1", summary=DIGITAL_TEXT),
        ],
    )
    write_csv(
        session_folder / "b-mixed.csv",
        [
            proposal("SME 03 2021A", objectives="2.1;9.9", summary=EXPORTS),  # row 2: unknown objective
            proposal("SME 04 2021A", economy="Atlantis", objectives="2.1", summary=EXPORTS),  # row 3
            proposal("SME 01 2021A", objectives="2.1", summary=EXPORTS),  # row 4: duplicate id
            proposal("SME 05 2021A", economy="Viet Nam", co_sponsors="Taiwan;korea", objectives="2.4", summary=EXPORTS),
            proposal("SME 06 2021A", title="", objectives="2.1", summary=EXPORTS),  # row 6: a required field empty
            proposal("=cmd|' /C calc'!A0", objectives="2.1", summary=EXPORTS),  # row 7: not an id
        ],
    )
    write_csv(session_folder / "c-missing-column.csv", [proposal("SME 06 2021A")], tuple(c for c in COLUMNS if c != "objectives"))
    (session_folder / "notes.txt").write_text("not a proposal")
    (session_folder / "d-latin1.csv").write_bytes(",".join(COLUMNS).encode() + b"\nSME 09 2021A,Caf\xe9 owners\n")
    ranking, by_id = ranked()
    assert set(by_id) == {"SME 01 2021A", "SME 02 2021A", "SME 05 2021A"}
    assert by_id["SME 05 2021A"].proposal.economy == "VNM" and by_id["SME 05 2021A"].proposal.co_sponsors == ("TWN", "KOR")
    assert by_id["SME 01 2021A"].proposal.file == "a-good.csv"  # the first one stays
    problems = {(p.file, p.row, p.field): p.message for p in ranking.problems}
    assert "'9.9' is not an objective of the plan" in problems[("b-mixed.csv", 2, "objectives")]
    assert "'Atlantis' is not an APEC economy" in problems[("b-mixed.csv", 3, "economy")]
    assert "duplicate id 'SME 01 2021A', already in a-good.csv row 2" in problems[("b-mixed.csv", 4, "id")]
    assert "missing column objectives" in problems[("c-missing-column.csv", 1, "objectives")]
    assert problems[("b-mixed.csv", 6, "title")].startswith("empty; every proposal needs id, title, economy")
    assert "is not a proposal id; write it as APEC does" in problems[("b-mixed.csv", 7, "id")]
    assert "not a CSV or .xlsx file" in problems[("notes.txt", None, None)]
    assert "is not UTF-8 text (byte 0xe9 on line 2); save it as 'CSV UTF-8'" in problems[("d-latin1.csv", None, None)]
    shown = [str(p) for p in ranking.problems]
    assert any(s.startswith("b-mixed.csv, row 3, economy: ") for s in shown)


def test_scoring_sheet_rows_that_cannot_count_are_refused_one_by_one(session_folder):
    write_csv(session_folder / "kor.csv", [proposal("SME 01 2021A", objectives="2.1", summary=EXPORTS)])
    rows = [
        {"proposal": "SME 01 2021A", "criterion": "impact", "score": "4"},
        {"proposal": "SME 01 2021A", "criterion": "impact", "score": "9"},  # row 3: off the scale
        {"proposal": "SME 01 2021A", "criterion": "link_to_plan", "score": "4"},  # row 4: computed
        {"proposal": "SME 99 2021A", "criterion": "impact", "score": "4"},  # row 5: no such proposal
        {"proposal": "SME 01 2021A", "criterion": "impact", "score": "2"},  # row 6: scored twice
    ]
    write_csv(session_folder / "scores-Japan.csv", rows, ("proposal", "criterion", "score"))
    write_csv(session_folder / "scores-Atlantis.csv", rows[:1], ("proposal", "criterion", "score"))
    ranking, by_id = ranked()
    problems = {(p.file, p.row, p.field): p.message for p in ranking.problems}
    assert "'9' is not a score; write a number from 1 to 4" in problems[("scores-Japan.csv", 3, "score")]
    assert "computed from the objectives, not scored by economies" in problems[("scores-Japan.csv", 4, "criterion")]
    assert "'SME 99 2021A' is not a proposal of session 2021A" in problems[("scores-Japan.csv", 5, "proposal")]
    assert "scored twice by JPN (first in row 2)" in problems[("scores-Japan.csv", 6, "criterion")]
    assert "'Atlantis' is not an APEC economy" in problems[("scores-Atlantis.csv", None, "file name")]
    assert by_id["SME 01 2021A"].criteria["impact"] == 4  # the one good row
    assert "not eligible: no economy scored efficiency" in by_id["SME 01 2021A"].flags


def test_too_few_co_sponsors_is_named_and_the_proposal_listed_as_not_eligible(session_folder):
    write_csv(session_folder / "kor.csv", [proposal("SME 01 2021A", co_sponsors="JPN;KOR", objectives="2.1", summary=EXPORTS)])
    scores(session_folder, "JPN", {"SME 01 2021A": {}})
    ranking, by_id = ranked()
    assert not by_id["SME 01 2021A"].eligible
    assert "not eligible: 1 co-sponsor, the rubric asks for 2" in by_id["SME 01 2021A"].flags
    problem = next(p for p in ranking.problems if p.field == "co_sponsors")
    assert (problem.file, problem.row, problem.refused) == ("kor.csv", 2, False)


def test_objectives_no_proposal_supports_are_listed(session_folder):
    write_csv(session_folder / "kor.csv", [proposal("SME 01 2021A", objectives="2.1;5.1", summary=EXPORTS)])
    ranking, _ = ranked()
    uncovered = [o.id for o in ranking.uncovered]
    assert "2.1" not in uncovered and "5.1" in uncovered  # claimed, never supported: still uncovered
    assert len(uncovered) == 13


def test_the_xlsx_template_filled_in_is_read_like_a_csv(session_folder, smewg_home):
    from openpyxl import load_workbook

    done = CliRunner().invoke(app, ["proposals", "template", "--session", "2021a"])
    assert done.exit_code == 0, done.output
    template = smewg_home / "outputs" / "templates" / "proposals" / SESSION / f"proposals-{SESSION}.xlsx"
    workbook = load_workbook(template)
    assert workbook.sheetnames[:2] == ["Proposals", "Read me"] and "Objectives" in workbook.sheetnames
    sheet = workbook["Proposals"]
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    sheet.append(list(proposal("SME 01 2021A", objectives="2.1;2.4", summary=EXPORTS, start="", end="").values()))
    workbook.save(session_folder / "kor.xlsx")
    _, by_id = ranked()
    assert by_id["SME 01 2021A"].link_score == 4 and by_id["SME 01 2021A"].proposal.file == "kor.xlsx"

    sheet_for_japan = CliRunner().invoke(app, ["proposals", "template", "--session", SESSION, "--scores-for", "Japan"])
    assert sheet_for_japan.exit_code == 0, sheet_for_japan.output
    lines = (template.parent / "scores-JPN.csv").read_text().splitlines()
    assert lines[0] == "proposal,criterion,score" and len(lines) == 1 + len(CRITERIA)


@pytest.mark.prefect
def test_rank_command_runs_the_flow_writes_safe_outputs_and_tells_the_secretariat_once(prefect_api, session_folder, monkeypatch):
    from openpyxl import load_workbook
    from prefect import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from tests import collection_helpers as h
    from tests.slack_server import FakeSlack, SlackServer

    h.prepare(session_folder.parents[1], monkeypatch)
    write_csv(
        session_folder / "kor.csv",
        [
            proposal("SME 01 2021A", title="<script>alert(1)</script> Exporters", objectives="2.1;2.4", summary=EXPORTS),
            proposal(
                "SME 02 2021A", title='=HYPERLINK("http://x") [/] [bold]pilot[/bold]', objectives="3.1", summary=DIGITAL_TEXT
            ),
        ],
    )
    scores(session_folder, "JPN", {"SME 01 2021A": {}, "SME 02 2021A": {}})
    fake = FakeSlack(token="xoxb-1-proposals", channels={"#smewg-secretariat": "CSECRETARIAT"})
    with SlackServer(fake) as server:
        monkeypatch.setenv("SMEWG_SLACK_TOKEN", "xoxb-1-proposals")
        monkeypatch.setenv("SMEWG_SLACK_BASE_URL", server.base_url)
        runner = CliRunner()
        first = runner.invoke(app, ["proposals", "rank", "--session", SESSION, "--as-of", "2021-04-30", "--json"])
        assert first.exit_code == 0, first.output
        document = json.loads(first.stdout)
        again = runner.invoke(app, ["proposals", "rank", "--session", SESSION, "--as-of", "2021-04-30"], env={"COLUMNS": "250"})
        assert again.exit_code == 0, again.output
    assert document["session"] == SESSION
    assert [(p["id"], p["rank"], p["eligible"], p["link_score"]) for p in document["proposals"]] == [
        ("SME 01 2021A", 1, True, 4),
        ("SME 02 2021A", 2, True, 3),
    ]
    assert set(document["proposals"][0]) >= {"id", "rank", "score", "eligible", "link_score", "flags", "explanation"}
    assert "5.1" in document["uncovered_objectives"]
    posted = fake.posted_to("#smewg-secretariat")
    assert len(posted) == 1 and "Project proposals 2021A ranked: 2 proposals, 2 eligible" in posted[0]["text"]
    assert "<script>" not in json.dumps(posted[0]["blocks"])

    html = Path(document["outputs"]["html"]).read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "http://" not in html.replace('"http://x"', "").replace("&#34;http://x&#34;", "")
    sheet = load_workbook(document["outputs"]["xlsx"])["Ranking"]
    titles = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://x") [/] [bold]pilot[/bold]' in titles  # shown, never run as a formula
    assert "SME 01 2021A" in again.stdout and "HTML:" in again.stdout
    assert "[/] [bold]pilot[/bold]" in again.stdout  # shown as written, not read as terminal markup

    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["proposals-2021a"])))
    assert artifacts and "SME 01 2021A" in json.dumps(artifacts[0].data)


def test_rank_without_a_session_folder_says_where_to_put_the_files(smewg_home):
    done = CliRunner().invoke(app, ["proposals", "rank", "--session", "2030B"])
    assert done.exit_code == 1
    assert "no proposals for session 2030B: put the files in" in done.stderr
    import os
    import subprocess
    import sys

    bad = subprocess.run(
        [sys.executable, "-m", "smewg", "proposals", "rank", "--session", "spring"],
        capture_output=True,
        text=True,
        env={**os.environ, "SMEWG_HOME": str(smewg_home)},
    )
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert "'spring' is not a project session; write the year and A or B, e.g. 2021A" in bad.stderr


def test_an_eligible_proposal_joins_the_cycle_calendar_keeping_what_was_written(session_folder, smewg_home, monkeypatch):
    from smewg.core.calendar import calendar_path, load_calendar
    from smewg.core.catalogue import load_catalogue
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    write_csv(
        session_folder / "kor.csv",
        [
            proposal("SME 01 2021A", objectives="5.1;2.1", summary=EXPORTS),
            proposal("SME 02 2021A", objectives="3.1", summary=DIGITAL_TEXT, co_sponsors="JPN"),
        ],
    )
    scores(session_folder, "JPN", {"SME 01 2021A": {}, "SME 02 2021A": {}})
    settings = get_settings()
    path = calendar_path(settings.schedule_dir, 2022)
    path.write_text(path.read_text() + "# kept: a note the Secretariat wrote\n")
    runner = CliRunner()
    added = runner.invoke(app, ["proposals", "add-to-cycle", "--session", SESSION, "--id", "SME 01 2021A", "--year", "2022"])
    assert added.exit_code == 0, added.output
    assert "added to" in added.stdout
    calendar = load_calendar(path, load_catalogue(settings.plan_file, settings.economies_file).plan)
    activity = calendar.activities[-1]
    assert (activity.id, activity.objective, activity.lead, activity.due) == ("SME 01 2021A", "2.1", "KOR", date(2022, 6, 30))
    assert "# kept: a note the Secretariat wrote" in path.read_text() and path.read_text().startswith("# Cycle calendar")
    twice = runner.invoke(app, ["proposals", "add-to-cycle", "--session", SESSION, "--id", "SME 01 2021A", "--year", "2022"])
    assert twice.exit_code == 0 and "already in" in twice.stdout and len(load_calendar(path).activities) == 1
    refused = runner.invoke(app, ["proposals", "add-to-cycle", "--session", SESSION, "--id", "SME 02 2021A", "--year", "2022"])
    assert refused.exit_code == 1 and "is not eligible" in refused.stderr
