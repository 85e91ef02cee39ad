"""Rules of the code base that a reviewer would otherwise have to remember.

The layering itself (CLI -> flows -> tasks -> work -> core, no Prefect below the tasks)
is import-linter's contract in pyproject.toml, run by `make test`.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("smewg", "flows", "tasks")  # bench/ measures time on purpose
WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("pendulum", "now"),
}


def _python_files() -> list[Path]:
    """Every module once: smewg/flows and smewg/tasks are links to the top-level folders."""
    files = []
    for folder in SOURCE_DIRS:
        for root, dirs, names in os.walk(REPO / folder):
            dirs[:] = [d for d in dirs if not (Path(root) / d).is_symlink()]
            files += [Path(root) / name for name in names if name.endswith(".py")]
    return sorted(files)


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            yield node.func.value.id, node.func.attr, node.lineno


def test_every_flow_carries_the_run_hooks():
    """Every flow alerts on failure and crash and tags its run with the command's process
    (for the killed-run check): the hooks come with RUN_HOOKS, which a new flow must take."""
    import importlib
    import pkgutil

    from prefect import Flow

    import smewg.flows
    from smewg.flows.hooks import alert_secretariat, tag_with_process

    flows = []
    for module in pkgutil.iter_modules(smewg.flows.__path__):
        loaded = importlib.import_module(f"smewg.flows.{module.name}")
        flows += [value for value in vars(loaded).values() if isinstance(value, Flow) and value.__module__ == loaded.__name__]
    assert len(flows) >= 10
    for flow in flows:
        assert tag_with_process in flow.on_running_hooks, flow.name
        assert alert_secretariat in flow.on_failure_hooks and alert_secretariat in flow.on_crashed_hooks, flow.name


def test_only_the_clock_module_reads_the_wall_clock():
    offenders = [
        f"{path.relative_to(REPO)}:{line} {owner}.{name}()"
        for path in _python_files()
        if path != REPO / "smewg" / "core" / "clock.py"
        for owner, name, line in _calls(path)
        if (owner, name) in WALL_CLOCK_CALLS
    ]
    assert offenders == [], "take an explicit as_of (or smewg.core.clock) instead"


READ_ONLY_COMMANDS = [
    ["plan", "show", "--json"],
    ["economies", "--json"],
    ["schedule", "show", "--year", "2022", "--json"],
    ["submissions", "--year", "2022", "--json"],
    ["status", "--year", "2022", "--as-of", "2022-06-15", "--json"],
    ["outbox", "--json"],
    ["export", "--year", "2022", "--format", "csv"],
]

_PROBE = """
import contextlib, io, json, sys
from smewg.cli import main
sys.argv = ["smewg", *sys.argv[1:]]
out, err, code = io.StringIO(), io.StringIO(), 0
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    try:
        main()
    except SystemExit as exit:
        code = exit.code or 0
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"prefect", "great_expectations"})
print(json.dumps({"exit": code, "loaded": loaded, "output": out.getvalue() + err.getvalue()}))
"""


def _probe(command: list[str], folder) -> dict:
    """Run ``smewg command`` in a fresh interpreter in ``folder``, against a store that does not exist."""
    import json

    env = {k: v for k, v in os.environ.items() if not k.startswith("SMEWG_")} | {"SMEWG_HOME": str(folder / "home")}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *command], capture_output=True, text=True, cwd=folder, env=env, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("command", READ_ONLY_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_read_only_commands_import_no_prefect_or_gx_and_create_nothing(command, tmp_path):
    """Run in-process (in a fresh interpreter) against a store that does not exist."""
    report = _probe(command, tmp_path)
    assert report["loaded"] == [], f"smewg {' '.join(command)} imported {report['loaded']}"
    assert list(tmp_path.iterdir()) == [], "a read-only command created files"
    if command[0] in ("submissions", "status", "outbox", "export"):
        assert report["exit"] == 3
        assert "smewg init" in report["output"]
    else:
        assert report["exit"] == 0


FLOW_COMMANDS = [
    ["collect", "--year", "2022"],
    ["rollup", "--year", "2022"],
    ["remind", "--year", "2022"],
    ["watch", "--year", "2022"],
    ["review", "midterm"],
    ["cycle", "run"],
]


@pytest.mark.parametrize("command", FLOW_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_commands_that_start_flows_refuse_a_missing_store_before_starting_prefect(command, tmp_path):
    report = _probe(command, tmp_path)
    assert report["exit"] == 3 and "smewg init" in report["output"]
    assert report["loaded"] == [], "no Prefect server started for a command that cannot run"
    assert list(tmp_path.iterdir()) == [], "an empty store file was left behind"


def test_workbooks_are_written_through_lxml():
    """openpyxl falls back to a pure-Python XML writer, twice as slow, when lxml is missing:
    templates, exports and review workbooks all go through it (lxml is a declared dependency)."""
    import openpyxl.xml

    assert openpyxl.xml.LXML, "lxml is not installed: run make install"
