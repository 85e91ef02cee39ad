"""The ``smewg`` command line: output contracts of SPEC section 7 and operator-facing errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from smewg.cli import app
from smewg.core.paths import DEFAULT_PLAN_FILE
from smewg.core.store import head_revision

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_plan_show_json_follows_the_contract(smewg_home):
    result = run("plan", "show", "--json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["plan"] == "smewg-2021-2024"
    assert [p["id"] for p in document["priorities"]] == ["1", "2", "3", "4", "5"]
    objectives = [o for p in document["priorities"] for o in p["objectives"]]
    indicators = [i for o in objectives for i in o["indicators"]]
    assert (len(objectives), len(indicators), len(document["general_indicators"])) == (14, 45, 6)
    assert set(indicators[0]) >= {"id", "name", "kind", "breakdowns"}
    assert {"id", "title", "objectives"} <= set(document["priorities"][0])
    assert document["general_indicators"][0]["id"] == "G.1"


def test_plan_show_prints_the_tree_and_the_counts(smewg_home):
    result = run("plan", "show")
    assert result.exit_code == 0
    assert "5 priority areas, 14 objectives, 45 indicators, 6 general indicators" in result.stdout
    assert "Priority 4 Access to finance and alternative financial solutions" in result.stdout
    assert "4.2.5" in result.stdout and "G.6" in result.stdout


@pytest.mark.parametrize(
    ("args", "expected_ids"),
    [
        (["--kind", "amount"], ["2.1.2", "2.1.5", "4.1.1", "4.1.2", "4.1.4", "4.2.4", "4.2.5"]),
        (["--objective", "1.3"], ["1.3.1", "1.3.2", "1.3.3", "1.3.4"]),
        (["--priority", "5", "--kind", "count"], ["5.1.1", "5.1.2", "5.1.3", "5.2.1"]),
        (["--search", "women"], ["1.3.1", "2.2.1", "3.2.6", "3.2.7", "4.1.3"]),
    ],
)
def test_plan_show_filters(smewg_home, args, expected_ids):
    result = run("plan", "show", *args, "--json")
    document = json.loads(result.stdout)
    ids = [i["id"] for p in document["priorities"] for o in p["objectives"] for i in o["indicators"]]
    assert ids == expected_ids


def test_plan_show_filter_that_matches_nothing_is_an_error(smewg_home):
    result = run("plan", "show", "--objective", "9.9", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "has no objective 9.9" in result.stderr


def test_economies_json_lists_all_21_in_apec_order(smewg_home):
    document = json.loads(run("economies", "--json").stdout)
    assert [e["order"] for e in document] == list(range(1, 22))
    assert document[5] == {
        "code": "HKG",
        "name": "Hong Kong, China",
        "order": 6,
        "alpha2": "HK",
        "aliases": ["HKC", "Hong Kong", "Hong Kong SAR", "Hong Kong SAR, China"],
    }


def test_economies_resolve_json(smewg_home):
    result = run("economies", "resolve", "viet nam", "--json")
    assert json.loads(result.stdout) == {"input": "viet nam", "code": "VNM", "name": "Viet Nam"}


def test_taiwan_finds_chinese_taipei_which_is_never_listed_under_that_name(smewg_home):
    result = run("economies", "resolve", "Taiwan", "--json")
    assert json.loads(result.stdout) == {"input": "Taiwan", "code": "TWN", "name": "Chinese Taipei"}
    listing = run("economies", "--json").stdout + run("economies").stdout
    assert "Chinese Taipei" in listing and "taiwan" not in listing.lower()


def test_economies_resolve_unknown_names_the_nearest_on_stderr(smewg_home):
    result = run("economies", "resolve", "Phillipines", "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "did you mean The Philippines (PHL)?" in result.stderr


def test_init_twice_reports_no_change_the_second_time(smewg_home):
    first = json.loads(run("init", "--json").stdout)
    assert first["migrated_from"] is None and first["revision"] == head_revision()
    assert first["catalogue"]["inserted"]["indicators"] == 51
    second = json.loads(run("init", "--json").stdout)
    assert second["migrated_from"] == head_revision()
    assert second["catalogue"] == {"inserted": {}, "updated": {}, "not_in_file": [], "changed": False}
    assert (smewg_home / "smewg.db").exists()


def _smewg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "smewg", *args], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


def test_a_broken_plan_file_stops_every_command_with_the_key_named(smewg_home, tmp_path):
    data = yaml.safe_load(DEFAULT_PLAN_FILE.read_text())
    data["priorities"][2]["objectives"][0]["indicators"][1]["kind"] = "number"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, sort_keys=False))

    result = _smewg("plan", "show", "--json", env={"SMEWG_PLAN_FILE": str(broken)})
    assert result.returncode == 2
    assert result.stdout == ""
    assert str(broken) in result.stderr
    assert "objectives[0] (id 3.1) > indicators[1] (id 3.1.2) > kind" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_one_clear_line(smewg_home):
    result = _smewg("init", env={"SMEWG_DATABASE_URL": "postgresql+psycopg://nobody:pw-not-shown@127.0.0.1:1/none"})
    assert result.returncode == 3
    assert "cannot use the database" in result.stderr
    assert "pw-not-shown" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_store_that_was_never_initialised_says_to_run_init(smewg_home):
    result = _smewg("outbox", env={"SMEWG_HOME": str(smewg_home)})
    assert result.returncode == 3
    assert "run `smewg init` first" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://smewg:s3cret-pw@127.0.0.1:1/test",  # nothing listens on port 1
        "postgres://smewg:s3cret-pw@127.0.0.1:5432/test",  # SQLAlchemy's scheme is postgresql
        "postgresql+nodriver://smewg:s3cret-pw@127.0.0.1/test",
        "not a url",
    ],
)
def test_a_bad_database_url_is_one_line_and_exit_3_without_the_password(url, smewg_home):
    import subprocess
    import sys

    env = {**os.environ, "SMEWG_DATABASE_URL": url, "SMEWG_HOME": str(smewg_home)}
    done = subprocess.run(
        [sys.executable, "-m", "smewg", "status", "--year", "2022"], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "s3cret-pw" not in done.stderr + done.stdout


def _smewg_process(*args: str, env: dict[str, str]):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "smewg", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("status", "--yeer", "2022"), "No such option: --yeer (Possible options: --year); see `smewg status --help`"),
        (("frobnicate",), "No such command 'frobnicate'; see `smewg --help`"),
        (("status", "--year", "twenty"), "Invalid value for '--year'"),
        (
            ("templates", "--year", "2023", "--economy", "Vietnam2"),
            "'Vietnam2' is not an APEC economy; did you mean Viet Nam (VNM)?",
        ),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args, says, smewg_home):
    done = _smewg_process(*args, env={**os.environ, "SMEWG_HOME": str(smewg_home)})
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and says in done.stderr, done.stderr
    assert "╭" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.prefect
def test_a_flow_that_fails_in_a_command_is_one_line_and_its_run_log_goes_to_the_log_file(prefect_api, smewg_home, monkeypatch):
    """No Prefect log lines on the terminal: the flow's run log (and its failure) are in the
    log file; the terminal has the one line that says what to fix."""
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    broken = smewg_home / "fx.yaml"
    broken.write_text("rates: [1, 2\n")
    env = {**os.environ, "PREFECT_API_URL": prefect_api, "SMEWG_FX_FILE": str(broken)}
    done = _smewg_process("rollup", "--year", "2022", "--as-of", "2022-07-15", env=env)
    assert done.returncode == 2, done.stderr
    assert done.stderr == f"error: {broken}: not valid YAML at line 2, column 1: expected ',' or ']', but got '<stream end>'\n"
    assert done.stdout == ""
    log = (smewg_home / "logs" / "smewg.log").read_text()
    assert "Beginning flow run" in log and "Finished in state Failed" in log


@pytest.mark.prefect
def test_a_command_with_prefect_api_url_set_records_its_run_there_and_starts_no_server(prefect_api, smewg_home, monkeypatch):
    """Production: with PREFECT_API_URL naming a running server, a command starts no
    temporary server (none announced in its log, no server log written, no second process
    left) and its flow run is recorded, Completed, on that server."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    env = {**os.environ, "PREFECT_API_URL": prefect_api}
    done = _smewg_process("rollup", "--year", "2022", "--as-of", "2022-06-30", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] is True
    logs = smewg_home / "logs"
    assert "Beginning flow run" in (logs / "smewg.log").read_text()
    assert "temporary server" not in (logs / "smewg.log").read_text().lower()
    assert not (logs / "prefect-server.log").exists()
    with get_client(sync_client=True) as client:  # the session's server (prefect_api)
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["rollup-kpis"])))
    ours = [r for r in runs if r.parameters == {"year": 2022, "as_of": "2022-06-30"}]
    assert [r.state.type.value for r in ours if r.state] == ["COMPLETED"]


def test_serve_without_a_running_prefect_server_says_what_to_start_and_starts_nothing(smewg_home):
    """``smewg serve`` would vanish with a temporary server: without PREFECT_API_URL it
    refuses in one line, exit 1, and starts no server."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {"SMEWG_HOME": str(smewg_home)}
    done = _smewg_process("serve", env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: smewg serve needs a running Prefect server: start `prefect server start`")
    assert done.stderr.count("\n") == 1 and "PREFECT_API_URL" in done.stderr
    assert not (smewg_home / "logs" / "prefect-server.log").exists()


def test_the_outbox_shows_one_message_whole_and_cuts_the_list_between_words(smewg_home, monkeypatch):
    from datetime import date

    from typer.testing import CliRunner

    from smewg.cli import app
    from smewg.core.clock import now_utc
    from smewg.core.settings import get_settings
    from smewg.core.store import store_session
    from smewg.work import messages
    from smewg.work.outbox import enqueue
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    long_name = "[bold red]Important[/] " + "supercalifragilistic " * 12 + "\x1b[2J end.csv"
    with store_session(get_settings().resolved_database_url) as session:
        for code, name in (("VNM", "Viet Nam"), ("KOR", "Republic of Korea"), ("TWN", "Chinese Taipei")):
            enqueue(
                session,
                messages.acknowledgement(
                    key=f"ack:{code}",
                    channel=f"#smewg-fp-{code.lower()}",
                    economy_code=code,
                    economy_name=name,
                    year=2022,
                    file=long_name,
                    version=1,
                    status="accepted",
                    accepted=3,
                    quarantined=0,
                    flagged=0,
                    problems=[],
                    report=None,
                ).on(date(2022, 4, 1)),
                now=now_utc(),
            )
    runner = CliRunner()
    listing = runner.invoke(app, ["outbox", "--economy", "Vietnam"], env={"COLUMNS": "300"})
    assert listing.exit_code == 0, listing.output
    assert "#smewg-fp-vnm" in listing.stdout and "#smewg-fp-kor" not in listing.stdout
    assert "supercalifragilistic …" in listing.stdout and "supercalifragilisti…" not in listing.stdout  # between words
    assert "[bold red]Important[/]" in listing.stdout and "\x1b" not in listing.stdout  # shown, not obeyed
    taipei = runner.invoke(app, ["outbox", "--economy", "Taiwan"], env={"COLUMNS": "300"})
    assert taipei.exit_code == 0 and "#smewg-fp-twn" in taipei.stdout and "#smewg-fp-vnm" not in taipei.stdout
    whole = runner.invoke(app, ["outbox", "--id", "1"], env={"COLUMNS": "300"})
    assert whole.exit_code == 0 and "\\x1b[2J end.csv" in whole.stdout and whole.stdout.count("supercalifragilistic") == 12
    missing = runner.invoke(app, ["outbox", "--id", "99"])
    assert missing.exit_code == 1 and "there is no message 99 in the outbox" in missing.stderr


def test_every_command_that_reads_a_calendar_names_the_file_it_used(smewg_home, monkeypatch):
    """Issue 12: a calendar from another folder (an extension that vanished) is never a surprise."""
    from tests import collection_helpers as h

    h.prepare(smewg_home, monkeypatch)
    expected = str((smewg_home / "schedule" / "cycle-2022.yaml").resolve())
    shown = json.loads(run("schedule", "show", "--year", "2022", "--json").stdout)
    assert shown["calendar"] == expected and shown["deadline"] == "2022-05-31"
    assert expected in run("schedule", "show", "--year", "2022").stdout.replace("\n", "")
    dry = json.loads(run("remind", "--year", "2022", "--as-of", "2022-05-01", "--dry-run", "--json").stdout)
    assert dry["calendar"] == expected and len(dry["queued"]) == 21
    status = json.loads(run("status", "--year", "2022", "--json").stdout)
    assert status["calendar"] == expected


def test_a_demo_folder_that_cannot_be_made_is_one_line_saying_to_pass_home(smewg_home, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    done = _smewg("demo", "--home", str(blocked / "demo"), env={"SMEWG_HOME": str(smewg_home)})
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot make the demo's folder") and "--home" in lines[0], done.stderr
    assert not blocked.is_dir() and blocked.read_text() == ""  # nothing touched
