"""Rules of the code base that a reviewer would otherwise have to remember."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("smewg", "flows", "tasks", "config", "schedule", "expectations")
WALL_CLOCK_CALLS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
                    ("time", "time"), ("pendulum", "now")}


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name):
            yield node.func.value.id, node.func.attr, node.lineno


def test_only_the_clock_module_reads_the_wall_clock():
    offenders = [
        f"{path.relative_to(REPO)}:{line} {owner}.{name}()"
        for folder in SOURCE_DIRS
        for path in sorted((REPO / folder).rglob("*.py"))
        if path != REPO / "smewg" / "clock.py"
        for owner, name, line in _calls(path)
        if (owner, name) in WALL_CLOCK_CALLS
    ]
    assert offenders == [], "take an explicit as_of (or smewg.clock) instead"


def test_read_only_commands_do_not_import_prefect():
    import subprocess
    import sys

    probe = ("import sys, smewg.cli; "
             "print(any(m == 'prefect' or m.startswith('prefect.') for m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "False"
