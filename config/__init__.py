"""Editable configuration shipped with smewg-cycle: strategic plans and economies as YAML.

The files here are data, not code; this module only says where they are.
"""

from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent
PLANS_DIR = CONFIG_DIR / "plans"
ECONOMIES_FILE = CONFIG_DIR / "economies.yaml"
DEFAULT_PLAN_FILE = PLANS_DIR / "smewg-2021-2024.yaml"
SLACK_FILE = CONFIG_DIR / "slack.yaml"
FX_FILE = CONFIG_DIR / "fx.yaml"
