"""Where the project's data folders are: ``config/``, ``schedule/`` and ``expectations/``.

They are data a person edits, not Python packages, and the application runs from its
checkout (``make`` installs it in editable mode; a worker pulls the repository), so
their defaults are the folders of that checkout. Every one can be moved with a setting
(``SMEWG_PLAN_FILE``, ``SMEWG_SCHEDULE_DIR``, ...).
"""

from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
"""The checkout: ``smewg/core/paths.py`` is two folders below it."""

CONFIG_DIR = PROJECT_DIR / "config"
PLANS_DIR = CONFIG_DIR / "plans"
DEFAULT_PLAN_FILE = PLANS_DIR / "smewg-2021-2024.yaml"
ECONOMIES_FILE = CONFIG_DIR / "economies.yaml"
SLACK_FILE = CONFIG_DIR / "slack.yaml"
FX_FILE = CONFIG_DIR / "fx.yaml"
RUBRIC_FILE = CONFIG_DIR / "proposal-rubric.yaml"
SCHEDULE_DIR = PROJECT_DIR / "schedule"
EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
SUBMISSION_SUITE_FILE = EXPECTATIONS_DIR / "submission.json"
